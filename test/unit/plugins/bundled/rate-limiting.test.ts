import { test } from 'node:test';
import assert from 'node:assert/strict';
import plugin from '../../../../src/plugins/bundled/rate-limiting/index.js';
import { decide } from '../../../../src/plugins/bundled/rate-limiting/limits.js';
import { LocalCounters } from '../../../../src/plugins/bundled/rate-limiting/local-store.js';
import { secondsToReset, windowEnd, windowStart } from '../../../../src/plugins/bundled/rate-limiting/windows.js';
import { configure, defaults, Exchange, run } from './context.js';

const T = Date.UTC(2024, 1, 29, 13, 45, 30, 250); // 2024-02-29T13:45:30.250Z (leap year)

test('rate-limiting: windows align on UTC boundaries as Kong does', () => {
  assert.equal(windowStart('second', T), Date.UTC(2024, 1, 29, 13, 45, 30));
  assert.equal(windowStart('minute', T), Date.UTC(2024, 1, 29, 13, 45));
  assert.equal(windowStart('hour', T), Date.UTC(2024, 1, 29, 13));
  assert.equal(windowStart('day', T), Date.UTC(2024, 1, 29));
  assert.equal(windowStart('month', T), Date.UTC(2024, 1, 1));
  assert.equal(windowStart('year', T), Date.UTC(2024, 0, 1));
  assert.equal(windowEnd('second', windowStart('second', T)), Date.UTC(2024, 1, 29, 13, 45, 31));
  assert.equal(windowEnd('day', windowStart('day', T)), Date.UTC(2024, 2, 1));
  assert.equal(windowEnd('month', windowStart('month', T)), Date.UTC(2024, 2, 1));
  assert.equal(windowEnd('month', Date.UTC(2024, 11, 1)), Date.UTC(2025, 0, 1));
  assert.equal(windowEnd('year', windowStart('year', T)), Date.UTC(2025, 0, 1));
});

test('rate-limiting: seconds to reset (Kong: window - whole seconds elapsed, at least 1)', () => {
  assert.equal(secondsToReset('second', T), 1);
  assert.equal(secondsToReset('minute', T), 30); // 30.25 s elapsed → 60 - 30
  assert.equal(secondsToReset('minute', Date.UTC(2024, 1, 29, 13, 45)), 60);
  assert.equal(secondsToReset('minute', Date.UTC(2024, 1, 29, 13, 45, 59, 999)), 1);
  assert.equal(secondsToReset('hour', T), 3600 - (45 * 60 + 30));
  assert.equal(secondsToReset('day', T), 86400 - (13 * 3600 + 45 * 60 + 30));
  // Real calendar ends (Kong uses a nominal 30-day month): Feb 2024 has 29 days.
  assert.equal(secondsToReset('month', Date.UTC(2024, 1, 29)), 86400);
  assert.equal(secondsToReset('year', Date.UTC(2024, 11, 31, 23, 59, 59)), 1);
});

test('rate-limiting: decide counts this request, picks the most restrictive window, stops at the limit', () => {
  const now = Date.UTC(2024, 0, 1, 0, 0, 10);
  let d = decide(
    [
      { period: 'second', limit: 5, used: 0 },
      { period: 'minute', limit: 10, used: 7 },
    ],
    now,
  );
  assert.equal(d.stop, null);
  assert.deepEqual(d.headers, {
    'X-RateLimit-Limit-Second': '5',
    'X-RateLimit-Remaining-Second': '4',
    'X-RateLimit-Limit-Minute': '10',
    'X-RateLimit-Remaining-Minute': '2',
    'RateLimit-Limit': '10',
    'RateLimit-Remaining': '2',
    'RateLimit-Reset': '50',
  });
  // Ties go to the longer window.
  d = decide(
    [
      { period: 'second', limit: 3, used: 0 },
      { period: 'minute', limit: 10, used: 7 },
    ],
    now,
  );
  assert.equal(d.headers['RateLimit-Limit'], '10');
  assert.equal(d.reset, 50);
  // The minute is used up: stop; the second window's remaining is shown without this request.
  d = decide(
    [
      { period: 'second', limit: 5, used: 1 },
      { period: 'minute', limit: 10, used: 10 },
    ],
    now,
  );
  assert.equal(d.stop, 'minute');
  assert.equal(d.headers['X-RateLimit-Remaining-Second'], '4');
  assert.equal(d.headers['X-RateLimit-Remaining-Minute'], '0');
  assert.equal(d.headers['RateLimit-Remaining'], '0');
  assert.equal(d.reset, 50);
});

test('rate-limiting: local counters start over with each window, are kept apart by key, and are swept', () => {
  const c = new LocalCounters(60_000);
  const a = c.counter('r', 's', 'alice', 'second', 1000, 2000);
  a.count += 2;
  assert.equal(c.counter('r', 's', 'alice', 'second', 1000, 2000).count, 2, 'same window: same counter');
  assert.equal(c.counter('r', 's', 'alice', 'minute', 0, 60_000).count, 0, 'another period: its own counter');
  assert.equal(c.counter('r', 's', 'bob', 'second', 1000, 2000).count, 0, 'another identifier: its own counter');
  assert.equal(c.counter('r2', 's', 'alice', 'second', 1000, 2000).count, 0, 'another route: its own counter');
  assert.equal(c.counter('r', 's', 'alice', 'second', 2000, 3000).count, 0, 'a new window starts from zero');
  c.counter('r', 's', 'carol', 'second', 2000, 2500).count++;
  assert.equal(c.size, 4);
  assert.equal(c.sweep(2600), 3, 'bob, carol and r2/alice have only ended windows');
  assert.equal(c.size, 1, 'alice keeps her minute window');
  c.clear();
});

test('rate-limiting: Kong defaults, priority, flat and nested redis fields', () => {
  assert.equal(plugin.priority, 910);
  const d = defaults(plugin, { minute: 5 });
  assert.equal(d.policy, 'local');
  assert.equal(d.limit_by, 'consumer');
  assert.equal(d.error_code, 429);
  assert.equal(d.error_message, 'API rate limit exceeded');
  assert.equal(d.fault_tolerant, true);
  assert.equal(d.hide_client_headers, false);
  assert.deepEqual(d.redis, {
    host: null,
    port: 6379,
    timeout: 2000,
    username: null,
    password: null,
    database: 0,
    ssl: false,
    ssl_verify: false,
    server_name: null,
  });
  const up = plugin.upgrade!({ minute: 5, redis_host: 'r.internal', redis_port: 6380, redis_timeout: 100 });
  assert.deepEqual(up, { minute: 5, redis: { host: 'r.internal', port: 6380, timeout: 100 } });
  assert.deepEqual(plugin.upgrade!({ minute: 5, redis: { host: 'a' } }), { minute: 5, redis: { host: 'a' } });
  assert.throws(() => plugin.upgrade!({ minute: 5, redis_host: 'a', redis: { host: 'b' } }), /disagree/);
});

test('rate-limiting: load-time checks (Kong messages); redis needs a host; cluster refused for now', () => {
  assert.throws(() => configure(plugin, {}), /at least one of these fields must be non-empty/);
  assert.throws(
    () => configure(plugin, { second: 10, minute: 5 }),
    /The limit for minute\(5\.0\) cannot be lower than the limit for second\(10\.0\)/,
  );
  assert.throws(() => configure(plugin, { minute: 5, limit_by: 'header' }), /header_name/);
  assert.throws(() => configure(plugin, { minute: 5, limit_by: 'path' }), /path/);
  assert.doesNotThrow(() => configure(plugin, { minute: 5, policy: 'redis', redis: { host: 'localhost' } }));
  assert.throws(() => configure(plugin, { minute: 5, policy: 'redis' }), /redis\.host: required field missing/);
  assert.throws(() => configure(plugin, { minute: 5, policy: 'cluster' }), /'cluster' is not available yet/);
  assert.throws(() => configure(plugin, { minute: 0 }), /schema/);
});

test('rate-limiting: sync_rate as Kong checks it; accepted with redis (counting stays synchronous)', () => {
  assert.equal(defaults(plugin, { minute: 5 }).sync_rate, -1);
  assert.throws(
    () => configure(plugin, { minute: 5, sync_rate: 10 }),
    /: sync_rate can only be used with the redis policy$/,
  );
  const redis = { minute: 5, policy: 'redis', redis: { host: 'localhost' } };
  assert.throws(
    () => configure(plugin, { ...redis, sync_rate: 0.01 }),
    /sync_rate must be greater than 0\.02, or -1 to disable/,
  );
  assert.throws(() => configure(plugin, { ...redis, sync_rate: 0 }), /sync_rate must be greater than 0\.02/);
  const p = configure(plugin, { ...redis, sync_rate: 10 }) as { redis: unknown };
  assert.notEqual(p.redis, null, 'the redis policy, counted per request');
});

test('rate-limiting: N requests pass, the next gets 429 with Kong body and Retry-After; limit_by header separates clients', async () => {
  const conf = configure(plugin, {
    minute: 3,
    limit_by: 'header',
    header_name: 'x-client',
    error_message: 'slow down',
  });
  const client = `unit-${process.pid}-${Math.random()}`;
  for (let i = 0; i < 3; i++) {
    const ex = new Exchange({ headers: { 'x-client': client } });
    await run(plugin, 'access', ex, conf);
    assert.equal(ex.answer, null, `request ${i + 1} passes`);
    ex.upstreamAnswered(200);
    await run(plugin, 'response', ex, conf);
    assert.equal(ex.responseHeaders.get('x-ratelimit-remaining-minute'), String(2 - i));
  }
  const ex = new Exchange({ headers: { 'x-client': client } });
  await run(plugin, 'access', ex, conf);
  assert.equal(ex.answer?.status, 429);
  assert.deepEqual(ex.answer?.body, { message: 'slow down' });
  assert.ok(Number(ex.answer?.headers['Retry-After']) >= 1);
  const other = new Exchange({ headers: { 'x-client': client + '-other' } });
  await run(plugin, 'access', other, conf);
  assert.equal(other.answer, null, 'another header value has its own counter');
});
