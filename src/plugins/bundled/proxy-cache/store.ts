// Where proxy-cache keeps its entries: `memory` (an LRU per dictionary name in this worker,
// bounded in bytes) or `redis` (one key per entry, shared by every gateway process using it).
//
// An entry is serialized as: 4-byte big-endian length of a JSON head, the head
// ({ status, headers, storedAt, ttl }), then the body bytes. Redis holds exactly that under
// `proxy-cache:<cache key>`, with a PX expiry of the storage TTL.

import type { Redis } from 'ioredis';
import { ioredisModule } from '../shared/lazy-modules.js';
import { clientOptions, whenReady } from '../rate-limiting/redis-store.js';
import type { RedisConfig } from '../rate-limiting/schema.js';

export interface CacheEntry {
  readonly status: number;
  /** Stored response headers, in order (hop-by-hop and framing headers removed). */
  readonly headers: readonly [string, string][];
  readonly body: Buffer;
  /** When the response was stored, ms since the epoch. */
  readonly storedAt: number;
  /** Seconds the entry is fresh for. */
  readonly ttl: number;
}

export function encode(e: CacheEntry): Buffer {
  const head = Buffer.from(JSON.stringify({ status: e.status, headers: e.headers, storedAt: e.storedAt, ttl: e.ttl }));
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32BE(head.length, 0);
  return Buffer.concat([len, head, e.body]);
}

/** Decodes an entry; null when the bytes are not one (another writer, a format change). */
export function decode(b: Buffer): CacheEntry | null {
  if (b.length < 4) return null;
  const n = b.readUInt32BE(0);
  if (4 + n > b.length) return null;
  try {
    const h = JSON.parse(b.subarray(4, 4 + n).toString()) as Partial<CacheEntry>;
    if (
      typeof h.status !== 'number' ||
      !Array.isArray(h.headers) ||
      typeof h.storedAt !== 'number' ||
      typeof h.ttl !== 'number'
    )
      return null;
    return { status: h.status, headers: h.headers, storedAt: h.storedAt, ttl: h.ttl, body: b.subarray(4 + n) };
  } catch {
    return null;
  }
}

// ── memory ─────────────────────────────────────────────────────────────────

/** Bytes one dictionary may hold in one worker. */
export const MEMORY_MAX_BYTES = 64 * 1024 * 1024;

interface MemItem {
  readonly entry: CacheEntry;
  readonly size: number;
  readonly expiresAt: number;
}

/** An LRU bounded in bytes (Map iteration order is insertion order: the first key is the least recently used). */
export class MemoryStore {
  private readonly items = new Map<string, MemItem>();
  private bytes = 0;

  constructor(private readonly maxBytes = MEMORY_MAX_BYTES) {}

  get size(): number {
    return this.bytes;
  }

  get(key: string, now = Date.now()): CacheEntry | null {
    const it = this.items.get(key);
    if (it === undefined) return null;
    this.items.delete(key);
    if (it.expiresAt <= now) {
      this.bytes -= it.size;
      return null;
    }
    this.items.set(key, it); // most recently used
    return it.entry;
  }

  set(key: string, entry: CacheEntry, storageMs: number, now = Date.now()): void {
    const size = entry.body.length + 256 + entry.headers.reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
    this.delete(key);
    if (size > this.maxBytes) return;
    while (this.bytes + size > this.maxBytes) {
      const oldest = this.items.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
    }
    this.items.set(key, { entry, size, expiresAt: now + storageMs });
    this.bytes += size;
  }

  delete(key: string): void {
    const it = this.items.get(key);
    if (it === undefined) return;
    this.items.delete(key);
    this.bytes -= it.size;
  }
}

const dictionaries = new Map<string, MemoryStore>();

/** The worker's dictionary of that name (Kong's shared dict; here per worker). */
export function dictionary(name: string): MemoryStore {
  let d = dictionaries.get(name);
  if (d === undefined) {
    d = new MemoryStore();
    dictionaries.set(name, d);
  }
  return d;
}

// ── redis ──────────────────────────────────────────────────────────────────

export const REDIS_PREFIX = 'proxy-cache:';
const DEFAULT_TIMEOUT_MS = 2000;

interface RedisEntry {
  readonly client: Redis;
  readonly timeoutMs: number;
}

const clients = new Map<string, RedisEntry>();

function redisFor(c: RedisConfig): RedisEntry {
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
    const client = new (ioredisModule().Redis)({ ...clientOptions(c), connectionName: 'turnpike-proxy-cache' });
    client.on('error', () => {}); // reported per request (rate-limited) by the plugin
    e = { client, timeoutMs: c.timeout > 0 ? c.timeout : DEFAULT_TIMEOUT_MS };
    clients.set(id, e);
  }
  return e;
}

export async function redisGet(c: RedisConfig, key: string): Promise<CacheEntry | null> {
  const e = redisFor(c);
  await whenReady(e.client, e.timeoutMs);
  const b = await e.client.getBuffer(REDIS_PREFIX + key);
  return b === null ? null : decode(b);
}

export async function redisSet(c: RedisConfig, key: string, entry: CacheEntry, storageMs: number): Promise<void> {
  const e = redisFor(c);
  await whenReady(e.client, e.timeoutMs);
  await e.client.set(REDIS_PREFIX + key, encode(entry), 'PX', Math.max(1, Math.ceil(storageMs)));
}
