// Request trailers to an HTTP/2 upstream: the client's chunked trailer section (validated by
// the HTTP/1.1 parser) as HTTP/2 trailers. The request head itself is built as HTTP/2
// headers directly (proxy/upstream-head.ts, buildUpstreamH2Head).

import type { OutgoingHttpHeaders } from 'node:http2';

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
