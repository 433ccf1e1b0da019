// The compiled, immutable form of a configuration that the data plane runs. A reload builds
// a new Snapshot and swaps one reference; requests in flight keep the one they started with.

import type { Router } from '../router/types.js';
import type { RouteMetrics, StreamMetrics } from '../observe/metrics.js';
import type { StreamRouter } from '../router/stream.js';
import type { PluginChain } from '../plugins/chain/types.js';
import type { ConsumerStore } from '../plugins/sdk.js';
import type { SniContexts } from '../engine/tls/contexts.js';
import type { Cluster } from '../upstream/cluster.js';

// The cluster contract lives beside the balancers; the snapshot holds clusters.
export type { Cluster, PassiveReporter } from '../upstream/cluster.js';

export interface CompiledService {
  readonly id: string;
  readonly name: string;
  readonly path: string | null;
  readonly retries: number;
  readonly connectTimeout: number;
  readonly writeTimeout: number;
  readonly readTimeout: number;
  readonly cluster: Cluster;
  /** TLS to the upstream (protocol https/wss/grpcs services), or null for plain TCP. */
  readonly upstreamTls: UpstreamTls | null;
  /** Requests go upstream as HTTP/2 streams (protocol grpc: h2c with prior knowledge; grpcs: h2 over TLS). */
  readonly http2: boolean;
}

/** How to open TLS connections to a service's targets. */
export interface UpstreamTls {
  /** SNI and the name the certificate is checked against (null: the target's address; no SNI for IPs). */
  readonly servername: string | null;
  /** Kong's tls_verify: check the upstream's certificate against the system CAs. Off unless set, as in Kong. */
  readonly verify: boolean;
  /** Kong's tls_verify_depth, when set. */
  readonly verifyDepth: number | null;
  /**
   * The service's trusted CAs (ca_certificates, when tls_verify is on) and client certificate
   * (client_certificate), built once per snapshot; null: the system CAs and no client certificate.
   */
  readonly secureContext: import('node:tls').SecureContext | null;
  /**
   * Prefix of the pool key of these connections: a pooled TLS connection is reused only by
   * services with the same TLS settings (an unverified connection must never serve a
   * service that asks for verification).
   */
  readonly poolPrefix: string;
}

export interface CompiledRoute {
  readonly id: string;
  readonly name: string;
  readonly service: CompiledService | null;
  readonly stripPath: boolean;
  readonly preserveHost: boolean;
  readonly pathHandling: 'v0' | 'v1';
  readonly metrics: RouteMetrics;
  /** The route's plugin chain, or null when no plugin applies (the common fast path). */
  readonly plugins: PluginChain | null;
  /** Kong's https_redirect_status_code: the answer to plain HTTP on a route that takes https but not http. */
  readonly httpsRedirectStatus: number;
  /** protocols are grpc/grpcs only: gateway-made errors are answered in gRPC form, and non-gRPC requests are refused. */
  readonly grpcOnly: boolean;
}

/** A route with protocols tcp / tls_passthrough / tls, proxied byte for byte by the stream engine (tls: after the gateway terminated TLS). */
export interface CompiledStreamRoute {
  readonly id: string;
  readonly name: string;
  readonly service: CompiledService | null;
  readonly metrics: StreamMetrics;
}

export interface Snapshot {
  readonly hash: string;
  readonly router: Router<CompiledRoute>;
  readonly clusters: ReadonlyMap<string, Cluster>;
  /** Stream (L4) routes; their listeners are stream_listen. */
  readonly streamRouter: StreamRouter<CompiledStreamRoute>;
  readonly routeCount: number;
  readonly serviceCount: number;
  /** Consumers and credentials, for plugins. */
  readonly consumers: ConsumerStore;
  /** Certificates by SNI for TLS listeners; null when compiled without TLS options (or none configured). */
  readonly tls: SniContexts | null;
  /** Some route takes https but not http: a plain request that matches nothing is matched again as https (→ 426 or a redirect). */
  readonly httpsOnlyRoutes: boolean;
  /** Some route takes grpc/grpcs: requests with a gRPC content-type are matched as grpc(s) first. */
  readonly grpcRoutes: boolean;
}
