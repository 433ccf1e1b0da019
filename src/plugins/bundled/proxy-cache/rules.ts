// The pure parts of proxy-cache: Cache-Control parsing, content-type matching, the response's
// freshness lifetime and the cache key.

import { createHash } from 'node:crypto';

/** Cache-Control directives: lower-case names; a directive without a value maps to true. */
export type Directives = Map<string, string | true>;

export function parseCacheControl(value: string | undefined): Directives {
  const out: Directives = new Map();
  if (value === undefined) return out;
  for (const part of value.split(',')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq === -1) out.set(p.toLowerCase(), true);
    else
      out.set(
        p.slice(0, eq).trim().toLowerCase(),
        p
          .slice(eq + 1)
          .trim()
          .replace(/^"(.*)"$/, '$1'),
      );
  }
  return out;
}

/** A directive's delta-seconds, or null when absent or not a number. */
export function seconds(d: Directives, name: string): number | null {
  const v = d.get(name);
  if (v === undefined || v === true || !/^\d+$/.test(v)) return null;
  return Number(v);
}

/** A configured media range, parsed once: "application/json", "text/*", "*\/*". */
export interface MediaRange {
  readonly type: string;
  readonly subtype: string;
}

export function parseMediaRange(s: string): MediaRange {
  const bare = s.split(';')[0]!.trim().toLowerCase();
  const slash = bare.indexOf('/');
  if (slash === -1) return { type: bare, subtype: '*' };
  return { type: bare.slice(0, slash), subtype: bare.slice(slash + 1) };
}

/** Whether a response Content-Type (parameters such as charset ignored) is in the configured list. */
export function contentTypeAllowed(ranges: readonly MediaRange[], contentType: string | undefined): boolean {
  if (contentType === undefined || contentType.trim() === '') return false;
  const t = parseMediaRange(contentType);
  return ranges.some((r) => (r.type === '*' || r.type === t.type) && (r.subtype === '*' || r.subtype === t.subtype));
}

/**
 * With cache_control on: the response's freshness lifetime in seconds from `s-maxage`,
 * `max-age` or `Expires` (against `Date`, else now), or `fallback` when it gives none.
 * Null when the response may not be stored (`private`, `no-store`, `no-cache`).
 */
export function responseTtl(
  cc: Directives,
  expires: string | undefined,
  date: string | undefined,
  fallback: number,
  nowMs: number,
): number | null {
  if (cc.has('private') || cc.has('no-store') || cc.has('no-cache')) return null;
  const s = seconds(cc, 's-maxage') ?? seconds(cc, 'max-age');
  if (s !== null) return s;
  if (expires !== undefined) {
    const e = Date.parse(expires);
    if (Number.isNaN(e)) return 0; // an invalid Expires means already expired (RFC 9111 §5.3)
    const base = date !== undefined && !Number.isNaN(Date.parse(date)) ? Date.parse(date) : nowMs;
    return Math.floor((e - base) / 1000);
  }
  return fallback;
}

/** The query string's parameters that take part in the key, sorted by name (order of repeats kept). */
export function varyQuery(query: string, only: readonly string[] | null): string {
  if (query.length < 2) return '';
  const params = [...new URLSearchParams(query.slice(1))];
  const kept = only === null ? params : params.filter(([k]) => only.includes(k));
  kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return kept.map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(v)).join('&');
}

export interface KeyInput {
  readonly consumer: string;
  readonly scope: string;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** Lower-case name → value for each configured vary header (absent headers as ""). */
  readonly headers: readonly [string, string][];
}

/** sha256 hex of the key's parts, each length-prefixed so that no two inputs collide by concatenation. */
export function cacheKey(k: KeyInput): string {
  const h = createHash('sha256');
  const parts = [k.consumer, k.scope, k.method, k.path, k.query, ...k.headers.map(([n, v]) => n + ':' + v)];
  for (const p of parts) h.update(p.length + ':' + p + '|');
  return h.digest('hex');
}
