// The `redis` policy's counters: one key per window in a Redis shared by every gateway
// process, keyed like Kong's (`ratelimit:<route>:<service>:<identifier>:<window start>:<period>`).
//
// Check and count happen in one Lua script, atomically on the Redis server: if every window
// still has room, each window's key is INCRed (and given a TTL when new); otherwise nothing is
// counted. So across any number of gateways the number of requests admitted in a window is
// exactly the limit (Kong reads, then increments later, and can overshoot under concurrency).
//
// One ioredis client per distinct connection configuration per process, created on the first
// request (not when a configuration is prepared, so `turnpike validate` opens no connection).
// The offline queue is off and every command has a timeout, so a request never waits for a
// Redis that is down longer than `redis.timeout`; the client reconnects by itself with backoff.

import type { Redis, RedisOptions } from 'ioredis';
import { ioredisModule } from '../shared/lazy-modules.js';
import type { RedisConfig } from './schema.js';

/** Window keys with their limits and how long a new key should live. */
export interface RedisWindow {
  readonly key: string;
  readonly limit: number;
  /** Milliseconds the key must live (to the end of its window, plus a margin). */
  readonly ttlMs: number;
}

export interface RedisVerdict {
  /** True when the request was admitted (and counted in every window). */
  readonly admitted: boolean;
  /** Each window's count before this request (in the order given). */
  readonly used: readonly number[];
}

/**
 * KEYS: one per window. ARGV: the limits, then the TTLs in ms (same order).
 * Returns { admitted (1|0), used_1, …, used_n } where used_i is the count before this request.
 * Kong's rule: a window stops the request when `limit - used <= 0`; a refused request is not counted.
 */
export const SCRIPT = `
local n = #KEYS
local used = {}
local ok = 1
for i = 1, n do
  local v = tonumber(redis.call('GET', KEYS[i]) or '0')
  used[i] = v
  if tonumber(ARGV[i]) - v <= 0 then ok = 0 end
end
if ok == 1 then
  for i = 1, n do
    if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[n + i]) end
  end
end
local out = { ok }
for i = 1, n do out[i + 1] = used[i] end
return out
`;

/** Kong's default timeout, used when `redis.timeout` is 0 (no request may wait forever). */
const DEFAULT_TIMEOUT_MS = 2000;
/** Reconnection backoff: 100 ms, doubling, at most 2 s between attempts, forever. */
const MAX_BACKOFF_MS = 2000;

interface Entry {
  readonly client: Redis;
  readonly timeoutMs: number;
  sha: string | null;
}

/**
 * With the offline queue off, a command sent while a connection attempt is in progress fails at
 * once; so a request arriving then (the first requests of a process, or during a reconnection
 * attempt) waits for that attempt, at most `ms`. While the client only waits for its next
 * backoff attempt (Redis known to be down), requests fail at once instead.
 */
export function whenReady(client: Redis, ms: number): Promise<void> {
  const s = client.status;
  if (s === 'ready' || (s !== 'wait' && s !== 'connecting' && s !== 'connect')) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      client.off('ready', done);
      client.off('close', done);
      client.off('end', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    client.once('ready', done);
    client.once('close', done);
    client.once('end', done);
  });
}

const clients = new Map<string, Entry>();

/** A readable name for logs: host:port/db, without credentials. */
export function describe(c: RedisConfig): string {
  return `${c.ssl ? 'rediss' : 'redis'}://${c.host ?? ''}:${c.port}/${c.database}`;
}

export function clientOptions(c: RedisConfig): RedisOptions {
  const timeout = c.timeout > 0 ? c.timeout : DEFAULT_TIMEOUT_MS;
  const opts: RedisOptions = {
    host: c.host ?? '127.0.0.1',
    port: c.port,
    db: c.database,
    connectTimeout: timeout,
    commandTimeout: timeout,
    enableOfflineQueue: false,
    // A command in flight when the connection drops fails at once instead of being retried.
    maxRetriesPerRequest: 0,
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times - 1, 5), MAX_BACKOFF_MS),
    connectionName: 'turnpike-rate-limiting',
  };
  if (c.username !== null) opts.username = c.username;
  if (c.password !== null) opts.password = c.password;
  if (c.ssl) {
    opts.tls = { rejectUnauthorized: c.ssl_verify, ...(c.server_name !== null ? { servername: c.server_name } : {}) };
  }
  return opts;
}

function entryFor(c: RedisConfig): Entry {
  const id = JSON.stringify([
    c.host,
    c.port,
    c.username,
    c.password,
    c.database,
    c.timeout,
    c.ssl,
    c.ssl_verify,
    c.server_name,
  ]);
  let e = clients.get(id);
  if (e === undefined) {
    const client = new (ioredisModule().Redis)(clientOptions(c));
    // Without a listener ioredis prints "Unhandled error event"; failures are reported per
    // request (rate-limited) by the plugin, so connection errors are only absorbed here.
    client.on('error', () => {});
    e = { client, timeoutMs: c.timeout > 0 ? c.timeout : DEFAULT_TIMEOUT_MS, sha: null };
    clients.set(id, e);
  }
  return e;
}

/** Runs the check-and-count script; rejects when Redis cannot answer within the timeout. */
export async function checkAndCount(c: RedisConfig, windows: readonly RedisWindow[]): Promise<RedisVerdict> {
  const e = entryFor(c);
  await whenReady(e.client, e.timeoutMs);
  const keys = windows.map((w) => w.key);
  const args = [...windows.map((w) => String(w.limit)), ...windows.map((w) => String(Math.max(1, Math.ceil(w.ttlMs))))];
  let reply: unknown;
  if (e.sha !== null) {
    try {
      reply = await e.client.evalsha(e.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      e.sha = null;
    }
  }
  if (e.sha === null) {
    // First use (or after a Redis restart flushed its scripts): load it, then run it.
    e.sha = (await e.client.script('LOAD', SCRIPT)) as string;
    reply = await e.client.evalsha(e.sha, keys.length, ...keys, ...args);
  }
  if (!Array.isArray(reply) || reply.length !== windows.length + 1)
    throw new Error(`unexpected reply from the rate-limiting script: ${JSON.stringify(reply)}`);
  const nums = reply.map((v) => Number(v));
  return { admitted: nums[0] === 1, used: nums.slice(1) };
}

/** Closes every client of this process (tests). */
export async function closeAll(): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  await Promise.all(all.map((e) => e.client.quit().catch(() => e.client.disconnect())));
}

/**
 * Rate-limited reporting of Redis failures: the first failure of a streak is logged at once,
 * then at most one line per `everyMs` with how many failures happened meanwhile; the first
 * success after a streak logs that Redis is back. Counts are per process (the SDK has no
 * metrics API, so the totals are carried in the log lines).
 */
export class FailureReporter {
  total = 0;
  private streak = 0;
  private sinceLog = 0;
  private lastLog = -Infinity;

  constructor(private readonly everyMs = 10_000) {}

  /** Returns the line to log now, or null when the failure is only counted. */
  failure(nowMs: number, what: string, err: unknown): string | null {
    this.total++;
    this.streak++;
    this.sinceLog++;
    if (nowMs - this.lastLog < this.everyMs) return null;
    const n = this.sinceLog;
    this.sinceLog = 0;
    this.lastLog = nowMs;
    const reason = err instanceof Error ? err.message : String(err);
    return `rate-limiting: redis ${what} failed: ${reason} (${n} failure${n === 1 ? '' : 's'} since the last report, ${this.total} in total in this process)`;
  }

  /** Returns the recovery line after a streak of failures, else null. */
  success(what: string): string | null {
    if (this.streak === 0) return null;
    const n = this.streak;
    this.streak = 0;
    this.sinceLog = 0;
    this.lastLog = -Infinity;
    return `rate-limiting: redis ${what} is reachable again after ${n} failed request${n === 1 ? '' : 's'}`;
  }
}

const reporters = new Map<string, FailureReporter>();

/** The failure reporter of one Redis (by its description), shared by every plugin instance. */
export function reporterFor(what: string): FailureReporter {
  let r = reporters.get(what);
  if (r === undefined) {
    r = new FailureReporter();
    reporters.set(what, r);
  }
  return r;
}
