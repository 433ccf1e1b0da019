import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorAt, errors, load, ok, yml } from './helpers.js';
import * as registryModule from '../../../src/plugins/registry.js';

test('url shorthand expands to protocol/host/port/path with default ports', () => {
  const c = ok(
    yml(
      '_format_version: "3.0"',
      'services:',
      '  - { name: a, url: "http://a.internal:8080/v1/x" }',
      '  - { name: b, url: "https://b.internal" }',
      '  - { name: c, url: "http://c.internal/" }',
      '  - { name: d, url: "grpcs://d.internal" }',
    ),
  );
  const pick = (i: number) => {
    const s = c.services[i]!;
    return [s.protocol, s.host, s.port, s.path];
  };
  assert.deepEqual(pick(0), ['http', 'a.internal', 8080, '/v1/x']);
  assert.deepEqual(pick(1), ['https', 'b.internal', 443, null]);
  assert.deepEqual(pick(2), ['http', 'c.internal', 80, '/']);
  assert.deepEqual(pick(3), ['grpcs', 'd.internal', 443, null]);
  assert.equal('url' in c.services[0]!, false);
});

test("url beside protocol/host/port/path wins, as Kong's shorthand does, with a warning per overridden field", () => {
  const r = load(
    yml(
      '_format_version: "3.0"',
      'services:',
      '  - name: a',
      '    url: http://a.internal/socket',
      '    protocol: ws',
      '    port: 80',
      '  - name: b',
      '    url: https://b.internal:8443',
      '    path: /kept-in-kong-only-without-url',
      '    host: b.internal',
    ),
  );
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const pick = (i: number) => {
    const s = r.config.services[i]!;
    return [s.protocol, s.host, s.port, s.path];
  };
  // Kong: the url's protocol (http, not ws) and, with no path in the url, no path at all.
  assert.deepEqual(pick(0), ['http', 'a.internal', 80, '/socket']);
  assert.deepEqual(pick(1), ['https', 'b.internal', 8443, null]);
  // Only fields given with another value are warned of (port 80 and host b.internal agree).
  assert.deepEqual(
    r.warnings.map((w) => [w.path, w.line, w.column]),
    [
      ['services[0].protocol', 5, 5],
      ['services[1].path', 9, 5],
    ],
  );
  assert.match(r.warnings[0]!.message, /^protocol "ws" is overridden by 'url' \(protocol becomes "http"\)/);
  assert.match(
    r.warnings[1]!.message,
    /path "\/kept-in-kong-only-without-url" is overridden by 'url' \(path becomes null\)/,
  );
});

test('a bad url is still an error, with explicit fields beside it or not', () => {
  const errs = errors(
    yml('_format_version: "3.0"', 'services:', '  - name: a', '    url: ftp://a.internal', '    protocol: http'),
  );
  const e = errorAt(errs, 'services[0].url');
  assert.match(e.message, /scheme 'ftp' is not a service protocol/);
  assert.equal(e.line, 4);
});

test('a service needs host or url', () => {
  const e = errorAt(errors(yml('_format_version: "3.0"', 'services:', '  - name: a')), 'services[0]');
  assert.match(e.message, /missing required field 'host' \(or give a 'url'/);
  assert.equal(e.line, 3);
});

test('nested entities are flattened with references to their parents', () => {
  const c = ok(
    yml(
      '_format_version: "3.0"',
      'services:',
      '  - name: s',
      '    host: s.internal',
      '    plugins: [{ name: p1 }]',
      '    routes:',
      '      - name: r',
      '        paths: [/r]',
      '        plugins: [{ name: p2 }]',
      'routes:',
      '  - name: top',
      '    paths: [/t]',
      '    plugins: [{ name: p3 }]',
      'upstreams:',
      '  - name: u',
      '    targets: [{ target: "h:1" }, { target: "h:2" }]',
      'consumers:',
      '  - username: bob',
      '    plugins: [{ name: p4 }]',
    ),
    (() => {
      const { PluginRegistry } = registryModule;
      const reg = new PluginRegistry();
      for (const name of ['p1', 'p2', 'p3', 'p4'])
        reg.register({ name, version: '1', priority: 1, validate: () => [] });
      return reg;
    })(),
  );
  const svc = c.services[0]!;
  const r = c.routes.find((x) => x.name === 'r')!;
  const top = c.routes.find((x) => x.name === 'top')!;
  assert.deepEqual(r.service, { id: svc.id });
  assert.equal(top.service, null);
  const plugin = (n: string) => c.plugins.find((p) => p.name === n)!;
  assert.deepEqual([plugin('p1').service, plugin('p1').route, plugin('p1').consumer], [{ id: svc.id }, null, null]);
  assert.deepEqual([plugin('p2').service, plugin('p2').route], [null, { id: r.id }]);
  assert.deepEqual(plugin('p3').route, { id: top.id });
  assert.deepEqual(plugin('p4').consumer, { id: c.consumers[0]!.id });
  assert.deepEqual(
    c.targets.map((t) => [t.target, t.upstream.id]),
    [
      ['h:1', c.upstreams[0]!.id],
      ['h:2', c.upstreams[0]!.id],
    ],
  );
  for (const list of [c.services, c.routes, c.plugins])
    for (const e of list) assert.equal('routes' in e || 'plugins' in e, false);
});

test('top-level references by name, id, {name} and {id}; consumers by username', () => {
  const sid = '0b7e1d6a-3d2c-4e5f-8a9b-1c2d3e4f5a6b';
  const c = ok(
    yml(
      '_format_version: "3.0"',
      'services:',
      `  - { id: ${sid}, name: s, host: s.internal }`,
      'routes:',
      '  - { name: r1, service: s, paths: [/1] }',
      `  - { name: r2, service: ${sid}, paths: [/2] }`,
      '  - { name: r3, service: { name: s }, paths: [/3] }',
      `  - { name: r4, service: { id: ${sid} }, paths: [/4] }`,
      'upstreams: [{ name: u }]',
      'targets:',
      '  - { target: "h:1", upstream: u }',
      'consumers: [{ username: bob, custom_id: c-1 }]',
      'plugins:',
      '  - { name: p, consumer: bob, route: r1 }',
      '  - { name: p, consumer: { custom_id: c-1 }, route: r2 }',
    ),
    (() => {
      const reg = new registryModule.PluginRegistry();
      reg.register({ name: 'p', version: '1', priority: 1, validate: () => [] });
      return reg;
    })(),
  );
  assert.equal(c.services[0]!.id, sid);
  for (const r of c.routes) assert.deepEqual(r.service, { id: sid }, r.name ?? '');
  assert.deepEqual(c.targets[0]!.upstream, { id: c.upstreams[0]!.id });
  assert.deepEqual(
    c.plugins.map((p) => p.consumer),
    [{ id: c.consumers[0]!.id }, { id: c.consumers[0]!.id }],
  );
  assert.deepEqual(
    c.plugins.map((p) => p.route),
    c.routes.slice(0, 2).map((r) => ({ id: r.id })),
  );
});

test('route headers are lower-cased; host header is refused', () => {
  const c = ok(yml('_format_version: "3.0"', 'routes:', '  - headers: { X-Version: [v1, v2] }'));
  assert.deepEqual(c.routes[0]!.headers, { 'x-version': ['v1', 'v2'] });
  const errs = errors(
    yml('_format_version: "3.0"', 'routes:', '  - paths: [/x]', '    headers:', '      Host: [a.example.com]'),
  );
  const e = errorAt(errs, 'routes[0].headers.Host');
  assert.equal(e.line, 5);
  assert.equal(e.column, 7);
  assert.match(e.message, /use the route's 'hosts' field/);
});

test('targets get the default port 8000; IPv6 keeps brackets', () => {
  const c = ok(
    yml(
      '_format_version: "3.0"',
      'upstreams:',
      '  - name: u',
      '    targets: [{ target: a.internal }, { target: "[::1]" }, { target: "[::1]:81" }]',
    ),
  );
  assert.deepEqual(
    c.targets.map((t) => t.target),
    ['a.internal:8000', '[::1]:8000', '[::1]:81'],
  );
});

test('consumer credential arrays are kept under credentials', () => {
  const c = ok(
    yml(
      '_format_version: "3.0"',
      'consumers:',
      '  - username: bob',
      '    keyauth_credentials: [{ key: k1 }, { key: k2 }]',
      '    acls: [{ group: admins }]',
    ),
  );
  // Validated with Kong's credential schemas, so their defaults are filled in.
  assert.deepEqual(c.consumers[0]!.credentials, {
    keyauth_credentials: [
      { key: 'k1', ttl: null, tags: [] },
      { key: 'k2', ttl: null, tags: [] },
    ],
    acls: [{ group: 'admins', tags: [] }],
  });
  assert.equal('keyauth_credentials' in c.consumers[0]!, false);
});

test('grpc-only routes default strip_path to false and refuse methods', () => {
  const c = ok(yml('_format_version: "3.0"', 'routes:', '  - { protocols: [grpc], paths: [/pkg.Svc/] }'));
  assert.equal(c.routes[0]!.strip_path, false);
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'routes:',
      '  - { protocols: [grpcs], paths: [/a], methods: [POST], strip_path: true }',
    ),
  );
  assert.match(errorAt(errs, 'routes[0].methods').message, /grpc/);
  assert.match(errorAt(errs, 'routes[0].strip_path').message, /cannot be true/);
});

test('YAML anchors and merge keys work (common in kong.yml files)', () => {
  const c2 = ok(
    yml(
      '_format_version: "3.0"',
      'services:',
      '  - &base { name: a, host: a.internal, connect_timeout: 1000 }',
      '  - { <<: *base, name: b }',
    ),
  );
  assert.deepEqual(
    c2.services.map((s) => [s.name, s.host, s.connect_timeout]),
    [
      ['a', 'a.internal', 1000],
      ['b', 'a.internal', 1000],
    ],
  );
});

test('url with an unknown scheme or a query string is refused', () => {
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'services:',
      '  - { name: a, url: "ftp://a.internal" }',
      '  - { name: b, url: "http://b.internal/?x=1" }',
    ),
  );
  assert.match(errorAt(errs, 'services[0].url').message, /scheme 'ftp' is not a service protocol/);
  assert.match(errorAt(errs, 'services[1].url').message, /query string/);
});

test('a nested route may not name its service again; a nested target not its upstream', () => {
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'services:',
      '  - name: a',
      '    host: h',
      '    routes: [{ service: a, paths: [/] }]',
      'upstreams: [{ name: u, targets: [{ target: "h:1", upstream: u }] }]',
    ),
  );
  assert.match(errorAt(errs, 'services[0].routes[0].service').message, /unknown field 'service'/);
  assert.match(errorAt(errs, 'upstreams[0].targets[0].upstream').message, /unknown field 'upstream'/);
});
