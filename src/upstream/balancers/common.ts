// Shared, allocation-free helpers for the balancers.
import { performance } from 'node:perf_hooks';
import type { Endpoint } from '../types.js';

/** Peak-EWMA decay time constant (ms): a sample's weight halves in about 7 s and is ~0 after 30 s. */
export const EWMA_DECAY_MS = 10_000;
/** A failed request counts as at least this round trip (ms), so a fast-failing target does not attract traffic. */
export const FAILURE_RTT_MS = 1_000;

/** True when the endpoint may be picked: healthy, weight > 0 and not already tried by this request. */
export function usable(ep: Endpoint, tried: ReadonlySet<Endpoint> | null): boolean {
  return ep.healthy && ep.weight > 0 && (tried === null || !tried.has(ep));
}

export function now(): number {
  // ewmaStamp 0 means "never sampled", so a stamp is never 0.
  const t = performance.now();
  return t > 0 ? t : Number.MIN_VALUE;
}

export function startRequest(ep: Endpoint): void {
  ep.inflight++;
}

/**
 * Ends a request: decrements inflight and feeds the round trip into the endpoint's peak-EWMA
 * (Finagle's PeakEwma: a sample above the estimate replaces it; below it, it is blended in
 * with weight 1 - e^(-Δt/τ)). Every balancer maintains it so an algorithm change on reload
 * starts with data.
 */
export function endRequest(ep: Endpoint, latencyMs: number, failed: boolean): void {
  if (ep.inflight > 0) ep.inflight--;
  let rtt = latencyMs >= 0 && Number.isFinite(latencyMs) ? latencyMs : 0;
  if (failed && rtt < FAILURE_RTT_MS) rtt = FAILURE_RTT_MS;
  const t = now();
  if (ep.ewmaStamp === 0) {
    ep.ewma = rtt;
  } else if (rtt > ep.ewma) {
    ep.ewma = rtt;
  } else {
    const td = t > ep.ewmaStamp ? t - ep.ewmaStamp : 0;
    const w = Math.exp(-td / EWMA_DECAY_MS);
    ep.ewma = ep.ewma * w + rtt * (1 - w);
  }
  ep.ewmaStamp = t;
}

// ---- hashing -------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crcByte(crc: number, b: number): number {
  return CRC_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
}

/**
 * CRC-32 (as Kong's ngx.crc32_long) of the UTF-8 encoding of s[start, end), computed from
 * the UTF-16 code units without allocating. Lone surrogates are encoded as 3 bytes each.
 */
export function crc32(s: string, start = 0, end = s.length): number {
  let crc = -1;
  for (let i = start; i < end; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      crc = crcByte(crc, c);
    } else if (c < 0x800) {
      crc = crcByte(crc, 0xc0 | (c >> 6));
      crc = crcByte(crc, 0x80 | (c & 0x3f));
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < end) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        crc = crcByte(crc, 0xf0 | (c >> 18));
        crc = crcByte(crc, 0x80 | ((c >> 12) & 0x3f));
        crc = crcByte(crc, 0x80 | ((c >> 6) & 0x3f));
        crc = crcByte(crc, 0x80 | (c & 0x3f));
      } else {
        crc = crcByte(crc, 0xe0 | (c >> 12));
        crc = crcByte(crc, 0x80 | ((c >> 6) & 0x3f));
        crc = crcByte(crc, 0x80 | (c & 0x3f));
      }
    } else {
      crc = crcByte(crc, 0xe0 | (c >> 12));
      crc = crcByte(crc, 0x80 | ((c >> 6) & 0x3f));
      crc = crcByte(crc, 0x80 | (c & 0x3f));
    }
  }
  return (crc ^ -1) >>> 0;
}

/** MurmurHash3's 32-bit finalizer: spreads CRC-32's linear structure over all bits. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The key hash used by consistent hashing: mix32(crc32(s[start, end))). */
export function hashKey(s: string, start = 0, end = s.length): number {
  return mix32(crc32(s, start, end));
}
