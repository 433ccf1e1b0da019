// Trace context headers: W3C Trace Context (traceparent, tracestate) and Zipkin's B3 (the
// multi-header X-B3-* form and the single `b3` header). Parsing is strict: anything that does
// not match the specification exactly is treated as absent, and the request starts a new trace.

import type { Format } from './schema.js';

/** What an incoming request carried. `traceId`/`spanId` are null when only a sampling decision came. */
export interface ExtractedContext {
  format: Format;
  traceId: string | null;
  spanId: string | null;
  /** The caller's decision; null when it made none (B3 allows that). */
  sampled: boolean | null;
  /** W3C tracestate, passed through untouched (only with a valid traceparent). */
  traceState: string | null;
}

export type HeaderGetter = (name: string) => string | undefined;

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO = /^0+$/;
const validTraceId = (s: string): boolean => HEX32.test(s) && !ZERO.test(s);
const validSpanId = (s: string): boolean => HEX16.test(s) && !ZERO.test(s);

// version-traceid-parentid-flags, lower-case hex only. Future versions may append "-…".
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Parses a traceparent header value (W3C Trace Context level 1). Returns null when it is
 * invalid: wrong shape or case, version ff, an all-zero id, or extra fields on version 00.
 */
export function parseTraceparent(
  value: string | undefined,
): { traceId: string; spanId: string; sampled: boolean } | null {
  if (value === undefined) return null;
  const m = TRACEPARENT.exec(value.trim());
  if (m === null) return null;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (version === 'ff') return null;
  if (version === '00' && rest !== undefined) return null;
  if (!validTraceId(traceId) || !validSpanId(spanId)) return null;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

function extractW3c(get: HeaderGetter): ExtractedContext | null {
  const tp = parseTraceparent(get('traceparent'));
  if (tp === null) return null;
  const ts = get('tracestate');
  return { format: 'w3c', ...tp, traceState: ts !== undefined && ts.trim() !== '' ? ts : null };
}

/** B3 trace ids may be 64-bit; they are widened to 128 bits with leading zeros. */
function b3TraceId(s: string): string | null {
  const id = s.length === 16 ? '0000000000000000' + s : s;
  return validTraceId(id) ? id : null;
}

function b3Sampled(s: string | undefined): boolean | null | undefined {
  if (s === undefined) return null;
  if (s === '1' || s === 'd' || s === 'true') return true;
  if (s === '0' || s === 'false') return false;
  return undefined; // invalid
}

function extractB3Single(get: HeaderGetter): ExtractedContext | null {
  const v = get('b3')?.trim();
  if (v === undefined || v === '') return null;
  const parts = v.split('-');
  if (parts.length === 1) {
    // Only a decision: 0, 1 or d (debug).
    if (v === 'true' || v === 'false') return null;
    const sampled = b3Sampled(v);
    return sampled === undefined || sampled === null
      ? null
      : { format: 'b3-single', traceId: null, spanId: null, sampled, traceState: null };
  }
  if (parts.length > 4) return null;
  const traceId = b3TraceId(parts[0]!);
  const spanId = parts[1]!;
  if (traceId === null || !validSpanId(spanId)) return null;
  const sampled = parts.length >= 3 ? b3Sampled(parts[2]) : null;
  if (sampled === undefined || parts[2] === 'true' || parts[2] === 'false') return null;
  if (parts.length === 4 && !validSpanId(parts[3]!)) return null;
  return { format: 'b3-single', traceId, spanId, sampled, traceState: null };
}

function extractB3Multi(get: HeaderGetter): ExtractedContext | null {
  const flags = get('x-b3-flags')?.trim();
  let sampled = b3Sampled(get('x-b3-sampled')?.trim());
  if (sampled === undefined) return null;
  if (flags === '1') sampled = true; // debug implies sampled
  const t = get('x-b3-traceid')?.trim();
  const s = get('x-b3-spanid')?.trim();
  if (t === undefined && s === undefined) {
    return sampled === null ? null : { format: 'b3', traceId: null, spanId: null, sampled, traceState: null };
  }
  const traceId = t === undefined ? null : b3TraceId(t);
  if (traceId === null || s === undefined || !validSpanId(s)) return null;
  return { format: 'b3', traceId, spanId: s, sampled, traceState: null };
}

const EXTRACTORS: Partial<Record<Format, (get: HeaderGetter) => ExtractedContext | null>> = {
  w3c: extractW3c,
  // Kong's "b3" extractor reads both B3 forms; the single header wins.
  b3: (get) => extractB3Single(get) ?? extractB3Multi(get),
  'b3-single': (get) => extractB3Single(get) ?? extractB3Multi(get),
};

/** The first format in `order` that the request carries validly, or null. */
export function extract(get: HeaderGetter, order: readonly Format[]): ExtractedContext | null {
  for (const f of order) {
    const c = EXTRACTORS[f]?.(get) ?? null;
    if (c !== null) return c;
  }
  return null;
}

/** The headers to send upstream in `format` for our span (`spanId`), child of `parentSpanId`. */
export function injectHeaders(
  format: Format,
  c: { traceId: string; spanId: string; parentSpanId: string | null; sampled: boolean; traceState: string | null },
): [string, string][] {
  switch (format) {
    case 'w3c': {
      const out: [string, string][] = [['traceparent', formatTraceparent(c.traceId, c.spanId, c.sampled)]];
      if (c.traceState !== null) out.push(['tracestate', c.traceState]);
      return out;
    }
    case 'b3': {
      const out: [string, string][] = [
        ['x-b3-traceid', c.traceId],
        ['x-b3-spanid', c.spanId],
        ['x-b3-sampled', c.sampled ? '1' : '0'],
      ];
      if (c.parentSpanId !== null) out.push(['x-b3-parentspanid', c.parentSpanId]);
      return out;
    }
    case 'b3-single':
      return [
        [
          'b3',
          `${c.traceId}-${c.spanId}-${c.sampled ? '1' : '0'}${c.parentSpanId !== null ? '-' + c.parentSpanId : ''}`,
        ],
      ];
    default:
      throw new Error(`trace context format '${format}' is not supported`);
  }
}
