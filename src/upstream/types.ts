// Contract between balancers, health checks and the proxy engine.

export interface Endpoint {
  /** "host:port", unique inside a cluster; also the key of the connection pool. */
  readonly key: string;
  readonly host: string;
  readonly port: number;
  weight: number;
  /** Requests currently in flight to this endpoint (maintained by the engine via onStart/onEnd). */
  inflight: number;
  /** Health as decided by the health checker; balancers skip unhealthy endpoints. */
  healthy: boolean;
  /** Free slot for algorithm state (e.g. peak-EWMA). */
  ewma: number;
  ewmaStamp: number;
}

export interface BalanceContext {
  clientIp: string;
  path: string;
  /** Request header value by lower-case name. */
  header(name: string): string | undefined;
  cookie(name: string): string | undefined;
  queryArg(name: string): string | undefined;
  uriCapture(name: string): string | undefined;
  consumerId: string | null;
  /** A balancer that hashes on a cookie the request lacks sets it here ("name=value; Path=/"); the engine adds it as Set-Cookie. */
  setCookie: string | null;
}

export interface Balancer {
  /** Picks a healthy endpoint, skipping those in `tried` (retries move to another target). Null when none is available. */
  pick(ctx: BalanceContext, tried: ReadonlySet<Endpoint> | null): Endpoint | null;
  /** The engine calls this when it starts a request on the endpoint. */
  onStart(ep: Endpoint): void;
  /** The engine calls this when the request ends; latency in ms from request write to response headers. */
  onEnd(ep: Endpoint, latencyMs: number, failed: boolean): void;
  readonly endpoints: readonly Endpoint[];
}

export type PassiveOutcome = 'success' | 'http_failure' | 'tcp_failure' | 'timeout';

export interface TargetHealth {
  target: string;
  weight: number;
  health: 'HEALTHY' | 'UNHEALTHY' | 'HEALTHCHECKS_OFF';
  addresses?: { ip: string; port: number; health: string }[];
}
