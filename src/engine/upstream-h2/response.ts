// An HTTP/2 response as the exchange takes it: the head as a ResponseHead whose fields are
// pairs (no HTTP/1.1 text), the body as the DATA frames' bytes (no chunk framing), the
// HTTP/2 trailers (grpc-status, grpc-message…) as pairs at the end. The client's side frames
// it as it needs (proxy/downstream.ts).

import type { IncomingHttpHeaders } from 'node:http2';
import { Framing, type ResponseHead } from '../http1/response-head.js';

/** Fields that have no meaning once the body is re-framed for the client. */
const DROPPED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'trailer']);

/** Pairs from HTTP/2 fields, in their order; pseudo-headers and DROPPED fields left out (`keepLength`: not content-length). */
function pairs(h: IncomingHttpHeaders, keepLength: boolean, names: string[], values: string[]): void {
  for (const name in h) {
    if (name.charCodeAt(0) === 0x3a /* pseudo-header */) continue;
    if (DROPPED.has(name) && !(keepLength && name === 'content-length')) continue;
    const v = h[name];
    if (v === undefined) continue;
    if (Array.isArray(v))
      for (const x of v) {
        names.push(name);
        values.push(x);
      }
    else {
      names.push(name);
      values.push(v);
    }
  }
}

/**
 * Fills `out` from HTTP/2 response headers. The body runs until the stream ends (Framing
 * UntilClose): chunked for an HTTP/1.1 client (so trailers can follow), until the close for
 * an HTTP/1.0 one, DATA frames for an HTTP/2 one.
 */
export function toResponseHead(h: IncomingHttpHeaders, isHead: boolean, out: ResponseHead): void {
  const status = Number(h[':status']);
  out.status = status;
  out.statusLine = ''; // made from the status
  const noBody = isHead || status === 204 || status === 304;
  out.headerLines = '';
  out.nameLengths = 0;
  const names: string[] = [];
  const values: string[] = [];
  pairs(h, noBody, names, values);
  out.fieldNames = names;
  out.fieldValues = values;
  out.contentLength = -1;
  out.upgrade = '';
  out.size = 0;
  out.keepAlive = true;
  out.framing = noBody ? Framing.None : Framing.UntilClose;
}

/** The HTTP/2 trailers as pairs (null when none came). */
export function trailerPairs(t: IncomingHttpHeaders | null): [string, string][] | null {
  if (t === null) return null;
  const names: string[] = [];
  const values: string[] = [];
  pairs(t, false, names, values);
  if (names.length === 0) return null;
  const out: [string, string][] = [];
  for (let i = 0; i < names.length; i++) out.push([names[i], values[i]]);
  return out;
}
