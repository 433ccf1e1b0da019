// Peak-EWMA with power of two choices (Finagle's / Linkerd's "P2C + PeakEWMA").
//
// Each endpoint keeps a peak-sensitive EWMA of its round trips (maintained in onEnd, see
// common.ts: a slower sample replaces the estimate at once, faster ones blend in over
// ~10 s). At pick time the estimate is decayed toward 0 by the time since the last sample
// (an idle endpoint is retried eventually), and the cost is
//
//     cost = estimate × (inflight + 1) / weight
//
// An endpoint without a sample costs 0 while idle (it gets probed by real traffic at once)
// but PENALTY + inflight once it has a request outstanding — so a fresh, possibly slow,
// endpoint takes one request at a time until it has a measurement, instead of the flood a
// zero estimate would attract (Finagle's rule). Two distinct usable endpoints are drawn at
// random and the cheaper wins.
import type { BalanceContext, Balancer, Endpoint } from '../types.js';
import { EWMA_DECAY_MS, endRequest, now, startRequest, usable } from './common.js';

/** Cost of an endpoint with requests in flight and no latency estimate (Finagle: Int.MaxValue >> 16). */
export const PENALTY = 32_767;

export function latencyCost(ep: Endpoint, t: number): number {
  let est = 0;
  if (ep.ewmaStamp !== 0) {
    const td = t > ep.ewmaStamp ? t - ep.ewmaStamp : 0;
    est = ep.ewma * Math.exp(-td / EWMA_DECAY_MS);
  }
  if (est < 1e-9) return ep.inflight === 0 ? 0 : (PENALTY + ep.inflight) / ep.weight;
  return (est * (ep.inflight + 1)) / ep.weight;
}

export class LatencyBalancer implements Balancer {
  readonly endpoints: readonly Endpoint[];
  /** Replaceable for deterministic tests: returns a float in [0, 1). */
  random: () => number = Math.random;

  constructor(endpoints: readonly Endpoint[]) {
    this.endpoints = endpoints;
  }

  pick(_ctx: BalanceContext | null, tried: ReadonlySet<Endpoint> | null): Endpoint | null {
    const eps = this.endpoints;
    let count = 0;
    let only = -1;
    for (let i = 0; i < eps.length; i++) {
      if (usable(eps[i]!, tried)) {
        count++;
        only = i;
      }
    }
    if (count === 0) return null;
    if (count === 1) return eps[only]!;
    // Two distinct ranks among the usable endpoints.
    const r1 = Math.floor(this.random() * count);
    let r2 = Math.floor(this.random() * (count - 1));
    if (r2 >= r1) r2++;
    let a: Endpoint | null = null;
    let b: Endpoint | null = null;
    for (let i = 0, rank = 0; i < eps.length; i++) {
      const ep = eps[i]!;
      if (!usable(ep, tried)) continue;
      if (rank === r1) a = ep;
      if (rank === r2) b = ep;
      rank++;
    }
    const t = now();
    return latencyCost(b!, t) < latencyCost(a!, t) ? b! : a!;
  }

  onStart(ep: Endpoint): void {
    startRequest(ep);
  }

  onEnd(ep: Endpoint, latencyMs: number, failed: boolean): void {
    endRequest(ep, latencyMs, failed);
  }
}
