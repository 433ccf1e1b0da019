// The decision and the client headers for one request, given each window's usage so far
// (Kong's get_usage and the header block of its access handler), kept free of I/O so that
// the `local` policy and a later `redis` policy share it.

import { PERIOD_TITLE, secondsToReset, type Period } from './windows.js';

export interface WindowUsage {
  readonly period: Period;
  readonly limit: number;
  /** Requests already counted in the current window. */
  readonly used: number;
}

export interface Decision {
  /** The window whose limit is reached, or null when the request may pass. */
  readonly stop: Period | null;
  /** Seconds until the most restrictive window resets (RateLimit-Reset, Retry-After). */
  readonly reset: number;
  /** RateLimit-* and X-RateLimit-*-<Window> headers, in Kong's spelling. */
  readonly headers: Record<string, string>;
}

/**
 * Kong's rule: a window stops the request when `limit - used <= 0`. The remaining count shown
 * counts this request when it passes (or in the window that stopped it). The RateLimit-* trio
 * describes the most restrictive window: the fewest remaining, ties going to the longer window.
 */
export function decide(windows: readonly WindowUsage[], nowMs: number): Decision {
  let stop: Period | null = null;
  for (const w of windows) if (w.limit - w.used <= 0 && stop === null) stop = w.period;
  const headers: Record<string, string> = {};
  let best: { limit: number; remaining: number; period: Period; order: number } | null = null;
  windows.forEach((w, order) => {
    let remaining = w.limit - w.used;
    if (stop === null || stop === w.period) remaining -= 1;
    remaining = Math.max(0, remaining);
    if (best === null || remaining < best.remaining || (remaining === best.remaining && order > best.order)) {
      best = { limit: w.limit, remaining, period: w.period, order };
    }
    headers[`X-RateLimit-Limit-${PERIOD_TITLE[w.period]}`] = String(w.limit);
    headers[`X-RateLimit-Remaining-${PERIOD_TITLE[w.period]}`] = String(remaining);
  });
  let reset = 1;
  if (best !== null) {
    const b: { limit: number; remaining: number; period: Period } = best;
    reset = secondsToReset(b.period, nowMs);
    headers['RateLimit-Limit'] = String(b.limit);
    headers['RateLimit-Remaining'] = String(b.remaining);
    headers['RateLimit-Reset'] = String(reset);
  }
  return { stop, reset, headers };
}
