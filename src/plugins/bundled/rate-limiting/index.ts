// rate-limiting: counts requests per client in fixed second … year windows and answers 429
// once a window's limit is reached, as Kong's rate-limiting plugin does. Kong priority 910.
//
// Policies: `local` (counters in this worker's memory, see local-store.ts: with N workers a
// client may get up to N × limit) and `redis` (counters in a shared Redis, checked and counted
// atomically, exact across every gateway process, see redis-store.ts). `cluster` is accepted by
// the schema (Kong files load through validation) but refused when the configuration is prepared.

import { definePlugin, type CounterMetric, type PluginContext, type PluginMetrics } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { decide, type WindowUsage } from './limits.js';
import { localCounters, type WindowCounter } from './local-store.js';
import { checkAndCount, describe, reporterFor, type RedisWindow } from './redis-store.js';
import { RateLimitingSchema, upgradeRedisFields, type RateLimitingConfig, type RedisConfig } from './schema.js';
import { PERIODS, windowEnd, windowStart, type Period } from './windows.js';

export interface Prepared {
  readonly windows: readonly { readonly period: Period; readonly limit: number }[];
  readonly limitBy: RateLimitingConfig['limit_by'];
  readonly headerName: string | null;
  readonly path: string | null;
  readonly hideClientHeaders: boolean;
  readonly errorCode: number;
  readonly errorMessage: string;
  /** The Redis of the `redis` policy, null for `local`. */
  readonly redis: RedisConfig | null;
  readonly faultTolerant: boolean;
}

const HEADERS = 'rate-limiting.headers';

/** Kong's sync_rate for "count every request in the store now". */
const SYNC_REALTIME = -1;

/** Kong's "%.1f" in the ordering message. */
const f1 = (n: number): string => n.toFixed(1);

export function prepare(c: RateLimitingConfig): Prepared {
  const windows = PERIODS.filter((p) => typeof c[p] === 'number').map((p) => ({ period: p, limit: c[p] as number }));
  if (windows.length === 0) {
    throw new PluginConfigFieldError(
      '',
      `at least one of these fields must be non-empty: ${PERIODS.map((p) => `'config.${p}'`).join(', ')}`,
    );
  }
  // Kong's validate_periods_order: a longer window cannot have a lower limit.
  for (let i = 0; i < windows.length; i++) {
    for (let j = i + 1; j < windows.length; j++) {
      const lo = windows[i]!;
      const hi = windows[j]!;
      if (hi.limit < lo.limit) {
        throw new PluginConfigFieldError(
          hi.period,
          `The limit for ${hi.period}(${f1(hi.limit)}) cannot be lower than the limit for ${lo.period}(${f1(lo.limit)})`,
        );
      }
    }
  }
  // Kong's checks on sync_rate, same wording. Turnpike's redis policy is always synchronous
  // (every request is counted in Redis, as with -1): a positive sync_rate is accepted and
  // makes the limits exact rather than approximate, at the cost of a Redis call per request.
  if (c.policy !== 'redis' && c.sync_rate !== SYNC_REALTIME)
    throw new PluginConfigFieldError('', 'sync_rate can only be used with the redis policy');
  if (c.policy === 'redis' && c.sync_rate !== SYNC_REALTIME && c.sync_rate < 0.02)
    throw new PluginConfigFieldError('', 'sync_rate must be greater than 0.02, or -1 to disable');
  if (c.limit_by === 'header' && c.header_name === null)
    throw new PluginConfigFieldError('header_name', "required field missing (limit_by is 'header')");
  if (c.limit_by === 'path' && c.path === null)
    throw new PluginConfigFieldError('path', "required field missing (limit_by is 'path')");
  if (c.policy === 'redis' && (c.redis.host === null || c.redis.host === '')) {
    throw new PluginConfigFieldError('redis.host', "required field missing (policy is 'redis')");
  }
  if (c.policy === 'cluster') {
    throw new PluginConfigFieldError(
      'policy',
      "policy 'cluster' is not available yet in Turnpike (Kong runs it on its database); use policy 'local' for now",
    );
  }
  return {
    windows,
    limitBy: c.limit_by,
    headerName: c.header_name,
    path: c.path,
    hideClientHeaders: c.hide_client_headers,
    errorCode: c.error_code,
    errorMessage: c.error_message,
    redis: c.policy === 'redis' ? c.redis : null,
    faultTolerant: c.fault_tolerant,
  };
}

/** Kong's get_identifier: whatever limit_by names, falling back to the client's IP when absent. */
export function identifierOf(ctx: PluginContext, p: Prepared): string {
  let id: string | null | undefined = null;
  switch (p.limitBy) {
    case 'consumer':
      id = ctx.consumer?.id ?? ctx.credential?.id;
      break;
    case 'credential':
      id = ctx.credential?.id;
      break;
    case 'service':
      id = ctx.service?.id;
      break;
    case 'header':
      id = ctx.request.getHeader(p.headerName!);
      break;
    case 'path':
      if (ctx.request.path === p.path) id = p.path;
      break;
    case 'ip':
      break;
  }
  return id ?? ctx.request.clientIp;
}

/** Kong's key parts: route, service, identifier (the window start and period are appended). */
function keyBase(ctx: PluginContext, p: Prepared): string {
  return `${ctx.route?.id ?? ''}:${ctx.service?.id ?? ''}:${identifierOf(ctx, p)}:`;
}

/** Answers 429 (or error_code) when a window is full, else keeps the headers for the response. */
function conclude(ctx: PluginContext, p: Prepared, usage: readonly WindowUsage[], now: number): boolean {
  const d = decide(usage, now);
  if (d.stop !== null) {
    // Kong: hide_client_headers hides Retry-After too.
    const headers = p.hideClientHeaders ? undefined : { ...d.headers, 'Retry-After': String(d.reset) };
    if (headers !== undefined) ctx.shared[HEADERS] = headers;
    ctx.respond(p.errorCode, { message: p.errorMessage }, headers);
    return false;
  }
  if (!p.hideClientHeaders) ctx.shared[HEADERS] = d.headers;
  return true;
}

function accessLocal(ctx: PluginContext, p: Prepared): void {
  const now = Date.now();
  const route = ctx.route?.id ?? '';
  const service = ctx.service?.id ?? '';
  const identifier = identifierOf(ctx, p);
  const ws = p.windows;
  const usage: WindowUsage[] = new Array(ws.length);
  const counters: WindowCounter[] = new Array(ws.length);
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i];
    const start = windowStart(w.period, now);
    const c = localCounters.counter(route, service, identifier, w.period, start, windowEnd(w.period, start));
    counters[i] = c;
    usage[i] = { period: w.period, limit: w.limit, used: c.count };
  }
  if (conclude(ctx, p, usage, now)) for (let i = 0; i < counters.length; i++) counters[i].count++;
}

// Failed Redis calls, counted on /metrics (the log lines are rate-limited, the count is not).
const redisErrors = new WeakMap<PluginMetrics, CounterMetric>();
const PLUGIN_LABEL = ['rate-limiting'] as const;
function countRedisError(ctx: PluginContext): void {
  let c = redisErrors.get(ctx.metrics);
  if (c === undefined) {
    c = ctx.metrics.counter(
      'turnpike_plugin_redis_errors_total',
      'Calls from plugins to Redis that failed (connection, timeout or error reply), by plugin.',
      ['plugin'],
    );
    redisErrors.set(ctx.metrics, c);
  }
  c.inc(PLUGIN_LABEL);
}

/** A key outlives its window by this much, so that gateways whose clocks differ slightly agree. */
const TTL_MARGIN_MS = 5000;

async function accessRedis(ctx: PluginContext, p: Prepared, redis: RedisConfig): Promise<void> {
  const now = Date.now();
  const base = 'ratelimit:' + keyBase(ctx, p);
  const windows: RedisWindow[] = p.windows.map((w) => {
    const start = windowStart(w.period, now);
    return {
      key: base + start + ':' + w.period,
      limit: w.limit,
      ttlMs: windowEnd(w.period, start) - now + TTL_MARGIN_MS,
    };
  });
  const what = describe(redis);
  const reporter = reporterFor(what);
  let verdict;
  try {
    verdict = await checkAndCount(redis, windows);
  } catch (err) {
    countRedisError(ctx);
    const line = reporter.failure(Date.now(), what, err);
    if (!p.faultTolerant) {
      if (line !== null) ctx.log.error(line + '; answering 500 (fault_tolerant is false)');
      // Kong's kong.response.error(500).
      ctx.respond(500, { message: 'An unexpected error occurred' });
      return;
    }
    // Kong: fault tolerant, the request passes uncounted and without rate-limit headers.
    if (line !== null) ctx.log.error(line + '; request allowed (fault_tolerant)');
    return;
  }
  const back = reporter.success(what);
  if (back !== null) ctx.log.warn(back);
  const usage = p.windows.map((w, i) => ({ period: w.period, limit: w.limit, used: verdict.used[i] ?? 0 }));
  conclude(ctx, p, usage, now);
}

function access(ctx: PluginContext, p: Prepared): void | Promise<void> {
  return p.redis === null ? accessLocal(ctx, p) : accessRedis(ctx, p, p.redis);
}

function response(ctx: PluginContext): void {
  const headers = ctx.shared[HEADERS] as Record<string, string> | undefined;
  if (headers === undefined || ctx.response === null) return;
  const res = ctx.response;
  for (const k in headers) res.setHeader(k, headers[k]);
}

export default definePlugin({
  name: 'rate-limiting',
  version: '0.1.0',
  priority: 910,
  schema: RateLimitingSchema,
  upgrade: upgradeRedisFields,
  prepare,
  phases: { access, response },
});
