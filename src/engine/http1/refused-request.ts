// The answer to a request an HTTP/1.1 client connection refuses (a malformed head or chunked
// body, a head not received in time): Kong's error body, then the count and access-log line
// every request gets, then the socket is ended. Rarely run, so it lives apart from the
// per-request code of server-connection.ts.
import type net from 'node:net';
import { errorResponse } from '../errors.js';
import type { ListenerInfo, WorkerContext } from '../context.js';
import { nextRequestId } from '../proxy/exchange.js';

/** What of the connection (server-connection.ts) a refusal uses. */
export interface RefusingConnection {
  readonly socket: net.Socket;
  readonly ctx: WorkerContext;
  readonly listener: ListenerInfo;
  readonly clientIp: string;
}

/**
 * `logged`: the exchange already recorded the request; `responseStarted`: response bytes went
 * out already, so only closing is left.
 */
export interface RefusalOptions {
  logged?: boolean;
  responseStarted?: boolean;
}

/** Writes the error response (unless one started), logs it, and ends the connection's socket. */
export function sendRefusal(conn: RefusingConnection, status: number, message: string, opts: RefusalOptions): void {
  const { socket, ctx } = conn;
  const id = nextRequestId(ctx);
  const body = errorResponse(status, message, id, ctx.serverToken, true);
  if (opts.responseStarted !== true) socket.write(body, 'latin1');
  if (opts.logged !== true) {
    // Refused requests are counted and logged like any other (no route, no service).
    ctx.unmatched.countStatus(status);
    ctx.accessLog?.write({
      requestId: id,
      clientIp: conn.clientIp,
      method: '',
      path: '',
      protocol: conn.listener.http2 === true ? 'HTTP/2.0' : '',
      status,
      latencyMs: 0,
      upstreamLatencyMs: -1,
      target: '',
      bytesIn: 0,
      bytesOut: body.length,
      service: '',
      route: '',
      error: message,
    });
  }
  socket.end();
  // Do not read anything further from a connection whose framing we refused.
  socket.pause();
  setTimeout(() => socket.destroy(), 2000).unref();
}
