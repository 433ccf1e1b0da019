import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ok, registryWith, yml } from './helpers.js';
import { ACTIVE_DEFAULTS, PASSIVE_DEFAULTS } from '../../../src/config/schema/upstream.js';

test("service, route, upstream, target and plugin-less defaults are Kong's", () => {
  const c = ok(
    yml(
      '_format_version: "3.0"',
      'services:',
      '  - name: s',
      '    host: s.internal',
      '    routes:',
      '      - paths: [/a]',
      'upstreams:',
      '  - name: u.internal',
      '    targets:',
      '      - target: 10.0.0.1',
      'consumers:',
      '  - username: bob',
    ),
  );
  const s = c.services[0]!;
  assert.deepEqual(
    {
      protocol: s.protocol,
      port: s.port,
      path: s.path,
      retries: s.retries,
      ct: s.connect_timeout,
      wt: s.write_timeout,
      rt: s.read_timeout,
      tags: s.tags,
      enabled: s.enabled,
    },
    { protocol: 'http', port: 80, path: null, retries: 5, ct: 60000, wt: 60000, rt: 60000, tags: [], enabled: true },
  );
  const r = c.routes[0]!;
  assert.deepEqual(r.protocols, ['http', 'https']);
  assert.equal(r.strip_path, true);
  assert.equal(r.preserve_host, false);
  assert.equal(r.regex_priority, 0);
  assert.equal(r.path_handling, 'v0');
  assert.equal(r.https_redirect_status_code, 426);
  assert.equal(r.request_buffering, true);
  assert.equal(r.response_buffering, true);
  assert.equal(r.methods, null);
  assert.equal(r.hosts, null);
  assert.equal(r.headers, null);
  assert.equal(r.name, null);
  const u = c.upstreams[0]!;
  assert.equal(u.algorithm, 'round-robin');
  assert.equal(u.hash_on, 'none');
  assert.equal(u.hash_fallback, 'none');
  assert.equal(u.hash_on_cookie_path, '/');
  assert.equal(u.slots, 10000);
  assert.equal(u.hash_on_header, null);
  assert.deepEqual(u.healthchecks.active, ACTIVE_DEFAULTS);
  assert.deepEqual(u.healthchecks.active.unhealthy.http_statuses, [429, 404, 500, 501, 502, 503, 504, 505]);
  assert.deepEqual(
    u.healthchecks.passive.healthy.http_statuses,
    [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308],
  );
  assert.deepEqual(u.healthchecks.passive, PASSIVE_DEFAULTS);
  assert.equal(u.healthchecks.threshold, 0);
  assert.equal(c.targets[0]!.weight, 100);
  assert.equal(c.targets[0]!.target, '10.0.0.1:8000');
  assert.deepEqual(c.consumers[0], {
    id: c.consumers[0]!.id,
    username: 'bob',
    custom_id: null,
    tags: [],
    credentials: {},
  });
});

test('a partial healthchecks record keeps what is given and fills the rest', () => {
  const c = ok(
    yml(
      '_format_version: "3.0"',
      'upstreams:',
      '  - name: u',
      '    healthchecks:',
      '      active:',
      '        http_path: /status',
      '        healthy: { interval: 5 }',
      '      passive:',
      '        unhealthy: { http_statuses: [500] }',
    ),
  );
  const hc = c.upstreams[0]!.healthchecks;
  assert.equal(hc.active.http_path, '/status');
  assert.equal(hc.active.healthy.interval, 5);
  assert.equal(hc.active.healthy.successes, 0);
  assert.deepEqual(hc.active.healthy.http_statuses, [200, 302]);
  assert.equal(hc.active.timeout, 1);
  assert.equal(hc.active.concurrency, 10);
  assert.deepEqual(hc.passive.unhealthy.http_statuses, [500]);
  assert.equal(hc.passive.unhealthy.tcp_failures, 0);
  assert.equal(hc.passive.healthy.successes, 0);
});

test('defaults are not shared between entities (no aliasing)', () => {
  const c = ok(yml('_format_version: "3.0"', 'upstreams:', '  - name: a', '  - name: b'));
  assert.notEqual(c.upstreams[0]!.healthchecks, c.upstreams[1]!.healthchecks);
  c.upstreams[0]!.healthchecks.active.healthy.http_statuses.push(999);
  assert.deepEqual(c.upstreams[1]!.healthchecks.active.healthy.http_statuses, [200, 302]);
});

test('plugin defaults: enabled true, Kong protocols, config {} handed to the plugin', () => {
  const seen: unknown[] = [];
  const reg = registryWith('echo', (cfg) => {
    seen.push(structuredClone(cfg));
    cfg.filled = 1;
    return [];
  });
  const c = ok(yml('_format_version: "3.0"', 'plugins:', '  - name: echo'), reg);
  const p = c.plugins[0]!;
  assert.equal(p.enabled, true);
  assert.deepEqual(p.protocols, ['grpc', 'grpcs', 'http', 'https']);
  assert.deepEqual(seen, [{}]);
  assert.deepEqual(p.config, { filled: 1 }, 'defaults filled by the plugin are kept');
  assert.deepEqual([p.service, p.route, p.consumer, p.ordering], [null, null, null, null]);
});
