// What the exchange needs from the client side of a request: where the answer goes, how the
// request body is pulled, and what is known about the client. The HTTP/1.1 server
// connection implements it (an HTTP/2 stream reaches it through that connection today; see
// ARCHITECTURE.md). Declared here, below the exchange, so that the connection that creates
// exchanges and the exchange that writes to it do not import each other.

import type { ListenerInfo } from '../context.js';
import type { ClientConnection } from '../http1/client-connection.js';
import type { TunnelObserver, TunnelSettings, WebSocketTunnel } from '../ws/tunnel.js';

export interface Downstream {
  readonly clientIp: string;
  /** The client is a trusted proxy (trusted_ips): its X-Forwarded-* headers are believed. */
  readonly trusted: boolean;
  readonly listener: ListenerInfo;
  /** Some of the request's body has not been read from the client yet. */
  readonly bodyPending: boolean;
  readonly hasBody: boolean;
  readonly destroyed: boolean;
  /** The client is not draining what was written (backpressure). */
  readonly writableNeedDrain: boolean;
  /** False when the client's buffer is full: wait for the exchange's onClientDrain. */
  write(data: string | Buffer): boolean;
  /** Writes `parts` as one (corked) write; false as `write`. */
  writev(a: string, b: Buffer, c: Buffer): boolean;
  /** Lets the request body flow to onRequestData/onRequestEnd (decoded from chunked with `decode`). */
  startBody(decode?: boolean): void;
  pauseBody(): void;
  resumeBody(): void;
  close(): void;
  /** The response is complete: the connection reads its next request, or closes. */
  exchangeDone(keepAlive: boolean): void;
  /** The log phase reads the request head after the exchange: the connection copies it before reuse. */
  lendHead(borrower: { detach(): void }): void;
  returnHead(borrower: { detach(): void }): void;
  /** The 101 went out: both connections now belong to a WebSocket tunnel. */
  startTunnel(upstream: ClientConnection, settings: TunnelSettings, observer: TunnelObserver): WebSocketTunnel;
}
