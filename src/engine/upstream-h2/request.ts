// Request trailers to an HTTP/2 upstream: the client's chunked trailer section (validated by
// the HTTP/1.1 parser) as HTTP/2 trailers. The request head itself is built as HTTP/2
// headers directly (proxy/upstream-head.ts, buildUpstreamH2Head).

import type { OutgoingHttpHeaders } from 'node:http2';
import { CONNECTION_SPECIFIC } from '../http2/codec/constants.js';

/**
 * Fields a request to an HTTP/2 upstream does not carry: the connection-specific ones (RFC
 * 9113 §8.2.2), HTTP/1.1's h2c upgrade field, and Host (:authority stands for it). Also used
 * for the head itself (proxy/upstream-head.ts).
 */
export const H2_REQUEST_DROPPED: ReadonlySet<string> = new Set([
  ...CONNECTION_SPECIFIC,
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
    if (H2_REQUEST_DROPPED.has(name) || name === 'content-length') continue;
    const value = line.slice(colon + 1).trim();
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [String(prev), value];
  }
  return out;
}
