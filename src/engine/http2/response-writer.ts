// The engine's HTTP/1.1 response, as bytes, turned into HTTP/2 on one stream: the head
// becomes a HEADERS frame (connection-specific fields dropped), the body is de-framed
// (content-length, chunked or until close) into DATA frames, and chunked trailers become
// trailing HEADERS. nghttp2 (node:http2) does the framing, flow control and HPACK.
//
// A response whose head carries grpc-status (gRPC "trailers-only", e.g. a gateway-made gRPC
// error) and whose body is empty is sent as one HEADERS frame with END_STREAM: gRPC clients
// read the status from it only in that form.

import http2, { type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { Framing, parseResponseHead, ResponseHead } from '../http1/response-head.js';
import { ChunkedParser } from '../http1/chunked.js';

const { NGHTTP2_INTERNAL_ERROR } = http2.constants;

/** The engine writes its own heads; this only bounds a bug. */
const MAX_HEAD = 1024 * 1024;

/** Fields HTTP/2 forbids (RFC 9113 §8.2.2) that the HTTP/1.1 head parser does not drop already. */
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'http2-settings',
]);
/** Not allowed in trailers. */
const NOT_TRAILERS = new Set(['content-length', 'content-type', 'host', 'trailer']);
/** Fields node:http2 accepts once only (it throws on an array for them); a second value is dropped. */
const SINGLE = new Set([
  'access-control-allow-credentials',
  'access-control-max-age',
  'access-control-request-method',
  'age',
  'authorization',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-md5',
  'content-range',
  'content-type',
  'date',
  'dnt',
  'etag',
  'expires',
  'from',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'range',
  'referer',
  'retry-after',
  'tk',
  'upgrade-insecure-requests',
  'user-agent',
  'x-content-type-options',
]);

/** "Name: value" lines (CRLF or LF separated) → an HTTP/2 header object. */
function fieldsOf(lines: string, out: OutgoingHttpHeaders, trailers: boolean): OutgoingHttpHeaders {
  let pos = 0;
  while (pos < lines.length) {
    let e = lines.indexOf('\n', pos);
    if (e === -1) e = lines.length;
    const lineEnd = e > pos && lines.charCodeAt(e - 1) === 0x0d ? e - 1 : e;
    const colon = lines.indexOf(':', pos);
    if (colon > pos && colon < lineEnd) {
      const name = lines.slice(pos, colon).toLowerCase();
      const value = lines.slice(colon + 1, lineEnd).trim();
      if (!CONNECTION_SPECIFIC.has(name) && !(trailers && NOT_TRAILERS.has(name))) {
        const prev = out[name];
        if (prev === undefined) out[name] = value;
        else if (!SINGLE.has(name)) out[name] = Array.isArray(prev) ? [...prev, value] : [String(prev), value];
      }
    }
    pos = e + 1;
  }
  return out;
}

const enum St {
  Head,
  Body,
  Done,
}

export class ResponseWriter {
  private st = St.Head;
  private partial: Buffer | null = null;
  private readonly rh = new ResponseHead();
  private framing = Framing.None;
  private remaining = 0;
  private dechunk: ChunkedParser | null = null;
  /** Headers held back until the body shows whether it is empty (trailers-only gRPC responses). */
  private held: OutgoingHttpHeaders | null = null;
  private trailers: OutgoingHttpHeaders | null = null;
  /** The response went out whole (END_STREAM sent or queued). */
  complete = false;
  /** We reset the stream (broken or truncated response), as opposed to the client. */
  reset = false;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly isHead: boolean,
  ) {}

  /** Response bytes from the engine. Throws on bytes that are not an HTTP/1.1 response (a bug). */
  feed(data: Buffer): void {
    let buf = data;
    let i = 0;
    while (i < buf.length && this.st !== St.Done) {
      if (this.st === St.Head) {
        if (this.partial !== null) {
          buf = Buffer.concat([this.partial, buf.subarray(i)]);
          this.partial = null;
          i = 0;
        }
        const n = parseResponseHead(buf, i, buf.length, MAX_HEAD, this.isHead, this.rh);
        if (n === 0) {
          this.partial = Buffer.from(buf.subarray(i));
          return;
        }
        i += n;
        if (this.rh.status < 200) {
          // 100 Continue (the client sent Expect); other interim responses are not forwarded.
          // additionalHeaders() throws on a closed or destroyed stream and after the response head.
          const s = this.stream;
          if (this.rh.status === 100 && !s.headersSent && !s.closed && !s.destroyed)
            s.additionalHeaders({ ':status': 100 });
          continue;
        }
        this.startResponse();
        continue;
      }
      switch (this.framing) {
        case Framing.Length: {
          const take = Math.min(this.remaining, buf.length - i);
          const chunk = buf.subarray(i, i + take);
          i += take;
          this.remaining -= take;
          // The last piece goes with the end of the stream: one write instead of a write and an end.
          if (this.remaining === 0) this.finish(chunk);
          else this.data(chunk);
          break;
        }
        case Framing.Chunked: {
          const r = this.dechunk!.feed(buf, i, buf.length);
          if (r === -1) i = buf.length;
          else {
            i = r;
            this.finish();
          }
          break;
        }
        default:
          this.data(buf.subarray(i));
          i = buf.length;
      }
    }
  }

  private startResponse(): void {
    const rh = this.rh;
    const headers = fieldsOf(rh.headerLines, { ':status': rh.status }, false);
    this.framing = rh.framing;
    this.st = St.Body;
    if (rh.framing === Framing.None || (rh.framing === Framing.Length && rh.contentLength === 0)) {
      this.respond(headers, true);
      this.st = St.Done;
      this.complete = true;
      return;
    }
    if (rh.framing === Framing.Length) {
      this.remaining = rh.contentLength;
      this.respond(headers, false);
      return;
    }
    if (rh.framing === Framing.Chunked) {
      const d = new ChunkedParser();
      d.trailers = '';
      d.sink = (b, s, e) => this.data(b.subarray(s, e));
      this.dechunk = d;
      if (headers['grpc-status'] !== undefined) this.held = headers;
      else this.respond(headers, false, true);
      return;
    }
    this.respond(headers, false);
  }

  private respond(headers: OutgoingHttpHeaders, endStream: boolean, waitForTrailers = false): void {
    const s = this.stream;
    // respond() throws on a stream that is closed or destroyed (the client reset it, or the
    // connection went away) and on a second head; there is nobody to answer then.
    if (s.closed || s.destroyed || s.headersSent) return;
    try {
      if (waitForTrailers) s.once('wantTrailers', () => this.sendTrailers());
      s.respond(headers, { endStream, waitForTrailers });
    } catch {
      // A head node:http2 refuses to send: the client must not wait for it. This can run
      // outside the engine's write path (from _final), where nothing else would catch it.
      this.resetStream();
    }
  }

  private sendTrailers(): void {
    const s = this.stream;
    if (s.closed || s.destroyed) return;
    try {
      // Empty: node:http2 ends the stream with an empty DATA frame instead.
      s.sendTrailers(this.trailers ?? {});
    } catch {
      // Called from node:http2's 'wantTrailers' (no caller of ours to catch a throw): trailers
      // it refuses end the stream with a reset, so the client knows the response is incomplete.
      this.resetStream();
    }
  }

  private data(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.held !== null) {
      const h = this.held;
      this.held = null;
      this.respond(h, false, true);
    }
    const s = this.stream;
    if (!s.closed && !s.destroyed) s.write(chunk);
  }

  private finish(last?: Buffer): void {
    this.st = St.Done;
    this.complete = true;
    const s = this.stream;
    const d = this.dechunk;
    if (d !== null && d.trailers !== null && d.trailers !== '') this.trailers = fieldsOf(d.trailers, {}, true);
    if (this.held !== null) {
      // Trailers-only: one HEADERS frame with END_STREAM (chunked trailers, if any, folded in).
      const h = this.trailers !== null ? { ...this.held, ...this.trailers } : this.held;
      this.held = null;
      this.respond(h, true);
      return;
    }
    if (s.closed || s.destroyed) return;
    if (last !== undefined && last.length > 0) s.end(last);
    else s.end();
  }

  /** The engine ended its side: a body delimited by the close ends here; anything else was cut short. */
  end(): void {
    if (this.st === St.Done) return;
    if (this.st === St.Body && this.framing === Framing.UntilClose) return this.finish();
    this.abort();
  }

  /** The response cannot be completed: reset the stream so the client sees it is incomplete. */
  abort(): void {
    if (this.complete || this.reset) return;
    this.resetStream();
  }

  private resetStream(): void {
    this.st = St.Done;
    const s = this.stream;
    if (s.closed || s.destroyed) return; // the client closed it first: that is not our reset
    this.reset = true;
    s.close(NGHTTP2_INTERNAL_ERROR);
  }
}
