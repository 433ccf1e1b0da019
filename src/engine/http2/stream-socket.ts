// One HTTP/2 stream seen as an HTTP/1.1 connection carrying one request, so that the engine's
// Http1ServerConnection and Exchange (routes, plugins, balancers, metrics, logs) run on it
// unchanged: the readable side yields the request translated to HTTP/1.1 (head, body framed
// as the head says, trailers), the writable side takes the engine's HTTP/1.1 response and
// writes it to the stream as HTTP/2 (ResponseWriter).
//
// Backpressure crosses in both directions with the streams' own signals: when the engine
// stops reading (upstream not draining the upload), push() returns false and the HTTP/2
// stream is paused, which withholds WINDOW_UPDATEs from the client; when the client stops
// reading, the HTTP/2 stream's buffer fills, _write holds its callback until 'drain', this
// socket's write() returns false and the engine pauses the upstream read.

import { Duplex } from 'node:stream';
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { trailerLines, type Http1Head } from './request-head.js';
import { ResponseWriter } from './response-writer.js';

const { NGHTTP2_NO_ERROR } = http2.constants;
const HIGH_WATER = 64 * 1024;
const CRLF = Buffer.from('\r\n');

export class StreamSocket extends Duplex {
  readonly writer: ResponseWriter;
  private waiting: ((err?: Error | null) => void) | null = null;
  private trailers = '';
  private requestEnded = false;

  constructor(
    readonly stream: ServerHttp2Stream,
    head: Http1Head,
    readonly remoteAddress: string | undefined,
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: HIGH_WATER, writableHighWaterMark: HIGH_WATER });
    this.writer = new ResponseWriter(stream, head.method === 'HEAD');
    this.push(Buffer.from(head.text, 'latin1'));
    const chunked = head.chunked;
    // A request without a body (END_STREAM on its HEADERS) is over already, though 'end' has not
    // been emitted yet: without this every GET would be closed with RST_STREAM after its response
    // (an extra frame, and an error object per write still queued on the stream).
    this.requestEnded = stream.readableEnded || stream.endAfterHeaders;
    stream.on('data', (chunk: Buffer) => {
      if (this.destroyed) return;
      let ok: boolean;
      if (chunked) {
        if (chunk.length === 0) return; // a zero-size chunk would end the body
        const size = chunk.length.toString(16) + '\r\n';
        const framed = Buffer.allocUnsafe(size.length + chunk.length + 2);
        framed.write(size, 0, 'latin1');
        chunk.copy(framed, size.length);
        CRLF.copy(framed, size.length + chunk.length);
        ok = this.push(framed);
      } else ok = this.push(chunk);
      if (!ok) stream.pause();
    });
    stream.on('trailers', (t: IncomingHttpHeaders) => {
      this.trailers = trailerLines(t);
    });
    stream.on('end', () => {
      this.requestEnded = true;
      // Trailers only survive a chunked body; with a content-length the HTTP/1.1 form has no room for them.
      if (chunked && !this.destroyed) this.push(Buffer.from('0\r\n' + this.trailers + '\r\n', 'latin1'));
    });
    stream.on('drain', () => {
      const cb = this.waiting;
      this.waiting = null;
      if (cb !== null) cb();
    });
    // The client reset the stream, or the session went away: the engine sees a closed connection.
    stream.on('close', () => {
      if (!this.destroyed) this.destroy();
    });
    stream.on('error', () => {}); // reported by 'close'; an unhandled 'error' would end the worker
  }

  /** The engine sets Nagle off on its sockets; the HTTP/2 session's socket has it off already. */
  setNoDelay(): this {
    return this;
  }

  override _read(): void {
    if (this.stream.isPaused()) this.stream.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    try {
      this.writer.feed(chunk);
    } catch {
      this.writer.abort(); // not an HTTP/1.1 response: cannot happen unless the engine has a bug
    }
    // A closed or destroyed stream takes no more data and may never emit 'drain' again.
    const st = this.stream;
    if (st.writableNeedDrain && !st.closed && !st.destroyed) this.waiting = cb;
    else cb();
  }

  /** The engine finished the exchange and ends the connection. */
  override _final(cb: (err?: Error | null) => void): void {
    this.writer.end();
    cb();
    // The readable side never ends by itself (the engine needs no EOF): close the socket now.
    process.nextTick(() => this.destroy());
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const w = this.writer;
    if (!w.complete) w.abort();
    else if (!this.requestEnded && !this.stream.closed && !this.stream.destroyed) {
      // Answered before the upload ended (e.g. 401, 413): stop the client sending the rest.
      // NO_ERROR after a complete response, as RFC 9113 §8.1 allows; node sends it after the data.
      this.stream.close(NGHTTP2_NO_ERROR);
    }
    const cbw = this.waiting;
    this.waiting = null;
    if (cbw !== null) cbw();
    cb(err);
  }
}
