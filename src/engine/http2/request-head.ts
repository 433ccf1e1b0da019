// An HTTP/2 request head (nghttp2 has validated it: lower-case names, no connection-specific
// fields, no CR/LF/NUL in values) written as the HTTP/1.1 request head the engine parses.
// :method and :path make the request line, :authority the Host header; a body without a
// content-length is framed chunked so its end (and any trailers) reach the engine.

import type { IncomingHttpHeaders } from 'node:http2';

export interface Http1Head {
  /** "METHOD target HTTP/1.1\r\n…\r\n\r\n" (latin1: header values are carried byte for byte). */
  text: string;
  method: string;
  /** The body goes chunked (no content-length and the stream did not end with its headers). */
  chunked: boolean;
}

/**
 * `raw`: the stream's headers as [name, value, …] in arrival order (repeated names kept).
 * `endStream`: the HEADERS frame ended the stream (no body).
 */
export function http1Head(raw: string[], endStream: boolean): Http1Head {
  let method = '';
  let target = '';
  let authority = '';
  let hostLines = '';
  let cookie = '';
  let lines = '';
  let hasLength = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (name.charCodeAt(0) === 0x3a /* : */) {
      if (name === ':method') method = value;
      else if (name === ':path') target = value;
      else if (name === ':authority') authority = value;
      continue; // :scheme is the listener's (X-Forwarded-Proto); :protocol is not enabled
    }
    if (name === 'cookie') {
      // HTTP/2 may split cookies into several fields; HTTP/1.1 wants one (RFC 9113 §8.2.3).
      cookie = cookie === '' ? value : cookie + '; ' + value;
      continue;
    }
    if (name === 'host') {
      hostLines += 'host: ' + value + '\r\n';
      continue;
    }
    if (name === 'content-length') hasLength = true;
    lines += name + ': ' + value + '\r\n';
  }
  // CONNECT has no :path; the engine refuses it as it does over HTTP/1.1.
  if (method === 'CONNECT' && target === '') target = authority;
  const chunked = !endStream && !hasLength;
  let text = method + ' ' + target + ' HTTP/1.1\r\n';
  // :authority wins over a Host field (RFC 9113 §8.3.1); without either the engine answers 400.
  text += authority !== '' ? 'host: ' + authority + '\r\n' : hostLines;
  text += lines;
  if (cookie !== '') text += 'cookie: ' + cookie + '\r\n';
  if (chunked) text += 'transfer-encoding: chunked\r\n';
  // One request per stream: the HTTP/1.1 side ends (and the stream's response with it) after it.
  text += 'connection: close\r\n\r\n';
  return { text, method, chunked };
}

/** Request trailers (HTTP/2 trailing HEADERS) as the trailer section of a chunked body. */
export function trailerLines(trailers: IncomingHttpHeaders): string {
  let s = '';
  for (const name of Object.keys(trailers)) {
    if (name.charCodeAt(0) === 0x3a) continue;
    const v = trailers[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) s += name + ': ' + x + '\r\n';
    else s += name + ': ' + v + '\r\n';
  }
  return s;
}
