// The prometheus plugin end to end: a real gateway with two workers, requests answered by the
// upstream and by the gateway (key-auth 401s, request-termination), then /metrics on the status
// listener: Kong's series with exact counts summed over both workers, histograms, bandwidth,
// promtool; a route the plugin does not apply to stays out; a bad config is refused by validate.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promtoolCheck } from '../helpers/tools.js';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, sleep, tmpDir, type Gateway } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/upstream.js';
import { gateway, upstream } from '../helpers/scope.js';

const ALL_ON = { status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true };

/** Lines of `text` whose series name is `name` (exactly: not its _bucket/_sum/_count). */
function series(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(name + '{') || l.startsWith(name + ' '));
}

function value(text: string, s: string): number {
  for (const line of text.split('\n')) if (line.startsWith(s + ' ')) return Number(line.slice(s.length + 1));
  return NaN;
}

/** /metrics once `ready` holds (the log phase runs just after the response), or the last page. */
async function metricsWhen(gw: Gateway, ready: (m: string) => boolean, ms = 5000): Promise<string> {
  const by = Date.now() + ms;
  let m = await gw.metrics();
  while (!ready(m) && Date.now() < by) {
    await sleep(50);
    m = await gw.metrics();
  }
  return m;
}

/** One request on its own connection (so that both workers get some). */
async function send(gw: Gateway, pathAndQuery: string, headers: Record<string, string> = {}): Promise<number> {
  const h = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const res = await rawRequest(
    gw.proxyPort,
    `GET ${pathAndQuery} HTTP/1.1\r\nHost: example.test\r\n${h}Connection: close\r\n\r\n`,
  );
  return Number(/^HTTP\/1\.1 (\d{3}) /.exec(res)?.[1] ?? NaN);
}

/**
 * `promtool check metrics` when installed. Kong's own names break two of its lint rules (a
 * counter without `_total`, `ms` in a name): those two complaints about kong_* metrics are
 * accepted (exit 3, lint only); anything else, or a parse error, fails.
 */
function promtool(text: string): void {
  const p = promtoolCheck(text, "checking the prometheus plugin's exposition");
  if (p === null) return;
  const out = p.output;
  if (p.status === 0) return;
  assert.equal(p.status, 3, `promtool check metrics failed:\n${out}`);
  const problems = out.split('\n').filter((l) => l.trim() !== '');
  for (const line of problems) {
    assert.match(
      line,
      /^kong_(bandwidth_bytes counter metrics should have "_total" suffix|(kong|upstream|request)_latency_ms metric names should not contain abbreviated units)$/,
      `unexpected promtool complaint:\n${out}`,
    );
  }
}

test('prometheus: Kong series summed over two workers, exact counts per service/route/code/source/consumer, histograms, bandwidth, promtool', async () => {
  const up = await upstream('prom');
  const gw = await gateway({
    workers: 2,
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'api',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            { name: 'keyed', paths: ['/keyed'], plugins: [{ name: 'key-auth' }] },
            {
              name: 'term',
              paths: ['/term'],
              plugins: [{ name: 'request-termination', config: { status_code: 503, message: 'closed' } }],
            },
          ],
        },
      ],
      consumers: [
        { username: 'alice', keyauth_credentials: [{ key: 'alice-key' }] },
        { username: 'bob', keyauth_credentials: [{ key: 'bob-key' }] },
        { custom_id: 'c-77', keyauth_credentials: [{ key: 'c77-key' }] },
      ],
      plugins: [{ name: 'prometheus', config: { per_consumer: true, ...ALL_ON } }],
    }),
  });

  const sent: [string, Record<string, string>, number, number][] = [
    ['/keyed/a', { apikey: 'alice-key' }, 200, 5],
    ['/keyed/b', { apikey: 'bob-key' }, 200, 3],
    ['/keyed/c', { apikey: 'c77-key' }, 200, 2],
    ['/keyed/none', {}, 401, 4],
    ['/term', {}, 503, 3],
  ];
  for (const [p, headers, status, n] of sent) {
    for (let i = 0; i < n; i++) assert.equal(await send(gw, p, headers), status, p);
  }

  const total = 17;
  const m = await metricsWhen(
    gw,
    (t) =>
      value(t, 'kong_request_latency_ms_count{service="api",route="keyed",workspace="default"}') +
        value(t, 'kong_request_latency_ms_count{service="api",route="term",workspace="default"}') ===
      total,
  );

  assert.deepEqual(
    series(m, 'kong_http_requests_total').sort(),
    [
      'kong_http_requests_total{service="api",route="keyed",code="200",source="service",workspace="default",consumer="alice"} 5',
      'kong_http_requests_total{service="api",route="keyed",code="200",source="service",workspace="default",consumer="bob"} 3',
      'kong_http_requests_total{service="api",route="keyed",code="200",source="service",workspace="default",consumer="c-77"} 2',
      'kong_http_requests_total{service="api",route="keyed",code="401",source="kong",workspace="default",consumer=""} 4',
      'kong_http_requests_total{service="api",route="term",code="503",source="kong",workspace="default",consumer=""} 3',
    ].sort(),
  );
  assert.equal(
    m.split('\n').filter((l) => l === '# TYPE kong_http_requests_total counter').length,
    1,
    'TYPE once although two workers report',
  );

  // Histograms: every request in the total and Kong latencies, only proxied ones upstream.
  const keyed = '{service="api",route="keyed",workspace="default"}';
  const term = '{service="api",route="term",workspace="default"}';
  assert.equal(value(m, `kong_request_latency_ms_count${keyed}`), 14);
  assert.equal(value(m, `kong_request_latency_ms_count${term}`), 3);
  assert.equal(value(m, `kong_kong_latency_ms_count${keyed}`), 14);
  assert.equal(value(m, `kong_kong_latency_ms_count${term}`), 3);
  assert.equal(value(m, `kong_upstream_latency_ms_count${keyed}`), 10);
  assert.ok(
    Number.isNaN(value(m, `kong_upstream_latency_ms_count${term}`)),
    'nothing went upstream on the terminated route',
  );
  assert.equal(
    value(m, 'kong_request_latency_ms_bucket{service="api",route="keyed",workspace="default",le="+Inf"}'),
    14,
  );
  assert.ok(value(m, `kong_request_latency_ms_sum${keyed}`) > 0);
  assert.match(
    m,
    /^kong_upstream_latency_ms_bucket\{service="api",route="keyed",workspace="default",le="60000"\} 10$/m,
    "Kong's upstream buckets",
  );
  assert.match(
    m,
    /^kong_kong_latency_ms_bucket\{service="api",route="keyed",workspace="default",le="6000"\} 14$/m,
    "Kong's kong-latency buckets",
  );

  // Bandwidth: per consumer and direction; the plugin's totals per route equal the built-in ones.
  const bw = series(m, 'kong_bandwidth_bytes');
  assert.equal(bw.length, 2 * 4 + 2, bw.join('\n'));
  for (const line of bw) assert.ok(Number(line.split(' ').pop()) > 0, line);
  for (const route of ['keyed', 'term']) {
    for (const direction of ['ingress', 'egress']) {
      const plugin = bw
        .filter((l) => l.includes(`route="${route}",direction="${direction}"`))
        .reduce((a, l) => a + Number(l.split(' ').pop()), 0);
      assert.equal(
        plugin,
        value(m, `turnpike_bandwidth_bytes_total{service="api",route="${route}",direction="${direction}"}`),
        `${route} ${direction}`,
      );
    }
  }

  // After the built-in metrics, and the page as a whole is valid exposition text.
  assert.ok(
    m.indexOf('# TYPE kong_') > m.indexOf('# TYPE turnpike_uptime_seconds'),
    'plugin metrics come after the built-in ones',
  );
  promtool(m);
});

test('prometheus: only what the plugin applies to is counted; families off by default; per_consumer off leaves the label empty', async () => {
  const up = await upstream('prom-scope');
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'measured',
          url: `http://127.0.0.1:${up.port}`,
          plugins: [{ name: 'prometheus', config: { status_code_metrics: true } }],
          routes: [{ name: 'm', paths: ['/m'], plugins: [{ name: 'key-auth' }] }],
        },
        { name: 'plain', url: `http://127.0.0.1:${up.port}`, routes: [{ name: 'p', paths: ['/p'] }] },
        {
          name: 'defaults',
          url: `http://127.0.0.1:${up.port}`,
          routes: [{ name: 'd', paths: ['/d'], plugins: [{ name: 'prometheus' }] }],
        },
      ],
      consumers: [{ username: 'alice', keyauth_credentials: [{ key: 'alice-key' }] }],
    }),
  });
  for (let i = 0; i < 2; i++) assert.equal(await send(gw, '/m', { apikey: 'alice-key' }), 200);
  for (let i = 0; i < 3; i++) assert.equal(await send(gw, '/p'), 200);
  for (let i = 0; i < 2; i++) assert.equal(await send(gw, '/d'), 200);

  const m = await metricsWhen(
    gw,
    (t) =>
      value(t, 'turnpike_http_requests_total{service="defaults",route="d",code="200"}') === 2 &&
      series(t, 'kong_http_requests_total').length > 0,
  );
  assert.deepEqual(series(m, 'kong_http_requests_total'), [
    'kong_http_requests_total{service="measured",route="m",code="200",source="service",workspace="default",consumer=""} 2',
  ]);
  const kong = m.split('\n').filter((l) => l.startsWith('kong_'));
  assert.ok(
    kong.every((l) => !l.includes('route="p"') && !l.includes('route="d"')),
    kong.join('\n'),
  );
  assert.doesNotMatch(
    m,
    /kong_(request|kong|upstream)_latency_ms|kong_bandwidth_bytes/,
    'latency and bandwidth are off by default',
  );
  promtool(m);
});

test('prometheus: validate refuses a bad config, naming the plugin and the field', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'kong.yml');
  fs.writeFileSync(
    file,
    JSON.stringify({
      _format_version: '3.0',
      services: [{ name: 's', url: 'http://127.0.0.1:1', routes: [{ name: 'r', paths: ['/'] }] }],
      plugins: [{ name: 'prometheus', config: { per_consumer: 'yes' } }],
    }),
  );
  const r = await runCli(['validate', file]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const out = r.stdout + r.stderr;
  assert.match(out, /prometheus/);
  assert.match(out, /per_consumer/);
});
