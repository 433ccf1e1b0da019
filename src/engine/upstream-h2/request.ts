// The engine writes its upstream request as HTTP/1.1 (one pipeline for every protocol); this
// turns that head into HTTP/2 request headers. The head is the engine's own output
// (Exchange.buildUpstreamHead), so it is well-formed: no validation beyond what HTTP/2 needs.

import type { OutgoingHttpHeaders } from 'node:http2';

export interface H2Request {
  headers: OutgoingHttpHeaders;
  /** The body is chunk-framed (Transfer-Encoding: chunked) and may end with trailers. */
  chunked: boolean;
  /** The client spoke HTTP/1.0: its response cannot be chunked. */
  http10: boolean;
  /** A gRPC call (content-type application/grpc…): `te: trailers` is sent, as gRPC requires. */
  grpc: boolean;
  /** The request asked for a protocol upgrade, which HTTP/2 has no way to carry. */
  upgrade: boolean;
}

/** Connection-specific fields: forbidden in HTTP/2 (RFC 9113 §8.2.2), dropped here. */
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'host',
  'http2-settings',
]);

/** `head` is the request head without its final blank line's CRLF pair ("…\r\n\r\n" cut before it). */
export function toH2Request(head: string, scheme: 'http' | 'https'): H2Request {
  const lines = head.split('\r\n');
  const reqLine = lines[0];
  const sp1 = reqLine.indexOf(' ');
  const sp2 = reqLine.lastIndexOf(' ');
  const method = reqLine.slice(0, sp1);
  const path = reqLine.slice(sp1 + 1, sp2);
  const headers: OutgoingHttpHeaders = { ':method': method, ':path': path, ':scheme': scheme };
  let chunked = false;
  let grpc = false;
  let upgrade = false;
  let authority = '';
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (CONNECTION_SPECIFIC.has(name)) {
      if (name === 'host') authority = value;
      else if (name === 'transfer-encoding') chunked = true;
      else if (name === 'upgrade') upgrade = true;
      continue;
    }
    if (name === 'content-type' && value.toLowerCase().startsWith('application/grpc')) grpc = true;
    const prev = headers[name];
    if (prev === undefined) headers[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else headers[name] = [String(prev), value];
  }
  headers[':authority'] = authority;
  if (grpc) headers['te'] = 'trailers';
  return { headers, chunked, http10: reqLine.endsWith('HTTP/1.0'), grpc, upgrade };
}

/** Chunked trailer lines ("name: value", each ended by "\n": ChunkedParser.trailers) as HTTP/2 trailers. */
export function trailersFromLines(text: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (CONNECTION_SPECIFIC.has(name) || name === 'content-length') continue;
    const value = line.slice(colon + 1).trim();
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [String(prev), value];
  }
  return out;
}
