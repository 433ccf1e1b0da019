// Smooth weighted round robin (nginx's ngx_http_upstream_get_peer): every pick adds each
// candidate's weight to its current weight, takes the largest, and subtracts the total from
// the winner. Weights 5,1,1 give a a b a c a a — spread out, never bursts.
import type { BalanceContext, Balancer, Endpoint } from '../types.js';
import { endRequest, startRequest, usable } from './common.js';

export class RoundRobinBalancer implements Balancer {
  readonly endpoints: readonly Endpoint[];
  private readonly current: Float64Array;

  constructor(endpoints: readonly Endpoint[]) {
    this.endpoints = endpoints;
    this.current = new Float64Array(endpoints.length);
  }

  pick(_ctx: BalanceContext | null, tried: ReadonlySet<Endpoint> | null): Endpoint | null {
    const eps = this.endpoints;
    const cur = this.current;
    let total = 0;
    let best = -1;
    let bestCw = 0;
    for (let i = 0; i < eps.length; i++) {
      const ep = eps[i]!;
      if (!usable(ep, tried)) continue;
      const cw = (cur[i] = cur[i]! + ep.weight);
      total += ep.weight;
      if (best < 0 || cw > bestCw) {
        best = i;
        bestCw = cw;
      }
    }
    if (best < 0) return null;
    cur[best] = cur[best]! - total;
    return eps[best]!;
  }

  onStart(ep: Endpoint): void {
    startRequest(ep);
  }

  onEnd(ep: Endpoint, latencyMs: number, failed: boolean): void {
    endRequest(ep, latencyMs, failed);
  }
}
