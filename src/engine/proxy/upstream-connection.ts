// What the Exchange needs from the thing that carries its request upstream. A pooled
// HTTP/1.1 connection (http1/client-connection.ts) is one; a stream on a shared HTTP/2
// session (upstream-h2/stream.ts) is the other. Both take the request as HTTP/1.1 bytes and
// hand the response back as HTTP/1.1 (UpstreamHandler), so the Exchange stays one pipeline.
// Both interfaces live here, below the connections that implement or call them.

import type { ResponseHead } from '../http1/response-head.js';
import type { UpstreamFailure } from '../upstream-failure.js';

export interface UpstreamConnection {
  handler: UpstreamHandler | null;
  readTimeout: number;
  writeTimeout: number;
  /** True when a failure before any response byte may be retried once on a fresh connection (a stale pooled one, or a stream the peer refused). */
  readonly reused: boolean;
  readonly responseBytes: number;
  readonly connecting: boolean;
  begin(handler: UpstreamHandler, isHead: boolean, upgrade?: boolean): void;
  write(data: Buffer | string, encoding?: BufferEncoding): boolean;
  touchWrite(): void;
  requestSent(): void;
  pauseReading(): void;
  resumeReading(): void;
  destroy(): void;
}

/**
 * Receives an upstream's response. Buffer ranges handed to it are views of a read buffer
 * shared by every upstream socket of the worker: valid only during the call, so a handler
 * that keeps bytes (e.g. a write that may be queued) must copy them.
 */
export interface UpstreamHandler {
  /** `conn` is a ClientConnection, or a stream on an HTTP/2 session (upstream-h2/stream.ts). */
  onUpstreamReady(conn: UpstreamConnection): void;
  /** Head parsed; buf[start,end) holds the first body bytes that arrived with it (may be empty). */
  onResponseHead(head: ResponseHead, buf: Buffer, start: number, end: number): void;
  onResponseData(buf: Buffer, start: number, end: number): void;
  onResponseEnd(): void;
  onUpstreamFailure(kind: UpstreamFailure, message: string): void;
  onUpstreamDrain(): void;
  /** 101 to a WebSocket handshake; buf[start,end) holds the first tunnel bytes (may be empty). */
  onUpgrade(head: ResponseHead, buf: Buffer, start: number, end: number): void;
}
