// Router match throughput with 1 route vs 10,000 routes. The point: the cost per match
// must not grow with the number of routes (see docs/routing.md).
//   node dist/bench/router-scale.js        prints a table
//   runRouterScaleBench()                  used by `npm run bench`
import { pathToFileURL } from 'node:url';
import { compileRouter } from '../src/router/compile.js';
import type { MatchInput, MatchResult, RouteSpec } from '../src/router/types.js';

export interface RouterScaleRow {
  routes: number;
  matchesPerSec: number;
  /** How requests spread over the routes: every request a random route, or a hot set. */
  traffic: string;
}

const NO_HEADERS = (): string | undefined => undefined;

/**
 * A realistic mix: one service per route with its own host and a `/svcN/v1` prefix; every
 * 4th route also restricted by method, every 50th host is a `*.svcN.example.net`
 * wildcard, every 100th route is a regex route on its host, plus a few host-less routes.
 */
function buildRoutes(n: number): RouteSpec<number>[] {
  const routes: RouteSpec<number>[] = [];
  const base = { name: null, protocols: ['http', 'https'], headers: null, regex_priority: 0 };
  for (let i = 0; i < n; i++) {
    const wildcard = i % 50 === 49;
    routes.push({
      ...base,
      id: `r${i}`,
      order: i,
      data: i,
      hosts: [wildcard ? `*.svc${i}.example.net` : `svc${i}.example.com`],
      paths: i % 100 === 99 ? [`~/svc${i}/items/(?<id>\\d+)$`] : [`/svc${i}/v1`],
      methods: i % 4 === 3 ? ['GET', 'POST'] : null,
    });
  }
  if (n > 1) {
    for (let k = 0; k < 4; k++) {
      routes.push({
        ...base,
        id: `anyhost${k}`,
        order: n + k,
        data: n + k,
        hosts: null,
        paths: [`/.well-known/k${k}`],
        methods: null,
      });
    }
  }
  return routes;
}

function buildInputs(routes: RouteSpec<number>[], count: number, hot: number): MatchInput[] {
  const inputs: MatchInput[] = [];
  const all = routes.filter((r) => r.hosts !== null);
  // A hot set is spread evenly over the routes (so it keeps the 1-in-100 regex share).
  const hosted =
    hot > 0 && hot < all.length
      ? Array.from({ length: hot }, (_, k) => all[Math.floor((k * all.length) / hot) + (k % 100)]!)
      : all;
  let seed = 7;
  for (let k = 0; k < count; k++) {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    const r = hosted[seed % hosted.length]!;
    const i = r.data;
    const host = r.hosts![0]!.startsWith('*.') ? `api${r.hosts![0]!.slice(1)}` : r.hosts![0]!;
    const path = r.paths![0]!.startsWith('~') ? `/svc${i}/items/${1000 + k}` : `/svc${i}/v1/users/${k}`;
    inputs.push({ method: 'GET', host, port: 443, path, protocol: 'https', header: NO_HEADERS });
  }
  return inputs;
}

function measure(routeCount: number, hot: number, durationMs: number): { matchesPerSec: number; hits: number } {
  const routes = buildRoutes(routeCount);
  const router = compileRouter(routes);
  const inputs = buildInputs(routes, 4096, hot);
  const out: MatchResult<number> = { route: null, matchLength: 0, captures: null };
  const mask = inputs.length - 1;
  let hits = 0;
  for (let i = 0; i < 300_000; i++) if (router.match(inputs[i & mask]!, out)) hits++; // warm-up
  hits = 0;
  let n = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(durationMs) * 1_000_000n;
  let elapsed = 0n;
  for (;;) {
    for (let i = 0; i < 65_536; i++, n++) if (router.match(inputs[n & mask]!, out)) hits++;
    elapsed = process.hrtime.bigint() - start;
    if (elapsed >= limit) break;
  }
  const secs = Number(elapsed) / 1e9;
  if (hits !== n) throw new Error(`router-scale: ${n - hits} of ${n} requests did not match`);
  return { matchesPerSec: Math.round(n / secs), hits };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const CASES = [
  { routes: 1, hot: 0, traffic: 'one route' },
  // Every request picks one of the 10,000 routes at random: the CPU caches cannot hold
  // the routes' data, so this row mostly measures memory latency.
  { routes: 10_000, hot: 0, traffic: 'uniform over all routes' },
  // Requests concentrated on 64 routes, as real traffic usually is.
  { routes: 10_000, hot: 64, traffic: '64 hot routes' },
];

/** Three 1-second trials per case, cases alternating; the median is reported. */
export async function runRouterScaleBench(): Promise<RouterScaleRow[]> {
  const samples: number[][] = CASES.map(() => []);
  for (let round = 0; round < 3; round++) {
    CASES.forEach((c, i) => samples[i]!.push(measure(c.routes, c.hot, 1000).matchesPerSec));
    await new Promise((r) => setImmediate(r));
  }
  return CASES.map((c, i) => ({ routes: c.routes, matchesPerSec: median(samples[i]!), traffic: c.traffic }));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await runRouterScaleBench();
  const first = rows[0]!.matchesPerSec;
  console.log(`router match throughput (node ${process.version}, median of 3 × 1 s)`);
  console.log('routes   traffic                    matches/s   ns/match  vs 1 route');
  for (const r of rows) {
    console.log(
      `${String(r.routes).padEnd(8)} ${r.traffic.padEnd(24)} ${String(r.matchesPerSec).padStart(11)} ${(1e9 / r.matchesPerSec).toFixed(0).padStart(10)} ${(r.matchesPerSec / first).toFixed(2).padStart(11)}`,
    );
  }
}
