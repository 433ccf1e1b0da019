// Strict incremental parser for the chunked transfer coding (RFC 9112 §7.1).
// It validates framing while the bytes stream through: the proxy forwards the raw bytes
// unchanged (no re-encoding cost) and learns where the message ends. A malformed size
// line, a bare LF, a missing CRLF after chunk data or an oversized chunk size is an error,
// which is what makes request smuggling through chunk framing impossible.

const enum S {
  Size, // reading hex digits of chunk-size
  Ext, // reading chunk-ext up to CR
  SizeLF, // expecting LF after the size line's CR
  Data, // inside chunk data
  DataCR, // expecting CR after chunk data
  DataLF, // expecting LF after chunk data
  TrailerStart, // start of a trailer line (or the final CRLF)
  TrailerLine, // inside a trailer field line
  TrailerLF, // expecting LF after a trailer line's CR
  EndLF, // expecting the LF of the final CRLF
  Done,
}

import { TOKEN } from './chars.js';

const MAX_SIZE_DIGITS = 12; // 16^12 bytes = 256 TiB per chunk; more is an attack or a bug
const MAX_TRAILER_BYTES = 16 * 1024;

/**
 * Fields a request's trailer section must not carry (RFC 9110 §6.5.1): they frame or route
 * the message, modify the request, authenticate it or describe its content, so they must be
 * known before the content. Forwarded on a pooled upstream connection, a trailing
 * `Content-Length` or `Transfer-Encoding` could be merged into the head by a lenient
 * upstream: the request is refused instead.
 */
const FORBIDDEN_IN_REQUEST_TRAILERS = new Set([
  // framing and connection management
  'content-length',
  'transfer-encoding',
  'trailer',
  'te',
  'connection',
  'keep-alive',
  'proxy-connection',
  'upgrade',
  // routing and request modifiers
  'host',
  'expect',
  'max-forwards',
  'range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'if-range',
  'cache-control',
  'pragma',
  // authentication and cookies
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'www-authenticate',
  'proxy-authenticate',
  // content description and response control
  'content-type',
  'content-encoding',
  'content-range',
  'age',
  'expires',
  'date',
  'location',
  'retry-after',
  'vary',
]);

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

export class ChunkedError extends Error {}

export type ChunkDataSink = (buf: Buffer, start: number, end: number) => void;

export class ChunkedParser {
  private state: S = S.Size;
  private remaining = 0;
  private digits = 0;
  private trailerBytes = 0;
  private trailerLineLen = 0;
  /** The current trailer line's field name, lower-cased, while it is read (until its ':'). */
  private trailerName = '';
  private trailerNameDone = false;
  /**
   * Refuse a trailer section that carries a framing, routing or other header-only field
   * (FORBIDDEN_IN_REQUEST_TRAILERS). Set for request bodies; a response's trailers are
   * only validated.
   */
  refuseHeaderOnlyTrailers = false;
  /** When set, receives the decoded data ranges (used to de-chunk for HTTP/1.0 peers). */
  sink: ChunkDataSink | null = null;
  /**
   * When set (to ''), collects the trailer section's field lines, each ended by '\n' (the
   * HTTP/2 edge turns them into HTTP/2 trailers). Null: trailers are only validated.
   */
  trailers: string | null = null;

  reset(): void {
    this.state = S.Size;
    this.remaining = 0;
    this.digits = 0;
    this.trailerBytes = 0;
    this.trailerLineLen = 0;
    this.trailerName = '';
    this.trailerNameDone = false;
    this.sink = null;
    this.trailers = null;
  }

  get done(): boolean {
    return this.state === S.Done;
  }

  /**
   * Consumes bytes [start, end). Returns the index just past the end of the chunked body
   * when it ends inside this range, or -1 when more bytes are needed. Throws ChunkedError
   * on malformed framing.
   */
  feed(buf: Buffer, start: number, end: number): number {
    let i = start;
    while (i < end) {
      switch (this.state) {
        case S.Size: {
          const c = buf[i];
          const v = hexVal(c);
          if (v >= 0) {
            if (++this.digits > MAX_SIZE_DIGITS) throw new ChunkedError('chunk size too large');
            this.remaining = this.remaining * 16 + v;
            i++;
          } else if (this.digits === 0) {
            throw new ChunkedError('chunk size is not a hexadecimal number');
          } else if (c === 0x3b /* ; */) {
            this.state = S.Ext;
            i++;
          } else if (c === 0x0d) {
            this.state = S.SizeLF;
            i++;
          } else {
            // Spaces (BWS), LF alone or any other byte after the digits is ambiguous framing.
            throw new ChunkedError('invalid character in chunk size line');
          }
          break;
        }
        case S.Ext: {
          const c = buf[i];
          if (c === 0x0d) this.state = S.SizeLF;
          else if (c === 0x0a || (c < 0x20 && c !== 0x09) || c === 0x7f)
            throw new ChunkedError('invalid character in chunk extension');
          i++;
          break;
        }
        case S.SizeLF: {
          if (buf[i] !== 0x0a) throw new ChunkedError('chunk size line not terminated by CRLF');
          i++;
          this.digits = 0;
          if (this.remaining === 0) {
            this.state = S.TrailerStart;
          } else {
            this.state = S.Data;
          }
          break;
        }
        case S.Data: {
          const avail = end - i;
          const take = avail < this.remaining ? avail : this.remaining;
          if (this.sink !== null) this.sink(buf, i, i + take);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = S.DataCR;
          break;
        }
        case S.DataCR:
          if (buf[i] !== 0x0d) throw new ChunkedError('chunk data not followed by CRLF');
          this.state = S.DataLF;
          i++;
          break;
        case S.DataLF:
          if (buf[i] !== 0x0a) throw new ChunkedError('chunk data not followed by CRLF');
          this.state = S.Size;
          i++;
          break;
        case S.TrailerStart: {
          const c = buf[i];
          if (c === 0x0d) {
            this.state = S.EndLF;
          } else if (c === 0x20 || c === 0x09) {
            throw new ChunkedError('obsolete line folding in trailer section');
          } else {
            this.state = S.TrailerLine;
            this.trailerLineLen = 0;
            this.trailerName = '';
            this.trailerNameDone = false;
            continue; // re-read the same byte as part of the line
          }
          i++;
          break;
        }
        case S.TrailerLine: {
          const c = buf[i];
          if (c === 0x0d) {
            if (this.trailerLineLen === 0) throw new ChunkedError('empty trailer line');
            if (!this.trailerNameDone || this.trailerName === '')
              throw new ChunkedError('trailer line is not a "name: value" field');
            if (this.refuseHeaderOnlyTrailers && FORBIDDEN_IN_REQUEST_TRAILERS.has(this.trailerName)) {
              throw new ChunkedError(
                `field '${this.trailerName}' is not allowed in a trailer section (RFC 9110 §6.5: framing, routing, authentication and content fields belong in the header section)`,
              );
            }
            if (this.trailers !== null) this.trailers += '\n';
            this.state = S.TrailerLF;
          } else if (c === 0x0a || (c < 0x20 && c !== 0x09) || c === 0x7f) {
            throw new ChunkedError('invalid character in trailer section');
          } else {
            if (!this.trailerNameDone) {
              if (c === 0x3a /* : */) this.trailerNameDone = true;
              else if (c === 0x20 || c === 0x09) throw new ChunkedError('whitespace in a trailer field name');
              // A field name is a token (RFC 9110 §5.1); an HTTP/2 peer refuses anything else.
              else if (TOKEN[c] === 0)
                throw new ChunkedError(
                  `invalid character ${JSON.stringify(String.fromCharCode(c))} in a trailer field name`,
                );
              else this.trailerName += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
            }
            this.trailerLineLen++;
            if (this.trailers !== null) this.trailers += String.fromCharCode(c);
          }
          if (++this.trailerBytes > MAX_TRAILER_BYTES) throw new ChunkedError('trailer section too large');
          i++;
          break;
        }
        case S.TrailerLF:
          if (buf[i] !== 0x0a) throw new ChunkedError('trailer line not terminated by CRLF');
          this.state = S.TrailerStart;
          i++;
          break;
        case S.EndLF:
          if (buf[i] !== 0x0a) throw new ChunkedError('chunked body not terminated by CRLF');
          this.state = S.Done;
          return i + 1;
        case S.Done:
          return i;
      }
    }
    return -1;
  }
}
