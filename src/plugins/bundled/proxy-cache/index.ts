// proxy-cache: answers repeated requests from stored upstream responses, as Kong's proxy-cache
// (strategy `memory`) and Kong Enterprise's proxy-cache-advanced (strategy `redis`). Kong
// priority 100.
//
// access: works out the cache key and, on a fresh entry, answers from it (X-Cache-Status: Hit)
// without contacting the upstream. response: decides whether the upstream's answer may be
// stored (status, content type, Cache-Control) and says so in X-Cache-Status. body: taps the
// body as it streams to the client and stores it at the end.

import { definePlugin, GATEWAY_HEADERS, type BodyFilter, type PluginContext } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { describe } from '../rate-limiting/redis-store.js';
import { upgradeRedisFields, type RedisConfig } from '../rate-limiting/schema.js';
import {
  cacheKey,
  contentTypeAllowed,
  parseCacheControl,
  parseMediaRange,
  responseTtl,
  seconds,
  varyQuery,
  type Directives,
  type MediaRange,
} from './rules.js';
import { ProxyCacheSchema, type ProxyCacheConfig } from './schema.js';
import { dictionary, redisGet, redisSet, type CacheEntry, type MemoryStore } from './store.js';

/** Bodies larger than this are not stored (Kong has no such field; see docs/plugins/proxy-cache.md). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface Prepared {
  readonly codes: ReadonlySet<number>;
  readonly methods: ReadonlySet<string>;
  readonly types: readonly MediaRange[];
  readonly cacheTtl: number;
  readonly cacheControl: boolean;
  readonly storageTtl: number | null;
  readonly ignoreUriCase: boolean;
  readonly varyQuery: readonly string[] | null;
  /** Lower-case, sorted. */
  readonly varyHeaders: readonly string[];
  readonly showAge: boolean;
  readonly showStatus: boolean;
  readonly showKey: boolean;
  /** The memory strategy's dictionary, or null. */
  readonly dict: MemoryStore | null;
  /** The redis strategy's Redis, or null. */
  readonly redis: RedisConfig | null;
}

export function prepare(c: ProxyCacheConfig): Prepared {
  if (c.strategy === 'redis' && (c.redis.host === null || c.redis.host === '')) {
    throw new PluginConfigFieldError('redis.host', "required field missing (strategy is 'redis')");
  }
  return {
    codes: new Set(c.response_code),
    methods: new Set(c.request_method),
    types: c.content_type.map(parseMediaRange),
    cacheTtl: c.cache_ttl,
    cacheControl: c.cache_control,
    storageTtl: c.storage_ttl,
    ignoreUriCase: c.ignore_uri_case,
    varyQuery: c.vary_query_params,
    varyHeaders: [...new Set((c.vary_headers ?? []).map((h) => h.toLowerCase()))].sort(),
    showAge: c.response_headers.age,
    showStatus: c.response_headers['X-Cache-Status'],
    showKey: c.response_headers['X-Cache-Key'],
    dict: c.strategy === 'memory' ? dictionary(c.memory.dictionary_name) : null,
    redis: c.strategy === 'redis' ? c.redis : null,
  };
}

type CacheStatus = 'Miss' | 'Hit' | 'Refresh' | 'Bypass';

interface State {
  status: CacheStatus;
  key: string | null;
  /** The response may not be stored whatever it is (HEAD, Redis failed on the lookup). */
  noStore: boolean;
  /** Hit: repeated stored headers, added in the response phase (respond() takes one value per name). */
  extra: [string, string][] | null;
  /** Response phase: the entry's freshness and storage lifetimes, when it will be stored. */
  ttl: number;
  storageMs: number;
}

const STATE = 'proxy-cache';

/** Not stored: hop-by-hop and framing headers, the gateway's own, and ours. */
const NOT_STORED = new Set([...GATEWAY_HEADERS, 'server', 'via', 'age', 'x-cache-status', 'x-cache-key']);

// ── Redis failure reporting (per process, per Redis) ────────────────────────
const REPORT_EVERY_MS = 10_000;
const failures = new Map<string, { streak: number; since: number; last: number }>();

function redisFailed(ctx: PluginContext, what: string, op: string, err: unknown): void {
  let f = failures.get(what);
  if (f === undefined) failures.set(what, (f = { streak: 0, since: 0, last: -Infinity }));
  f.streak++;
  f.since++;
  const now = Date.now();
  if (now - f.last < REPORT_EVERY_MS) return;
  const n = f.since;
  f.since = 0;
  f.last = now;
  const reason = err instanceof Error ? err.message : String(err);
  ctx.log.error(
    `proxy-cache: redis ${what} ${op} failed: ${reason} (${n} failure${n === 1 ? '' : 's'} since the last report); request served without the cache`,
  );
}

function redisOk(ctx: PluginContext, what: string): void {
  const f = failures.get(what);
  if (f === undefined || f.streak === 0) return;
  ctx.log.warn(`proxy-cache: redis ${what} is reachable again after ${f.streak} failure${f.streak === 1 ? '' : 's'}`);
  failures.delete(what);
}

// ── access ──────────────────────────────────────────────────────────────────
function keyOf(ctx: PluginContext, p: Prepared): string {
  const req = ctx.request;
  return cacheKey({
    consumer: ctx.consumer?.id ?? '',
    scope: ctx.route !== null ? 'route:' + ctx.route.id : ctx.service !== null ? 'service:' + ctx.service.id : 'global',
    // HEAD is answered from what GET stored (the same headers, no body).
    method: req.method === 'HEAD' ? 'GET' : req.method,
    path: p.ignoreUriCase ? req.path.toLowerCase() : req.path,
    query: varyQuery(req.query, p.varyQuery),
    headers: p.varyHeaders.map((h) => [h, req.getHeader(h) ?? '']),
  });
}

function state(ctx: PluginContext, status: CacheStatus, key: string | null, noStore = false): State {
  const s: State = { status, key, noStore, extra: null, ttl: 0, storageMs: 0 };
  ctx.shared[STATE] = s;
  return s;
}

/** Whether a stored entry may answer this request (age in seconds). */
function usable(e: CacheEntry, age: number, reqCc: Directives | null): boolean {
  if (reqCc !== null) {
    const maxAge = seconds(reqCc, 'max-age');
    if (maxAge !== null && age > maxAge) return false;
    const minFresh = seconds(reqCc, 'min-fresh');
    if (minFresh !== null && e.ttl - age < minFresh) return false;
    if (age > e.ttl) {
      const ms = reqCc.get('max-stale');
      if (ms === undefined) return false;
      const limit = seconds(reqCc, 'max-stale');
      return limit === null ? ms === true : age - e.ttl <= limit;
    }
    return true;
  }
  return age <= e.ttl;
}

function conclude(
  ctx: PluginContext,
  p: Prepared,
  key: string,
  entry: CacheEntry | null,
  reqCc: Directives | null,
  head: boolean,
): void {
  if (entry === null) {
    state(ctx, head ? 'Bypass' : 'Miss', key, head);
    return;
  }
  const now = Date.now();
  const age = Math.max(0, Math.floor((now - entry.storedAt) / 1000));
  if (!usable(entry, age, reqCc)) {
    state(ctx, head ? 'Bypass' : 'Refresh', key, head);
    return;
  }
  const s = state(ctx, 'Hit', key);
  const headers: Record<string, string> = {};
  for (const [k, v] of entry.headers) {
    if (k in headers) (s.extra ??= []).push([k, v]);
    else headers[k] = v;
  }
  if (p.showAge) headers['age'] = String(age);
  if (p.showStatus) headers['X-Cache-Status'] = 'Hit';
  if (p.showKey) headers['X-Cache-Key'] = key;
  ctx.respond(entry.status, entry.body, headers);
}

function access(ctx: PluginContext, p: Prepared): void | Promise<void> {
  const req = ctx.request;
  if (!p.methods.has(req.method)) {
    state(ctx, 'Bypass', null);
    return;
  }
  const reqCc = p.cacheControl ? parseCacheControl(req.getHeader('cache-control')) : null;
  const key = keyOf(ctx, p);
  const head = req.method === 'HEAD';
  if (reqCc !== null && reqCc.has('no-store')) {
    state(ctx, 'Bypass', key);
    return;
  }
  if (reqCc !== null && reqCc.has('no-cache')) {
    state(ctx, head ? 'Bypass' : 'Refresh', key, head); // fetched from the upstream, stored anew
    return;
  }
  if (p.dict !== null) return conclude(ctx, p, key, p.dict.get(key), reqCc, head);
  const redis = p.redis!;
  const what = describe(redis);
  return redisGet(redis, key).then(
    (entry) => {
      redisOk(ctx, what);
      conclude(ctx, p, key, entry, reqCc, head);
    },
    (err: unknown) => {
      redisFailed(ctx, what, 'lookup', err);
      state(ctx, 'Bypass', key, true);
    },
  );
}

// ── response ────────────────────────────────────────────────────────────────
function response(ctx: PluginContext, p: Prepared): void {
  const s = ctx.shared[STATE] as State | undefined;
  const res = ctx.response;
  if (s === undefined || res === null) return;
  if (s.status === 'Hit') {
    if (s.extra !== null) for (const [k, v] of s.extra) res.addHeader(k, v);
    return;
  }
  if (s.status !== 'Bypass' && !s.noStore) {
    const ttl = storableFor(res, p);
    if (ttl === null) s.status = 'Bypass';
    else {
      s.ttl = ttl;
      s.storageMs = (p.storageTtl ?? ttl) * 1000;
    }
  }
  if (p.showStatus) res.setHeader('X-Cache-Status', s.status);
  if (p.showKey && s.key !== null) res.setHeader('X-Cache-Key', s.key);
}

/** The freshness lifetime (s) of a response that may be stored, else null. */
function storableFor(res: NonNullable<PluginContext['response']>, p: Prepared): number | null {
  if (!p.codes.has(res.status)) return null;
  if (!contentTypeAllowed(p.types, res.getHeader('content-type'))) return null;
  const len = res.getHeader('content-length');
  if (len !== undefined && Number(len) > MAX_BODY_BYTES) return null;
  if (!p.cacheControl) return p.cacheTtl;
  const ttl = responseTtl(
    parseCacheControl(res.getHeader('cache-control')),
    res.getHeader('expires'),
    res.getHeader('date'),
    p.cacheTtl,
    Date.now(),
  );
  return ttl === null || ttl <= 0 ? null : ttl;
}

// ── body ────────────────────────────────────────────────────────────────────
function body(ctx: PluginContext, p: Prepared): BodyFilter | null {
  const s = ctx.shared[STATE] as State | undefined;
  const res = ctx.response;
  if (s === undefined || res === null || s.key === null || s.noStore || (s.status !== 'Miss' && s.status !== 'Refresh'))
    return null;
  const key = s.key;
  const headers: [string, string][] = [];
  for (const [k, v] of Object.entries(res.getHeaders())) {
    if (NOT_STORED.has(k)) continue;
    for (const one of Array.isArray(v) ? v : [v]) headers.push([k, one]);
  }
  const status = res.status;
  const chunks: Buffer[] = [];
  let size = 0;
  let tooBig = false;
  return {
    chunk(data) {
      if (!tooBig) {
        size += data.length;
        if (size > MAX_BODY_BYTES) {
          tooBig = true;
          chunks.length = 0;
        } else chunks.push(data);
      }
      return data;
    },
    end() {
      if (tooBig) return null;
      const entry: CacheEntry = {
        status,
        headers,
        body: Buffer.concat(chunks, size),
        storedAt: Date.now(),
        ttl: s.ttl,
      };
      if (p.dict !== null) {
        p.dict.set(key, entry, s.storageMs);
        return null;
      }
      // Awaited (within redis.timeout) so that a client's next request finds the entry.
      const redis = p.redis!;
      const what = describe(redis);
      return redisSet(redis, key, entry, s.storageMs).then(
        () => {
          redisOk(ctx, what);
          return null;
        },
        (err: unknown) => {
          redisFailed(ctx, what, 'store', err);
          return null;
        },
      );
    },
  };
}

export default definePlugin({
  name: 'proxy-cache',
  version: '0.1.0',
  priority: 100,
  schema: ProxyCacheSchema,
  upgrade: upgradeRedisFields,
  prepare,
  phases: { access, response, body },
});
