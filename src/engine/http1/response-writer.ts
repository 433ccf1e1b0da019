// The exchange's neutral response (proxy/downstream.ts) as HTTP/1.1 bytes on one client
// connection: the head serialised in the order clients have always seen (an HTTP/1.1
// upstream's status line and header lines forwarded as they came, then the gateway's own
// fields), the body as it is (Content-Length, or the upstream's chunk framing forwarded) or
// re-framed in chunks (HTTP/1.1) or delimited by the close (HTTP/1.0), and trailers in the
// last chunk. One writer per connection, reset by each head: nothing allocated per request.

import type net from 'node:net';
import { reason } from '../errors.js';
import { BodyMode, type ResponseOut, type TrailerPairs } from '../proxy/downstream.js';
import { trailerLine } from '../proxy/filtered-response.js';
import type { RequestHead } from './request-head.js';

const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/** The head's text. `minor`: the client's HTTP minor version. */
export function http1Head(r: ResponseOut, mode: BodyMode, length: number, minor: number, token: string): string {
  let h = r.statusLine !== '' ? r.statusLine : 'HTTP/1.1 ' + r.wireStatus + ' ' + reason(r.wireStatus) + '\r\n';
  h += r.rawFields;
  const names = r.fieldNames;
  const values = r.fieldValues;
  for (let i = 0; i < names.length; i++) h += names[i] + ': ' + values[i] + '\r\n';
  if (!r.fromUpstream) {
    // The gateway's own answer: its framing, then Server.
    if (length >= 0) h += 'Content-Length: ' + length + '\r\n';
    h += 'Server: ' + token + '\r\n';
    if (!r.keepAlive) h += 'Connection: close\r\n';
    return h + '\r\n';
  }
  if (mode === BodyMode.Upgrade)
    return h + 'Connection: Upgrade\r\nUpgrade: websocket\r\nVia: 1.1 ' + token + '\r\n\r\n';
  h += 'Via: 1.1 ' + token + '\r\n';
  // An HTTP/1.0 client's request goes upstream as HTTP/1.0, so a conforming upstream never
  // answers it chunked; a body of unknown length reaches an HTTP/1.0 client until the close.
  if (mode === BodyMode.Chunked || (mode === BodyMode.Stream && minor === 1)) h += 'Transfer-Encoding: chunked\r\n';
  if (r.setCookie !== null) h += 'Set-Cookie: ' + r.setCookie + '\r\n';
  if (!r.keepAlive) h += 'Connection: close\r\n';
  else if (minor === 0) h += 'Connection: keep-alive\r\n';
  return h + '\r\n';
}

export class Http1ResponseWriter {
  /** The body is re-framed in chunks by this writer (an upstream body of unknown length, or filtered). */
  private chunkOut = false;
  /** The upstream's chunk framing is forwarded as it came. */
  private rawChunked = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly head: RequestHead,
    private readonly token: string,
  ) {}

  sendHead(r: ResponseOut, mode: BodyMode, length: number, buf: Buffer | null, start: number, end: number): number {
    const minor = this.head.httpMinor;
    const chunkOut = (this.chunkOut = mode === BodyMode.Stream && minor === 1);
    this.rawChunked = mode === BodyMode.Chunked;
    const h = http1Head(r, mode, length, minor, this.token);
    const s = this.socket;
    const bodyLen = buf === null ? 0 : end - start;
    if (bodyLen === 0) {
      s.write(h, 'latin1');
      return h.length;
    }
    // Head and first body bytes in one write: one syscall for a typical small response.
    const hl = h.length;
    const out = Buffer.allocUnsafe(hl + bodyLen + (chunkOut ? 32 : 0));
    out.write(h, 0, 'latin1');
    let o = hl;
    if (chunkOut) {
      o += out.write(bodyLen.toString(16) + '\r\n', o, 'latin1');
      o += buf!.copy(out, o, start, end);
      o += out.write('\r\n', o, 'latin1');
    } else {
      o += buf!.copy(out, o, start, end);
    }
    s.write(o === out.length ? out : out.subarray(0, o));
    return o;
  }

  writeBody(data: Buffer): boolean {
    const s = this.socket;
    if (!this.chunkOut) return s.write(data);
    // A chunk with its framing in one corked write.
    s.cork();
    s.write(data.length.toString(16) + '\r\n', 'latin1');
    s.write(data);
    const ok = s.write(CRLF);
    s.uncork();
    return ok;
  }

  endBody(trailers: TrailerPairs | null): number {
    if (!this.chunkOut && !(this.rawChunked && trailers !== null)) return 0;
    this.chunkOut = this.rawChunked = false;
    if (trailers === null || trailers.length === 0) {
      this.socket.write(LAST_CHUNK);
      return 5;
    }
    let last = '0\r\n';
    for (const [name, value] of trailers) last += trailerLine(name, value);
    last += '\r\n';
    this.socket.write(last, 'latin1');
    return last.length;
  }
}
