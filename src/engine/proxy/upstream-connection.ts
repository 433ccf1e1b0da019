// What the Exchange needs from the thing that carries its request upstream. A pooled
// HTTP/1.1 connection (http1/client-connection.ts) is one; a stream on a shared HTTP/2
// session (upstream-h2/stream.ts) is the other. Each asks the request for its head in its
// own form (RequestHeadSource: HTTP/1.1 text, or HTTP/2 headers), takes the body as the
// client framed it, and hands the response back (UpstreamHandler): an HTTP/1.1 upstream's
// head and body as they came (checked), an HTTP/2 upstream's as header pairs, plain body
// bytes and trailer pairs.
// Both interfaces live here, below the connections that implement or call them.

import type { OutgoingHttpHeaders } from 'node:http2';
import type { ResponseHead } from '../http1/response-head.js';
import type { UpstreamFailure } from '../upstream-failure.js';

/** A request head as HTTP/2 request headers. */
export interface H2RequestHead {
  headers: OutgoingHttpHeaders;
  /** The body is of unknown length (the client sent it chunked, or as HTTP/2 DATA without a length) and may end with trailers. */
  chunked: boolean;
  /**
   * The body arrives with its chunk framing (an HTTP/1.1 client's chunks, forwarded as they
   * came): the stream undoes it and sends its trailer section. Otherwise (an HTTP/2 client's
   * DATA) the bytes come plain and the trailers with requestSent.
   */
  framed: boolean;
  /** The client spoke HTTP/1.0: its response cannot be chunked. */
  http10: boolean;
}

/** The request, asked for its head in the form the connection speaks. */
export interface RequestHeadSource {
  /** `bodyLength` ≥ 0: a body from memory with that length; -1: the client's, as it frames it. */
  http1Head(bodyLength: number): string;
  http2Head(bodyLength: number, scheme: 'http' | 'https'): H2RequestHead;
}

export interface UpstreamConnection {
  handler: UpstreamHandler | null;
  readTimeout: number;
  writeTimeout: number;
  /** True when a failure before any response byte may be retried once on a fresh connection (a stale pooled one, or a stream the peer refused). */
  readonly reused: boolean;
  readonly responseBytes: number;
  readonly connecting: boolean;
  begin(handler: UpstreamHandler, isHead: boolean, upgrade?: boolean): void;
  /** Sends the request head (first, once per request). */
  sendHead(source: RequestHeadSource, bodyLength: number): void;
  /** Request body bytes. */
  write(data: Buffer): boolean;
  touchWrite(): void;
  /** The request body is complete; `trailers`: an HTTP/2 client's ("name: value\r\n"…), sent on unframed. */
  requestSent(trailers?: string): void;
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
  /** The body is complete; `trailers`: an HTTP/2 upstream's (an HTTP/1.1 upstream's stay in its chunked body). */
  onResponseEnd(trailers?: readonly (readonly [string, string])[] | null): void;
  onUpstreamFailure(kind: UpstreamFailure, message: string): void;
  onUpstreamDrain(): void;
  /** 101 to a WebSocket handshake; buf[start,end) holds the first tunnel bytes (may be empty). */
  onUpgrade(head: ResponseHead, buf: Buffer, start: number, end: number): void;
}
