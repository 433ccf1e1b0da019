// What Kong and decK write into files besides the entities: annotations, db_export's
// timestamps, nulls and parameters, decK's metadata; and the entities Turnpike refuses by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { errorAt, errors, load, ok, yml } from './helpers.js';
import { loadDeclarativeFile } from '../../../src/config/load.js';
import { runValidate } from '../../../src/cli/commands/validate.js';
import { nodeRegistry } from '../../../src/plugins/node-registry.js';
import { PluginRegistry } from '../../../src/plugins/registry.js';

// dist/test/unit/config → repository root
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const fixture = (name: string) => `${root}test/fixtures/kong-files/${name}`;

test('_comment and _ignore on every kind of entity, nested or not, change nothing', () => {
  const file = (note: (indent: string) => string[]) =>
    yml(
      '_format_version: "3.0"',
      ...note(''),
      'services:',
      '  - name: s',
      '    host: s.internal',
      ...note('    '),
      '    routes:',
      '      - name: r',
      '        paths: [/r]',
      ...note('        '),
      '        plugins:',
      '          - name: p',
      ...note('            '),
      'upstreams:',
      '  - name: u',
      ...note('    '),
      '    targets:',
      '      - target: "h:1"',
      ...note('        '),
      'targets:',
      '  - target: "h:2"',
      '    upstream: u',
      ...note('    '),
      'consumers:',
      '  - username: c',
      ...note('    '),
      '    keyauth_credentials:',
      '      - key: k',
      ...note('        '),
      'acls:',
      '  - consumer: c',
      '    group: g',
      ...note('    '),
      'plugins:',
      '  - name: q',
      '    consumer: c',
      ...note('    '),
    );
  const plain = file(() => []);
  const annotated = file((i) => [`${i}_comment: why this is here`, `${i}_ignore: [1, { a: b }, [c]]`]);
  assert.equal((annotated.match(/_comment/g) ?? []).length, 11, 'the file and ten entities');
  const reg = registry('p', 'q');
  const a = load(plain, reg);
  const b = load(annotated, reg);
  assert.ok(a.ok && b.ok, JSON.stringify([!a.ok && a.errors, !b.ok && b.errors]));
  assert.deepEqual(b.config, { ...a.config, _comment: 'why this is here' });
  // Certificates, snis and ca_certificates take them too (the schema is the same for every entity).
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'ca_certificates: [{ cert: x, _comment: c, _ignore: [] }]',
      'snis: [{ name: a.test, certificate: x, _comment: c }]',
    ),
  );
  assert.equal(
    errs.some((e) => /_comment|_ignore/.test(e.path)),
    false,
    JSON.stringify(errs),
  );
});

test('_comment must be a string and _ignore a list, reported where they are', () => {
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'services:',
      '  - name: s',
      '    host: h',
      '    _comment: [not, text]',
      '    _ignore: nope',
    ),
  );
  const c = errorAt(errs, 'services[0]._comment');
  assert.deepEqual([c.line, c.column], [5, 15]);
  assert.match(c.message, /must be a string \(got a list\)/);
  assert.match(errorAt(errs, 'services[0]._ignore').message, /must be a list/);
});

test("a db_export file (Kong 3.4's shape) loads: timestamps, nulls, parameters, ids as references, _transform false", async () => {
  const r = await loadDeclarativeFile(fixture('db-export.yml'), await nodeRegistry('bundled'));
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const c = r.config;
  assert.equal(c._transform, false);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(
    c.services.map((s) => s.name),
    ['echo-basic', 'echo'],
  );
  const echo = c.services.find((s) => s.name === 'echo')!;
  assert.equal(echo.id, '5f607182-93a4-4b5c-8d6e-7f8091a2b3c4');
  assert.deepEqual(echo.tags, [], 'tags: ~ is no tags');
  assert.equal('created_at' in echo, false);
  const admin = c.routes.find((x) => x.name === 'admin')!;
  assert.deepEqual(admin.service, { id: echo.id });
  const [keyAuth, acl] = [c.plugins.find((p) => p.name === 'key-auth')!, c.plugins.find((p) => p.name === 'acl')!];
  assert.deepEqual([keyAuth.service, keyAuth.route, keyAuth.consumer], [{ id: echo.id }, null, null]);
  assert.deepEqual(acl.route, { id: admin.id });
  assert.deepEqual(
    c.targets.map((t) => [t.target, t.upstream.id]),
    [['127.0.0.1:19999', 'c6d7e8f9-0a1b-4c2d-8e3f-4a5b6c7d8e9f']],
  );
  const alice = c.consumers.find((x) => x.username === 'alice')!;
  assert.deepEqual(Object.keys(alice.credentials!).sort(), ['acls', 'basicauth_credentials', 'keyauth_credentials']);
  assert.equal(c.consumers.find((x) => x.username === 'bob')!.custom_id, 'bob-0042');
  assert.equal('parameters' in c, false);
});

test('a decK dump loads: _info.select_tags tag every entity (as decK does), _workspace and nesting kept', async () => {
  const r = await loadDeclarativeFile(fixture('deck-dump.yaml'), await nodeRegistry('bundled'));
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const c = r.config;
  assert.equal(c._workspace, 'default');
  const all = [...c.services, ...c.routes, ...c.upstreams, ...c.targets, ...c.consumers, ...c.plugins];
  assert.equal(all.length, 9);
  for (const e of all) assert.deepEqual(e.tags, ['team-a'], JSON.stringify(e));
  // A select tag an entity lacks is added, once.
  const more = ok(
    yml(
      '_format_version: "3.0"',
      '_info: { select_tags: [a, b] }',
      'consumers: [{ username: x, tags: [b, z] }]',
      'acls: [{ consumer: x, group: g }]',
    ),
  );
  assert.deepEqual(more.consumers[0]!.tags, ['b', 'z', 'a']);
  assert.deepEqual((more.consumers[0]!.credentials!.acls![0] as { tags: string[] }).tags, ['a', 'b']);
});

test("decK's _info.defaults fill what services, routes, upstreams and targets leave out; _konnect is accepted", async () => {
  const r = await loadDeclarativeFile(fixture('deck-konnect.yaml'), await nodeRegistry('bundled'));
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const [payments, refunds] = [
    r.config.services.find((s) => s.name === 'payments')!,
    r.config.services.find((s) => s.name === 'refunds')!,
  ];
  assert.deepEqual([payments.read_timeout, payments.retries, payments.write_timeout], [5000, 2, 60000]);
  assert.deepEqual([refunds.read_timeout, refunds.retries], [30000, 2], "the entity's own value wins");
  assert.equal(r.config.routes[0]!.strip_path, false);
  // Nested records merge field by field; targets too.
  const c = ok(
    yml(
      '_format_version: "3.0"',
      '_info:',
      '  defaults:',
      '    upstream: { healthchecks: { active: { http_path: /up } } }',
      '    target: { weight: 7 }',
      'upstreams:',
      '  - name: u',
      '    healthchecks: { active: { timeout: 3 } }',
      '    targets: [{ target: "a:1" }, { target: "a:2", weight: 1 }]',
    ),
  );
  assert.deepEqual(
    [c.upstreams[0]!.healthchecks.active.http_path, c.upstreams[0]!.healthchecks.active.timeout],
    ['/up', 3],
  );
  assert.deepEqual(
    c.targets.map((t) => t.weight),
    [7, 1],
  );
});

test("decK's _info: restricted and unknown fields are errors at their line", () => {
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      '_info:',
      '  select_tags: [a]',
      '  defaults:',
      '    service:',
      '      name: everyone',
      '      read_timeout: soon',
      '  colour: blue',
      '_konnect: { control_plane_name: 7 }',
    ),
  );
  const name = errorAt(errs, '_info.defaults.service.name');
  assert.deepEqual([name.line, name.column], [6, 7]);
  assert.match(name.message, /decK does not allow 'name' in _info.defaults.service/);
  assert.match(errorAt(errs, '_info.defaults.service.read_timeout').message, /must be an integer/);
  assert.equal(errorAt(errs, '_info.defaults.service.read_timeout').line, 7);
  assert.match(errorAt(errs, '_info.colour').message, /unknown field 'colour'/);
  assert.match(errorAt(errs, '_konnect.control_plane_name').message, /must be a string/);
});

test('db_export nulls: a route without a service, a global plugin, an upstream client certificate by id', () => {
  const c = ok(
    yml(
      '_format_version: "3.0"',
      'routes: [{ name: r, paths: [/r], service: null, tags: null, created_at: 1, updated_at: null }]',
      'plugins: [{ name: p, service: null, route: null, consumer: null, instance_name: null }]',
      'upstreams: [{ name: u, client_certificate: null }]',
      'parameters: [{ key: cluster_id, value: x, created_at: null }]',
      'workspaces: [{ name: default, comment: null, config: {}, meta: {}, created_at: 1700000000 }]',
    ),
    registry('p'),
  );
  assert.equal(c.routes[0]!.service, null);
  assert.deepEqual(c.routes[0]!.tags, []);
  assert.deepEqual([c.plugins[0]!.service, c.plugins[0]!.route, c.plugins[0]!.consumer], [null, null, null]);
  const errs = errors(
    yml('_format_version: "3.0"', 'upstreams: [{ name: u, client_certificate: 7b3ac1f2-5a4e-4a28-9f3e-2d5c7c0d9a10 }]'),
  );
  assert.match(
    errorAt(errs, 'upstreams[0].client_certificate').message,
    /references certificate '7b3ac1f2-5a4e-4a28-9f3e-2d5c7c0d9a10', which is not defined/,
  );
});

test('Kong Enterprise, Konnect and not-yet-supported Kong OSS entities are refused by name, at their key', () => {
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'consumer_groups: [{ name: gold }]',
      'vaults: [{ prefix: env-vault, name: env }]',
      'keys: []',
      'key_sets: []',
      'rbac_roles: []',
      'licenses: []',
      'workspaces: [{ name: default }, { name: team-b }]',
      'consumers:',
      '  - username: a',
      '    groups: [{ name: gold }]',
      'services:',
      '  - name: s',
      '    host: h',
      '    filter_chains: []',
      '_plugin_configs: {}',
      'consumer_group_consumers: []',
    ),
  );
  const at = (path: string) => {
    const e = errorAt(errs, path);
    return [e.line, e.column, e.message];
  };
  assert.deepEqual(at('consumer_groups').slice(0, 2), [2, 1]);
  assert.match(
    at('consumer_groups')[2] as string,
    /'consumer_groups' are a Kong Enterprise feature that Turnpike does not have/,
  );
  assert.match(at('consumer_group_consumers')[2] as string, /Kong Enterprise feature/);
  assert.match(at('rbac_roles')[2] as string, /Kong Enterprise feature.*tokens with roles/);
  assert.match(at('licenses')[2] as string, /Kong Enterprise feature/);
  // Kong OSS 3.x has vaults, keys and key_sets (kong/constants.lua CORE_ENTITIES): not Enterprise.
  for (const k of ['vaults', 'keys', 'key_sets'])
    assert.match(at(k)[2] as string, /a Kong OSS entity that Turnpike does not support yet/);
  assert.deepEqual(at('workspaces[1].name').slice(0, 2), [8, 41]);
  assert.match(
    at('workspaces[1].name')[2] as string,
    /workspace 'team-b': workspaces other than 'default' are a Kong Enterprise feature/,
  );
  assert.deepEqual(at('consumers[0].groups').slice(0, 2), [11, 5]);
  assert.match(at('consumers[0].groups')[2] as string, /consumer groups are a Kong Enterprise feature/);
  assert.match(
    at('services[0].filter_chains')[2] as string,
    /Proxy-Wasm filters.*Kong OSS entity that Turnpike does not support yet/,
  );
  assert.match(at('_plugin_configs')[2] as string, /decK's '_plugin_configs'/);
  assert.equal(
    errs.some((e) => /unknown field/.test(e.message)),
    false,
    JSON.stringify(errs),
  );
});

test('turnpike validate accepts each fixture; the expired certificate is printed as a warning, exit 0', async () => {
  for (const name of [
    'db-export.yml',
    'deck-dump.yaml',
    'deck-konnect.yaml',
    'top-level-credentials.yml',
    'expired-certificate.yml',
  ]) {
    let out = '';
    let err = '';
    const code = await runValidate(
      fixture(name),
      { write: (s: string) => (out += s) },
      { write: (s: string) => (err += s) },
    );
    assert.equal(code, 0, `${name}: ${err}`);
    assert.match(out, /: OK \(/);
    if (name === 'expired-certificate.yml') {
      assert.match(out, /1 certificates, 1 snis; 1 warning\)/);
      assert.match(
        err,
        /expired-certificate\.yml:\d+:\d+: certificate \(certificates\[0\]\): field 'cert': warning: certificate 2a4c6e80-1b3d-4f57-9a8c-0e2f4a6c8e0a \(snis: legacy\.example\.test\) expired on 2021-01-01T00:00:00\.000Z/,
      );
    } else assert.equal(err, '', name);
  }
});

test('a malformed certificate is still an error', () => {
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'certificates:',
      '  - cert: "-----BEGIN CERTIFICATE-----\\nbm9wZQ==\\n-----END CERTIFICATE-----"',
      '    key: "-----BEGIN PRIVATE KEY-----\\nbm9wZQ==\\n-----END PRIVATE KEY-----"',
    ),
  );
  assert.match(errorAt(errs, 'certificates[0].cert').message, /is not a valid PEM certificate/);
  assert.match(errorAt(errs, 'certificates[0].key').message, /is not a valid PEM private key/);
});

/** A registry with plugins of these names that accept any config. */
function registry(...names: string[]): PluginRegistry {
  const reg = new PluginRegistry();
  for (const name of names) reg.register({ name, version: '1', priority: 1, validate: () => [] });
  return reg;
}
