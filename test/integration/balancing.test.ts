// Load balancing through the gateway, with real upstreams as the targets of one Kong
// `upstreams` entry: weighted round robin, least connections, consistent hashing (header
// and cookie) and latency.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'undici';
import { startGateway, type Gateway } from '../helpers/gateway.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { onCleanup } from '../helpers/scope.js';

async function upstream(name: string, delayMs = 0): Promise<TestUpstream> {
  const u = await startUpstream(name, (_req, res) => {
    const answer = (): void => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name });
      res.end(name);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
  onCleanup(() => u.close());
  return u;
}

async function gateway(
  upstreamEntry: Record<string, unknown>,
  targets: { port: number; weight?: number }[],
): Promise<{ gw: Gateway; pool: Pool }> {
  const config = JSON.stringify({
    _format_version: '3.0',
    services: [{ name: 'svc', url: 'http://backend/', routes: [{ name: 'r', paths: ['/'] }] }],
    upstreams: [
      {
        name: 'backend',
        ...upstreamEntry,
        targets: targets.map((t) => ({ target: `127.0.0.1:${t.port}`, weight: t.weight ?? 100 })),
      },
    ],
  });
  const gw = await startGateway({ config, workers: 1 });
  onCleanup(() => gw.stop());
  const pool = new Pool(gw.url, { connections: 8, pipelining: 1 });
  onCleanup(() => pool.close());
  return { gw, pool };
}

async function get(
  pool: Pool,
  path = '/',
  headers: Record<string, string> = {},
): Promise<{ name: string; headers: Record<string, unknown> }> {
  const r = await pool.request({ path, method: 'GET', headers });
  const body = await r.body.text();
  assert.equal(r.statusCode, 200, body);
  return { name: body, headers: r.headers };
}

/** n requests with `concurrency` at a time; returns how many each upstream answered. */
async function spread(pool: Pool, n: number, concurrency: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let left = n;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left > 0) {
        left--;
        const { name } = await get(pool);
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
    }),
  );
  return counts;
}

test('round-robin with weights 100/50 splits 300 requests exactly 200/100 (smooth WRR, one worker)', async () => {
  const a = await upstream('a');
  const b = await upstream('b');
  const { pool } = await gateway({ algorithm: 'round-robin' }, [
    { port: a.port, weight: 100 },
    { port: b.port, weight: 50 },
  ]);
  const seq: string[] = [];
  for (let i = 0; i < 300; i++) seq.push((await get(pool)).name);
  assert.equal(seq.filter((s) => s === 'a').length, 200);
  assert.equal(seq.filter((s) => s === 'b').length, 100);
  // Smooth: never two b in a row, never three a in a row.
  const joined = seq.join('');
  assert.doesNotMatch(joined, /bb/);
  assert.doesNotMatch(joined, /aaa/);
});

test('least-connections sends most requests to the fast target while the slow one is busy', async () => {
  const slow = await upstream('slow', 300);
  const fast = await upstream('fast', 5);
  const { pool } = await gateway({ algorithm: 'least-connections' }, [{ port: slow.port }, { port: fast.port }]);
  const counts = await spread(pool, 80, 4);
  const s = counts.get('slow') ?? 0;
  const f = counts.get('fast') ?? 0;
  assert.equal(s + f, 80);
  // Round robin would give 40/40; with 4 in flight, least-connections keeps at most ~1 on the slow one.
  assert.ok(s >= 1, 'the slow target still gets some traffic');
  assert.ok(s <= 12, `slow target got ${s} of 80 (fast ${f})`);
});

test('consistent-hashing on a header: same key → same target, different keys spread over the targets', async () => {
  const ups = [await upstream('a'), await upstream('b'), await upstream('c')];
  const { pool } = await gateway(
    { algorithm: 'consistent-hashing', hash_on: 'header', hash_on_header: 'x-user' },
    ups.map((u) => ({ port: u.port })),
  );
  const byKey = new Map<string, Set<string>>();
  for (let round = 0; round < 3; round++) {
    for (let k = 0; k < 30; k++) {
      const key = `user-${k}`;
      const { name } = await get(pool, `/item/${round}`, { 'x-user': key });
      if (!byKey.has(key)) byKey.set(key, new Set());
      byKey.get(key)!.add(name);
    }
  }
  for (const [key, names] of byKey) assert.equal(names.size, 1, `${key} went to ${[...names].join(', ')}`);
  const used = new Map<string, number>();
  for (const names of byKey.values()) for (const n of names) used.set(n, (used.get(n) ?? 0) + 1);
  assert.equal(used.size, 3, 'the 30 keys spread over all 3 targets: ' + JSON.stringify([...used]));
  for (const [n, c] of used) assert.ok(c >= 3, `target ${n} owns ${c} of 30 keys`);
});

test('consistent-hashing on a cookie: sets the cookie when absent, then sticks to one target', async () => {
  const ups = [await upstream('a'), await upstream('b'), await upstream('c')];
  const { pool } = await gateway(
    { algorithm: 'consistent-hashing', hash_on: 'cookie', hash_on_cookie: 'tp-sticky', hash_on_cookie_path: '/app' },
    ups.map((u) => ({ port: u.port })),
  );
  const sessions: { cookie: string; target: string }[] = [];
  for (let i = 0; i < 12; i++) {
    const first = await get(pool, '/app/x');
    const sc = first.headers['set-cookie'];
    assert.equal(typeof sc, 'string', 'a Set-Cookie header: ' + JSON.stringify(first.headers));
    assert.match(sc as string, /^tp-sticky=[^;]+/);
    assert.match(sc as string, /;\s*Path=\/app/i);
    const cookie = (sc as string).split(';')[0];
    sessions.push({ cookie, target: first.name });
  }
  assert.equal(
    new Set(sessions.map((s) => s.cookie)).size,
    sessions.length,
    'each new client gets its own cookie value',
  );
  for (const s of sessions) {
    for (let i = 0; i < 3; i++) {
      const again = await get(pool, '/app/y', { cookie: `other=1; ${s.cookie}` });
      assert.equal(again.name, s.target, `${s.cookie} sticks to ${s.target}`);
      assert.equal(again.headers['set-cookie'], undefined, 'no new cookie when the request has one');
    }
  }
  assert.ok(new Set(sessions.map((s) => s.target)).size >= 2, 'different cookies spread over targets');
});

test('latency prefers the fast target', async () => {
  const slow = await upstream('slow', 80);
  const fast = await upstream('fast', 0);
  const { pool } = await gateway({ algorithm: 'latency' }, [{ port: slow.port }, { port: fast.port }]);
  const counts = await spread(pool, 100, 2);
  const s = counts.get('slow') ?? 0;
  const f = counts.get('fast') ?? 0;
  assert.equal(s + f, 100);
  assert.ok(f >= 85, `fast target got ${f} of 100 (slow ${s})`);
});
