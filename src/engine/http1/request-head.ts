// Strict HTTP/1.1 request-head parser (RFC 9112). It runs once per request on the hot path,
// so it works on one latin1 string per head, with lookup tables instead of per-header regexes,
// and it classifies the headers a proxy must treat specially while it scans them.
// Everything ambiguous is rejected here, before a single byte reaches an upstream.

import { headBytesValid, latin1, TARGET, TOKEN } from './chars.js';
import { needsNormalization, normalizePath } from '../../router/normalize.js';
import { hostnameOf, validHost } from './host.js';
import { classifyField, HttpParseError, MAX_HEADERS, PROTOCOL_FIELD, RequestHead, Skip } from './request-fields.js';

// The head's model lives with the field classification both parsers share; re-exported
// here for the modules that read heads.
export { HttpParseError, MAX_HEADERS, RequestHead, Skip } from './request-fields.js';

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
    let sk = classifyField(head, n, lname, value);
    if (typeof sk !== 'number') return sk;
    if (sk === PROTOCOL_FIELD) {
      // HTTP/1.1's own: the Host line, and the connection and framing fields.
      sk = Skip.HopByHop;
      if (lname === 'host') {
        if (++hostCount > 1) return new HttpParseError(400, 'Bad request: more than one Host header');
        head.host = value;
        sk = Skip.Host;
      } else if (lname === 'connection') {
        connection = connection === null ? value : connection + ',' + value;
      } else if (lname === 'upgrade') {
        if (/(^|[\s,])h2c(\s*(,|$))/i.test(value)) {
          return new HttpParseError(
            400,
            'Bad request: "Upgrade: h2c" is refused; use HTTP/2 with prior knowledge on an http2 listener instead',
          );
        }
        upgrade = upgrade === null ? value : upgrade + ',' + value;
      } else {
        // transfer-encoding
        if (teSeen) return new HttpParseError(400, 'Bad request: more than one Transfer-Encoding header');
        teSeen = true;
        if (value.toLowerCase() !== 'chunked') {
          return new HttpParseError(501, `Transfer-Encoding "${value}" is not supported; only "chunked" is accepted`);
        }
        head.chunked = true;
      }
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
