// Health state is one per node, not one per worker: active probes run once (in the primary)
// and a passive ejection seen by one worker applies in every worker.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, sleep } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { onCleanup } from '../helpers/scope.js';

async function counting(name: string, status: () => number) {
  const state = { probes: 0, requests: 0 };
  const u = await startUpstream(name, (req, res) => {
    if (req.url === '/health') state.probes++;
    else state.requests++;
    res.writeHead(req.url === '/health' ? 200 : status(), { 'content-type': 'text/plain' });
    res.end(name);
  });
  onCleanup(() => u.close());
  return Object.assign(u, { state });
}

function config(targets: number[], healthchecks: unknown): string {
  return JSON.stringify({
    _format_version: '3.0',
    services: [{ name: 'svc', host: 'backend', routes: [{ name: 'r', paths: ['/'] }] }],
    upstreams: [{ name: 'backend', healthchecks, targets: targets.map((p) => ({ target: `127.0.0.1:${p}` })) }],
  });
}

test('with --workers 2, active probes run once per interval, not once per worker', async () => {
  const a = await counting('a', () => 200);
  const gw = await startGateway({
    config: config([a.port], {
      active: {
        http_path: '/health',
        healthy: { interval: 0.5, successes: 1 },
        unhealthy: { interval: 0.5, http_failures: 1 },
      },
    }),
    workers: 2,
  });
  onCleanup(() => gw.stop());
  const before = a.state.probes;
  await sleep(3000);
  const probes = a.state.probes - before;
  // 3 s at one probe per 0.5 s is about 6; per-worker probing would give about 12.
  assert.ok(probes >= 4 && probes <= 8, `expected about 6 probes in 3 s, got ${probes}`);
});

test('with --workers 2, a passive ejection by one worker is applied by both', async () => {
  const bad = await counting('bad', () => 500);
  const good = await counting('good', () => 200);
  const gw = await startGateway({
    config: config([bad.port, good.port], { passive: { unhealthy: { http_failures: 1, http_statuses: [500] } } }),
    workers: 2,
  });
  onCleanup(() => gw.stop());
  // Requests on new connections until the bad target has answered once (and is ejected).
  for (let i = 0; i < 10 && bad.state.requests === 0; i++) {
    const r = await request(gw.url + '/x', { headers: { connection: 'close' } });
    await r.body.text();
  }
  assert.equal(bad.state.requests, 1, 'the bad target answered exactly once');
  await sleep(200); // the ejection travels worker → primary → workers over IPC
  // New connections are handed to both workers in turn: without shared state, the worker
  // that has not seen the failure would still send half of its share to the bad target.
  const statuses: number[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await request(gw.url + '/x', { headers: { connection: 'close' } });
    await r.body.text();
    statuses.push(r.statusCode);
  }
  assert.deepEqual(statuses, new Array(20).fill(200));
  assert.equal(bad.state.requests, 1, 'no further request reached the ejected target');
  const h = (await (await fetch(gw.statusUrl + '/upstreams/backend/health')).json()) as {
    data: { target: string; health: string }[];
  };
  const badHealth = h.data.find((t: { target: string }) => t.target === `127.0.0.1:${bad.port}`);
  assert.equal(badHealth?.health, 'UNHEALTHY');
});
