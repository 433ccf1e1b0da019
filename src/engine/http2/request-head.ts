// An HTTP/2 request head (the codec has validated it: lower-case token names, no
// connection-specific fields, no CR/LF/NUL in values, pseudo-headers split off) as the
// RequestHead the exchange reads: the stream's raw header pairs are classified by the same
// function as the HTTP/1.1 parser's fields (classifyField in ../http1/request-fields.ts:
// hop-by-hop, forwarded, Via, Expect, Content-Length), with the same refusals. :method and
// :path are the request line, :authority the Host; no HTTP/1.1 text is made.

import { splitTarget } from '../http1/request-head.js';
import {
  classifyField,
  HttpParseError,
  MAX_HEADERS,
  PROTOCOL_FIELD,
  RequestHead,
  Skip,
} from '../http1/request-fields.js';
import { TARGET } from '../http1/chars.js';
import { hostnameOf, validHost } from '../http1/host.js';

/** A control character other than HTAB: refused in a value, as the HTTP/1.1 parser refuses it. */
function hasControl(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/**
 * Fills `head` from a stream's request: its :method, :path and :authority, and its regular
 * fields `raw` ([name, value, …] in arrival order, repeated names kept). `endStream`: the
 * HEADERS frame ended the stream (no body); a body without a content-length is marked
 * chunked (its end, and any trailers, come with the stream's end).
 */
export function fillRequestHead(
  method: string,
  target: string,
  authority: string,
  raw: readonly string[],
  endStream: boolean,
  maxHeadSize: number,
  head: RequestHead,
): HttpParseError | null {
  head.reset();
  let hostField = '';
  let hostCount = 0;
  let cookieCount = 0;
  let cookieBytes = 0;
  // The size of the head as HTTP/1.1 text: the same limit applies, and the log counts it.
  let size = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (name === 'cookie') {
      cookieCount++;
      cookieBytes += value.length;
      continue;
    }
    if (name === 'host') {
      hostCount++;
      if (hostField === '') hostField = value;
      if (authority !== '') continue;
    }
    size += name.length + value.length + 4;
  }
  const lineBytes = method.length + target.length + 12; // "METHOD target HTTP/1.1\r\n"
  size += lineBytes + 21; // and "connection: close\r\n\r\n"
  if (authority !== '') size += authority.length + 8;
  if (cookieCount > 0) size += 10 + cookieBytes + 2 * (cookieCount - 1);
  const chunked = !endStream && !hasLength(raw);
  if (chunked) size += 28;
  if (size > maxHeadSize) {
    if (lineBytes - 1 > maxHeadSize)
      return new HttpParseError(414, 'Request-URI too long: the request line exceeds the maximum header size');
    return new HttpParseError(
      431,
      'Request header fields too large: the request head exceeds the maximum header size (TURNPIKE_MAX_HEADER_SIZE)',
    );
  }
  head.size = size;
  head.method = method;
  head.httpMinor = 1;
  head.keepAlive = false; // one request per stream
  if (method === 'CONNECT') return new HttpParseError(405, 'CONNECT is not supported by this gateway');
  if (target.charCodeAt(0) !== 0x2f /* / */)
    return new HttpParseError(
      400,
      'Bad request: the request target must be an absolute path ("/...") or an absolute http(s) URL',
    );
  for (let i = 0; i < target.length; i++)
    if (TARGET[target.charCodeAt(i)] !== 1)
      return new HttpParseError(400, 'Bad request: invalid character in the request target');
  const targetError = splitTarget(head, target);
  if (targetError !== null) return targetError;
  // :authority wins over a Host field (RFC 9113 §8.3.1); without either the request is refused.
  if (authority === '' && hostCount > 1) return new HttpParseError(400, 'Bad request: more than one Host header');
  const host = authority !== '' ? authority : hostField;
  if (hostCount === 0 && authority === '') return new HttpParseError(400, 'Bad request: the Host header is missing');
  if (!validHost(host)) return new HttpParseError(400, 'Bad request: invalid Host header');
  head.host = host;
  head.hostname = hostnameOf(host);

  const names = head.names;
  const lnames = head.lnames;
  const values = head.values;
  const skip = head.skip;
  // The fields in the order the HTTP/1.1 form had them: Host, the others, the joined cookie.
  names[0] = lnames[0] = 'host';
  values[0] = host;
  skip[0] = Skip.Host;
  let n = 1;
  let cookie = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name === 'host') continue;
    const value = raw[i + 1]!;
    if (hasControl(value))
      return new HttpParseError(400, 'Bad request: the request head contains a control character or a bare CR/LF');
    if (name === 'cookie') {
      // HTTP/2 may split cookies into several fields; the upstream gets one (RFC 9113 §8.2.3).
      cookie = cookie === '' ? value : cookie + '; ' + value;
      continue;
    }
    if (n === MAX_HEADERS) return tooMany();
    const sk = classifyField(head, n, name, value);
    if (typeof sk !== 'number') return sk;
    names[n] = lnames[n] = name;
    values[n] = value;
    // Connection, Upgrade and Transfer-Encoding never arrive (the codec refuses them); were
    // one to, it would not be forwarded. Host was taken out above.
    skip[n] = sk === PROTOCOL_FIELD ? Skip.HopByHop : sk;
    n++;
  }
  if (cookie !== '') {
    if (n === MAX_HEADERS) return tooMany();
    names[n] = lnames[n] = 'cookie';
    values[n] = cookie;
    skip[n] = Skip.Keep;
    n++;
  }
  head.count = n;
  head.chunked = chunked;
  return null;
}

function tooMany(): HttpParseError {
  return new HttpParseError(431, `Request header fields too large: more than ${MAX_HEADERS} header fields`);
}

function hasLength(raw: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) if (raw[i] === 'content-length') return true;
  return false;
}

/** Request trailers (HTTP/2 trailing HEADERS, [name, value, …]) as the trailer section of a chunked body. */
export function trailerLines(trailers: readonly string[]): string {
  let s = '';
  for (let i = 0; i < trailers.length; i += 2) s += trailers[i]! + ': ' + trailers[i + 1]! + '\r\n';
  return s;
}
