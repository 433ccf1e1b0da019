// Parser for an upstream's HTTP/1.x response head. It produces the header block that goes to
// the client in the same pass: kept lines are sliced from the raw head (no per-header
// objects), hop-by-hop fields are dropped, and the message framing is classified strictly so
// that an upstream cannot desynchronise a pooled connection.

import { headBytesValid, latin1, TOKEN } from './chars.js';

export const enum Framing {
  None = 0, // no body (HEAD, 1xx, 204, 304)
  Length = 1,
  Chunked = 2,
  UntilClose = 3,
}

const NO_FIELDS: readonly string[] = [];

export class ResponseHead {
  status = 0;
  /** "HTTP/1.1 200 OK\r\n" as it goes to the client. */
  statusLine = '';
  /** Kept header lines, each ending in CRLF (no final blank line). */
  headerLines = '';
  /**
   * Bit (length % 32) set for each kept line's name length: HeaderList skips searching the
   * lines for a name whose length is not there (the usual case of a plugin adding a header).
   */
  nameLengths = 0;
  /**
   * Header fields after `headerLines`, as pairs: an HTTP/2 upstream's (upstream-h2/response.ts),
   * which reach the client without passing through HTTP/1.1 text. Empty for an HTTP/1.1 upstream.
   */
  fieldNames: readonly string[] = NO_FIELDS;
  fieldValues: readonly string[] = NO_FIELDS;
  framing: Framing = Framing.None;
  contentLength = -1;
  /** The upstream will keep the connection open after this response. */
  keepAlive = true;
  /** The Upgrade header's value ('' when absent): checked on a 101 to a WebSocket handshake. */
  upgrade = '';
  size = 0;
}

export class UpstreamProtocolError extends Error {}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Parses a response head from buf[start, end). Returns bytes consumed, 0 when incomplete.
 * Throws UpstreamProtocolError on a malformed or ambiguous head. `isHead` marks a response
 * to a HEAD request (never a body).
 */
export function parseResponseHead(
  buf: Buffer,
  start: number,
  end: number,
  maxHeadSize: number,
  isHead: boolean,
  out: ResponseHead,
): number {
  const idx = buf.indexOf(CRLFCRLF, start);
  if (idx === -1 || idx + 4 > end) {
    if (end - start > maxHeadSize) throw new UpstreamProtocolError('upstream response head too large');
    return 0;
  }
  const s = latin1(buf, start, idx + 2);
  if (!headBytesValid(buf, start, idx + 2))
    throw new UpstreamProtocolError('invalid character in upstream response head');
  const eol = s.indexOf('\r\n');
  // "HTTP/1.x SSS[ reason]"
  if (eol < 12 || !s.startsWith('HTTP/1.') || s.charCodeAt(8) !== 0x20)
    throw new UpstreamProtocolError('malformed upstream status line');
  const minor = s.charCodeAt(7) - 0x30;
  if (minor !== 0 && minor !== 1) throw new UpstreamProtocolError('unsupported upstream HTTP version');
  const c1 = s.charCodeAt(9) - 0x30;
  const c2 = s.charCodeAt(10) - 0x30;
  const c3 = s.charCodeAt(11) - 0x30;
  if (c1 < 1 || c1 > 5 || c2 < 0 || c2 > 9 || c3 < 0 || c3 > 9 || (eol > 12 && s.charCodeAt(12) !== 0x20)) {
    throw new UpstreamProtocolError('malformed upstream status code');
  }
  const status = c1 * 100 + c2 * 10 + c3;
  out.status = status;
  out.statusLine = minor === 1 ? s.slice(0, eol + 2) : 'HTTP/1.1' + s.slice(8, eol + 2);
  out.size = idx + 4 - start;
  out.contentLength = -1;
  out.keepAlive = minor === 1;
  out.upgrade = '';

  let lines = '';
  let lengths = 0;
  let chunked = false;
  let teSeen = false;
  let extraConnTokens: string[] | null = null;
  let pos = eol + 2;
  while (pos < s.length) {
    const e = s.indexOf('\r\n', pos);
    const first = s.charCodeAt(pos);
    if (first === 0x20 || first === 0x09) throw new UpstreamProtocolError('obsolete line folding in upstream response');
    const colon = s.indexOf(':', pos);
    if (colon === -1 || colon > e || colon === pos) throw new UpstreamProtocolError('malformed upstream header line');
    for (let i = pos; i < colon; i++)
      if (TOKEN[s.charCodeAt(i)] !== 1) throw new UpstreamProtocolError('invalid upstream header name');
    const nameLen = colon - pos;
    let keep = true;
    // Only a handful of lengths can be special; everything else is copied without lowercasing.
    if (nameLen === 2 || nameLen === 7 || nameLen === 10 || nameLen === 14 || nameLen === 16 || nameLen === 17) {
      const lname = s.slice(pos, colon).toLowerCase();
      const value = trimOws(s, colon + 1, e);
      switch (lname) {
        case 'upgrade':
          keep = false;
          out.upgrade = value;
          break;
        case 'te':
        case 'trailer':
        case 'keep-alive':
        case 'proxy-connection':
          keep = false;
          break;
        case 'connection': {
          keep = false;
          // The usual values, without splitting.
          const lv = value.length <= 10 ? value.toLowerCase() : '';
          if (lv === 'keep-alive') {
            if (minor === 0) out.keepAlive = true;
            break;
          }
          if (lv === 'close') {
            out.keepAlive = false;
            break;
          }
          const toks = value.split(',');
          for (let t = 0; t < toks.length; t++) {
            const tok = toks[t].trim().toLowerCase();
            if (tok === 'close') out.keepAlive = false;
            else if (tok === 'keep-alive') {
              if (minor === 0) out.keepAlive = true;
            } else if (tok.length > 0) (extraConnTokens ??= []).push(tok);
          }
          break;
        }
        case 'content-length': {
          if (!/^\d{1,15}$/.test(value)) throw new UpstreamProtocolError('invalid Content-Length from upstream');
          const n = Number(value);
          if (out.contentLength !== -1 && out.contentLength !== n)
            throw new UpstreamProtocolError('conflicting Content-Length headers from upstream');
          if (out.contentLength !== -1) keep = false; // identical duplicate: forward once
          out.contentLength = n;
          break;
        }
        case 'transfer-encoding':
          keep = false;
          if (teSeen) throw new UpstreamProtocolError('more than one Transfer-Encoding header from upstream');
          teSeen = true;
          if (value.toLowerCase() !== 'chunked')
            throw new UpstreamProtocolError(`unsupported Transfer-Encoding "${value}" from upstream`);
          chunked = true;
          break;
      }
    }
    if (keep) {
      lines += s.slice(pos, e + 2);
      lengths |= 1 << (nameLen & 31);
    }
    pos = e + 2;
  }
  if (chunked && out.contentLength !== -1) {
    // RFC 9112 §6.3: Transfer-Encoding wins, but a proxy must not forward the ambiguity; the
    // connection is not reused either.
    out.contentLength = -1;
    out.keepAlive = false;
    lines = dropHeader(lines, 'content-length');
  }
  if (extraConnTokens !== null) for (const tok of extraConnTokens) lines = dropHeader(lines, tok);
  out.headerLines = lines;
  out.nameLengths = lengths;

  if (isHead || status < 200 || status === 204 || status === 304) out.framing = Framing.None;
  else if (chunked) out.framing = Framing.Chunked;
  else if (out.contentLength !== -1) out.framing = Framing.Length;
  else {
    out.framing = Framing.UntilClose;
    out.keepAlive = false;
  }
  return idx + 4 - start;
}

function trimOws(s: string, a: number, b: number): string {
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return s.slice(a, b);
}

/** Removes every line of a header (case-insensitive) from a CRLF-joined block. Rare path. */
function dropHeader(lines: string, lname: string): string {
  let out = '';
  let pos = 0;
  while (pos < lines.length) {
    const e = lines.indexOf('\r\n', pos);
    const colon = lines.indexOf(':', pos);
    if (lines.slice(pos, colon).toLowerCase() !== lname) out += lines.slice(pos, e + 2);
    pos = e + 2;
  }
  return out;
}
