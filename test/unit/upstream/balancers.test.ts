import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import {
  createBalancer,
  ConsistentHashingBalancer,
  LatencyBalancer,
  crc32,
} from '../../../src/upstream/balancers/index.js';
import type { Endpoint } from '../../../src/upstream/types.js';
import { countPicks, ctx, eps, upstream } from './helpers.js';

const ALGORITHMS = ['round-robin', 'least-connections', 'consistent-hashing', 'latency'] as const;

test('crc32 matches the standard check value and hashes substrings without copying', () => {
  assert.equal(crc32('123456789'), 0xcbf43926);
  assert.equal(crc32('xx123456789yy', 2, 11), 0xcbf43926);
  for (const s of ['é', 'ünïcødé €', '😀 emoji', 'plain'])
    assert.equal(crc32(s), zlib.crc32(Buffer.from(s, 'utf8')), s);
});

test('round-robin: smooth weighted sequence (nginx) and weights over N picks', () => {
  const e = eps(['a', 5], ['b', 1], ['c', 1]);
  const b = createBalancer(upstream({ algorithm: 'round-robin' }), e);
  const seq = [];
  for (let i = 0; i < 7; i++) seq.push(b.pick(ctx(), null)!.host);
  assert.deepEqual(seq, ['a', 'a', 'b', 'a', 'c', 'a', 'a']);
  const m = countPicks(() => b.pick(ctx(), null), 7000);
  assert.deepEqual([m.get(e[0]!.key), m.get(e[1]!.key), m.get(e[2]!.key)], [5000, 1000, 1000]);
});

test('round-robin: weight 0 never picked', () => {
  const e = eps(['a', 1], ['b', 0], ['c', 2]);
  const b = createBalancer(upstream(), e);
  const m = countPicks(() => b.pick(ctx(), null), 300);
  assert.equal(m.get(e[1]!.key), undefined);
  assert.equal(m.get(e[0]!.key), 100);
  assert.equal(m.get(e[2]!.key), 200);
});

test('least-connections: prefers idle, weighted, ties rotate', () => {
  const e = eps(['a', 1], ['b', 1], ['c', 1]);
  const b = createBalancer(upstream({ algorithm: 'least-connections' }), e);
  // Ties rotate among idle endpoints.
  const seq = [];
  for (let i = 0; i < 6; i++) seq.push(b.pick(ctx(), null)!.host);
  assert.deepEqual(seq, ['a', 'b', 'c', 'a', 'b', 'c']);
  // Busy endpoints lose to idle ones.
  b.onStart(e[0]!);
  b.onStart(e[0]!);
  b.onStart(e[2]!);
  for (let i = 0; i < 5; i++) assert.equal(b.pick(ctx(), null), e[1]);
  b.onEnd(e[0]!, 5, false);
  b.onEnd(e[0]!, 5, false);
  b.onEnd(e[2]!, 5, false);
  assert.equal(e[0]!.inflight, 0);

  // Weighted: with requests held open, inflight spreads in proportion to weight.
  const w = eps(['x', 3], ['y', 1]);
  const lb = createBalancer(upstream({ algorithm: 'least-connections' }), w);
  for (let i = 0; i < 400; i++) lb.onStart(lb.pick(ctx(), null)!);
  assert.equal(w[0]!.inflight, 300);
  assert.equal(w[1]!.inflight, 100);
});

test('consistent-hashing: slots distributed by weight', () => {
  const e = eps(['a', 100], ['b', 200], ['c', 100]);
  const b = createBalancer(upstream({ algorithm: 'consistent-hashing', hash_on: 'none', slots: 10000 }), e);
  // hash_on none rotates over the wheel: one full turn visits each slot once.
  const m = countPicks(() => b.pick(ctx(), null), 10000);
  assert.ok(Math.abs(m.get(e[0]!.key)! - 2500) < 250, `a got ${m.get(e[0]!.key)}`);
  assert.ok(Math.abs(m.get(e[1]!.key)! - 5000) < 250, `b got ${m.get(e[1]!.key)}`);
  assert.ok(Math.abs(m.get(e[2]!.key)! - 2500) < 250, `c got ${m.get(e[2]!.key)}`);
  // Distinct keys spread likewise.
  const h = createBalancer(upstream({ algorithm: 'consistent-hashing', hash_on: 'ip' }), e);
  const mh = countPicks(
    (
      (i) => () =>
        h.pick(ctx({ clientIp: `10.1.${(i >> 8) & 255}.${i++ & 255}` }), null)
    )(0),
    20000,
  );
  assert.ok(Math.abs(mh.get(e[1]!.key)! / 20000 - 0.5) < 0.05, `b share ${mh.get(e[1]!.key)! / 20000}`);
});

test('consistent-hashing: stable for a key, minimal remapping when a target is removed', () => {
  const all = eps(['a', 100], ['b', 100], ['c', 100], ['d', 100]);
  const u = upstream({ algorithm: 'consistent-hashing', hash_on: 'header', hash_on_header: 'X-User' });
  const b1 = createBalancer(u, all);
  const b1again = createBalancer(u, all);
  const keys = Array.from({ length: 5000 }, (_, i) => `user-${i}`);
  const before = keys.map((k) => b1.pick(ctx({ headers: { 'x-user': k } }), null)!);
  // Same key, same endpoint — across picks and across balancer instances (workers, reloads).
  keys.forEach((k, i) => {
    assert.equal(b1.pick(ctx({ headers: { 'x-user': k } }), null), before[i]);
    assert.equal(b1again.pick(ctx({ headers: { 'x-user': k } }), null), before[i]);
  });
  // Remove d from the configuration: only d's keys move.
  const b2 = createBalancer(u, all.slice(0, 3));
  let moved = 0;
  keys.forEach((k, i) => {
    const now = b2.pick(ctx({ headers: { 'x-user': k } }), null)!;
    if (before[i]!.host !== 'd') assert.equal(now, before[i], `key ${k} moved from ${before[i]!.host} to ${now.host}`);
    else moved++;
  });
  assert.ok(moved > 1000 && moved < 1500, `d had ${moved} keys`);
  // Marking c unhealthy: only c's keys move, and they spread over the others.
  all[2]!.healthy = false;
  const spread = new Map<string, number>();
  keys.forEach((k, i) => {
    const now = b1.pick(ctx({ headers: { 'x-user': k } }), null)!;
    assert.notEqual(now.host, 'c');
    if (before[i]!.host !== 'c') assert.equal(now, before[i]);
    else spread.set(now.host, (spread.get(now.host) ?? 0) + 1);
  });
  assert.equal(spread.size, 3, 'unhealthy target keys spread over all the others');
});

test('consistent-hashing: hash_on kinds and fallback rules', () => {
  const e = eps(['a', 1], ['b', 1], ['c', 1], ['d', 1], ['e', 1]);
  const distinct = (b: ConsistentHashingBalancer, mk: (i: number) => ReturnType<typeof ctx>) => {
    const s = new Set<number>();
    for (let i = 0; i < 50; i++) s.add(b.slotFor(mk(i)));
    return s.size;
  };
  const mk = (over: Record<string, unknown>) =>
    new ConsistentHashingBalancer(upstream({ algorithm: 'consistent-hashing', ...over }), e);

  assert.ok(distinct(mk({ hash_on: 'consumer' }), (i) => ctx({ consumerId: `c${i}` })) > 40);
  assert.ok(distinct(mk({ hash_on: 'ip' }), (i) => ctx({ clientIp: `1.1.1.${i}` })) > 40);
  assert.ok(distinct(mk({ hash_on: 'path' }), (i) => ctx({ path: `/p/${i}` })) > 40);
  assert.ok(distinct(mk({ hash_on: 'query_arg', hash_on_query_arg: 'q' }), (i) => ctx({ query: { q: `${i}` } })) > 40);
  assert.ok(
    distinct(mk({ hash_on: 'uri_capture', hash_on_uri_capture: 'id' }), (i) => ctx({ captures: { id: `${i}` } })) > 40,
  );

  // Primary absent → fallback used; both absent → no key (-1, rotation).
  const fb = mk({
    hash_on: 'header',
    hash_on_header: 'x-a',
    hash_fallback: 'query_arg',
    hash_fallback_query_arg: 'user',
  });
  assert.equal(
    fb.slotFor(ctx({ query: { user: 'bob' } })),
    fb.slotFor(ctx({ query: { user: 'bob' }, path: '/other' })),
  );
  assert.notEqual(fb.slotFor(ctx({ query: { user: 'bob' } })), -1);
  assert.equal(
    fb.slotFor(ctx({ headers: { 'x-a': 'bob' } })),
    fb.slotFor(ctx({ headers: { 'x-a': 'bob' }, query: { user: 'zed' } })),
    'primary wins over fallback',
  );
  assert.equal(fb.slotFor(ctx()), -1);
  assert.ok(fb.pick(ctx(), null) !== null);

  // hash_on none: no key at all, even with a fallback configured.
  assert.equal(mk({ hash_on: 'none', hash_fallback: 'ip' }).slotFor(ctx({ clientIp: '9.9.9.9' })), -1);

  // Consumer absent → ip fallback.
  const cf = mk({ hash_on: 'consumer', hash_fallback: 'ip' });
  assert.equal(cf.slotFor(ctx({ clientIp: '9.9.9.9' })), cf.slotFor(ctx({ clientIp: '9.9.9.9', path: '/x' })));
  assert.notEqual(cf.slotFor(ctx({ clientIp: '9.9.9.9' })), -1);
});

test('consistent-hashing: cookie — no fallback, missing cookie generated and set', () => {
  const e = eps(['a', 1], ['b', 1], ['c', 1]);
  const b = new ConsistentHashingBalancer(
    upstream({
      algorithm: 'consistent-hashing',
      hash_on: 'cookie',
      hash_on_cookie: 'sticky',
      hash_on_cookie_path: '/app',
      hash_fallback: 'ip',
    }),
    e,
  );
  const c = ctx({ clientIp: '1.2.3.4' });
  const ep = b.pick(c, null)!;
  assert.match(c.setCookie!, /^sticky=[0-9a-f-]{36}; Path=\/app$/);
  const value = c.setCookie!.slice('sticky='.length, c.setCookie!.indexOf(';'));
  // The client comes back with the cookie: same endpoint, no new cookie.
  const back = ctx({ clientIp: '5.6.7.8', cookies: { sticky: value } });
  assert.equal(b.pick(back, null), ep);
  assert.equal(back.setCookie, null);
  // A retry of the first request reuses the generated value (same home slot) and moves on.
  const retry = b.pick(c, new Set([ep]))!;
  assert.notEqual(retry, ep);
  assert.equal(c.setCookie!.slice('sticky='.length, c.setCookie!.indexOf(';')), value);
  // No fallback to ip: two requests from the same ip without cookie get independent values.
  const c2 = ctx({ clientIp: '1.2.3.4' });
  b.pick(c2, null);
  assert.notEqual(c2.setCookie, c.setCookie);
});

test('latency: prefers the faster endpoint; fresh endpoints penalised while busy', () => {
  const e = eps(['fast', 1], ['slow', 1], ['mid', 1]);
  const b = createBalancer(upstream({ algorithm: 'latency' }), e) as LatencyBalancer;
  for (let i = 0; i < 20; i++) {
    b.onStart(e[0]!);
    b.onEnd(e[0]!, 5, false);
    b.onStart(e[1]!);
    b.onEnd(e[1]!, 200, false);
    b.onStart(e[2]!);
    b.onEnd(e[2]!, 50, false);
  }
  assert.ok(e[1]!.ewma > 150 && e[0]!.ewma < 10);
  const m = countPicks(() => b.pick(ctx(), null), 3000);
  // P2C: the fastest wins every pair it is in (2/3 of picks); the slowest never wins.
  assert.ok(m.get(e[0]!.key)! > 1800, `fast ${m.get(e[0]!.key)}`);
  assert.equal(m.get(e[1]!.key), undefined);
  // Load matters too: a fast endpoint with many requests in flight loses to an idle mid one.
  e[0]!.inflight = 100;
  const busy = countPicks(() => b.pick(ctx(), null), 300);
  assert.ok(busy.get(e[2]!.key)! > (busy.get(e[0]!.key) ?? 0));

  // Fresh endpoint: cost 0 while idle (gets tried), penalised once it has a request out.
  const f = eps(['known', 1], ['fresh', 1]);
  const lb = createBalancer(upstream({ algorithm: 'latency' }), f);
  lb.onStart(f[0]!);
  lb.onEnd(f[0]!, 20, false);
  assert.equal(lb.pick(ctx(), null), f[1]);
  lb.onStart(f[1]!);
  for (let i = 0; i < 10; i++) assert.equal(lb.pick(ctx(), null), f[0]);
});

test('latency: peak sensitivity and failure penalty', () => {
  const [ep] = eps(['a', 1]) as [Endpoint];
  const b = createBalancer(upstream({ algorithm: 'latency' }), [ep]);
  b.onStart(ep);
  b.onEnd(ep, 10, false);
  b.onStart(ep);
  b.onEnd(ep, 300, false);
  assert.equal(ep.ewma, 300, 'a slower sample replaces the estimate at once');
  b.onStart(ep);
  b.onEnd(ep, 10, false);
  assert.ok(ep.ewma > 250, 'a faster one only blends in');
  b.onStart(ep);
  b.onEnd(ep, 2, true);
  assert.ok(ep.ewma >= 1000, 'failures count as slow');
  assert.equal(ep.inflight, 0);
});

for (const algorithm of ALGORITHMS) {
  test(`${algorithm}: unhealthy skipped, tried respected, null when none left`, () => {
    const e = eps(['a', 1], ['b', 1], ['c', 1]);
    const u = upstream({ algorithm, hash_on: algorithm === 'consistent-hashing' ? 'ip' : 'none' });
    const b = createBalancer(u, e);
    e[1]!.healthy = false;
    for (let i = 0; i < 100; i++) {
      const p = b.pick(ctx({ clientIp: `10.0.0.${i}` }), null)!;
      assert.notEqual(p, e[1]);
    }
    const tried = new Set<Endpoint>();
    const c = ctx({ clientIp: '10.9.9.9' });
    const first = b.pick(c, tried)!;
    tried.add(first);
    const second = b.pick(c, tried)!;
    assert.ok(second !== first && second !== e[1]);
    tried.add(second);
    assert.equal(b.pick(c, tried), null, 'all healthy targets tried');
    e[0]!.healthy = false;
    e[2]!.healthy = false;
    assert.equal(b.pick(ctx(), null), null, 'none healthy');
    e[1]!.healthy = true;
    assert.equal(b.pick(ctx(), null), e[1]);
    assert.equal(createBalancer(u, []).pick(ctx(), null), null, 'no endpoints');
    assert.equal(createBalancer(u, eps(['z', 0])).pick(ctx(), null), null, 'only weight 0');
  });
}

test('createBalancer rejects unknown algorithms', () => {
  assert.throws(() => createBalancer(upstream({ algorithm: 'random' }), []), /unknown algorithm/);
});
