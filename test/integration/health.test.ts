// Health checks through the gateway: active probes eject and recover a target, passive
// checks eject a target answering 500, and no usable target gives 503. Visible on
// GET /upstreams/{name}/health (Kong-like) and in /metrics.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'undici';
import { startGateway, sleep, type Gateway } from '../helpers/gateway.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { onCleanup } from '../helpers/scope.js';

interface Switchable extends TestUpstream {
  state: {
    /** Status of GET /health. */
    healthStatus: number;
    /** Status of every other request. */
    status: number;
    probes: number;
  };
}

async function upstream(name: string): Promise<Switchable> {
  const state = { healthStatus: 200, status: 200, probes: 0 };
  const u = await startUpstream(name, (req, res) => {
    if (req.url === '/health') {
      state.probes++;
      res.writeHead(state.healthStatus, { 'content-type': 'text/plain' });
      res.end(String(state.healthStatus));
      return;
    }
    res.writeHead(state.status, { 'content-type': 'text/plain' });
    res.end(name);
  });
  onCleanup(() => u.close());
  return Object.assign(u, { state });
}

async function gateway(healthchecks: Record<string, unknown>, ports: number[]): Promise<{ gw: Gateway; pool: Pool }> {
  const config = JSON.stringify({
    _format_version: '3.0',
    services: [{ name: 'svc', url: 'http://backend/', routes: [{ name: 'r', paths: ['/'] }] }],
    upstreams: [{ name: 'backend', healthchecks, targets: ports.map((p) => ({ target: `127.0.0.1:${p}` })) }],
  });
  const gw = await startGateway({ config, workers: 1 });
  onCleanup(() => gw.stop());
  const pool = new Pool(gw.url, { connections: 2, pipelining: 1 });
  onCleanup(() => pool.close());
  return { gw, pool };
}

async function targetHealth(gw: Gateway, name = 'backend'): Promise<any> {
  const r = await fetch(`${gw.statusUrl}/upstreams/${name}/health`);
  assert.equal(r.status, 200);
  return r.json();
}

async function waitHealth(gw: Gateway, target: string, want: string, timeoutMs: number): Promise<any> {
  const end = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < end) {
    last = await targetHealth(gw);
    if (last.data.find((d: any) => d.target === target)?.health === want) return last;
    await sleep(100);
  }
  throw new Error(`${target} did not become ${want} within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

function metric(text: string, series: string): number {
  for (const line of text.split('\n')) if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  return NaN;
}

async function hits(pool: Pool, n: number): Promise<{ names: Map<string, number>; statuses: number[] }> {
  const names = new Map<string, number>();
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await pool.request({ path: '/x', method: 'GET' });
    const body = await r.body.text();
    statuses.push(r.statusCode);
    if (r.statusCode === 200) names.set(body, (names.get(body) ?? 0) + 1);
  }
  return { names, statuses };
}

const ACTIVE = {
  active: {
    http_path: '/health',
    timeout: 1,
    healthy: { interval: 1, successes: 2 },
    unhealthy: { interval: 1, http_failures: 2 },
  },
};

test('active checks eject a target whose /health fails, route no traffic to it, and recover it', async () => {
  const a = await upstream('a');
  const b = await upstream('b');
  const { gw, pool } = await gateway(ACTIVE, [a.port, b.port]);
  const A = `127.0.0.1:${a.port}`;
  const B = `127.0.0.1:${b.port}`;

  const h0 = await targetHealth(gw);
  assert.deepEqual(
    h0.data.map((d: any) => [d.target, d.health]).sort(),
    [
      [A, 'HEALTHY'],
      [B, 'HEALTHY'],
    ].sort(),
  );
  assert.equal(h0.data[0].weight, 100);
  assert.equal(h0.next, null);
  const before = await hits(pool, 10);
  assert.equal(before.names.get('b'), 5, 'b gets half the traffic while healthy');

  b.state.healthStatus = 500;
  const t0 = Date.now();
  await waitHealth(gw, B, 'UNHEALTHY', 6000);
  const took = Date.now() - t0;
  assert.ok(took >= 900, `not ejected before two failed probes (${took} ms)`);
  assert.equal((await targetHealth(gw)).data.find((d: any) => d.target === A).health, 'HEALTHY');
  const m = await gw.metrics();
  assert.equal(metric(m, `turnpike_upstream_target_health{upstream="backend",target="${B}",state="unhealthy"}`), 1, m);
  assert.equal(metric(m, `turnpike_upstream_target_health{upstream="backend",target="${B}",state="healthy"}`), 0);
  assert.equal(metric(m, `turnpike_upstream_target_health{upstream="backend",target="${A}",state="healthy"}`), 1);

  const bRequests = b.requests.filter((r) => r.url !== '/health').length;
  const during = await hits(pool, 20);
  assert.deepEqual(during.statuses, new Array(20).fill(200));
  assert.equal(during.names.get('a'), 20, 'all traffic goes to the healthy target');
  assert.equal(b.requests.filter((r) => r.url !== '/health').length, bRequests, 'the ejected target gets no traffic');
  assert.ok(b.state.probes >= 2, 'the ejected target is still probed');

  b.state.healthStatus = 200;
  await waitHealth(gw, B, 'HEALTHY', 6000);
  const m2 = await gw.metrics();
  assert.equal(metric(m2, `turnpike_upstream_target_health{upstream="backend",target="${B}",state="healthy"}`), 1);
  const afterRecovery = await hits(pool, 10);
  assert.ok(
    (afterRecovery.names.get('b') ?? 0) >= 4,
    'the recovered target gets traffic again: ' + JSON.stringify([...afterRecovery.names]),
  );
});

test('passive checks (http_failures 2 on 500) eject a target answering 500s', async () => {
  const a = await upstream('a');
  const b = await upstream('b');
  b.state.status = 500;
  const { gw, pool } = await gateway({ passive: { unhealthy: { http_failures: 2, http_statuses: [500] } } }, [
    a.port,
    b.port,
  ]);
  const B = `127.0.0.1:${b.port}`;
  const first = await hits(pool, 4); // round robin: a, b, a, b → b failed twice
  assert.equal(
    first.statuses.filter((s) => s === 500).length,
    2,
    'the two 500s are passed to the client: ' + first.statuses,
  );
  const h = await targetHealth(gw);
  assert.equal(h.data.find((d: any) => d.target === B).health, 'UNHEALTHY', JSON.stringify(h));
  const bSeen = b.requests.length;
  const next = await hits(pool, 20);
  assert.deepEqual(next.statuses, new Array(20).fill(200));
  assert.equal(next.names.get('a'), 20);
  assert.equal(b.requests.length, bSeen, 'the ejected target gets no traffic');
  assert.equal(
    metric(await gw.metrics(), `turnpike_upstream_target_health{upstream="backend",target="${B}",state="unhealthy"}`),
    1,
  );
});

test('all targets unhealthy → 503', async () => {
  const a = await upstream('a');
  const b = await upstream('b');
  a.state.healthStatus = 500;
  b.state.healthStatus = 500;
  const { gw, pool } = await gateway(ACTIVE, [a.port, b.port]);
  await waitHealth(gw, `127.0.0.1:${a.port}`, 'UNHEALTHY', 6000);
  await waitHealth(gw, `127.0.0.1:${b.port}`, 'UNHEALTHY', 6000);
  const h = await targetHealth(gw);
  assert.deepEqual(
    h.data.map((d: any) => d.health),
    ['UNHEALTHY', 'UNHEALTHY'],
  );
  const r = await pool.request({ path: '/x', method: 'GET' });
  const body = await r.body.text();
  assert.equal(r.statusCode, 503, body);
  assert.equal(
    a.requests.filter((q) => q.url === '/x').length + b.requests.filter((q) => q.url === '/x').length,
    0,
    'no request reached a target',
  );
  const m = await gw.metrics();
  assert.equal(metric(m, 'turnpike_http_requests_total{service="svc",route="r",code="503"}'), 1);

  const missing = await fetch(`${gw.statusUrl}/upstreams/nope/health`);
  assert.equal(missing.status, 404);
});
