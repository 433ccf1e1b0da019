// Keep-alive connection pools, one per endpoint ("host:port"), owned by the worker rather
// than by a snapshot so that pooled connections survive config reloads.
// Settings follow Kong's upstream_keepalive_* names.

import { ClientConnection, type ConnectionOwner } from '../engine/http1/client-connection.js';
import type { UpstreamTls } from '../snapshot/types.js';
import { Http2Sessions } from '../engine/upstream-h2/session.js';

export interface PoolSettings {
  /** Idle connections kept per endpoint (Kong: upstream_keepalive_pool_size). */
  poolSize: number;
  /** Requests per connection before it is closed (Kong: upstream_keepalive_max_requests). */
  maxRequests: number;
  /** Idle time before a pooled connection is closed, ms (Kong: upstream_keepalive_idle_timeout). */
  idleTimeout: number;
}

export const DEFAULT_POOL_SETTINGS: PoolSettings = { poolSize: 512, maxRequests: 10_000, idleTimeout: 60_000 };

class EndpointPool {
  readonly idle: ClientConnection[] = [];
  open = 0;
}

export class UpstreamPools implements ConnectionOwner {
  private readonly pools = new Map<string, EndpointPool>();
  private readonly sweeper: NodeJS.Timeout;
  /** HTTP/2 sessions (grpc, grpcs services): one shared session per endpoint instead of a pool. */
  readonly h2: Http2Sessions;

  constructor(private readonly settings: PoolSettings = DEFAULT_POOL_SETTINGS) {
    this.h2 = new Http2Sessions(settings.idleTimeout);
    this.sweeper = setInterval(() => this.closeIdle(), Math.min(5000, Math.max(250, settings.idleTimeout / 4)));
    this.sweeper.unref();
  }

  /**
   * An idle pooled connection to the endpoint, or null. Connections the upstream closed while
   * idle are dropped by their socket listeners, so what is here is believed alive.
   */
  takeIdle(key: string): ClientConnection | null {
    const p = this.pools.get(key);
    if (p === undefined) return null;
    const c = p.idle.pop();
    return c === undefined ? null : c;
  }

  /** Opens a new connection; `ready` is signalled to its handler. */
  connect(
    key: string,
    host: string,
    port: number,
    connectTimeout: number,
    tls: UpstreamTls | null = null,
  ): ClientConnection {
    let p = this.pools.get(key);
    if (p === undefined) {
      p = new EndpointPool();
      this.pools.set(key, p);
    }
    p.open++;
    return new ClientConnection(key, host, port, connectTimeout, this, tls);
  }

  release(conn: ClientConnection): void {
    const p = this.pools.get(conn.key);
    if (p === undefined) return conn.destroy();
    if (conn.requests >= this.settings.maxRequests || p.idle.length >= this.settings.poolSize) {
      conn.destroy();
      return;
    }
    p.idle.push(conn);
  }

  forget(conn: ClientConnection): void {
    const p = this.pools.get(conn.key);
    if (p === undefined) return;
    p.open--;
    const i = p.idle.indexOf(conn);
    if (i !== -1) p.idle.splice(i, 1);
  }

  /** Open connection counts per endpoint, for /status. */
  stats(): { endpoint: string; open: number; idle: number }[] {
    const out = [];
    for (const [endpoint, p] of this.pools) out.push({ endpoint, open: p.open, idle: p.idle.length });
    return out.concat(this.h2.stats());
  }

  private closeIdle(): void {
    const limit = Date.now() - this.settings.idleTimeout;
    for (const p of this.pools.values()) {
      // Oldest first: the stack's bottom has been idle the longest.
      while (p.idle.length > 0 && p.idle[0].idleSince < limit) p.idle[0].destroy();
    }
  }

  closeAll(): void {
    clearInterval(this.sweeper);
    this.h2.closeAll();
    for (const p of this.pools.values()) while (p.idle.length > 0) p.idle[0].destroy();
  }
}
