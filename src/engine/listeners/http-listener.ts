// What the HTTP listener kinds share: the HTTP/1.1 connections of one listener, and, on
// listeners with the http2 flag, the HTTP/2 side (one Http2Edge per listener). Each kind
// decides how a socket reaches one or the other (ALPN, the h2c preface, or always HTTP/1.1).

import type net from 'node:net';
import type { ListenAddress } from '../../settings/index.js';
import type { ListenerInfo, WorkerContext } from '../context.js';
import { Http1ServerConnection } from '../http1/server-connection.js';
import { Http2Edge } from '../http2/index.js';
import type { Listener, ListenerEnv } from './types.js';

export class HttpListener implements Listener {
  /** Open HTTP/1.1 connections of this listener (drained and closed on shutdown). */
  private readonly open = new Set<Http1ServerConnection>();
  readonly info: ListenerInfo;
  /** Hands an accepted socket to HTTP/1.1; made once per listener (no closure per connection beyond its close handler). */
  readonly http1: (socket: net.Socket) => void;
  /** The HTTP/2 side: present on listeners with the http2 flag. */
  readonly edge: Http2Edge | null;
  server!: net.Server;

  constructor(address: ListenAddress, env: ListenerEnv, scheme: 'http' | 'https', http2: boolean) {
    const ctx: WorkerContext = env.http;
    const info: ListenerInfo = { scheme, port: address.port };
    this.info = info;
    const open = this.open;
    this.http1 = (socket: net.Socket): void => {
      const conn = new Http1ServerConnection(socket, ctx, info);
      open.add(conn);
      socket.once('close', () => open.delete(conn));
      if (ctx.draining) conn.drain();
    };
    this.edge = http2
      ? new Http2Edge(ctx, info, {
          maxConcurrentStreams: env.settings.http2MaxConcurrentStreams,
          maxResets: env.settings.http2MaxResets,
        })
      : null;
  }

  /** Sets the server the kind made around this listener's accept functions. */
  serve(server: net.Server): this {
    this.server = server;
    return this;
  }

  drain(): void {
    for (const c of this.open) c.drain();
    this.edge?.drain(); // GOAWAY: streams in flight finish, no new ones
  }

  busy(): boolean {
    return this.open.size > 0 || (this.edge !== null && this.edge.connections.size > 0);
  }

  close(): void {
    for (const c of this.open) c.close();
    this.edge?.close();
  }
}
