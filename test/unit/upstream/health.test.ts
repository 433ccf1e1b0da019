import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { HealthChecker } from '../../../src/upstream/health/index.js';
import type { ProbeResult } from '../../../src/upstream/health/index.js';
import { createEndpoint } from '../../../src/upstream/endpoint.js';

import { healthchecks } from './helpers.js';

const cleanups: (() => void | Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface TestServer {
  port: number;
  status: number;
  delayMs: number;
  hang: boolean;
  requests: { url: string; headers: http.IncomingHttpHeaders }[];
  concurrent: number;
  maxConcurrent: number;
}

async function httpServer(): Promise<TestServer> {
  const s: TestServer = {
    port: 0,
    status: 200,
    delayMs: 0,
    hang: false,
    requests: [],
    concurrent: 0,
    maxConcurrent: 0,
  };
  const server = http.createServer((req, res) => {
    s.requests.push({ url: req.url ?? '', headers: req.headers });
    if (s.hang) return; // never answers: the probe times out
    s.concurrent++;
    s.maxConcurrent = Math.max(s.maxConcurrent, s.concurrent);
    const answer = () => {
      s.concurrent--;
      res.writeHead(s.status, { 'content-type': 'text/plain' });
      res.end('x');
    };
    if (s.delayMs > 0) setTimeout(answer, s.delayMs);
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.port = (server.address() as AddressInfo).port;
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return s;
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function waitFor(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function describe(r: ProbeResult): string {
  return r.kind === 'status' ? String(r.status) : r.kind;
}

test('active http: a target answering 500 is ejected after N failures and recovers after M successes', async () => {
  const srv = await httpServer();
  const ep = createEndpoint('127.0.0.1', srv.port, 100);
  const probes: string[] = [];
  const changes: [string, boolean][] = [];
  const flipAt: number[] = []; // probes seen when each change happened
  const hc = new HealthChecker({
    healthchecks: healthchecks({
      active: {
        http_path: '/status',
        headers: { 'x-probe': ['yes'] },
        healthy: { interval: 0.03, successes: 2 },
        unhealthy: { interval: 0.03, http_failures: 3 },
      },
    }),
    endpoints: [ep],
    onChange: (e, healthy) => {
      changes.push([e.key, healthy]);
      flipAt.push(probes.length);
    },
    onProbe: (_e, r) => probes.push(describe(r)),
  });
  cleanups.push(() => hc.stop());
  hc.start();
  await waitFor(() => probes.length >= 2, 3000, 'healthy probes');
  assert.equal(ep.healthy, true);
  assert.equal(srv.requests[0]!.url, '/status');
  assert.equal(srv.requests[0]!.headers['x-probe'], 'yes');

  srv.status = 500;
  const mark = probes.length;
  await waitFor(() => !ep.healthy, 3000, 'ejection');
  // onProbe runs before the result is counted, so the flip happened on probe flipAt[0].
  const beforeFlip = probes.slice(mark, flipAt[0]);
  assert.equal(beforeFlip.filter((p) => p === '500').length, 3, `ejected after ${beforeFlip.join(',')}`);
  assert.deepEqual(changes, [[ep.key, false]]);
  assert.equal(hc.status()[0]!.health, 'UNHEALTHY');

  srv.status = 200;
  const mark2 = probes.length;
  await waitFor(() => ep.healthy, 3000, 'recovery');
  const after2 = probes.slice(mark2, flipAt[1]);
  const successesAfterLastFailure = after2.length - 1 - after2.lastIndexOf('500');
  assert.equal(successesAfterLastFailure, 2, after2.join(','));
  assert.equal(after2[after2.length - 1], '200');
  assert.deepEqual(changes, [
    [ep.key, false],
    [ep.key, true],
  ]);
  assert.equal(hc.status()[0]!.health, 'HEALTHY');

  // stop(): no more probes.
  hc.stop();
  const n = srv.requests.length;
  await new Promise((r) => setTimeout(r, 120));
  assert.ok(srv.requests.length <= n + 1, 'no probes after stop');
});

test('active: statuses in neither list are ignored; unhealthy.interval 0 means unhealthy targets are not probed', async () => {
  const srv = await httpServer();
  srv.status = 418;
  const ep = createEndpoint('127.0.0.1', srv.port, 1);
  const hc = new HealthChecker({
    healthchecks: healthchecks({
      active: { healthy: { interval: 0.02, successes: 1 }, unhealthy: { interval: 0, http_failures: 1 } },
    }),
    endpoints: [ep],
  });
  cleanups.push(() => hc.stop());
  hc.start();
  await waitFor(() => srv.requests.length >= 4, 3000, 'probes');
  assert.equal(ep.healthy, true);
  srv.status = 500;
  await waitFor(() => !ep.healthy, 3000, 'ejection');
  srv.status = 200;
  const n = srv.requests.length;
  await new Promise((r) => setTimeout(r, 150));
  assert.ok(srv.requests.length <= n + 1, 'unhealthy target not probed');
  assert.equal(ep.healthy, false);
  hc.stop();
});

test('active tcp: connect failure on a closed port ejects; a listening port recovers', async () => {
  const port = await closedPort();
  const dead = createEndpoint('127.0.0.1', port, 1);
  const listening = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => listening.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => listening.close(() => r())));
  const alive = createEndpoint('127.0.0.1', (listening.address() as AddressInfo).port, 1);
  const results = new Map<string, string[]>();
  const hc = new HealthChecker({
    healthchecks: healthchecks({
      active: {
        type: 'tcp',
        healthy: { interval: 0.02, successes: 2 },
        unhealthy: { interval: 0.02, tcp_failures: 2 },
      },
    }),
    endpoints: [dead, alive],
    onProbe: (e, r) => results.set(e.key, [...(results.get(e.key) ?? []), describe(r)]),
  });
  cleanups.push(() => hc.stop());
  hc.setHealthy(alive, false);
  hc.start();
  await waitFor(() => !dead.healthy && alive.healthy, 3000, 'dead ejected, alive recovered');
  assert.deepEqual(results.get(dead.key)!.slice(0, 2), ['tcp_failure', 'tcp_failure']);
  assert.ok(results.get(alive.key)!.every((r) => r === 'connected'));
  hc.stop();
});

test('active: timeouts count toward unhealthy.timeouts', async () => {
  const srv = await httpServer();
  srv.hang = true;
  const ep = createEndpoint('127.0.0.1', srv.port, 1);
  const probes: string[] = [];
  const hc = new HealthChecker({
    healthchecks: healthchecks({
      active: {
        timeout: 0.05,
        healthy: { interval: 0.02 },
        unhealthy: { interval: 0.02, timeouts: 2, http_failures: 1 },
      },
    }),
    endpoints: [ep],
    onProbe: (_e, r) => probes.push(describe(r)),
  });
  cleanups.push(() => hc.stop());
  hc.start();
  await waitFor(() => !ep.healthy, 3000, 'ejection by timeouts');
  assert.deepEqual(probes.slice(0, 2), ['timeout', 'timeout']);
  hc.stop();
});

test('active: concurrency bounds parallel probes', async () => {
  const servers = await Promise.all([httpServer(), httpServer(), httpServer(), httpServer(), httpServer()]);
  let concurrent = 0;
  let max = 0;
  for (const s of servers) s.delayMs = 60;
  const endpoints = servers.map((s) => createEndpoint('127.0.0.1', s.port, 1));
  const hc = new HealthChecker({
    healthchecks: healthchecks({ active: { concurrency: 2, healthy: { interval: 10 } } }),
    endpoints,
    onProbe: () => {},
  });
  const poll = setInterval(() => {
    concurrent = servers.reduce((n, s) => n + s.concurrent, 0);
    max = Math.max(max, concurrent);
  }, 5);
  await hc.probeNow(true);
  clearInterval(poll);
  assert.equal(
    servers.reduce((n, s) => n + s.requests.length, 0),
    5,
  );
  assert.ok(max <= 2 && max >= 1, `max concurrent ${max}`);
  hc.stop();
});

test('passive: counts per Kong passive thresholds; consecutive; status lists; no recovery by default', () => {
  const ep = createEndpoint('10.0.0.1', 80, 1);
  const changes: boolean[] = [];
  const hc = new HealthChecker({
    healthchecks: healthchecks({ passive: { unhealthy: { http_failures: 3, tcp_failures: 2, timeouts: 2 } } }),
    endpoints: [ep],
    onChange: (_e, h) => changes.push(h),
  });
  assert.equal(hc.passiveEnabled, true);
  assert.equal(hc.activeEnabled, false);
  hc.report(ep, 'success', 500);
  hc.report(ep, 'success', 503);
  hc.report(ep, 'success', 200); // resets
  hc.report(ep, 'success', 500);
  hc.report(ep, 'success', 404); // in neither passive list: ignored
  hc.report(ep, 'success', 429);
  assert.equal(ep.healthy, true);
  hc.report(ep, 'http_failure', 500);
  assert.equal(ep.healthy, false);
  assert.deepEqual(changes, [false]);
  // Passive-only (Kong): successes do not bring it back when passive.healthy.successes is 0,
  // and nothing else does until an operator re-enables it.
  for (let i = 0; i < 10; i++) hc.report(ep, 'success', 200);
  assert.equal(ep.healthy, false);
  assert.equal(hc.status()[0]!.health, 'UNHEALTHY');
  hc.setHealthy(ep.key, true);
  assert.equal(ep.healthy, true);
  assert.deepEqual(changes, [false, true]);

  hc.report(ep, 'tcp_failure');
  hc.report(ep, 'timeout');
  assert.equal(ep.healthy, true, 'different failure kinds count separately');
  hc.report(ep, 'tcp_failure');
  assert.equal(ep.healthy, false);
  hc.setHealthy(ep, true);
  hc.report(ep, 'timeout');
  hc.report(ep, 'timeout');
  assert.equal(ep.healthy, false);
  // Unknown endpoints are ignored.
  hc.report(createEndpoint('x', 1, 1), 'timeout');
});

test('passive: healthy.successes > 0 recovers on reported successes; opt-in recovery timeout', async () => {
  const ep = createEndpoint('10.0.0.2', 80, 1);
  const hc = new HealthChecker({
    healthchecks: healthchecks({ passive: { healthy: { successes: 2 }, unhealthy: { http_failures: 1 } } }),
    endpoints: [ep],
  });
  hc.report(ep, 'http_failure');
  assert.equal(ep.healthy, false);
  hc.report(ep, 'success', 200);
  assert.equal(ep.healthy, false);
  hc.report(ep, 'success', 200);
  assert.equal(ep.healthy, true);

  const ep2 = createEndpoint('10.0.0.3', 80, 1);
  const timed = new HealthChecker({
    healthchecks: healthchecks({ passive: { unhealthy: { timeouts: 1 } } }),
    endpoints: [ep2],
    passiveRecoveryTimeout: 0.05,
  });
  cleanups.push(() => timed.stop());
  timed.report(ep2, 'timeout');
  assert.equal(ep2.healthy, false);
  await waitFor(() => ep2.healthy, 2000, 'opt-in passive recovery');
});

test('status: HEALTHCHECKS_OFF when no checks are configured; threshold', () => {
  const endpoints = [createEndpoint('a', 1, 50), createEndpoint('b', 1, 30), createEndpoint('c', 1, 20)];
  const off = new HealthChecker({ healthchecks: healthchecks(), endpoints });
  assert.deepEqual(
    off.status().map((s) => s.health),
    ['HEALTHCHECKS_OFF', 'HEALTHCHECKS_OFF', 'HEALTHCHECKS_OFF'],
  );
  assert.deepEqual(off.status()[0], {
    target: 'a:1',
    weight: 50,
    health: 'HEALTHCHECKS_OFF',
    addresses: [{ ip: 'a', port: 1, health: 'HEALTHCHECKS_OFF' }],
  });
  assert.equal(off.upstreamHealthy(), true);

  const hc = new HealthChecker({
    healthchecks: healthchecks({ passive: { unhealthy: { tcp_failures: 1 } }, threshold: 60 }),
    endpoints,
  });
  assert.equal(hc.upstreamHealthy(), true);
  hc.report(endpoints[2]!, 'tcp_failure'); // 80% healthy
  assert.equal(hc.upstreamHealthy(), true);
  hc.report(endpoints[1]!, 'tcp_failure'); // 50% healthy < 60
  assert.equal(hc.upstreamHealthy(), false);
  assert.deepEqual(
    hc.status().map((s) => s.health),
    ['HEALTHY', 'UNHEALTHY', 'UNHEALTHY'],
  );
});

test('reload: sameConfig / reuseOrCreate keep state across new endpoint objects', () => {
  const cfg = healthchecks({ passive: { unhealthy: { http_failures: 2 } } });
  const a1 = createEndpoint('a', 1, 1);
  const b1 = createEndpoint('b', 1, 1);
  const hc = new HealthChecker({ healthchecks: cfg, endpoints: [a1, b1] });
  hc.report(a1, 'http_failure');
  hc.report(a1, 'http_failure');
  hc.report(b1, 'http_failure'); // one failure counted
  assert.equal(a1.healthy, false);

  // Same config, structurally equal but a different object with keys in another order.
  const same = JSON.parse(JSON.stringify({ threshold: cfg.threshold, passive: cfg.passive, active: cfg.active }));
  assert.equal(hc.sameConfig(same), true);
  assert.equal(hc.sameConfig(healthchecks({ passive: { unhealthy: { http_failures: 3 } } })), false);
  assert.equal(hc.sameConfig(same, 'other.host'), false);

  const a2 = createEndpoint('a', 1, 1);
  const b2 = createEndpoint('b', 1, 1);
  const c2 = createEndpoint('c', 1, 1);
  const kept = HealthChecker.reuseOrCreate(hc, { healthchecks: same, endpoints: [a2, b2, c2] });
  assert.equal(kept, hc);
  assert.equal(a2.healthy, false, 'health carried to the new endpoint object');
  assert.equal(c2.healthy, true);
  kept.report(b2, 'http_failure'); // second consecutive failure (counter carried)
  assert.equal(b2.healthy, false);
  assert.deepEqual(
    kept.endpoints.map((e) => e.key),
    ['a:1', 'b:1', 'c:1'],
  );

  // Changed config: a new checker; reused endpoint objects start healthy again (Kong).
  const changed = HealthChecker.reuseOrCreate(kept, { healthchecks: healthchecks(), endpoints: [a2] });
  assert.notEqual(changed, kept);
  assert.equal(a2.healthy, true);
  changed.stop();
});

test('active https: certificate verification and SNI', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const https = await import('node:https');
  const dir = mkdtempSync(join(tmpdir(), 'turnpike-hc-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=probe.test',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
  } catch {
    t.skip('openssl not available');
    return;
  }
  const snis: (string | false | null)[] = [];
  const server = https.createServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    (req, res) => {
      snis.push((req.socket as import('node:tls').TLSSocket).servername);
      res.writeHead(200);
      res.end();
    },
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  const ep = createEndpoint('127.0.0.1', (server.address() as AddressInfo).port, 1);
  const { probeTarget } = await import('../../../src/upstream/health/index.js');
  const base = healthchecks({ active: { type: 'https', timeout: 2 } }).active;

  const verified = await probeTarget(ep, base);
  assert.equal(verified.kind, 'tcp_failure', 'self-signed certificate rejected when verifying');
  const unverified = await probeTarget(ep, { ...base, https_verify_certificate: false, https_sni: 'probe.test' });
  assert.deepEqual(unverified, { kind: 'status', status: 200 });
  assert.deepEqual(snis, ['probe.test']);
});
