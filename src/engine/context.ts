// What every connection of a worker shares: the current snapshot (swapped on reload), the
// upstream pools, the node settings that matter on the request path, and the observers.

import type { BlockList } from 'node:net';
import type { Snapshot } from '../snapshot/types.js';
import type { UpstreamPools } from '../upstream/pool.js';
import type { AccessLog } from '../observe/access-log.js';
import type { RouteMetrics } from '../observe/metrics.js';
import type { PluginMetrics } from '../plugins/sdk.js';

export interface ListenerInfo {
  /** 'http' or 'https' as seen by the client (X-Forwarded-Proto, route protocols). */
  readonly scheme: 'http' | 'https';
  readonly port: number;
  /**
   * Set on the streams of an HTTP/2 client connection (src/engine/http2/): the access log
   * says HTTP/2.0, and the open-connections gauge counts the HTTP/2 connection once, not
   * every stream.
   */
  readonly http2?: boolean;
}

export interface WorkerContext {
  snapshot: Snapshot;
  readonly pools: UpstreamPools;
  readonly accessLog: AccessLog | null;
  /** Metrics cell for requests that matched no route. */
  readonly unmatched: RouteMetrics;
  /** Metrics the plugins export (ctx.metrics in the SDK). */
  readonly pluginMetrics: PluginMetrics;
  /** Largest request body a plugin may have buffered (readBody), bytes. */
  readonly clientBodyBufferLimit: number;
  /** Clients whose X-Forwarded-* headers are believed (Kong: trusted_ips); null = nobody. */
  readonly trusted: BlockList | null;
  readonly maxHeaderSize: number;
  /** Idle keep-alive time for client connections, ms (Kong/nginx: keepalive_timeout). */
  readonly clientKeepaliveTimeout: number;
  /** Time allowed to receive a request head or between two body reads, ms. */
  readonly clientTimeout: number;
  /** Value of the Via header and Server header on gateway-made responses. */
  readonly serverToken: string;
  /** Prefix making request ids unique across workers. */
  readonly requestIdPrefix: string;
  /** Open client connections of this worker. */
  connections: number;
  /** Of those, WebSocket tunnels (after a 101). */
  websockets: number;
  /** Set while draining for shutdown: answer with Connection: close. */
  draining: boolean;
}
