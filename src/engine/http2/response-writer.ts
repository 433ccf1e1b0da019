// The exchange's neutral response (proxy/downstream.ts) on one HTTP/2 stream of Turnpike's
// own codec (codec/stream.ts): the head becomes respond() with lower-case pairs
// (connection-specific fields dropped, an HTTP/1.1 upstream's header lines split into
// fields), body chunks are written with the stream's flow-control backpressure, and
// trailers end the stream in a HEADERS frame.
//
// A response whose head carries grpc-status (gRPC "trailers-only", e.g. a gateway-made gRPC
// error relayed from an upstream) and whose body is empty is sent as one HEADERS frame with
// END_STREAM: gRPC clients read the status from it only in that form.

import { CONNECTION_SPECIFIC, ErrorCode, type ServerStream } from './codec/index.js';
import { BodyMode, type ResponseOut, type TrailerPairs } from '../proxy/downstream.js';

/** Fields HTTP/2 forbids in a response (RFC 9113 §8.2.2), with HTTP/1.1's h2c upgrade field. */
const DROPPED = new Set([...CONNECTION_SPECIFIC, 'te', 'http2-settings']);
/** Not allowed in trailers. */
const NOT_TRAILERS = new Set(['content-length', 'content-type', 'host', 'trailer']);
/**
 * Fields that carry one value (RFC 9110 lists them as singletons; node:http2, which served
 * HTTP/2 before this codec, refused a second one): a repeat is dropped, as it always was.
 */
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

function has(out: readonly string[], name: string): boolean {
  for (let i = 0; i < out.length; i += 2) if (out[i] === name) return true;
  return false;
}

/** Adds one field (`name` lower-case), unless HTTP/2 forbids it (or forbids it in trailers) or it repeats a SINGLE field. */
function addField(out: string[], name: string, value: string, trailers: boolean): void {
  if (DROPPED.has(name) || (trailers && NOT_TRAILERS.has(name))) return;
  if (SINGLE.has(name) && has(out, name)) return;
  out.push(name, value);
}

/** "Name: value" lines (an HTTP/1.1 upstream's, CRLF separated) → fields. */
function addLines(lines: string, out: string[]): void {
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

/** The head's fields as pairs, with the gateway's own fields (as an HTTP/1.1 client gets them). */
export function h2Pairs(r: ResponseOut, length: number, token: string): string[] {
  const out: string[] = [];
  if (r.rawFields !== '') addLines(r.rawFields, out);
  const names = r.fieldNames;
  const values = r.fieldValues;
  for (let i = 0; i < names.length; i++) addField(out, names[i]!.toLowerCase(), values[i]!, false);
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
function headSize(pairs: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < pairs.length; i += 2) n += pairs[i]!.length + pairs[i + 1]!.length + 4;
  return n;
}

export class ResponseWriter {
  /** Pairs held back until the body shows whether it is empty (trailers-only gRPC responses). */
  private held: string[] | null = null;
  private heldStatus = 200;
  /** The head went out (or was held). */
  private started = false;
  /** The response went out whole (END_STREAM sent or queued). */
  complete = false;
  /** We reset the stream (broken or truncated response), as opposed to the client. */
  reset = false;

  constructor(
    private readonly stream: ServerStream,
    private readonly token: string,
  ) {}

  sendHead(r: ResponseOut, mode: BodyMode, length: number, buf: Buffer | null, start: number, end: number): number {
    if (this.started || this.reset) return 0;
    this.started = true;
    if (mode === BodyMode.Upgrade || mode === BodyMode.Chunked) {
      this.abort(); // an HTTP/2 stream carries no upgrade, and the exchange de-chunks for it
      return 0;
    }
    const s = this.stream;
    const status = r.wireStatus;
    const pairs = h2Pairs(r, length, this.token);
    const size = headSize(pairs);
    const first = buf === null ? 0 : end - start;
    if (mode === BodyMode.None || (mode === BodyMode.Length && length === 0)) {
      s.respond(status, pairs, true, true);
      this.complete = true;
      return size;
    }
    if (mode === BodyMode.Length && first === length) {
      // The whole body is here (a gateway answer, a small upstream one): HEADERS and one end.
      s.respond(status, pairs, false, true);
      this.complete = true;
      // Copied: `buf` may be the connection's read buffer, and the stream keeps what the
      // flow-control windows cannot carry yet.
      s.end(Buffer.from(buf!.subarray(start, end)));
      return size + first;
    }
    if (mode === BodyMode.Stream && has(pairs, 'grpc-status')) {
      this.held = pairs;
      this.heldStatus = status;
    } else s.respond(status, pairs, false, true);
    if (first > 0) this.writeBody(Buffer.from(buf!.subarray(start, end)));
    return size + first;
  }

  writeBody(data: Buffer): boolean {
    const s = this.stream;
    if (s.aborted) return true; // gone: nothing to wait for (the exchange hears of it from the downstream)
    if (data.length > 0 && !this.complete) {
      if (this.held !== null) {
        const h = this.held;
        this.held = null;
        s.respond(this.heldStatus, h, false, true);
      }
      return s.write(data);
    }
    return !s.waiting;
  }

  endBody(trailers: TrailerPairs | null): number {
    if (this.complete || this.reset || !this.started) return 0;
    this.complete = true;
    let t: string[] | null = null;
    if (trailers !== null && trailers.length > 0) {
      t = [];
      for (const [k, v] of trailers) addField(t, k.toLowerCase(), v, true);
    }
    if (this.held !== null) {
      // Trailers-only: one HEADERS frame with END_STREAM (the trailers, if any, folded in).
      const h = t !== null ? this.held.concat(t) : this.held;
      this.held = null;
      this.stream.respond(this.heldStatus, h, true, true);
      return t === null ? 0 : headSize(t);
    }
    this.stream.end(undefined, t !== null && t.length > 0 ? t : undefined, true);
    return t === null ? 0 : headSize(t);
  }

  /** The exchange ended its side: a response not completed was cut short. */
  end(): void {
    if (!this.complete) this.abort();
  }

  /** The response cannot be completed: reset the stream so the client sees it is incomplete. */
  abort(): void {
    if (this.complete || this.reset) return;
    const s = this.stream;
    if (s.aborted) return; // the client reset it first: that is not our reset
    this.reset = true;
    s.reset(ErrorCode.INTERNAL_ERROR);
  }
}
