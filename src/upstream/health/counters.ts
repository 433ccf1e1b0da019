// The health counters of one target and the rules that move them, apart from the checker's
// timers and probes so that the rules read in one place.
//
// Counting (as lua-resty-healthcheck, which Kong uses): one set of counters per target,
// shared by active and passive checks, each mode applying its own thresholds. A success
// increments `successes` and clears the failure counters; a failure increments its own
// counter (http_failures, tcp_failures or timeouts) and clears `successes`; so every
// counter counts consecutive results. A healthy target flips to unhealthy when a failure
// counter reaches its threshold; an unhealthy one flips back when `successes` reaches
// `healthy.successes`. A threshold of 0 disables that counter. Every flip clears all counters.
import type { ActiveHealthcheck, PassiveHealthcheck } from '../../config/types.js';
import type { Endpoint } from '../types.js';

export interface TargetState {
  ep: Endpoint;
  successes: number;
  httpFailures: number;
  tcpFailures: number;
  timeouts: number;
  probing: boolean;
  recovery: NodeJS.Timeout | null;
}

/** One mode's thresholds and status lists (as lookup tables: the passive side runs per request). */
export interface Limits {
  successes: number;
  httpFailures: number;
  tcpFailures: number;
  timeouts: number;
  healthyStatus: Uint8Array;
  unhealthyStatus: Uint8Array;
}

/** What failed: the counter a failure increments. */
export const HTTP_FAILURE = 1;
export const TCP_FAILURE = 2;
export const TIMEOUT = 3;

function statusTable(list: readonly number[] | null | undefined): Uint8Array {
  const t = new Uint8Array(1000);
  if (list) for (const s of list) if (s >= 0 && s < 1000) t[s] = 1;
  return t;
}

/** The thresholds of one mode (`healthchecks.active` or `healthchecks.passive`). */
export function limitsOf(mode: ActiveHealthcheck | PassiveHealthcheck): Limits {
  return {
    successes: mode.healthy.successes,
    httpFailures: mode.unhealthy.http_failures,
    tcpFailures: mode.unhealthy.tcp_failures,
    timeouts: mode.unhealthy.timeouts,
    healthyStatus: statusTable(mode.healthy.http_statuses),
    unhealthyStatus: statusTable(mode.unhealthy.http_statuses),
  };
}

/** A target new to a checker: clean counters. */
export function newTargetState(ep: Endpoint): TargetState {
  return { ep, successes: 0, httpFailures: 0, tcpFailures: 0, timeouts: 0, probing: false, recovery: null };
}

export function clearCounters(st: TargetState): void {
  st.successes = 0;
  st.httpFailures = 0;
  st.tcpFailures = 0;
  st.timeouts = 0;
}

/** Counts a success; true when the (unhealthy) target has now earned its way back. */
export function countSuccess(st: TargetState, lim: Limits): boolean {
  st.httpFailures = 0;
  st.tcpFailures = 0;
  st.timeouts = 0;
  if (st.ep.healthy) {
    st.successes = 0;
    return false;
  }
  const limit = lim.successes;
  if (limit === 0) return false;
  return ++st.successes >= limit;
}

/** Counts a failure of `kind` (HTTP_FAILURE, TCP_FAILURE, TIMEOUT); true when the (healthy) target must be ejected. */
export function countFailure(st: TargetState, lim: Limits, kind: number): boolean {
  st.successes = 0;
  if (!st.ep.healthy) return false;
  let count: number;
  let limit: number;
  if (kind === HTTP_FAILURE) {
    count = ++st.httpFailures;
    limit = lim.httpFailures;
  } else if (kind === TCP_FAILURE) {
    count = ++st.tcpFailures;
    limit = lim.tcpFailures;
  } else {
    count = ++st.timeouts;
    limit = lim.timeouts;
  }
  return limit > 0 && count >= limit;
}
