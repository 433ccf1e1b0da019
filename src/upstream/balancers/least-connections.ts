// Least connections, weighted as Kong does: the endpoint with the lowest (inflight + 1) / weight
// wins (the "+ 1" makes weights matter when all are idle). Ties rotate: the scan starts
// just after the previous winner, and only a strictly lower score displaces the first found.
import type { BalanceContext, Balancer, Endpoint } from '../types.js';
import { endRequest, startRequest, usable } from './common.js';

export class LeastConnectionsBalancer implements Balancer {
  readonly endpoints: readonly Endpoint[];
  private next = 0;

  constructor(endpoints: readonly Endpoint[]) {
    this.endpoints = endpoints;
  }

  pick(_ctx: BalanceContext | null, tried: ReadonlySet<Endpoint> | null): Endpoint | null {
    const eps = this.endpoints;
    const n = eps.length;
    let best = -1;
    let bestScore = 0;
    let i = this.next < n ? this.next : 0;
    for (let k = 0; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
      const ep = eps[i]!;
      if (!usable(ep, tried)) continue;
      const score = (ep.inflight + 1) / ep.weight;
      if (best < 0 || score < bestScore) {
        best = i;
        bestScore = score;
      }
    }
    if (best < 0) return null;
    this.next = best + 1 === n ? 0 : best + 1;
    return eps[best]!;
  }

  onStart(ep: Endpoint): void {
    startRequest(ep);
  }

  onEnd(ep: Endpoint, latencyMs: number, failed: boolean): void {
    endRequest(ep, latencyMs, failed);
  }
}
