// proxy-cache end to end: a real gateway in front of a real upstream that counts what it
// receives. Memory strategy: Miss then Hit, key variations, what bypasses the cache, expiry,
// Cache-Control, chunked bodies. Redis strategy: two gateways share one cache; a Redis that is
// not there leaves requests uncached but answered.
//
// The shared Redis is TURNPIKE_TEST_REDIS_URL (default redis://127.0.0.1:6379). When it cannot be
// reached the test that needs it is skipped with a loud message, except under CI=true where it
// fails. Route names are random per run and every key created is deleted afterwards.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort, runCli, sleep, tmpDir } from '../helpers/gateway.js';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';
import { pingRedis, REDIS_URL } from '../helpers/redis.js';
import { get, reached } from '../helpers/fetch.js';
import type { TestUpstream } from '../helpers/upstream.js';

const CI = process.env.CI === 'true';

const redisDown = await pingRedis(REDIS_URL);
if (redisDown !== null && !CI) {
  console.error(
    `\n!!!!!!!!\n!!! plugins-proxy-cache: Redis at ${REDIS_URL} is not reachable (${redisDown}):\n!!! SKIPPING the shared-cache test. Set TURNPIKE_TEST_REDIS_URL or start Redis; under CI=true this fails.\n!!!!!!!!\n`,
  );
}

function redisFields(url: string): Record<string, unknown> {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname,
    port: u.port === '' ? 6379 : Number(u.port),
    ...(u.username !== '' ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== '' ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== '' ? { database: Number(db) } : {}),
  };
}

/** An upstream whose answer depends on the last path segment; every body carries a serial number. */
async function cacheUpstream(name: string): Promise<TestUpstream> {
  let n = 0;
  return upstream(name, (req, res) => {
    n++;
    const seg = new URL(req.url!, 'http://x').pathname.split('/').pop();
    const json = (status: number, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-upstream': name, ...extra });
      res.end(JSON.stringify({ n, url: req.url }));
    };
    switch (seg) {
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<p>${n}</p>`);
        return;
      case 'err':
        return json(500);
      case 'no-store':
        return json(200, { 'cache-control': 'no-store' });
      case 'private':
        return json(200, { 'cache-control': 'private, max-age=60' });
      case 'maxage':
        return json(200, { 'cache-control': 'max-age=1' });
      case 'cookies':
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        return json(200);
      case 'chunked': {
        res.writeHead(200, { 'content-type': 'text/plain' }); // no length: sent chunked
        const parts = [`part one ${n}\n`, 'x'.repeat(20_000) + '\n', 'part three\n'];
        let i = 0;
        const next = () => {
          if (i === parts.length) return res.end();
          res.write(parts[i++]);
          setTimeout(next, 20);
        };
        next();
        return;
      }
      default:
        return json(200);
    }
  });
}

function config(upPort: number, routes: { name: string; path: string; conf: Record<string, unknown> }[]): string {
  return JSON.stringify({
    _format_version: '3.0',
    services: [
      {
        name: 'svc',
        url: `http://127.0.0.1:${upPort}`,
        routes: routes.map((r) => ({
          name: r.name,
          paths: [r.path],
          strip_path: false,
          plugins: [{ name: 'proxy-cache', config: r.conf }],
        })),
      },
    ],
  });
}

const up = await cacheUpstream('pc');
const gw = await gateway({
  config: config(up.port, [
    { name: 'basic', path: '/m', conf: { strategy: 'memory' } },
    { name: 'vary', path: '/v', conf: { strategy: 'memory', vary_query_params: ['a'], vary_headers: ['X-Tenant'] } },
    { name: 'ttl', path: '/t', conf: { strategy: 'memory', cache_ttl: 1 } },
    {
      name: 'cc',
      path: '/c',
      conf: { strategy: 'memory', cache_control: true, memory: { dictionary_name: 'other_cache' } },
    },
    { name: 'case', path: '/i', conf: { ignore_uri_case: true, content_type: ['*/*'] } },
  ]),
});

test('memory: Miss stores, then Hit from the gateway (upstream once, Age, stable X-Cache-Key); HEAD answered from it', async () => {
  const a = await get(gw.url + '/m/json');
  assert.equal(a.status, 200);
  assert.equal(a.headers['x-cache-status'], 'Miss');
  const key = a.headers['x-cache-key'];
  assert.match(String(key), /^[0-9a-f]{64}$/);
  const b = await get(gw.url + '/m/json');
  assert.equal(b.status, 200);
  assert.equal(b.headers['x-cache-status'], 'Hit');
  assert.equal(b.headers['x-cache-key'], key);
  assert.ok(b.headers['age'] !== undefined && Number(b.headers['age']) >= 0, 'Age on a hit');
  assert.equal(b.text, a.text, 'same body');
  assert.equal(b.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(b.headers['x-upstream'], 'pc', 'upstream headers stored');
  assert.equal(b.headers['content-length'], String(Buffer.byteLength(a.text)));
  const h = await get(gw.url + '/m/json', {}, 'HEAD');
  assert.equal(h.headers['x-cache-status'], 'Hit');
  assert.equal(h.text, '');
  assert.equal(reached(up, '/m/json'), 1, 'the upstream was contacted once');
});

test('memory: repeated headers (Set-Cookie) are stored and served one by one', async () => {
  await get(gw.url + '/m/cookies');
  const b = await get(gw.url + '/m/cookies');
  assert.equal(b.headers['x-cache-status'], 'Hit');
  assert.deepEqual(b.headers['set-cookie'], ['a=1', 'b=2']);
});

test('memory: query params (all by default, order-free), vary_query_params, vary_headers and ignore_uri_case shape the key', async () => {
  const k = async (u: string, h: Record<string, string> = {}) => {
    const r = await get(gw.url + u, h);
    return { key: r.headers['x-cache-key'], status: r.headers['x-cache-status'] };
  };
  const x1 = await k('/m/q?x=1&y=2');
  const x1b = await k('/m/q?y=2&x=1');
  const x2 = await k('/m/q?x=2&y=2');
  assert.equal(x1.status, 'Miss');
  assert.equal(x1b.key, x1.key, 'parameter order does not matter');
  assert.equal(x1b.status, 'Hit');
  assert.notEqual(x2.key, x1.key, 'every parameter counts by default');

  const v1 = await k('/v/q?a=1&b=1', { 'x-tenant': 't1' });
  const v1b = await k('/v/q?a=1&b=2', { 'x-tenant': 't1' });
  const v2 = await k('/v/q?a=2&b=1', { 'x-tenant': 't1' });
  const v3 = await k('/v/q?a=1&b=1', { 'x-tenant': 't2' });
  assert.equal(v1b.key, v1.key, 'b is not in vary_query_params');
  assert.equal(v1b.status, 'Hit');
  assert.notEqual(v2.key, v1.key, 'a is');
  assert.notEqual(v3.key, v1.key, 'X-Tenant is in vary_headers');
  assert.equal(v3.status, 'Miss');
  assert.equal(reached(up, '/v/q'), 3);

  const i1 = await k('/i/Page');
  const i2 = await k('/i/PAGE');
  assert.equal(i2.key, i1.key, 'ignore_uri_case');
  assert.equal(i2.status, 'Hit');
});

test('memory: POST, a non-cacheable status and a non-cacheable content type bypass the cache', async () => {
  for (let i = 0; i < 2; i++) {
    const p = await get(gw.url + '/m/post', {}, 'POST');
    assert.equal(p.status, 200);
    assert.equal(p.headers['x-cache-status'], 'Bypass');
    const e = await get(gw.url + '/m/err');
    assert.equal(e.status, 500);
    assert.equal(e.headers['x-cache-status'], 'Bypass');
    const h = await get(gw.url + '/m/html');
    assert.equal(h.headers['x-cache-status'], 'Bypass');
  }
  assert.equal(reached(up, '/m/post'), 2);
  assert.equal(reached(up, '/m/err'), 2);
  assert.equal(reached(up, '/m/html'), 2);
  // content_type "*/*" takes any type.
  await get(gw.url + '/i/html');
  assert.equal((await get(gw.url + '/i/html')).headers['x-cache-status'], 'Hit');
});

test('memory: an entry expires after cache_ttl and is fetched again', async () => {
  const a = await get(gw.url + '/t/json');
  assert.equal(a.headers['x-cache-status'], 'Miss');
  assert.equal((await get(gw.url + '/t/json')).headers['x-cache-status'], 'Hit');
  const by = Date.now() + 5000;
  let r = a;
  for (;;) {
    await sleep(200);
    r = await get(gw.url + '/t/json');
    if (r.headers['x-cache-status'] !== 'Hit') break;
    assert.ok(Date.now() < by, 'still a Hit 5 s after a 1 s cache_ttl');
  }
  assert.ok(['Miss', 'Refresh'].includes(String(r.headers['x-cache-status'])), String(r.headers['x-cache-status']));
  assert.notEqual(r.text, a.text, 'a fresh answer from the upstream');
  assert.equal(reached(up, '/t/json'), 2);
  assert.equal((await get(gw.url + '/t/json')).headers['x-cache-status'], 'Hit', 'stored again');
});

test('cache_control: upstream no-store/private bypass, max-age honoured, client no-cache refreshes, client no-store bypasses', async () => {
  for (const p of ['/c/no-store', '/c/private']) {
    assert.equal((await get(gw.url + p)).headers['x-cache-status'], 'Bypass', p);
    assert.equal((await get(gw.url + p)).headers['x-cache-status'], 'Bypass', p);
    assert.equal(reached(up, p), 2, p);
  }
  // max-age=1 from the upstream: cached, then expired well before the 300 s cache_ttl.
  assert.equal((await get(gw.url + '/c/maxage')).headers['x-cache-status'], 'Miss');
  assert.equal((await get(gw.url + '/c/maxage')).headers['x-cache-status'], 'Hit');
  const by = Date.now() + 6000;
  for (;;) {
    await sleep(250);
    const r = await get(gw.url + '/c/maxage');
    if (r.headers['x-cache-status'] !== 'Hit') {
      // Gone from storage (storage_ttl defaults to the entry's lifetime): a new Miss.
      assert.ok(['Miss', 'Refresh'].includes(String(r.headers['x-cache-status'])), String(r.headers['x-cache-status']));
      break;
    }
    assert.ok(Date.now() < by, 'max-age=1 not honoured');
  }

  const a = await get(gw.url + '/c/json');
  assert.equal(a.headers['x-cache-status'], 'Miss');
  assert.equal((await get(gw.url + '/c/json')).headers['x-cache-status'], 'Hit');
  const fresh = await get(gw.url + '/c/json', { 'cache-control': 'no-cache' });
  assert.equal(fresh.headers['x-cache-status'], 'Refresh');
  assert.notEqual(fresh.text, a.text);
  const after = await get(gw.url + '/c/json');
  assert.equal(after.headers['x-cache-status'], 'Hit');
  assert.equal(after.text, fresh.text, 'the refreshed answer replaced the entry');
  assert.equal((await get(gw.url + '/c/json', { 'cache-control': 'no-store' })).headers['x-cache-status'], 'Bypass');
  assert.equal(reached(up, '/c/json'), 3);
});

test('memory: a chunked upstream body is stored whole and served with a length', async () => {
  const a = await get(gw.url + '/m/chunked');
  assert.equal(a.headers['x-cache-status'], 'Miss');
  assert.ok(a.text.startsWith('part one') && a.text.endsWith('part three\n'), 'the whole body went to the client');
  const b = await get(gw.url + '/m/chunked');
  assert.equal(b.headers['x-cache-status'], 'Hit');
  assert.equal(b.text, a.text);
  assert.equal(b.headers['content-length'], String(Buffer.byteLength(a.text)));
  assert.equal(reached(up, '/m/chunked'), 1);
});

test(
  "redis: two gateways share one cache (the second gateway's first request is a Hit)",
  { skip: redisDown !== null && !CI ? `Redis at ${REDIS_URL} unreachable` : false },
  async () => {
    assert.equal(redisDown, null, `Redis at ${REDIS_URL} must be reachable under CI (${redisDown})`);
    const rup = await cacheUpstream('pc-redis');
    const route = `pc-${randomUUID()}`;
    const cfg = config(rup.port, [
      { name: route, path: '/r', conf: { strategy: 'redis', redis: redisFields(REDIS_URL) } },
    ]);
    const [a, b] = await Promise.all([gateway({ config: cfg, workers: 2 }), gateway({ config: cfg, workers: 2 })]);
    const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const keys = new Set<string>();
    onCleanup(async () => {
      if (keys.size > 0) await r.del(...[...keys].map((k) => 'proxy-cache:' + k));
      r.disconnect();
    });

    const first = await get(a!.url + '/r/json?id=1');
    keys.add(String(first.headers['x-cache-key']));
    assert.equal(first.headers['x-cache-status'], 'Miss');
    const second = await get(b!.url + '/r/json?id=1');
    assert.equal(second.headers['x-cache-status'], 'Hit', 'stored by the other gateway');
    assert.equal(second.text, first.text);
    assert.equal(second.headers['x-cache-key'], first.headers['x-cache-key'], 'both gateways compute the same key');
    for (let i = 0; i < 4; i++)
      assert.equal((await get((i % 2 === 0 ? a! : b!).url + '/r/json?id=1')).headers['x-cache-status'], 'Hit');
    assert.equal(reached(rup, '/r/json'), 1, 'the upstream was contacted once across both gateways and all workers');

    const k = 'proxy-cache:' + String(first.headers['x-cache-key']);
    const ttl = await r.pttl(k);
    assert.ok(ttl > 0 && ttl <= 300_000, `the entry expires with cache_ttl (PTTL ${ttl})`);
  },
);

test('redis: Redis not there — requests still answered 200 from the upstream, uncached, logged', async () => {
  const dup = await cacheUpstream('pc-dead');
  const deadPort = await freePort();
  // Kong's flat redis_* fields, upgraded into `redis`.
  const g = await gateway({
    config: config(dup.port, [
      {
        name: 'dead',
        path: '/d',
        conf: { strategy: 'redis', redis_host: '127.0.0.1', redis_port: deadPort, redis_timeout: 500 },
      },
    ]),
  });
  for (let i = 0; i < 4; i++) {
    const t0 = Date.now();
    const res = await get(g.url + '/d/json');
    assert.equal(res.status, 200);
    assert.ok(
      ['Bypass', 'Miss'].includes(String(res.headers['x-cache-status'])),
      String(res.headers['x-cache-status']),
    );
    assert.ok(Date.now() - t0 < 1500, 'no waiting beyond the timeout');
  }
  assert.equal(reached(dup, '/d/json'), 4);
  await sleep(200);
  const lines = (g.stdout + g.stderr).split('\n').filter((l) => l.includes('proxy-cache: redis'));
  assert.ok(lines.length >= 1 && lines.length <= 2, 'logged, rate-limited: ' + lines.join('\n'));
  assert.match(lines[0]!, new RegExp(`redis://127\\.0\\.0\\.1:${deadPort}/0 .*failed`));
  assert.ok(g.exitCode === null && g.exitSignal === null, 'the gateway is still running');
});

test('config errors name the plugin and the field', async () => {
  const dir = tmpDir();
  const cfg = path.join(dir, 'kong.yml');
  const write = (conf: Record<string, unknown>) =>
    fs.writeFileSync(
      cfg,
      JSON.stringify({
        _format_version: '3.0',
        services: [{ name: 'svc', url: 'http://127.0.0.1:9', routes: [{ name: 'r', paths: ['/'] }] }],
        plugins: [{ name: 'proxy-cache', config: conf }],
      }),
    );
  try {
    write({ strategy: 'redis', redis: { host: '127.0.0.1' }, cache_control: true, memory: { dictionary_name: 'x' } });
    const ok = await runCli(['validate', cfg]);
    assert.equal(ok.code, 0, ok.stderr);
    write({ strategy: 'redis' });
    const noHost = await runCli(['validate', cfg]);
    assert.equal(noHost.code, 1);
    assert.match(noHost.stderr, /proxy-cache/);
    assert.match(noHost.stderr, /redis\.host: required field missing/);
    write({ strategy: 'disk' });
    const badStrategy = await runCli(['validate', cfg]);
    assert.equal(badStrategy.code, 1);
    assert.match(badStrategy.stderr, /proxy-cache/);
    assert.match(badStrategy.stderr, /strategy/);
    write({ cache_ttl: 0 });
    const badTtl = await runCli(['validate', cfg]);
    assert.equal(badTtl.code, 1);
    assert.match(badTtl.stderr, /cache_ttl/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
