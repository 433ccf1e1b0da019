import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouter } from '../../../src/router/compile.js';
import { buildCandidates, PATH_PREFIX, type Candidate } from '../../../src/router/candidate.js';
import { checksPass } from '../../../src/router/checks.js';
import { parseHostEntry, HOST_EXACT, HOST_SUFFIX } from '../../../src/router/host-index.js';
import { comparePriority } from '../../../src/router/priority.js';
import type { MatchInput, RouteSpec } from '../../../src/router/types.js';
import { req, result, route } from './helpers.js';

/** Linear reference: every candidate, sorted by Kong priority, first full match wins. */
function reference(routes: RouteSpec<string>[]): (input: MatchInput) => { id: string | null; len: number } {
  const all: Candidate<string>[] = routes.flatMap((r) => buildCandidates(r)).sort(comparePriority);
  return (input) => {
    for (const c of all) {
      const hosts = c.spec.hosts;
      let ports: number[] | null = null;
      if (hosts && hosts.length > 0) {
        const ok = hosts.some((h) => {
          const e = parseHostEntry(h);
          const hit =
            e.kind === HOST_EXACT
              ? input.host === e.key
              : e.kind === HOST_SUFFIX
                ? input.host.endsWith(e.key)
                : input.host.startsWith(e.key);
          return hit && (e.port === null || e.port === input.port);
        });
        if (!ok) continue;
      }
      if (!checksPass(c, ports, input)) continue;
      if (c.pathKind === PATH_PREFIX) {
        if (!input.path.startsWith(c.path)) continue;
        return { id: c.data, len: c.path.length };
      }
      if (c.regex) {
        c.regex.lastIndex = 0;
        const m = c.regex.exec(input.path);
        if (!m) continue;
        return { id: c.data, len: m[0].length };
      }
      return { id: c.data, len: 0 };
    }
    return { id: null, len: 0 };
  };
}

function rng(seed: number): () => number {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

test('10,000 routes: the indexed router agrees with a linear Kong-priority scan', () => {
  const rand = rng(42);
  const pick = <A>(a: A[]): A => a[Math.floor(rand() * a.length)]!;
  const routes: RouteSpec<string>[] = [];
  for (let i = 0; i < 10_000; i++) {
    const svc = i % 2500;
    const kind = rand();
    const r = route(`r${i}`, { order: i });
    if (kind < 0.7) r.hosts = [`svc${svc}.example.com`];
    else if (kind < 0.8) r.hosts = [`*.zone${svc % 50}.example.com`];
    else if (kind < 0.85) r.hosts = [`svc${svc}.*`];
    else if (kind < 0.88) r.hosts = [`svc${svc}.example.com:8443`];
    const pk = rand();
    if (pk < 0.8) r.paths = [`/svc${svc}/v${1 + Math.floor(rand() * 3)}`, ...(rand() < 0.2 ? [`/svc${svc}`] : [])];
    else if (pk < 0.85) r.paths = [`~/svc${svc}/(?<id>\\d+)`];
    else if (pk < 0.9) r.paths = ['/'];
    if (rand() < 0.3) r.methods = [pick(['GET', 'POST', 'PUT'])];
    if (rand() < 0.05) r.headers = { 'x-tenant': [pick(['a', 'b'])] };
    if (rand() < 0.05) r.protocols = ['https'];
    if (r.paths?.[0]?.startsWith('~') && rand() < 0.5) r.regex_priority = Math.floor(rand() * 3);
    if (!r.hosts && !r.paths && !r.methods && !r.headers) r.paths = ['/'];
    routes.push(r);
  }
  const router = compileRouter(routes);
  assert.equal(router.size, 10_000);
  const ref = reference(routes);
  const out = result();
  let matched = 0;
  for (let i = 0; i < 4000; i++) {
    const svc = Math.floor(rand() * 2600);
    const hostKind = rand();
    const host =
      hostKind < 0.6
        ? `svc${svc}.example.com`
        : hostKind < 0.8
          ? `x.zone${svc % 60}.example.com`
          : hostKind < 0.9
            ? `svc${svc}.other.org`
            : 'nothing.test';
    const path = pick([
      `/svc${svc}/v1/items`,
      `/svc${svc}/v2`,
      `/svc${svc}/123/x`,
      `/svc${svc}`,
      '/',
      `/svc${svc}/v3/`,
    ]);
    const input = req({
      host,
      path,
      method: pick(['GET', 'POST', 'PUT', 'DELETE']),
      port: pick([80, 8443]),
      protocol: pick(['http', 'https']),
      headers: rand() < 0.5 ? { 'x-tenant': pick(['a', 'b']) } : {},
    });
    const want = ref(input);
    router.match(input, out);
    assert.equal(
      out.route,
      want.id,
      `host=${host} path=${path} method=${input.method} port=${input.port} proto=${input.protocol}`,
    );
    assert.equal(out.matchLength, want.len);
    if (want.id) matched++;
  }
  assert.ok(matched > 2000, `too few matches to be meaningful: ${matched}`);
});

test('10,000 distinct host+path routes each resolve to themselves', () => {
  const routes: RouteSpec<string>[] = [];
  for (let i = 0; i < 10_000; i++)
    routes.push(route(`r${i}`, { hosts: [`svc${i}.example.com`], paths: [`/svc${i}/v1`], order: i }));
  const router = compileRouter(routes);
  const out = result();
  for (let i = 0; i < 10_000; i += 7) {
    assert.equal(router.match(req({ host: `svc${i}.example.com`, path: `/svc${i}/v1/x` }), out), true);
    assert.equal(out.route, `r${i}`);
    assert.equal(router.match(req({ host: `svc${i}.example.com`, path: `/svc${i + 1}/v1/x` }), out), false);
  }
});
