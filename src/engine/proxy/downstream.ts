// What the exchange needs from the client side of a request: where the answer goes, how the
// request body is pulled, and what is known about the client. The HTTP/1.1 server
// connection (http1/server-connection.ts) and an HTTP/2 stream (http2/stream-downstream.ts)
// implement it. Declared here, below the exchange, so that the connection that creates
// exchanges and the exchange that writes to it do not import each other.
//
// The response crosses in a protocol-neutral form: a head (ResponseOut: status and header
// fields), body chunks with backpressure, and an end with trailers as pairs. The HTTP/1.1
// connection serialises it; an HTTP/2 stream hands it to node:http2. One exception keeps
// HTTP/1.1 → HTTP/1.1 fast: an HTTP/1.1 upstream's status line, header lines and chunk
// framing go to an HTTP/1.1 client as they came (`rawFields`, BodyMode.Chunked), and only a
// downstream that is not `http1` has them turned into fields and de-chunked.

import type { ListenerInfo } from '../context.js';
import type { ClientConnection } from '../http1/client-connection.js';
import type { TunnelObserver, TunnelSettings, WebSocketTunnel } from '../ws/tunnel.js';

/** How the body follows a response head. */
export const enum BodyMode {
  /** No body bytes follow (HEAD, 204, 304, a gateway answer without one): the head ends the response. */
  None = 0,
  /** `length` bytes follow (their Content-Length is in the head). */
  Length = 1,
  /** HTTP/1.1 chunk framing as an HTTP/1.1 upstream sent it: only to an `http1` downstream, forwarded unchanged. */
  Chunked = 2,
  /** Bytes of unknown length: framed by the downstream (chunked, or until close for HTTP/1.0; DATA frames on HTTP/2). */
  Stream = 3,
  /** A 101 to a WebSocket handshake (HTTP/1.1 only): the connection becomes a tunnel. */
  Upgrade = 4,
}

/**
 * A response head in neutral form. The exchange is one (no object per response); a
 * downstream reads it during sendHead only.
 */
export interface ResponseOut {
  /** The status on the wire (a gRPC error's is 200; the exchange's `status` is the HTTP one it stands for). */
  readonly wireStatus: number;
  /** An HTTP/1.1 upstream's status line ("HTTP/1.1 200 OK\r\n") kept for HTTP/1.1 clients; '' to make one. */
  readonly statusLine: string;
  /** An HTTP/1.1 upstream's header lines as they came ("Name: value\r\n"…, hop-by-hop fields dropped); '' when none. */
  readonly rawFields: string;
  /** Header fields after `rawFields`, as pairs (fieldNames[i]: fieldValues[i]). */
  readonly fieldNames: readonly string[];
  readonly fieldValues: readonly string[];
  /** An upstream's answer (the gateway adds Via) rather than the gateway's own (Server, Content-Length). */
  readonly fromUpstream: boolean;
  /** A balancer's sticky-session cookie (hash_on_cookie) to set. */
  readonly setCookie: string | null;
  /** The HTTP/1.1 connection stays open after this response. */
  readonly keepAlive: boolean;
}

/** Trailer fields as [name, value] pairs. */
export type TrailerPairs = readonly (readonly [string, string])[];

export interface Downstream {
  readonly clientIp: string;
  /** The client is a trusted proxy (trusted_ips): its X-Forwarded-* headers are believed. */
  readonly trusted: boolean;
  readonly listener: ListenerInfo;
  /** HTTP/1.1 on the wire: an HTTP/1.1 upstream's head and chunk framing may be handed over as they came. */
  readonly http1: boolean;
  /** Some of the request's body has not been read from the client yet. */
  readonly bodyPending: boolean;
  readonly hasBody: boolean;
  readonly destroyed: boolean;
  /** The client is not draining what was written (backpressure): wait for the exchange's onClientDrain. */
  readonly writableNeedDrain: boolean;
  /**
   * Starts the response: the head `r`, then the body as `mode` says, `length` its size
   * (BodyMode.Length; a gateway answer's Content-Length, also for HEAD; -1 none). The
   * body's first bytes, buf[start, end), go with it (copied if kept: `buf` may be a shared
   * read buffer); a gateway answer passes its whole body so. Returns the bytes written.
   */
  sendHead(r: ResponseOut, mode: BodyMode, length: number, buf: Buffer | null, start: number, end: number): number;
  /** More body bytes (owned by the downstream from now on); false when the client's buffer is full. */
  writeBody(data: Buffer): boolean;
  /**
   * The body is complete. `trailers` end it (chunked last chunk, or HTTP/2 trailers); with
   * BodyMode.Chunked they are only given when the upstream's own last chunk did not come.
   * Returns the bytes written.
   */
  endBody(trailers: TrailerPairs | null): number;
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
