// What the Exchange needs from the thing that carries its request upstream. A pooled
// HTTP/1.1 connection (http1/client-connection.ts) is one; a stream on a shared HTTP/2
// session (upstream-h2/stream.ts) is the other. Both take the request as HTTP/1.1 bytes and
// hand the response back as HTTP/1.1 (UpstreamHandler), so the Exchange stays one pipeline.

import type { UpstreamHandler } from '../http1/client-connection.js';

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
