// Fixtures for the upstream tests (Kong's defaults, written out so the tests do not depend
// on the schema module).
import type { Healthchecks, Upstream } from '../../../src/config/types.js';
import type { BalanceContext, Endpoint } from '../../../src/upstream/types.js';
import { createEndpoint } from '../../../src/upstream/endpoint.js';

export function healthchecks(over: DeepPartial<Healthchecks> = {}): Healthchecks {
  const base: Healthchecks = {
    active: {
      type: 'http',
      http_path: '/',
      timeout: 1,
      concurrency: 10,
      https_verify_certificate: true,
      https_sni: null,
      headers: null,
      healthy: { interval: 0, successes: 0, http_statuses: [200, 302] },
      unhealthy: {
        interval: 0,
        http_failures: 0,
        tcp_failures: 0,
        timeouts: 0,
        http_statuses: [429, 404, 500, 501, 502, 503, 504, 505],
      },
    },
    passive: {
      type: 'http',
      healthy: {
        successes: 0,
        http_statuses: [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308],
      },
      unhealthy: { http_failures: 0, tcp_failures: 0, timeouts: 0, http_statuses: [429, 500, 503] },
    },
    threshold: 0,
  } as Healthchecks;
  return merge(base, over) as Healthchecks;
}

export function upstream(over: Partial<Record<keyof Upstream, unknown>> = {}): Upstream {
  return {
    id: 'u1',
    name: 'u1',
    algorithm: 'round-robin',
    hash_on: 'none',
    hash_fallback: 'none',
    hash_on_header: null,
    hash_fallback_header: null,
    hash_on_cookie: null,
    hash_on_cookie_path: '/',
    hash_on_query_arg: null,
    hash_fallback_query_arg: null,
    hash_on_uri_capture: null,
    hash_fallback_uri_capture: null,
    slots: 10000,
    healthchecks: healthchecks(),
    host_header: null,
    tags: [],
    ...over,
  } as unknown as Upstream;
}

export function eps(...spec: [string, number][]): Endpoint[] {
  return spec.map(([host, weight], i) => createEndpoint(host, 8000 + i, weight));
}

export interface TestContext extends BalanceContext {
  headers: Record<string, string>;
  cookies: Record<string, string>;
  query: Record<string, string>;
  captures: Record<string, string>;
}

export function ctx(
  over: Partial<
    Pick<TestContext, 'clientIp' | 'path' | 'consumerId' | 'headers' | 'cookies' | 'query' | 'captures'>
  > = {},
): TestContext {
  const c: TestContext = {
    clientIp: over.clientIp ?? '10.0.0.1',
    path: over.path ?? '/',
    consumerId: over.consumerId ?? null,
    setCookie: null,
    headers: over.headers ?? {},
    cookies: over.cookies ?? {},
    query: over.query ?? {},
    captures: over.captures ?? {},
    header(n) {
      return this.headers[n];
    },
    cookie(n) {
      return this.cookies[n];
    },
    queryArg(n) {
      return this.query[n];
    },
    uriCapture(n) {
      return this.captures[n];
    },
  };
  return c;
}

export function countPicks(pick: () => Endpoint | null, n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const ep = pick();
    const k = ep ? ep.key : 'null';
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

function merge(a: unknown, b: unknown): unknown {
  if (b === undefined) return a;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = merge(out[k], v);
    return out;
  }
  return b;
}
