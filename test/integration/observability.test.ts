// Observability end to end: Prometheus metrics (exact counts, histograms, bandwidth,
// target health, connections), aggregation across workers, promtool, the JSON access log
// and /status.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promtoolCheck } from '../helpers/tools.js';
import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { sleep } from '../helpers/gateway.js';
import { rawRequest, startUpstream } from '../helpers/upstream.js';
import { VERSION } from '../../src/version.js';
import { upstream, gateway } from '../helpers/scope.js';

function metric(text: string, series: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return NaN;
}

/** A service "svc" with route "r" on /api through upstream "pool" (one target), for target-health metrics. */
function config(port: number): string {
  return JSON.stringify({
    _format_version: '3.0',
    services: [{ name: 'svc', url: 'http://pool/', routes: [{ name: 'r', paths: ['/api'], strip_path: false }] }],
    upstreams: [{ name: 'pool', targets: [{ target: `127.0.0.1:${port}` }] }],
  });
}

function handler(): Parameters<typeof startUpstream>[1] {
  return (req, res) => {
    if (req.url === '/api/missing') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not here');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('hello from upstream');
  };
}

async function readAccessLog(file: string, want: number, timeoutMs = 3000): Promise<any[]> {
  const end = Date.now() + timeoutMs;
  let lines: string[] = [];
  while (Date.now() < end) {
    lines = fs.existsSync(file)
      ? fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l.length > 0)
      : [];
    if (lines.length >= want) break;
    await sleep(50);
  }
  return lines.map((l) => JSON.parse(l));
}

test('metrics: exact request counts per code, histograms, bandwidth, target health, connections; access log lines; promtool', async () => {
  const up = await upstream('a', handler());
  const gw = await gateway({ config: config(up.port) });
  const N = 7;
  let ingress = 0;
  let egress = 0;
  const bodiesOut: number[] = [];
  for (let i = 0; i < N; i++) {
    const req = `GET /api/item/${i} HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n`;
    const res = await rawRequest(gw.proxyPort, req);
    assert.match(res, /^HTTP\/1\.1 200 /);
    assert.ok(res.includes('hello from upstream'), res);
    ingress += Buffer.byteLength(req);
    egress += Buffer.byteLength(res, 'latin1');
    bodiesOut.push(Buffer.byteLength(res, 'latin1'));
  }
  const post = `POST /api/missing HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`;
  const r404 = await rawRequest(gw.proxyPort, post);
  assert.match(r404, /^HTTP\/1\.1 404 /);
  ingress += Buffer.byteLength(post);
  egress += Buffer.byteLength(r404, 'latin1');
  const unmatched = await rawRequest(
    gw.proxyPort,
    'GET /nowhere HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n',
  );
  assert.match(unmatched, /^HTTP\/1\.1 404 /);

  const m = await gw.metrics();
  const L = 'service="svc",route="r"';
  assert.equal(metric(m, `turnpike_http_requests_total{${L},code="200"}`), N, m);
  assert.equal(metric(m, `turnpike_http_requests_total{${L},code="404"}`), 1);
  assert.match(m, /^turnpike_http_requests_total\{[^}]*code="404"\} 1$/m, 'the unmatched request is counted too');
  const unmatchedTotal = m
    .split('\n')
    .filter((l) => l.startsWith('turnpike_http_requests_total{') && !l.includes(L))
    .reduce((a, l) => a + Number(l.split(' ').pop()), 0);
  assert.equal(unmatchedTotal, 1, 'the unmatched 404 is counted once, outside svc/r');

  assert.equal(metric(m, `turnpike_request_duration_seconds_count{${L}}`), N + 1);
  assert.equal(metric(m, `turnpike_request_duration_seconds_bucket{${L},le="+Inf"}`), N + 1);
  assert.ok(metric(m, `turnpike_request_duration_seconds_sum{${L}}`) > 0);
  assert.equal(metric(m, `turnpike_upstream_duration_seconds_count{${L}}`), N + 1);
  assert.equal(metric(m, `turnpike_upstream_duration_seconds_bucket{${L},le="+Inf"}`), N + 1);
  // Buckets are cumulative.
  const buckets = m
    .split('\n')
    .filter((l) => l.startsWith(`turnpike_request_duration_seconds_bucket{${L},`))
    .map((l) => Number(l.split(' ').pop()));
  assert.ok(buckets.length > 5);
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i] >= buckets[i - 1], 'cumulative buckets');

  assert.equal(
    metric(m, `turnpike_bandwidth_bytes_total{${L},direction="ingress"}`),
    ingress,
    'ingress = request bytes sent',
  );
  assert.equal(
    metric(m, `turnpike_bandwidth_bytes_total{${L},direction="egress"}`),
    egress,
    'egress = response bytes received',
  );

  const T = `upstream="pool",target="127.0.0.1:${up.port}"`;
  assert.equal(metric(m, `turnpike_upstream_target_health{${T},state="healthchecks_off"}`), 1, m);
  assert.equal(metric(m, `turnpike_upstream_target_health{${T},state="healthy"}`), 0);
  assert.ok(metric(m, 'turnpike_connections{state="active"}') >= 0);
  assert.ok(
    metric(m, `turnpike_upstream_connections{endpoint="127.0.0.1:${up.port}",state="open"}`) >= 0,
    'upstream connection gauge for the target',
  );
  assert.ok(metric(m, `turnpike_upstream_connections{endpoint="127.0.0.1:${up.port}",state="idle"}`) >= 0);
  assert.equal(metric(m, 'turnpike_workers'), 1);
  assert.equal(metric(m, 'turnpike_config_reloads_total{result="success"}'), 0);

  // Open client connections are a gauge: two idle keep-alive connections show up. The
  // gateway counts a connection closed when its socket's 'close' event has run, which can
  // come a moment after the client saw the end of its response: poll briefly.
  let open = metric(m, 'turnpike_connections{state="active"}');
  for (let i = 0; i < 40 && open !== 0; i++) {
    await sleep(50);
    open = metric(await gw.metrics(), 'turnpike_connections{state="active"}');
  }
  assert.equal(open, 0, 'every client connection so far was closed');
  const sockets = await Promise.all(
    [0, 1].map(() =>
      import('node:net').then(
        (net) =>
          new Promise<import('node:net').Socket>((res) => {
            const s = net.connect(gw.proxyPort, '127.0.0.1', () => res(s));
          }),
      ),
    ),
  );
  await sleep(100);
  const withConns = await gw.metrics();
  assert.equal(metric(withConns, 'turnpike_connections{state="active"}'), 2, 'two open client connections');
  assert.equal((await gw.status()).connections.active, 2);
  for (const s of sockets) s.destroy();
  await sleep(100);
  assert.equal(metric(await gw.metrics(), 'turnpike_connections{state="active"}'), 0);

  // promtool
  const p = promtoolCheck(m, 'checking /metrics');
  if (p !== null) assert.equal(p.status, 0, `promtool check metrics failed:\n${p.output}`);

  // Access log: one JSON line per request with the documented fields.
  const lines = await readAccessLog(gw.accessLogPath, N + 2);
  assert.equal(lines.length, N + 2, 'one access-log line per request');
  for (const e of lines) {
    for (const f of [
      'time',
      'request_id',
      'client_ip',
      'method',
      'path',
      'status',
      'latency_ms',
      'upstream_latency_ms',
      'target',
      'bytes_in',
      'bytes_out',
    ]) {
      assert.ok(f in e, `field ${f} in ${JSON.stringify(e)}`);
    }
    assert.ok(!Number.isNaN(Date.parse(e.time)));
    assert.equal(e.client_ip, '127.0.0.1');
    assert.equal(typeof e.latency_ms, 'number');
  }
  assert.equal(new Set(lines.map((e) => e.request_id)).size, lines.length, 'request ids are unique');
  const ok = lines.filter((e) => e.status === 200);
  assert.equal(ok.length, N);
  for (const [i, e] of ok.entries()) {
    assert.equal(e.method, 'GET');
    assert.equal(e.path, `/api/item/${i}`);
    assert.equal(e.target, `127.0.0.1:${up.port}`);
    assert.equal(typeof e.upstream_latency_ms, 'number');
    assert.ok(e.upstream_latency_ms <= e.latency_ms);
    assert.equal(e.bytes_out, bodiesOut[i]);
  }
  const post404 = lines.find((e) => e.method === 'POST');
  assert.equal(post404.status, 404);
  assert.equal(post404.path, '/api/missing');
  const none = lines.find((e) => e.path === '/nowhere');
  assert.equal(none.status, 404);
  assert.equal(none.target, null, 'no target for an unmatched request');
  assert.equal(none.upstream_latency_ms, null);
  const logIn = lines.filter((e) => e.path !== '/nowhere').reduce((a, e) => a + e.bytes_in, 0);
  const logOut = lines.filter((e) => e.path !== '/nowhere').reduce((a, e) => a + e.bytes_out, 0);
  assert.equal(logIn, ingress, 'access-log bytes_in agree with the metrics');
  assert.equal(logOut, egress, 'access-log bytes_out agree with the metrics');
});

test('--workers 2: metrics are the sum over both workers', async () => {
  const up = await upstream('a', handler());
  const gw = await gateway({ config: config(up.port), workers: 2 });
  const M = 40;
  for (let i = 0; i < M; i += 4) {
    await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const r = await request(gw.url + '/api/x', { headers: { connection: 'close' } });
        assert.equal(r.statusCode, 200);
        await r.body.text();
      }),
    );
  }
  const lines = await readAccessLog(gw.accessLogPath, M);
  const pids = (await gw.status()).workers.map((w: any) => (w.pid as number).toString(36) + '-');
  const served = pids.map((p: string) => lines.filter((e) => String(e.request_id).startsWith(p)).length);
  assert.equal(served[0] + served[1], M, 'every request id carries its worker: ' + JSON.stringify({ pids, served }));
  assert.ok(served[0] > 0 && served[1] > 0, 'both workers served requests: ' + JSON.stringify(served));
  const m = await gw.metrics();
  assert.equal(metric(m, 'turnpike_http_requests_total{service="svc",route="r",code="200"}'), M);
  assert.equal(metric(m, 'turnpike_request_duration_seconds_count{service="svc",route="r"}'), M);
  assert.equal(metric(m, 'turnpike_workers'), 2);
});

test('TURNPIKE_PROXY_ACCESS_LOG=off writes no access log', async () => {
  const up = await upstream('a', handler());
  const gw = await gateway({ config: config(up.port), env: { TURNPIKE_PROXY_ACCESS_LOG: 'off' } });
  for (let i = 0; i < 5; i++) {
    const r = await fetch(gw.url + '/api/x');
    assert.equal(r.status, 200);
    await r.text();
  }
  await sleep(1000);
  assert.equal(fs.existsSync(gw.accessLogPath), false);
  assert.equal(fs.existsSync(path.join(gw.dir, 'prefix', 'logs', 'access.log')), false, 'not the default path either');
  const files = fs.readdirSync(gw.dir, { recursive: true }).map(String);
  assert.deepEqual(
    files.filter((f) => /access/.test(f)),
    [],
  );
  assert.doesNotMatch(gw.stdout + gw.stderr, /"request_id"/, 'no access-log lines on stdout/stderr');
});

test('failed and refused requests are logged with the reason', async () => {
  const { freePort } = await import('../helpers/gateway.js');
  const deadPort = await freePort(); // nothing listens there
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        { name: 'dead', url: `http://127.0.0.1:${deadPort}`, retries: 0, routes: [{ name: 'r', paths: ['/'] }] },
      ],
    }),
  });
  const r = await fetch(gw.url + '/x');
  assert.equal(r.status, 502);
  await r.text();
  const raw = await rawRequest(
    gw.proxyPort,
    'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n',
  );
  assert.match(raw, /^HTTP\/1\.1 400 /);
  let lines: { status: number; error?: string; target: string | null }[] = [];
  for (let i = 0; i < 40 && lines.length < 2; i++) {
    await sleep(100);
    if (fs.existsSync(gw.accessLogPath))
      lines = fs
        .readFileSync(gw.accessLogPath, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
  }
  const failed = lines.find((l) => l.status === 502);
  assert.ok(failed, 'a line for the 502: ' + JSON.stringify(lines));
  assert.match(failed.error ?? '', /ECONNREFUSED/);
  assert.equal(failed.target, `127.0.0.1:${deadPort}`);
  const refused = lines.find((l) => l.status === 400);
  assert.ok(refused, 'a line for the 400');
  assert.match(refused.error ?? '', /more than one Content-Length/);
});

test('/status reports version, config hash, uptime, workers, connections, last reload', async () => {
  const up = await upstream('a', handler());
  const gw = await gateway({ config: config(up.port), workers: 2 });
  await sleep(1100);
  const st = await gw.status();
  assert.equal(st.version, VERSION);
  assert.match(st.config_hash, /^[0-9a-f]{16,}$/);
  assert.equal(typeof st.uptime_seconds, 'number');
  assert.ok(st.uptime_seconds >= 1, 'uptime counts');
  assert.equal(st.workers.length, 2);
  for (const w of st.workers) {
    assert.equal(w.ready, true);
    assert.equal(w.config_hash, st.config_hash);
    assert.ok(Number.isInteger(w.pid) && w.pid > 0);
    assert.notEqual(w.pid, gw.proc.pid);
  }
  assert.notEqual(st.workers[0].pid, st.workers[1].pid);
  assert.deepEqual(st.connections, { active: 0, websocket: 0 });
  assert.equal(st.last_reload.ok, true);
  assert.equal(st.last_reload.hash, st.config_hash);
  const ready = await fetch(gw.statusUrl + '/status/ready');
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { ready: true });
  const m = await gw.metrics();
  assert.match(
    m,
    new RegExp(
      `^turnpike_info\\{version="${VERSION.replace(/\./g, '\\.')}",config_hash="${st.config_hash}"\\} 1$`,
      'm',
    ),
  );
});
