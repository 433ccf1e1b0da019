// rate-limiting with policy `redis`, end to end through real gateway processes and a real Redis:
// the limit is exact across two gateways sharing one Redis; a Redis that is not there lets
// requests through (fault_tolerant) or answers 500 (not fault tolerant); a Redis that comes up
// after the gateway started is used without a restart.
//
// The shared Redis is TURNPIKE_TEST_REDIS_URL (default redis://127.0.0.1:6379). When it cannot be
// reached the test that needs it is skipped with a loud message, except under CI=true where it
// fails. Keys are unique per run (random route name and client id), so reruns never collide.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort, sleep } from '../helpers/gateway.js';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';
import { pingRedis, REDIS_URL } from '../helpers/redis.js';
import { get } from '../helpers/fetch.js';

const CI = process.env.CI === 'true';

/** host, port and credentials of the shared Redis, as rate-limiting's `redis` record. */
function redisFields(url: string): Record<string, unknown> {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname,
    port: u.port === '' ? 6379 : Number(u.port),
    ...(u.username !== '' ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== '' ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== '' ? { database: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { ssl: true } : {}),
  };
}

const sharedDown = await pingRedis(REDIS_URL);
if (sharedDown !== null && !CI) {
  console.error(
    `\n!!!!!!!!\n!!! plugins-redis: Redis at ${REDIS_URL} is not reachable (${sharedDown}):\n!!! SKIPPING the two-gateway test. Set TURNPIKE_TEST_REDIS_URL or start Redis; under CI=true this fails.\n!!!!!!!!\n`,
  );
}
const redisServer = spawnSync('redis-server', ['--version']).status === 0;
if (!redisServer && !CI) {
  console.error(
    '\n!!!!!!!!\n!!! plugins-redis: redis-server is not installed: SKIPPING the recovery test (under CI=true this fails).\n!!!!!!!!\n',
  );
}

/** turnpike_plugin_redis_errors_total for rate-limiting on /metrics, once it reaches `want` (or after 3 s). */
async function redisErrors(gw: { metrics(): Promise<string> }, want: number): Promise<number> {
  const series = 'turnpike_plugin_redis_errors_total{plugin="rate-limiting"} ';
  const by = Date.now() + 3000;
  for (;;) {
    const line = (await gw.metrics()).split('\n').find((l) => l.startsWith(series));
    const n = line === undefined ? 0 : Number(line.slice(series.length));
    if (n >= want || Date.now() > by) return n;
    await sleep(50);
  }
}

/** Kong declarative config: one service, one route `/` with rate-limiting configured by `rl`. */
function config(upPort: number, routeName: string, rl: Record<string, unknown>): string {
  return JSON.stringify({
    _format_version: '3.0',
    services: [
      {
        name: 'svc',
        url: `http://127.0.0.1:${upPort}`,
        routes: [{ name: routeName, paths: ['/'], plugins: [{ name: 'rate-limiting', config: rl }] }],
      },
    ],
  });
}

/** Waits while fewer than `secondsLeft` seconds remain in the current UTC minute. */
async function roomInMinute(secondsLeft: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < secondsLeft * 1000) await sleep(left + 50);
}

test(
  'redis policy: two gateways sharing one Redis admit exactly the limit in total',
  { skip: sharedDown !== null && !CI ? `Redis at ${REDIS_URL} unreachable` : false },
  async () => {
    assert.equal(sharedDown, null, `Redis at ${REDIS_URL} must be reachable under CI (${sharedDown})`);
    const up = await upstream('rl-redis');
    const route = `redis-${randomUUID()}`;
    const client = randomUUID();
    const cfg = config(up.port, route, {
      minute: 10,
      limit_by: 'header',
      header_name: 'X-Client',
      policy: 'redis',
      redis: redisFields(REDIS_URL),
    });
    const [a, b] = await Promise.all([gateway({ config: cfg, workers: 2 }), gateway({ config: cfg, workers: 2 })]);
    const gws = [a!, b!];

    await roomInMinute(15);
    // 30 requests: alternately to each gateway, in three concurrent bursts of 10.
    const results: Awaited<ReturnType<typeof get>>[] = [];
    for (let burst = 0; burst < 3; burst++) {
      results.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            get(gws[i % 2]!.url + '/x', { 'x-client': client, 'x-seq': `${burst}-${i}` }),
          ),
        )),
      );
    }
    const statuses = results.map((r) => r.status);
    assert.equal(
      statuses.filter((s) => s === 200).length,
      10,
      `exactly 10 admitted across both gateways: ${statuses.join(',')}`,
    );
    assert.equal(statuses.filter((s) => s === 429).length, 20, `the other 20 refused: ${statuses.join(',')}`);
    // On a mismatch the message carries what the upstream saw (each request is numbered by
    // x-seq) and what both gateways logged, so a rare duplicate (an upstream retry: the same
    // x-seq twice) can be told apart from a counting error.
    assert.equal(
      up.requests.length,
      10,
      `the upstream saw exactly 10 requests: ${JSON.stringify(up.requests.map((q) => [q.url, q.headers['x-seq'], q.headers['x-forwarded-for']]))}\nstderr a:\n${a!.stderr}\nstderr b:\n${b!.stderr}`,
    );
    const remaining = results
      .filter((r) => r.status === 200)
      .map((r) => Number(r.headers['x-ratelimit-remaining-minute']))
      .sort((x, y) => x - y);
    assert.deepEqual(remaining, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'each admitted request saw its own count');
    const refused = results.find((r) => r.status === 429)!;
    assert.deepEqual(JSON.parse(refused.text), { message: 'API rate limit exceeded' });
    assert.equal(refused.headers['x-ratelimit-limit-minute'], '10');
    assert.equal(refused.headers['x-ratelimit-remaining-minute'], '0');
    assert.ok(Number(refused.headers['retry-after']) >= 1);

    // Another client has its own counter, on either gateway.
    assert.equal((await get(a!.url + '/x', { 'x-client': client + '-other' })).status, 200);

    // The counter is in Redis under Kong's key shape, with a TTL.
    const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    onCleanup(async () => void r.disconnect());
    const keys = await r.keys(`ratelimit:*:*:${client}:*:minute`);
    assert.equal(keys.length, 1, JSON.stringify(keys));
    assert.equal(await r.get(keys[0]!), '10');
    const ttl = await r.pttl(keys[0]!);
    assert.ok(ttl > 0 && ttl <= 65_000, `TTL ${ttl}`);
  },
);

test('redis policy: Redis not there — fault_tolerant passes (logged, rate-limited), otherwise 500 with Kong message', async () => {
  const up = await upstream('rl-dead');
  const deadPort = await freePort(); // closed: nothing listens there
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            {
              name: 'tolerant',
              paths: ['/tolerant'],
              plugins: [
                {
                  name: 'rate-limiting',
                  config: {
                    minute: 1,
                    limit_by: 'ip',
                    policy: 'redis',
                    redis: { host: '127.0.0.1', port: deadPort, timeout: 500 },
                  },
                },
              ],
            },
            {
              name: 'strict',
              paths: ['/strict'],
              plugins: [
                {
                  name: 'rate-limiting',
                  config: {
                    minute: 1,
                    limit_by: 'ip',
                    policy: 'redis',
                    fault_tolerant: false,
                    redis_host: '127.0.0.1',
                    redis_port: deadPort,
                    redis_timeout: 500,
                  },
                },
              ],
            },
          ],
        },
      ],
    }),
  });
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    const r = await get(gw.url + '/tolerant');
    assert.equal(r.status, 200, 'fault tolerant: the request passes');
    assert.equal(
      r.headers['x-ratelimit-limit-minute'],
      undefined,
      'no rate-limit headers when Redis could not count (as Kong)',
    );
    assert.ok(Date.now() - t0 < 1500, 'no waiting beyond the timeout');
  }
  for (let i = 0; i < 3; i++) {
    const t0 = Date.now();
    const r = await get(gw.url + '/strict');
    assert.equal(r.status, 500);
    assert.deepEqual(JSON.parse(r.text), { message: 'An unexpected error occurred' });
    assert.ok(Date.now() - t0 < 1500, 'no waiting beyond the timeout');
  }
  assert.equal(up.requests.length, 5, 'only the tolerant requests reached the upstream');
  // Every failed call is counted, fault tolerant or not (the log lines are rate-limited).
  assert.equal(await redisErrors(gw, 8), 8);
  await sleep(200);
  const out = gw.stdout + gw.stderr;
  const lines = out.split('\n').filter((l) => l.includes('rate-limiting: redis'));
  // One Redis, one reporter per worker: the first failure is logged, the rest only counted.
  assert.equal(lines.length, 1, 'failures are logged once per 10 s per Redis: ' + lines.join('\n'));
  assert.match(lines[0]!, new RegExp(`redis://127\\.0\\.0\\.1:${deadPort}/0 .*failed`));
  assert.match(lines[0]!, /request allowed \(fault_tolerant\)/);
  assert.ok(gw.exitCode === null && gw.exitSignal === null, 'the gateway is still running');
});

test(
  'redis policy: a Redis that comes up after the gateway is used without a restart (500 while down, then limiting)',
  { skip: !redisServer && !CI ? 'redis-server not installed' : false },
  async () => {
    assert.ok(redisServer, 'redis-server must be installed under CI');
    const up = await upstream('rl-recover');
    const port = await freePort();
    const gw = await gateway({
      config: config(up.port, `recover-${randomUUID()}`, {
        hour: 3,
        limit_by: 'ip',
        policy: 'redis',
        fault_tolerant: false,
        redis: { host: '127.0.0.1', port, timeout: 500 },
      }),
    });

    const down = await get(gw.url + '/x');
    assert.equal(down.status, 500, 'Redis is not there yet');
    assert.deepEqual(JSON.parse(down.text), { message: 'An unexpected error occurred' });

    let server: ChildProcess | null = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const stop = async () => {
      if (server === null) return;
      const s = server;
      server = null;
      if (s.exitCode === null && s.signalCode === null) {
        const gone = new Promise((r) => s.once('exit', r));
        s.kill('SIGKILL');
        await gone;
      }
    };
    onCleanup(stop);
    const url = `redis://127.0.0.1:${port}`;
    const upBy = Date.now() + 10_000;
    while ((await pingRedis(url, 300)) !== null) {
      assert.ok(Date.now() < upBy, 'redis-server did not start');
      await sleep(50);
    }

    // The gateway's client reconnects by itself (backoff ≤ 2 s): 500s until it does, then limiting.
    const statuses: number[] = [];
    const by = Date.now() + 10_000;
    for (;;) {
      const r = await get(gw.url + '/x');
      statuses.push(r.status);
      if (r.status !== 500) break;
      assert.ok(Date.now() < by, 'limiting did not resume within 10 s: ' + statuses.join(','));
      await sleep(100);
    }
    for (let i = 0; i < 3; i++) statuses.push((await get(gw.url + '/x')).status);
    const after = statuses.filter((s) => s !== 500);
    assert.deepEqual(after, [200, 200, 200, 429], 'hour: 3 enforced once Redis is up: ' + statuses.join(','));
    const failedBefore = statuses.filter((s) => s === 500).length + 1;
    assert.equal(await redisErrors(gw, failedBefore), failedBefore, 'each 500 was a counted Redis failure');
    assert.equal(up.requests.length, 3);
    assert.match(gw.stdout + gw.stderr, /rate-limiting: redis .* is reachable again after \d+ failed request/);

    // Redis goes away again: 500 at once, no hang, no crash.
    await stop();
    const t0 = Date.now();
    const gone = await get(gw.url + '/x');
    assert.equal(gone.status, 500);
    assert.ok(Date.now() - t0 < 1500);
    assert.equal(
      await redisErrors(gw, failedBefore + 1),
      failedBefore + 1,
      'the failure after Redis went away is on /metrics',
    );
    assert.ok(gw.exitCode === null && gw.exitSignal === null, 'the gateway is still running');
  },
);
