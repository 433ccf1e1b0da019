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
  for (let i = 0; i < windows.length; i++)
    if (windows[i].limit - windows[i].used <= 0 && stop === null) stop = windows[i].period;
  const headers: Record<string, string> = {};
  let bestLimit = 0;
  let bestRemaining = -1;
  let bestPeriod: Period | null = null;
  for (let i = 0; i < windows.length; i++) {
    const w = windows[i];
    let remaining = w.limit - w.used;
    if (stop === null || stop === w.period) remaining -= 1;
    remaining = Math.max(0, remaining);
    // Ties go to the later (longer) window.
    if (bestPeriod === null || remaining <= bestRemaining) {
      bestLimit = w.limit;
      bestRemaining = remaining;
      bestPeriod = w.period;
    }
    headers[LIMIT_HEADER[w.period]] = String(w.limit);
    headers[REMAINING_HEADER[w.period]] = String(remaining);
  }
  let reset = 1;
  if (bestPeriod !== null) {
    reset = secondsToReset(bestPeriod, nowMs);
    headers['RateLimit-Limit'] = String(bestLimit);
    headers['RateLimit-Remaining'] = String(bestRemaining);
    headers['RateLimit-Reset'] = String(reset);
  }
  return { stop, reset, headers };
}

// Header names per window, built once.
const LIMIT_HEADER = Object.fromEntries(
  Object.entries(PERIOD_TITLE).map(([p, t]) => [p, `X-RateLimit-Limit-${t}`]),
) as Record<Period, string>;
const REMAINING_HEADER = Object.fromEntries(
  Object.entries(PERIOD_TITLE).map(([p, t]) => [p, `X-RateLimit-Remaining-${t}`]),
) as Record<Period, string>;
