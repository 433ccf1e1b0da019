// Request-path normalization before routing, as Kong 3 does, so that `/a/../admin`,
// `/%61dmin` or `//admin` cannot slip past a route meant for `/admin` (or be matched by one
// that should not see them). Applied to the path that is matched AND forwarded.
//
// 1. Percent-encoded unreserved characters (ALPHA DIGIT - . _ ~) are decoded; every other
//    escape is kept, with its hex digits upper-cased. (Kong decodes all non-reserved bytes;
//    keeping them encoded here means the forwarded path is always a valid request-target.)
// 2. Consecutive slashes are merged.
// 3. Dot segments are removed (RFC 3986 §5.2.4).

/**
 * True when `normalizePath` could change `path`. Three native substring searches are
 * cheaper than one regex on the hot path; "/." also flags harmless names like "/.well-known",
 * which normalizePath then returns unchanged.
 */
export function needsNormalization(path: string): boolean {
  return path.indexOf('%') !== -1 || path.indexOf('//') !== -1 || path.indexOf('/.') !== -1;
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function unreserved(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x7e
  );
}

/** Returns the normalized path, or null when it has a malformed percent-escape. */
export function normalizePath(path: string): string | null {
  // Step 1: escapes.
  let decoded = '';
  let last = 0;
  for (let i = path.indexOf('%'); i !== -1; i = path.indexOf('%', i + 1)) {
    const h = hex(path.charCodeAt(i + 1));
    const l = hex(path.charCodeAt(i + 2));
    if (h < 0 || l < 0) return null;
    const c = h * 16 + l;
    decoded +=
      path.slice(last, i) + (unreserved(c) ? String.fromCharCode(c) : '%' + path.slice(i + 1, i + 3).toUpperCase());
    last = i + 3;
    i += 2;
  }
  const p = last === 0 ? path : decoded + path.slice(last);
  // Steps 2 and 3: segments.
  const segs = p.split('/');
  const out: string[] = [];
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i];
    const isLast = i === segs.length - 1;
    if (s === '.' || s === '') {
      if (isLast) out.push('');
      continue;
    }
    if (s === '..') {
      out.pop();
      if (isLast) out.push('');
      continue;
    }
    out.push(s);
  }
  return '/' + out.join('/');
}
