// The exchange's neutral response (proxy/downstream.ts) on one HTTP/2 stream, through
// node:http2 directly: the head becomes respond() (connection-specific fields dropped, an
// HTTP/1.1 upstream's header lines split into fields), body chunks are written with the
// stream's own backpressure, and trailers go out with sendTrailers(). nghttp2 does the
// framing, flow control and HPACK.
//
// A response whose head carries grpc-status (gRPC "trailers-only", e.g. a gateway-made gRPC
// error relayed from an upstream) and whose body is empty is sent as one HEADERS frame with
// END_STREAM: gRPC clients read the status from it only in that form.

import http2, { type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { BodyMode, type ResponseOut, type TrailerPairs } from '../proxy/downstream.js';

const { NGHTTP2_INTERNAL_ERROR } = http2.constants;

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

/** Adds one field, unless HTTP/2 forbids it (or forbids it in trailers); a repeat of a SINGLE field is dropped. */
function addField(out: OutgoingHttpHeaders, name: string, value: string, trailers: boolean): void {
  if (CONNECTION_SPECIFIC.has(name) || (trailers && NOT_TRAILERS.has(name))) return;
  const prev = out[name];
  if (prev === undefined) out[name] = value;
  else if (!SINGLE.has(name)) out[name] = Array.isArray(prev) ? [...prev, value] : [String(prev), value];
}

/** "Name: value" lines (an HTTP/1.1 upstream's, CRLF separated) → fields. */
function addLines(lines: string, out: OutgoingHttpHeaders): void {
  let pos = 0;
  while (pos < lines.length) {
    let e = lines.indexOf('\n', pos);
    if (e === -1) e = lines.length;
    const lineEnd = e > pos && lines.charCodeAt(e - 1) === 0x0d ? e - 1 : e;
    const colon = lines.indexOf(':', pos);
    if (colon > pos && colon < lineEnd)
      addField(out, lines.slice(pos, colon).toLowerCase(), lines.slice(colon + 1, lineEnd).trim(), false);
    pos = e + 1;
  }
}

/** The head as node:http2 takes it, with the gateway's own fields (as an HTTP/1.1 client gets them). */
export function h2Headers(r: ResponseOut, length: number, token: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':status': r.wireStatus };
  if (r.rawFields !== '') addLines(r.rawFields, out);
  const names = r.fieldNames;
  const values = r.fieldValues;
  for (let i = 0; i < names.length; i++) addField(out, names[i].toLowerCase(), values[i], false);
  if (r.fromUpstream) {
    addField(out, 'via', '1.1 ' + token, false);
    if (r.setCookie !== null) addField(out, 'set-cookie', r.setCookie, false);
  } else {
    if (length >= 0) addField(out, 'content-length', String(length), false);
    addField(out, 'server', token, false);
  }
  return out;
}

/** Rough bytes of a head (as "name: value\r\n" text), for bytes_out. */
function headSize(h: OutgoingHttpHeaders): number {
  let n = 0;
  for (const k in h) {
    const v = h[k];
    if (Array.isArray(v)) for (const x of v) n += k.length + String(x).length + 4;
    else n += k.length + String(v).length + 4;
  }
  return n;
}

export class ResponseWriter {
  /** Headers held back until the body shows whether it is empty (trailers-only gRPC responses). */
  private held: OutgoingHttpHeaders | null = null;
  private trailers: OutgoingHttpHeaders | null = null;
  /** The head went out (or was held). */
  private started = false;
  /** The response went out whole (END_STREAM sent or queued). */
  complete = false;
  /** We reset the stream (broken or truncated response), as opposed to the client. */
  reset = false;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly token: string,
  ) {}

  sendHead(r: ResponseOut, mode: BodyMode, length: number, buf: Buffer | null, start: number, end: number): number {
    if (this.started || this.reset) return 0;
    this.started = true;
    if (mode === BodyMode.Upgrade || mode === BodyMode.Chunked) {
      this.abort(); // an HTTP/2 stream carries no upgrade, and the exchange de-chunks for it
      return 0;
    }
    const headers = h2Headers(r, length, this.token);
    const size = headSize(headers);
    const first = buf === null ? 0 : end - start;
    if (mode === BodyMode.None || (mode === BodyMode.Length && length === 0)) {
      this.respond(headers, true);
      this.complete = true;
      return size;
    }
    if (mode === BodyMode.Length && first === length) {
      // The whole body is here (a gateway answer, a small upstream one): HEADERS and one end.
      this.respond(headers, false);
      this.complete = true;
      const s = this.stream;
      if (!s.closed && !s.destroyed) s.end(Buffer.from(buf!.subarray(start, end)));
      return size + first;
    }
    if (mode === BodyMode.Stream && headers['grpc-status'] !== undefined) this.held = headers;
    else this.respond(headers, false, mode === BodyMode.Stream);
    if (first > 0) this.writeBody(Buffer.from(buf!.subarray(start, end)));
    return size + first;
  }

  writeBody(data: Buffer): boolean {
    const s = this.stream;
    if (data.length > 0 && !this.complete) {
      if (this.held !== null) {
        const h = this.held;
        this.held = null;
        this.respond(h, false, true);
      }
      if (!s.closed && !s.destroyed) s.write(data);
    }
    return !(s.writableNeedDrain && !s.closed && !s.destroyed);
  }

  endBody(trailers: TrailerPairs | null): number {
    if (this.complete || this.reset || !this.started) return 0;
    this.complete = true;
    let t: OutgoingHttpHeaders | null = null;
    if (trailers !== null && trailers.length > 0) {
      t = {};
      for (const [k, v] of trailers) addField(t, k.toLowerCase(), v, true);
    }
    if (this.held !== null) {
      // Trailers-only: one HEADERS frame with END_STREAM (the trailers, if any, folded in).
      const h = t !== null ? { ...this.held, ...t } : this.held;
      this.held = null;
      this.respond(h, true);
      return t === null ? 0 : headSize(t);
    }
    this.trailers = t;
    const s = this.stream;
    if (!s.closed && !s.destroyed) s.end();
    return t === null ? 0 : headSize(t);
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
      // A head node:http2 refuses to send: the client must not wait for it.
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

  /** The exchange ended its side: a response not completed was cut short. */
  end(): void {
    if (!this.complete) this.abort();
  }

  /** The response cannot be completed: reset the stream so the client sees it is incomplete. */
  abort(): void {
    if (this.complete || this.reset) return;
    this.resetStream();
  }

  private resetStream(): void {
    const s = this.stream;
    if (s.closed || s.destroyed) return; // the client closed it first: that is not our reset
    this.reset = true;
    s.close(NGHTTP2_INTERNAL_ERROR);
  }
}
