// An HTTP/2 response as the engine's HTTP/1.1 form (the contract every protocol bridge keeps):
// the head as a ResponseHead, the body chunk-framed, the HTTP/2 trailers (grpc-status,
// grpc-message…) as the chunked trailer section.

import type { IncomingHttpHeaders } from 'node:http2';
import { Framing, ResponseHead } from '../http1/response-head.js';
import { reason } from '../errors.js';

/** Fields that have no meaning once the body is re-framed for HTTP/1.1. */
const DROPPED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'trailer']);

function headerLines(h: IncomingHttpHeaders, keepLength: boolean): string {
  let s = '';
  for (const name in h) {
    if (name.charCodeAt(0) === 0x3a /* pseudo-header */) continue;
    if (DROPPED.has(name) && !(keepLength && name === 'content-length')) continue;
    const v = h[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) s += name + ': ' + x + '\r\n';
    else s += name + ': ' + v + '\r\n';
  }
  return s;
}

/**
 * Fills `out` from HTTP/2 response headers. The body is chunked for an HTTP/1.1 client (so
 * trailers can follow) and read until the end for an HTTP/1.0 one (which cannot take chunks;
 * the engine closes that client connection after it).
 */
export function toResponseHead(h: IncomingHttpHeaders, isHead: boolean, http10: boolean, out: ResponseHead): void {
  const status = Number(h[':status']);
  out.status = status;
  out.statusLine = 'HTTP/1.1 ' + status + ' ' + reason(status) + '\r\n';
  const noBody = isHead || status === 204 || status === 304;
  out.headerLines = headerLines(h, noBody);
  out.contentLength = -1;
  out.upgrade = '';
  out.size = 0;
  out.keepAlive = !http10;
  out.framing = noBody ? Framing.None : http10 ? Framing.UntilClose : Framing.Chunked;
}

/** One DATA frame's bytes as one chunk. */
export function chunk(data: Buffer): Buffer {
  const size = data.length.toString(16);
  const out = Buffer.allocUnsafe(size.length + data.length + 4);
  let o = out.write(size, 0, 'latin1');
  out[o++] = 0x0d;
  out[o++] = 0x0a;
  o += data.copy(out, o);
  out[o++] = 0x0d;
  out[o] = 0x0a;
  return out;
}

/** The last chunk and the trailer section (the HTTP/2 trailers, when any). */
export function lastChunk(trailers: IncomingHttpHeaders | null): Buffer {
  return Buffer.from('0\r\n' + (trailers !== null ? headerLines(trailers, false) : '') + '\r\n', 'latin1');
}
