import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { compilePluginChains, PluginChainError } from '../../../src/plugins/chain/compile.js';
import type { ChainSlot, PluginChain } from '../../../src/plugins/chain/types.js';
import { definePlugin } from '../../../src/plugins/sdk.js';
import type { Config } from '../../../src/config/types.js';
import { load, plugin, registryOf, yml } from './helpers.js';

const HEAD = [
  '_format_version: "3.0"',
  'services:',
  '  - name: s1',
  '    host: a',
  '    routes: [{ name: r1, paths: [/1] }, { name: r2, paths: [/2] }]',
  '  - name: s2',
  '    host: b',
  'routes: [{ name: r3, paths: [/3] }]',
  'consumers: [{ username: alice }, { username: bob }]',
];

const tagged = definePlugin({
  name: 'p',
  version: '1',
  priority: 100,
  schema: Type.Object({ tag: Type.String() }),
  phases: { access() {}, log() {} },
});

function routeChain(c: Config, route: string, reg = registryOf(tagged)): PluginChain | null {
  const r = c.routes.find((x) => x.name === route)!;
  return compilePluginChains(c, reg).forRoute(r.id, r.service?.id ?? null);
}
const idOf = (c: Config, username: string) => c.consumers.find((x) => x.username === username)!.id;
const tagOf = (slot: ChainSlot | undefined, consumerId: string | null): string | null => {
  if (!slot) return null;
  const inst = (consumerId !== null ? slot.byConsumer?.get(consumerId) : undefined) ?? slot.base;
  return inst ? (inst.conf as { tag: string }).tag : null;
};

const LEVELS = {
  crs: '{ name: p, consumer: alice, route: r1, service: s1, config: { tag: crs } }',
  cr: '{ name: p, consumer: alice, route: r1, config: { tag: cr } }',
  cs: '{ name: p, consumer: alice, service: s1, config: { tag: cs } }',
  rs: '{ name: p, route: r1, service: s1, config: { tag: rs } }',
  c: '{ name: p, consumer: alice, config: { tag: c } }',
  r: '{ name: p, route: r1, config: { tag: r } }',
  s: '{ name: p, service: s1, config: { tag: s } }',
  g: '{ name: p, config: { tag: g } }',
} as const;
const ORDER = Object.keys(LEVELS) as (keyof typeof LEVELS)[];

test('precedence: consumer+route+service > consumer+route > consumer+service > route+service > consumer > route > service > global', () => {
  for (let k = 0; k < ORDER.length; k++) {
    const present = ORDER.slice(k);
    const c = load(yml(...HEAD, 'plugins:', ...present.map((l) => `  - ${LEVELS[l]}`)), registryOf(tagged));
    const chain = routeChain(c, 'r1')!;
    const slot = chain.access[0]!;
    assert.equal(chain.access.length, 1);
    assert.equal(tagOf(slot, idOf(c, 'alice')), present[0], `alice with ${present.join(',')}`);
    assert.equal(
      tagOf(slot, idOf(c, 'bob')),
      present.find((l) => !l.startsWith('c')) ?? null,
      `bob with ${present.join(',')}`,
    );
    assert.equal(
      tagOf(slot, null),
      present.find((l) => !l.startsWith('c')) ?? null,
      `no consumer with ${present.join(',')}`,
    );
    assert.equal(tagOf(chain.log[0], idOf(c, 'alice')), present[0], 'the log phase resolves the same way');
  }
});

test('precedence: instances for another route or service do not apply; scopes name the entities', () => {
  const c = load(yml(...HEAD, 'plugins:', ...ORDER.map((l) => `  - ${LEVELS[l]}`)), registryOf(tagged));
  const alice = idOf(c, 'alice');
  const r2 = routeChain(c, 'r2')!.access[0]!;
  assert.equal(tagOf(r2, alice), 'cs');
  assert.equal(tagOf(r2, null), 's');
  const r3 = routeChain(c, 'r3')!.access[0]!;
  assert.equal(tagOf(r3, alice), 'c');
  assert.equal(tagOf(r3, null), 'g');
  assert.equal(r3.base!.scope, 'global');
  assert.equal(r3.byConsumer!.get(alice)!.scope, "consumer 'alice'");
  const r1 = routeChain(c, 'r1')!.access[0]!;
  assert.equal(r1.byConsumer!.get(alice)!.scope, "route 'r1' + service 's1' + consumer 'alice'");
  assert.equal(r1.base!.scope, "route 'r1' + service 's1'");
  assert.equal(r1.byConsumer!.has(idOf(c, 'bob')), false);
});

test('a route+service instance beats a consumer-only one; a consumer-only one beats route, service and global', () => {
  const c = load(
    yml(...HEAD, 'plugins:', `  - ${LEVELS.rs}`, `  - ${LEVELS.c}`, `  - ${LEVELS.r.replace('r1', 'r2')}`),
    registryOf(tagged),
  );
  assert.equal(routeChain(c, 'r1')!.access[0]!.byConsumer, null);
  assert.equal(tagOf(routeChain(c, 'r1')!.access[0], idOf(c, 'alice')), 'rs');
  assert.equal(tagOf(routeChain(c, 'r2')!.access[0], idOf(c, 'alice')), 'c');
  assert.equal(tagOf(routeChain(c, 'r2')!.access[0], null), 'r');
  const r3 = routeChain(c, 'r3')!.access[0]!;
  assert.equal(r3.base, null, 'only alice runs it on r3');
  assert.equal(tagOf(r3, idOf(c, 'alice')), 'c');
});

test('phases: a slot appears only in the phases its plugin handles; no plugin → null chain', () => {
  const reg = registryOf(
    plugin('a', 10, ['access']),
    plugin('b', 20, ['response', 'log']),
    plugin('g', 30, ['rewrite', 'access']),
  );
  const c = load(
    yml(...HEAD, 'plugins:', '  - { name: a, route: r1 }', '  - { name: b, service: s1 }', '  - { name: g }'),
    reg,
  );
  const r1 = routeChain(c, 'r1', reg)!;
  const names = (slots: readonly ChainSlot[]) => slots.map((s) => s.name);
  assert.deepEqual(names(r1.rewrite), ['g']);
  assert.deepEqual(names(r1.access), ['g', 'a']);
  assert.deepEqual(names(r1.response), ['b']);
  assert.deepEqual(names(r1.log), ['b']);
  const empty = load(yml(...HEAD, 'plugins: [{ name: a, route: r1 }]'), reg);
  assert.equal(routeChain(empty, 'r3', reg), null);
  assert.equal(compilePluginChains(empty, reg).forRoute('unknown-route', null), null);
});

test('rewrite runs global instances only, with the global config', () => {
  const rw = definePlugin({
    name: 'rw',
    version: '1',
    priority: 5,
    schema: Type.Object({ tag: Type.String() }),
    phases: { rewrite() {}, access() {} },
  });
  const reg = registryOf(rw);
  const c = load(
    yml(
      ...HEAD,
      'plugins:',
      '  - { name: rw, config: { tag: global } }',
      '  - { name: rw, route: r1, config: { tag: route } }',
    ),
    reg,
  );
  const r1 = routeChain(c, 'r1', reg)!;
  assert.equal(tagOf(r1.rewrite[0], null), 'global');
  assert.equal(tagOf(r1.access[0], null), 'route');
  const onlyRoute = load(yml(...HEAD, 'plugins: [{ name: rw, route: r1, config: { tag: route } }]'), reg);
  assert.deepEqual(routeChain(onlyRoute, 'r1', reg)!.rewrite, []);
});

test('priority descending, ties by name ascending', () => {
  const reg = registryOf(plugin('low', 1), plugin('high', 1000), plugin('mid-b', 500), plugin('mid-a', 500));
  const c = load(yml(...HEAD, 'plugins: [{ name: low }, { name: high }, { name: mid-b }, { name: mid-a }]'), reg);
  assert.deepEqual(
    routeChain(c, 'r1', reg)!.access.map((s) => s.name),
    ['high', 'mid-a', 'mid-b', 'low'],
  );
});

test('disabled instances are ignored (and do not hide lower-precedence ones); non-HTTP protocols skipped', () => {
  const c = load(
    yml(
      ...HEAD,
      'plugins:',
      '  - { name: p, config: { tag: g } }',
      '  - { name: p, route: r1, enabled: false, config: { tag: r } }',
      '  - { name: p, service: s2, protocols: [grpc], config: { tag: s } }',
    ),
    registryOf(tagged),
  );
  assert.equal(tagOf(routeChain(c, 'r1')!.access[0], null), 'g');
  const chains = compilePluginChains(c, registryOf(tagged));
  assert.equal(tagOf(chains.forRoute('x', c.services[1]!.id)!.access[0], null), 'g');
  const off = load(yml(...HEAD, 'plugins: [{ name: p, enabled: false, config: { tag: g } }]'), registryOf(tagged));
  assert.equal(routeChain(off, 'r1'), null);
});

test("ordering: before/after place a plugin's predecessors right before it; the rest keep priority order", () => {
  const reg = registryOf(plugin('a', 400), plugin('b', 300), plugin('c', 200), plugin('d', 100));
  const base = (extra: string) =>
    load(
      yml(...HEAD, 'plugins:', '  - { name: a }', '  - { name: b }', '  - { name: c }', `  - { name: d${extra} }`),
      reg,
    );
  assert.deepEqual(
    routeChain(base(', ordering: { before: { access: [b] } }'), 'r1', reg)!.access.map((s) => s.name),
    ['a', 'd', 'b', 'c'],
  );
  const after = load(
    yml(
      ...HEAD,
      'plugins:',
      '  - { name: a, ordering: { after: { access: [c] } } }',
      '  - { name: b }',
      '  - { name: c }',
      '  - { name: d }',
    ),
    reg,
  );
  assert.deepEqual(
    routeChain(after, 'r1', reg)!.access.map((s) => s.name),
    ['c', 'a', 'b', 'd'],
    'c is placed right before a',
  );
  const chained = load(
    yml(
      ...HEAD,
      'plugins:',
      '  - { name: a }',
      '  - { name: b, ordering: { after: { access: [d] } } }',
      '  - { name: c }',
      '  - { name: d, ordering: { before: { access: [a] } } }',
    ),
    reg,
  );
  assert.deepEqual(
    routeChain(chained, 'r1', reg)!.access.map((s) => s.name),
    ['d', 'a', 'b', 'c'],
  );
  // Names not on the route are ignored.
  assert.deepEqual(
    routeChain(base(', ordering: { before: { access: [nope] } }'), 'r1', reg)!.access.map((s) => s.name),
    ['a', 'b', 'c', 'd'],
  );
  // Ordering only for the route it is configured on.
  const scoped = load(
    yml(
      ...HEAD,
      'plugins:',
      '  - { name: a }',
      '  - { name: d, route: r1, ordering: { before: { access: [a] } } }',
      '  - { name: d, route: r2 }',
    ),
    reg,
  );
  assert.deepEqual(
    routeChain(scoped, 'r1', reg)!.access.map((s) => s.name),
    ['d', 'a'],
  );
  assert.deepEqual(
    routeChain(scoped, 'r2', reg)!.access.map((s) => s.name),
    ['a', 'd'],
  );
});

test('ordering: a cycle is a configuration error naming the plugins', () => {
  const reg = registryOf(plugin('a', 400), plugin('b', 300), plugin('c', 200));
  const c = load(
    yml(
      ...HEAD,
      'plugins:',
      '  - { name: a, ordering: { after: { access: [c] } } }',
      '  - { name: b }',
      '  - { name: c, route: r1, ordering: { after: { access: [b] } } }',
      '  - { name: b, route: r1, ordering: { after: { access: [a] } } }',
    ),
    reg,
  );
  assert.throws(
    () => compilePluginChains(c, reg),
    (e: Error) => {
      assert.ok(e instanceof PluginChainError);
      assert.match(e.message, /^plugin ordering cycle in the access phase on route 'r1': /);
      for (const n of ["'a'", "'b'", "'c'"]) assert.ok(e.message.includes(n), e.message);
      assert.match(e.message, /'c' \(route 'r1'\) has ordering\.after\.access: b/);
      return true;
    },
  );
});

test('prepare runs once per instance per load, and its result is the conf', () => {
  let calls = 0;
  const prep = definePlugin({
    name: 'prep',
    version: '1',
    priority: 1,
    schema: Type.Object({ re: Type.String({ default: '^/a' }) }),
    prepare: (cfg) => {
      calls++;
      return { re: new RegExp(cfg.re) };
    },
    phases: { access() {} },
  });
  const reg = registryOf(prep);
  const c = load(yml(...HEAD, 'plugins: [{ name: prep }]'), reg);
  const chains = compilePluginChains(c, reg);
  const a = chains.forRoute(c.routes[0]!.id, c.routes[0]!.service!.id)!;
  const b = chains.forRoute(c.routes[2]!.id, null)!;
  assert.equal(calls, 1);
  assert.equal(a.access[0]!.base, b.access[0]!.base);
  assert.ok((a.access[0]!.base!.conf as { re: RegExp }).re.test('/a/b'));
});

test('two enabled instances of one plugin at the same scope are refused', () => {
  const c = load(
    yml(
      ...HEAD,
      'plugins:',
      '  - { name: p, route: r1, instance_name: one, config: { tag: x } }',
      '  - { name: p, route: r1, instance_name: two, config: { tag: y } }',
    ),
    registryOf(tagged),
  );
  assert.throws(() => compilePluginChains(c, registryOf(tagged)), /plugin 'p' is configured twice for route 'r1'/);
});
