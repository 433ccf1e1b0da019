import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorAt, errors, ok, registryWith, yml } from './helpers.js';
import { formatConfigErrors } from '../../../src/config/load.js';

test('unknown field: did-you-mean and the valid fields, at the key position', () => {
  const errs = errors(yml('_format_version: "3.0"', 'routes:', '  - paths: [/a]', '    stirp_path: false'));
  const e = errorAt(errs, 'routes[0].stirp_path');
  assert.equal(e.line, 4);
  assert.equal(e.column, 5);
  assert.match(e.message, /^unknown field 'stirp_path'; did you mean 'strip_path'\? Valid fields: .*strip_path/);
  assert.equal(e.entity, 'route (routes[0])');
});

test('unknown top-level key and unsupported vaults', () => {
  const errs = errors(yml('_format_version: "3.0"', 'service: []', 'vaults: []'));
  assert.match(errorAt(errs, 'service').message, /did you mean 'services'\?/);
  const cert = errorAt(errs, 'vaults');
  assert.match(cert.message, /a Kong OSS entity that Turnpike does not support yet/);
  assert.equal(cert.line, 3);
});

test('enum: lists valid values', () => {
  const errs = errors(yml('_format_version: "3.0"', 'upstreams:', '  - name: u', '    algorithm: fastest'));
  const e = errorAt(errs, 'upstreams[0].algorithm');
  assert.equal(e.line, 4);
  assert.match(
    e.message,
    /must be one of round-robin, least-connections, consistent-hashing, latency \(got "fastest"\)/,
  );
  assert.equal(e.entity, "upstream 'u' (upstreams[0])");
});

test('type, range, pattern and required errors', () => {
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'services:',
      '  - name: users',
      '    host: users.internal',
      '    port: "8080"',
      '    connect_timeout: 0',
      '    routes:',
      '      - name: api',
      '        methods: [GET, post]',
      'plugins:',
      '  - config: {}',
    ),
  );
  const port = errorAt(errs, 'services[0].port');
  assert.equal(port.line, 5);
  assert.match(port.message, /must be an integer \(got "8080"\)/);
  assert.match(errorAt(errs, 'services[0].connect_timeout').message, /between 1 and 2147483646/);
  const m = errorAt(errs, 'services[0].routes[0].methods[1]');
  assert.equal(m.line, 9);
  assert.match(m.message, /must be an HTTP method/);
  assert.equal(m.entity, "route 'api' (services[0].routes[0])");
  const req = errorAt(errs, 'plugins[0].name');
  assert.match(req.message, /missing required field 'name'/);
  assert.equal(req.line, 11);
});

test('_format_version: required, quoted, known', () => {
  assert.match(
    errorAt(errors('services: []\n'), '_format_version').message,
    /missing required field '_format_version'/,
  );
  assert.match(errorAt(errors('_format_version: 3.0\n'), '_format_version').message, /quoted string/);
  assert.match(errorAt(errors('_format_version: "4.0"\n'), '_format_version').message, /"1.1", "2.1", "3.0"/);
});

test('dangling references name the reference and what exists', () => {
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'services: [{ name: users, host: u }, { name: orders, host: o }]',
      'routes:',
      '  - name: r',
      '    service: billing',
      '    paths: [/x]',
      'targets:',
      '  - target: a:1',
      '    upstream: { name: nope }',
    ),
  );
  const e = errorAt(errs, 'routes[0].service');
  assert.equal(e.line, 5);
  assert.match(
    e.message,
    /references service 'billing', which is not defined in this file; defined services: users, orders/,
  );
  assert.match(errorAt(errs, 'targets[0].upstream').message, /upstream name 'nope'.*defined upstreams: none/);
});

test('duplicate names and route without a matching criterion', () => {
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'services:',
      '  - { name: a, host: h }',
      '  - { name: a, host: h }',
      'routes:',
      '  - name: r',
      '    service: a',
    ),
  );
  const d = errorAt(errs, 'services[1].name');
  assert.match(d.message, /name 'a' is already used by service 'a' \(services\[0\]\)/);
  assert.equal(d.line, 4);
  assert.match(errorAt(errs, 'routes[0]').message, /must set at least one of 'methods', 'hosts', 'headers', 'paths'/);
});

test('https-only route may match on snis only; http may not', () => {
  const errs = errors(yml('_format_version: "3.0"', 'routes: [{ protocols: [http], snis: [a.example.com] }]'));
  assert.match(errorAt(errs, 'routes[0]').message, /when 'protocols' includes 'http'/);
  const c = ok(yml('_format_version: "3.0"', 'routes: [{ protocols: [https], snis: [a.example.com] }]'));
  assert.deepEqual(c.routes[0]!.snis, ['a.example.com']);
});

test('upstream entity checks', () => {
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'upstreams:',
      '  - { name: a, hash_on: header }',
      '  - { name: b, hash_on: none, hash_fallback: ip }',
      '  - { name: c, hash_on: ip, hash_fallback: ip }',
      '  - { name: d, hash_on: cookie }',
      '  - { name: e, algorithm: latency, slots: 5 }',
    ),
  );
  assert.match(errorAt(errs, 'upstreams[0].hash_on_header').message, /required when 'hash_on' is 'header'/);
  assert.match(errorAt(errs, 'upstreams[1].hash_fallback').message, /must be 'none'/);
  assert.match(errorAt(errs, 'upstreams[2].hash_fallback').message, /must differ/);
  assert.match(errorAt(errs, 'upstreams[3].hash_on_cookie').message, /required/);
  assert.match(errorAt(errs, 'upstreams[4].slots').message, /between 10 and 65536/);
  assert.equal(
    errs.some((e) => e.path === 'upstreams[4].algorithm'),
    false,
    'latency is a valid algorithm',
  );
});

test('ALL errors are collected, sorted by line', () => {
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'services:',
      '  - { name: a, host: h, port: 70000 }',
      '  - { name: b, host: h, retries: -1 }',
      '  - { name: c }',
    ),
  );
  assert.deepEqual(
    errs.map((e) => e.line),
    [3, 4, 5],
  );
});

test('YAML syntax errors and duplicate keys carry a position', () => {
  const e1 = errors('_format_version: "3.0"\nservices:\n  - name: [a\n');
  assert.ok(e1[0]!.line !== null && e1[0]!.line >= 3);
  const e2 = errors('_format_version: "3.0"\n_format_version: "3.0"\n');
  assert.match(e2[0]!.message, /duplicate key/);
  assert.equal(e2[0]!.line, 2);
});

test('unknown plugin: clear "not available" error; known plugin config errors under config.<field>', () => {
  const errs = errors(
    yml('_format_version: "3.0"', 'plugins:', '  - name: rate-limiting', '    config: { minute: 5 }'),
  );
  assert.equal(errs.length, 1);
  assert.equal(
    errs[0]!.message,
    "plugin 'rate-limiting' is not available in this build (available: none yet); remove it or load a custom plugin",
  );
  assert.equal(errs[0]!.line, 3);
  const reg = registryWith('rate-limiting', (cfg) =>
    typeof cfg.minute === 'number' && cfg.minute > 0 ? [] : [{ field: 'minute', message: 'must be a positive number' }],
  );
  const errs2 = errors(
    yml('_format_version: "3.0"', 'plugins:', '  - name: rate-limiting', '    config:', '      minute: -1'),
    reg,
  );
  const e = errorAt(errs2, 'plugins[0].config.minute');
  assert.equal(e.line, 5);
  assert.equal(e.message, 'must be a positive number');
  const errs3 = errors(yml('_format_version: "3.0"', 'plugins: [{ name: rate-limit }]'), reg);
  assert.match(errs3[0]!.message, /available: rate-limiting\); did you mean 'rate-limiting'\?/);
});

test('formatConfigErrors: file:line:col: entity: field: message', () => {
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'services:',
      '  - name: users',
      '    host: u',
      '    routes:',
      '      - name: api',
      '        methods: [get]',
    ),
  );
  assert.equal(
    formatConfigErrors(errs, 'kong.yml'),
    "kong.yml:7:19: route 'api' (services[0].routes[0]): field 'methods[0]': must be an HTTP method in upper case such as GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS (got \"get\")",
  );
  assert.equal(
    formatConfigErrors([{ entity: '', path: '', line: null, column: null, message: 'x: file not found' }], 'kong.yml'),
    'kong.yml: x: file not found',
  );
});
