// Consistent hashing on a wheel of `upstream.slots` slots, as Kong's ring balancer.
//
// Slot ownership is decided by weighted rendezvous hashing: slot s belongs to the target
// with the highest score -w / ln(u(s, target)), where u is a uniform hash of (slot, target
// key). So targets own slots in proportion to their weights, the wheel depends only on
// the current targets (every worker and every reload builds the same wheel), and removing
// a target moves only the slots it owned (adding one takes slots only for itself).
//
// A request key hashes (CRC-32 + murmur finalizer, no allocation) to a home slot; the
// pick walks the wheel from there to the first usable endpoint, so an unhealthy or already
// tried target's keys spread over the others while every other key stays where it was.
import { randomUUID } from 'node:crypto';
import type { Upstream, HashOn } from '../../config/types.js';
import type { BalanceContext, Balancer, Endpoint } from '../types.js';
import { crc32, endRequest, hashKey, mix32, startRequest, usable } from './common.js';

export const DEFAULT_SLOTS = 10_000;
const MIN_SLOTS = 10;
const MAX_SLOTS = 65_536;

type HashOptions = Pick<
  Upstream,
  | 'hash_on'
  | 'hash_fallback'
  | 'hash_on_header'
  | 'hash_fallback_header'
  | 'hash_on_cookie'
  | 'hash_on_cookie_path'
  | 'hash_on_query_arg'
  | 'hash_fallback_query_arg'
  | 'hash_on_uri_capture'
  | 'hash_fallback_uri_capture'
  | 'slots'
>;

const KIND_NONE = 0;
const KIND_CONSUMER = 1;
const KIND_IP = 2;
const KIND_HEADER = 3;
const KIND_COOKIE = 4;
const KIND_PATH = 5;
const KIND_QUERY_ARG = 6;
const KIND_URI_CAPTURE = 7;

function kindOf(h: HashOn | undefined | null): number {
  switch (h) {
    case 'consumer':
      return KIND_CONSUMER;
    case 'ip':
      return KIND_IP;
    case 'header':
      return KIND_HEADER;
    case 'cookie':
      return KIND_COOKIE;
    case 'path':
      return KIND_PATH;
    case 'query_arg':
      return KIND_QUERY_ARG;
    case 'uri_capture':
      return KIND_URI_CAPTURE;
    default:
      return KIND_NONE;
  }
}

/** Builds the slot → endpoint-index wheel (-1 when no endpoint has weight > 0). */
export function buildWheel(endpoints: readonly Endpoint[], slots: number): Int32Array {
  const wheel = new Int32Array(slots).fill(-1);
  const n = endpoints.length;
  const seeds = new Uint32Array(n);
  for (let i = 0; i < n; i++) seeds[i] = crc32(endpoints[i]!.key);
  for (let s = 0; s < slots; s++) {
    const sm = mix32(Math.imul(s + 1, 0x9e3779b1));
    let best = -1;
    let bestScore = Infinity;
    for (let i = 0; i < n; i++) {
      const w = endpoints[i]!.weight;
      if (!(w > 0)) continue;
      const u = (mix32(seeds[i]! ^ sm) + 0.5) / 4294967296; // (0, 1)
      const score = -Math.log(u) / w; // lowest wins ≡ highest -w/ln(u)
      if (score < bestScore) {
        bestScore = score;
        best = i;
      }
    }
    wheel[s] = best;
  }
  return wheel;
}

export class ConsistentHashingBalancer implements Balancer {
  readonly endpoints: readonly Endpoint[];
  readonly slots: number;
  private readonly wheel: Int32Array;
  private pointer = 0;
  private readonly primary: number;
  private readonly fallback: number;
  private readonly primaryName: string | null;
  private readonly fallbackName: string | null;
  private readonly cookieName: string | null;
  private readonly cookiePath: string;

  constructor(upstream: HashOptions, endpoints: readonly Endpoint[]) {
    this.endpoints = endpoints;
    const slots = Math.floor(upstream.slots || DEFAULT_SLOTS);
    this.slots = slots < MIN_SLOTS ? MIN_SLOTS : slots > MAX_SLOTS ? MAX_SLOTS : slots;
    this.wheel = buildWheel(endpoints, this.slots);
    this.primary = kindOf(upstream.hash_on);
    // Kong: hashing on a cookie has no fallback (a missing cookie is generated instead),
    // and hash_on none means no hashing at all.
    this.fallback =
      this.primary === KIND_COOKIE || this.primary === KIND_NONE ? KIND_NONE : kindOf(upstream.hash_fallback);
    this.primaryName = nameFor(this.primary, upstream, 'on');
    this.fallbackName = nameFor(this.fallback, upstream, 'fallback');
    this.cookieName = upstream.hash_on_cookie ?? null;
    this.cookiePath = upstream.hash_on_cookie_path || '/';
    if ((this.primary === KIND_COOKIE || this.fallback === KIND_COOKIE) && !this.cookieName) {
      throw new Error('consistent-hashing: hash_on_cookie is required when hashing on a cookie');
    }
    for (const [kind, name, which] of [
      [this.primary, this.primaryName, 'hash_on'],
      [this.fallback, this.fallbackName, 'hash_fallback'],
    ] as const) {
      if ((kind === KIND_HEADER || kind === KIND_QUERY_ARG || kind === KIND_URI_CAPTURE) && !name) {
        throw new Error(
          `consistent-hashing: ${which} needs its ${which}_${kind === KIND_HEADER ? 'header' : kind === KIND_QUERY_ARG ? 'query_arg' : 'uri_capture'} field`,
        );
      }
    }
  }

  /** The home slot for a context (exposed for tests and diagnostics); -1 when no key (round robin over the wheel). */
  slotFor(ctx: BalanceContext): number {
    const h = this.hashOf(ctx, this.primary, this.primaryName);
    if (h >= 0) return h % this.slots;
    if (this.fallback !== KIND_NONE) {
      const f = this.hashOf(ctx, this.fallback, this.fallbackName);
      if (f >= 0) return f % this.slots;
    }
    return -1;
  }

  pick(ctx: BalanceContext, tried: ReadonlySet<Endpoint> | null): Endpoint | null {
    const eps = this.endpoints;
    // Cheap check first so the wheel walk below always terminates on a hit.
    let any = false;
    for (let i = 0; i < eps.length; i++) {
      if (usable(eps[i]!, tried)) {
        any = true;
        break;
      }
    }
    if (!any) return null;
    let slot = this.slotFor(ctx);
    if (slot < 0) {
      // No key (hash_on none, or key and fallback absent): rotate over the wheel, which
      // spreads requests in proportion to weight.
      slot = this.pointer;
      this.pointer = slot + 1 === this.slots ? 0 : slot + 1;
    }
    const wheel = this.wheel;
    const slots = this.slots;
    for (let k = 0; k < slots; k++) {
      const idx = wheel[slot]!;
      if (idx >= 0) {
        const ep = eps[idx]!;
        if (usable(ep, tried)) return ep;
      }
      slot = slot + 1 === slots ? 0 : slot + 1;
    }
    return null; // usable endpoints own no slot (impossible unless slots < targets)
  }

  onStart(ep: Endpoint): void {
    startRequest(ep);
  }

  onEnd(ep: Endpoint, latencyMs: number, failed: boolean): void {
    endRequest(ep, latencyMs, failed);
  }

  /** Hash of the key of the given kind, or -1 when the request lacks it. */
  private hashOf(ctx: BalanceContext, kind: number, name: string | null): number {
    let v: string | null | undefined;
    switch (kind) {
      case KIND_CONSUMER:
        v = ctx.consumerId;
        break;
      case KIND_IP:
        v = ctx.clientIp;
        break;
      case KIND_HEADER:
        v = ctx.header(name!);
        break;
      case KIND_PATH:
        v = ctx.path;
        break;
      case KIND_QUERY_ARG:
        v = ctx.queryArg(name!);
        break;
      case KIND_URI_CAPTURE:
        v = ctx.uriCapture(name!);
        break;
      case KIND_COOKIE:
        return this.cookieHash(ctx);
      default:
        return -1;
    }
    return v === undefined || v === null ? -1 : hashKey(v);
  }

  private cookieHash(ctx: BalanceContext): number {
    const name = this.cookieName!;
    const v = ctx.cookie(name);
    if (v !== undefined && v !== null) return hashKey(v);
    // Retry of a request whose cookie we already generated: hash the same value.
    const set = ctx.setCookie;
    if (
      set !== null &&
      set.length > name.length &&
      set.charCodeAt(name.length) === 61 /* = */ &&
      set.startsWith(name)
    ) {
      const start = name.length + 1;
      let end = set.indexOf(';', start);
      if (end < 0) end = set.length;
      return hashKey(set, start, end);
    }
    // Kong: generate a value, hash on it, and have the engine set it on the response.
    const value = randomUUID();
    ctx.setCookie = `${name}=${value}; Path=${this.cookiePath}`;
    return hashKey(value);
  }
}

function nameFor(kind: number, u: HashOptions, which: 'on' | 'fallback'): string | null {
  switch (kind) {
    case KIND_HEADER: {
      const h = which === 'on' ? u.hash_on_header : u.hash_fallback_header;
      return h ? h.toLowerCase() : null;
    }
    case KIND_QUERY_ARG:
      return (which === 'on' ? u.hash_on_query_arg : u.hash_fallback_query_arg) ?? null;
    case KIND_URI_CAPTURE:
      return (which === 'on' ? u.hash_on_uri_capture : u.hash_fallback_uri_capture) ?? null;
    case KIND_COOKIE:
      return u.hash_on_cookie ?? null;
    default:
      return null;
  }
}
