// Fixed rate-limiting windows, aligned as Kong aligns them (kong/tools/timestamp.lua): on UTC
// second, minute, hour and day boundaries, on the first day of the UTC month and on January 1st
// (UTC). A window's counter only counts requests made between its start and its end.

export const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
export type Period = (typeof PERIODS)[number];

/** Kong's header spelling of each period ("X-RateLimit-Limit-Minute"). */
export const PERIOD_TITLE: Readonly<Record<Period, string>> = {
  second: 'Second',
  minute: 'Minute',
  hour: 'Hour',
  day: 'Day',
  month: 'Month',
  year: 'Year',
};

/** Kong's nominal window lengths in seconds (EXPIRATION); month and year are nominal (30 and 365 days). */
export const WINDOW_SECONDS: Readonly<Record<Period, number>> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86400,
  month: 2592000,
  year: 31536000,
};

const FIXED_MS: Partial<Record<Period, number>> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Start (epoch ms) of the `period` window containing `nowMs`. */
export function windowStart(period: Period, nowMs: number): number {
  const fixed = FIXED_MS[period];
  if (fixed !== undefined) return Math.floor(nowMs / fixed) * fixed;
  const d = new Date(nowMs);
  return period === 'month' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) : Date.UTC(d.getUTCFullYear(), 0, 1);
}

/** End (epoch ms, exclusive) of the `period` window that starts at `startMs`: the next boundary. */
export function windowEnd(period: Period, startMs: number): number {
  const fixed = FIXED_MS[period];
  if (fixed !== undefined) return startMs + fixed;
  const d = new Date(startMs);
  return period === 'month'
    ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
    : Date.UTC(d.getUTCFullYear() + 1, 0, 1);
}

/**
 * Whole seconds until the `period` window containing `nowMs` ends, at least 1 (RateLimit-Reset,
 * Retry-After). Equals Kong's `max(1, window - floor(elapsed))` for second … day; for month and
 * year it counts to the real end of the calendar month or year, where Kong uses 30 and 365 days.
 */
export function secondsToReset(period: Period, nowMs: number): number {
  const end = windowEnd(period, windowStart(period, nowMs));
  return Math.max(1, Math.ceil((end - nowMs) / 1000));
}
