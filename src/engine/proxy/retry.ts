// When a failed upstream attempt is tried again, and where. Asked by the UpstreamCall (the
// handler between the upstream connection and the exchange, as undici's RetryHandler sits
// between a dispatcher and its handler) before a failure reaches the exchange. A request
// whose body has started streaming is never retried: the bytes are gone.

import type { UpstreamFailure } from '../upstream-failure.js';
import type { UpstreamConnection } from './upstream-connection.js';

export const enum Retry {
  /** The failure is final: the exchange answers 502/503/504. */
  No,
  /** A pooled connection the upstream had closed while idle (or a refused HTTP/2 stream): once more, on a fresh one; no retry spent. */
  Fresh,
  /** The target's name does not resolve: skip it without spending a retry (Kong's balancer never picks a target without an address). */
  Skip,
  /** A connection failure: the next target, spending one of the service's retries. */
  Next,
}

export interface Attempts {
  /** Attempts made, the failed one included. */
  readonly attempts: number;
  readonly staleRetried: boolean;
  /** Targets tried and failed so far. */
  readonly triedCount: number;
}

export function retryFor(
  kind: UpstreamFailure,
  failed: UpstreamConnection | null,
  state: Attempts,
  endpoints: number,
  retries: number,
): Retry {
  if (kind === 'reset' && failed !== null && failed.reused && failed.responseBytes === 0 && !state.staleRetried)
    return Retry.Fresh;
  // Only targets not tried yet are left to skip to.
  if (kind === 'dns' && state.triedCount + 1 < endpoints) return Retry.Skip;
  if ((kind === 'connect' || kind === 'connect_timeout') && state.attempts <= retries) return Retry.Next;
  return Retry.No;
}
