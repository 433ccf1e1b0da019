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

/**
 * Forbidden anywhere in a head: control characters other than HTAB, CR and LF (those are
 * checked where they appear), and DEL. A CR or LF that is not part of a CRLF is caught by
 * the line splitter, since every line must end in CRLF.
 */
export const FORBIDDEN_IN_HEAD = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (TOKEN[s.charCodeAt(i)] !== 1) return false;
  return true;
}
