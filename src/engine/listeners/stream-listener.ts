// What the stream (L4) listener kinds share. Stream connections are tracked in the worker's
// StreamContext (its `open` set also feeds the stats), so a stream listener drains by
// waiting: a relayed byte stream has no "last request" to end on.

import type net from 'node:net';
import { StreamConnection } from '../stream/connection.js';
import type { Listener, ListenerEnv } from './types.js';

export class StreamListener implements Listener {
  /** Hands an accepted socket to the stream engine; made once per listener. */
  readonly accept: (socket: net.Socket) => void;
  server!: net.Server;

  constructor(private readonly env: ListenerEnv) {
    const ctx = env.http; // `draining` is set there when shutdown begins
    const sctx = env.stream;
    this.accept = (socket: net.Socket): void => {
      if (ctx.draining) {
        socket.destroy();
        return;
      }
      new StreamConnection(socket, sctx);
    };
  }

  serve(server: net.Server): this {
    this.server = server;
    return this;
  }

  drain(): void {}

  busy(): boolean {
    return this.env.stream.open.size > 0;
  }

  close(): void {
    for (const s of [...this.env.stream.open]) s.close();
  }
}
