// Strict HTTP/1.1 request-head parser (RFC 9112). It runs once per request on the hot path,
// so it works on one latin1 string per head, with lookup tables instead of per-header regexes,
// and it classifies the headers a proxy must treat specially while it scans them.
// Everything ambiguous is rejected here, before a single byte reaches an upstream.

import { headBytesValid, latin1, TARGET, TOKEN } from './chars.js';
import { needsNormalization, normalizePath } from '../../router/normalize.js';
import { hostnameOf, validHost } from './host.js';

export const MAX_HEADERS = 100;

/** A request the gateway refuses to forward: answered with `status` and a JSON message. */
export class HttpParseError {
  constructor(
    readonly status: number,
    readonly message: string,
  ) {}
}

/** Why a header is not copied to the upstream as-is. */
export const enum Skip {
  Keep = 0,
  HopByHop = 1, // Connection and friends, re-framed by the proxy
  Host = 2, // rewritten (preserve_host decides)
  Forwarded = 3, // X-Forwarded-*, X-Real-IP: replaced unless the client is trusted
  Via = 4, // appended to
  Removed = 5, // removed by a plugin: neither forwarded nor visible to later plugins
}

/** One parsed request head. Reused per connection: requests on one connection run in order. */
export class RequestHead {
  method = '';
  /** Path without the query, normalized (see router/normalize.ts): what is routed and forwarded. */
  path = '';
  /** Path exactly as the client sent it (X-Forwarded-Path, access log). */
  rawPath = '';
  /** Query string including its leading '?', or ''. */
  query = '';
  httpMinor = 1;
  host = '';
  /** Host without port, lower-case (for routing). */
  hostname = '';
  names: string[] = [];
  lnames: string[] = [];
  values: string[] = [];
  skip = new Uint8Array(MAX_HEADERS);
  count = 0;
  contentLength = -1;
  chunked = false;
  keepAlive = true;
  expectContinue = false;
  /** Index of headers the forwarding logic needs; -1 when absent. */
  xffIndex = -1;
  xfProtoIndex = -1;
  xfHostIndex = -1;
  xfPortIndex = -1;
  xfPathIndex = -1;
  xfPrefixIndex = -1;
  viaIndex = -1;
  /**
   * A WebSocket opening handshake (RFC 6455 §4.1): GET, HTTP/1.1, no body, `Upgrade:
   * websocket` and `Connection: upgrade`. Only this upgrade is tunnelled; any other Upgrade
   * token is dropped as a hop-by-hop header (and h2c is refused).
   */
  upgradeWebSocket = false;
  /** Bytes of the head on the wire. */
  size = 0;

  /** Arrays are overwritten by index, not truncated: only the first `count` entries are valid. */
  reset(): void {
    this.count = 0;
    this.contentLength = -1;
    this.chunked = false;
    this.keepAlive = true;
    this.expectContinue = false;
    this.upgradeWebSocket = false;
    this.host = '';
    this.hostname = '';
    this.query = '';
    this.xffIndex =
      this.xfProtoIndex =
      this.xfHostIndex =
      this.xfPortIndex =
      this.xfPathIndex =
      this.xfPrefixIndex =
      this.viaIndex =
        -1;
  }

  /** Header value by lower-case name (repeated fields joined with ", "). */
  header(lname: string): string | undefined {
    let found: string | undefined;
    const l = this.lnames;
    for (let i = 0; i < this.count; i++) {
      if (l[i] === lname) found = found === undefined ? this.values[i] : found + ', ' + this.values[i];
    }
    return found;
  }
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Parses a request head from buf[start, end). Returns the number of bytes consumed (head
 * including the blank line, plus any leading empty lines), 0 when the head is not complete
 * yet, or an HttpParseError.
 */
export function parseRequestHead(
  buf: Buffer,
  start: number,
  end: number,
  maxHeadSize: number,
  head: RequestHead,
): number | HttpParseError {
  // RFC 9112 §2.2: ignore empty lines before the request line (clients send them after bodies).
  let s0 = start;
  while (s0 + 1 < end && buf[s0] === 0x0d && buf[s0 + 1] === 0x0a) s0 += 2;
  const idx = buf.indexOf(CRLFCRLF, s0);
  if (idx === -1 || idx + 4 > end) {
    if (end - s0 > maxHeadSize) return tooLarge(buf, s0, end, maxHeadSize);
    // A bare LF would never complete a head ending in CRLFCRLF: refuse it now rather than
    // waiting for the client timeout. (Only partial heads pay for this scan.)
    for (let i = buf.indexOf(0x0a, s0); i !== -1 && i < end; i = buf.indexOf(0x0a, i + 1)) {
      if (i === s0 || buf[i - 1] !== 0x0d)
        return new HttpParseError(400, 'Bad request: the request head contains a bare LF; lines must end in CRLF');
    }
    return 0;
  }
  if (idx + 4 - s0 > maxHeadSize) return tooLarge(buf, s0, end, maxHeadSize);
  const s = latin1(buf, s0, idx + 2);
  if (!headBytesValid(buf, s0, idx + 2))
    return new HttpParseError(400, 'Bad request: the request head contains a control character or a bare CR/LF');
  head.reset();
  head.size = idx + 4 - s0;

  // Request line: method SP request-target SP HTTP-version
  const eol = s.indexOf('\r\n');
  const sp1 = s.indexOf(' ');
  if (sp1 <= 0 || sp1 > eol) return new HttpParseError(400, 'Bad request: malformed request line');
  const sp2 = s.indexOf(' ', sp1 + 1);
  if (sp2 === -1 || sp2 > eol || sp2 === sp1 + 1) return new HttpParseError(400, 'Bad request: malformed request line');
  for (let i = 0; i < sp1; i++)
    if (TOKEN[s.charCodeAt(i)] !== 1) return new HttpParseError(400, 'Bad request: invalid method');
  const method = s.slice(0, sp1);
  if (eol - sp2 - 1 !== 8 || s.charCodeAt(sp2 + 1) !== 0x48 || !s.startsWith('HTTP/1.', sp2 + 1)) {
    if (/^HTTP\/\d\.\d$/.test(s.slice(sp2 + 1, eol)))
      return new HttpParseError(505, 'HTTP version not supported: use HTTP/1.1 (or HTTP/1.0)');
    return new HttpParseError(400, 'Bad request: malformed request line (expected "METHOD /path HTTP/1.1")');
  }
  const minor = s.charCodeAt(eol - 1) - 0x30;
  if (minor !== 0 && minor !== 1)
    return new HttpParseError(505, 'HTTP version not supported: use HTTP/1.1 (or HTTP/1.0)');
  head.method = method;
  head.httpMinor = minor;
  if (minor === 0) head.keepAlive = false;
  for (let i = sp1 + 1; i < sp2; i++)
    if (TARGET[s.charCodeAt(i)] !== 1)
      return new HttpParseError(400, 'Bad request: invalid character in the request target');
  let target = s.slice(sp1 + 1, sp2);
  let absoluteHost: string | null = null;
  if (method === 'CONNECT') return new HttpParseError(405, 'CONNECT is not supported by this gateway');
  if (target.charCodeAt(0) !== 0x2f /* / */) {
    const lower = target.slice(0, 8).toLowerCase();
    const schemeLen = lower.startsWith('http://') ? 7 : lower.startsWith('https://') ? 8 : 0;
    if (schemeLen === 0)
      return new HttpParseError(
        400,
        'Bad request: the request target must be an absolute path ("/...") or an absolute http(s) URL',
      );
    let pathStart = target.length;
    for (let i = schemeLen; i < target.length; i++) {
      const c = target.charCodeAt(i);
      if (c === 0x2f || c === 0x3f) {
        pathStart = i;
        break;
      }
    }
    absoluteHost = target.slice(schemeLen, pathStart);
    if (absoluteHost.length === 0 || absoluteHost.includes('@'))
      return new HttpParseError(400, 'Bad request: invalid authority in absolute-form request target');
    target =
      pathStart === target.length
        ? '/'
        : target.charCodeAt(pathStart) === 0x3f
          ? '/' + target.slice(pathStart)
          : target.slice(pathStart);
  }
  const targetError = splitTarget(head, target);
  if (targetError !== null) return targetError;

  // Header field lines.
  let hostCount = 0;
  let teSeen = false;
  let connection: string | null = null;
  let upgrade: string | null = null;
  let pos = eol + 2;
  const names = head.names;
  const lnames = head.lnames;
  const values = head.values;
  const skip = head.skip;
  let n = 0;
  while (pos < s.length) {
    const e = s.indexOf('\r\n', pos);
    const first = s.charCodeAt(pos);
    if (first === 0x20 || first === 0x09)
      return new HttpParseError(
        400,
        'Bad request: obsolete line folding (a header line starting with whitespace) is not allowed',
      );
    const colon = s.indexOf(':', pos);
    if (colon === -1 || colon > e || colon === pos)
      return new HttpParseError(400, 'Bad request: malformed header line (expected "Name: value")');
    for (let i = pos; i < colon; i++) {
      if (TOKEN[s.charCodeAt(i)] !== 1)
        return new HttpParseError(
          400,
          'Bad request: invalid character in a header name (whitespace before the colon is not allowed)',
        );
    }
    if (n === MAX_HEADERS)
      return new HttpParseError(431, `Request header fields too large: more than ${MAX_HEADERS} header fields`);
    // Trim optional whitespace around the value.
    let vs = colon + 1;
    let ve = e;
    while (vs < ve && (s.charCodeAt(vs) === 0x20 || s.charCodeAt(vs) === 0x09)) vs++;
    while (ve > vs && (s.charCodeAt(ve - 1) === 0x20 || s.charCodeAt(ve - 1) === 0x09)) ve--;
    const name = s.slice(pos, colon);
    const value = s.slice(vs, ve);
    const lname = name.toLowerCase();
    names[n] = name;
    lnames[n] = lname;
    values[n] = value;
    let sk = Skip.Keep;
    switch (lname.length) {
      case 2:
        if (lname === 'te') sk = Skip.HopByHop;
        break;
      case 3:
        if (lname === 'via') {
          sk = Skip.Via;
          if (head.viaIndex === -1) head.viaIndex = n;
        }
        break;
      case 4:
        if (lname === 'host') {
          if (++hostCount > 1) return new HttpParseError(400, 'Bad request: more than one Host header');
          head.host = value;
          sk = Skip.Host;
        }
        break;
      case 6:
        if (lname === 'expect') {
          if (value.toLowerCase() !== '100-continue')
            return new HttpParseError(
              417,
              `Expectation failed: only "Expect: 100-continue" is supported, got "${value}"`,
            );
          head.expectContinue = true;
          sk = Skip.HopByHop;
        }
        break;
      case 7:
        if (lname === 'trailer' || lname === 'upgrade') {
          sk = Skip.HopByHop;
          if (lname === 'upgrade') {
            if (/(^|[\s,])h2c(\s*(,|$))/i.test(value)) {
              return new HttpParseError(
                400,
                'Bad request: "Upgrade: h2c" is refused; use HTTP/2 with prior knowledge on an http2 listener instead',
              );
            }
            upgrade = upgrade === null ? value : upgrade + ',' + value;
          }
        }
        break;
      case 9:
        if (lname === 'x-real-ip') sk = Skip.Forwarded;
        break;
      case 10:
        if (lname === 'connection') {
          connection = connection === null ? value : connection + ',' + value;
          sk = Skip.HopByHop;
        } else if (lname === 'keep-alive') sk = Skip.HopByHop;
        break;
      case 14:
        if (lname === 'content-length') {
          if (head.contentLength !== -1)
            return new HttpParseError(400, 'Bad request: more than one Content-Length header');
          if (value.length === 0 || value.length > 15 || !/^\d+$/.test(value))
            return new HttpParseError(400, 'Bad request: Content-Length must be a decimal number');
          head.contentLength = Number(value);
        }
        break;
      case 15:
        if (lname === 'x-forwarded-for') {
          sk = Skip.Forwarded;
          if (head.xffIndex === -1) head.xffIndex = n;
        }
        break;
      case 16:
        if (lname === 'x-forwarded-host') {
          sk = Skip.Forwarded;
          head.xfHostIndex = n;
        } else if (lname === 'x-forwarded-port') {
          sk = Skip.Forwarded;
          head.xfPortIndex = n;
        } else if (lname === 'x-forwarded-path') {
          sk = Skip.Forwarded;
          head.xfPathIndex = n;
        } else if (lname === 'proxy-connection') sk = Skip.HopByHop;
        break;
      case 17:
        if (lname === 'x-forwarded-proto') {
          sk = Skip.Forwarded;
          head.xfProtoIndex = n;
        } else if (lname === 'transfer-encoding') {
          if (teSeen) return new HttpParseError(400, 'Bad request: more than one Transfer-Encoding header');
          teSeen = true;
          if (value.toLowerCase() !== 'chunked') {
            return new HttpParseError(501, `Transfer-Encoding "${value}" is not supported; only "chunked" is accepted`);
          }
          head.chunked = true;
          sk = Skip.HopByHop;
        }
        break;
      case 18:
        if (lname === 'x-forwarded-prefix') {
          sk = Skip.Forwarded;
          head.xfPrefixIndex = n;
        }
        break;
    }
    skip[n] = sk;
    n++;
    pos = e + 2;
  }
  head.count = n;

  if (teSeen && head.contentLength !== -1) {
    return new HttpParseError(
      400,
      'Bad request: both Content-Length and Transfer-Encoding are present (ambiguous message framing)',
    );
  }
  if (teSeen && minor === 0)
    return new HttpParseError(400, 'Bad request: Transfer-Encoding is not allowed in an HTTP/1.0 request');
  if (hostCount === 0) {
    if (absoluteHost !== null) head.host = absoluteHost;
    else if (minor === 1) return new HttpParseError(400, 'Bad request: the Host header is missing');
  } else if (absoluteHost !== null && (absoluteHost as string).toLowerCase() !== head.host.toLowerCase()) {
    return new HttpParseError(
      400,
      `Bad request: the request target names host "${absoluteHost}" but the Host header says "${head.host}"`,
    );
  }
  if (head.host.length > 0 && !validHost(head.host)) return new HttpParseError(400, 'Bad request: invalid Host header');
  head.hostname = hostnameOf(head.host);

  if (connection !== null) {
    const tokens = connection.split(',');
    let connUpgrade = false;
    for (let t = 0; t < tokens.length; t++) {
      const tok = tokens[t].trim().toLowerCase();
      if (tok === 'upgrade') connUpgrade = true;
      if (tok === 'close') head.keepAlive = false;
      else if (tok === 'keep-alive') {
        if (minor === 0) head.keepAlive = true;
      } else if (tok.length > 0 && tok !== 'upgrade') {
        // Every header the Connection header names is hop-by-hop (RFC 9110 §7.6.1).
        for (let i = 0; i < n; i++) if (lnames[i] === tok) skip[i] = Skip.HopByHop;
      }
    }
    // A body on a handshake would be ambiguous with the first frames: such a request is
    // forwarded as plain HTTP, its Upgrade header dropped.
    if (
      connUpgrade &&
      upgrade !== null &&
      method === 'GET' &&
      minor === 1 &&
      !head.chunked &&
      head.contentLength <= 0 &&
      /(^|[\s,])websocket(\s*(,|$))/i.test(upgrade)
    ) {
      head.upgradeWebSocket = true;
    }
  }
  return idx + 4 - start;
}

/** 414 when the request line alone is over the limit, 431 when the header fields are. */
function tooLarge(buf: Buffer, start: number, end: number, max: number): HttpParseError {
  const lineEnd = buf.indexOf(0x0a, start);
  if (lineEnd === -1 || lineEnd >= end || lineEnd - start > max)
    return new HttpParseError(414, 'Request-URI too long: the request line exceeds the maximum header size');
  return new HttpParseError(
    431,
    'Request header fields too large: the request head exceeds the maximum header size (TURNPIKE_MAX_HEADER_SIZE)',
  );
}

/**
 * An origin-form target (already checked character by character) into the head's raw path,
 * query and normalised path; shared by the HTTP/1.1 parser and the HTTP/2 request head.
 */
export function splitTarget(head: RequestHead, target: string): HttpParseError | null {
  const q = target.indexOf('?');
  if (q === -1) head.rawPath = target;
  else {
    head.rawPath = target.slice(0, q);
    head.query = target.slice(q);
  }
  if (needsNormalization(head.rawPath)) {
    const n = normalizePath(head.rawPath);
    if (n === null) return new HttpParseError(400, 'Bad request: malformed percent-encoding in the request path');
    head.path = n;
  } else head.path = head.rawPath;
  return null;
}
