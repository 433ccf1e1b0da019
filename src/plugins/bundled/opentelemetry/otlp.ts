// OTLP/HTTP JSON encoding (the protobuf JSON mapping of ExportTraceServiceRequest): ids as
// lower-case hex strings, enums as integers, 64-bit integers as decimal strings. Spans are
// encoded one by one when they are queued; a batch wraps them with the resource and scope.

import type { AttributeValue, Span } from './span.js';

const SPAN_KIND_SERVER = 2;
const STATUS_CODE_ERROR = 2;

type AnyValue = { stringValue: string } | { boolValue: boolean } | { intValue: string } | { doubleValue: number };

function anyValue(v: AttributeValue): AnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

export function encodeAttributes(attrs: Iterable<[string, AttributeValue]>): { key: string; value: AnyValue }[] {
  const out: { key: string; value: AnyValue }[] = [];
  for (const [key, v] of attrs) out.push({ key, value: anyValue(v) });
  return out;
}

/** One span as OTLP JSON. */
export function encodeSpan(s: Span): string {
  const o: Record<string, unknown> = { traceId: s.traceId, spanId: s.spanId };
  if (s.parentSpanId !== null) o.parentSpanId = s.parentSpanId;
  if (s.traceState !== null) o.traceState = s.traceState;
  o.name = s.name;
  o.kind = SPAN_KIND_SERVER;
  o.startTimeUnixNano = s.startTimeUnixNano;
  o.endTimeUnixNano = s.endTimeUnixNano;
  o.attributes = encodeAttributes(s.attributes);
  o.status = s.error !== null ? { code: STATUS_CODE_ERROR, message: s.error } : {};
  return JSON.stringify(o);
}

/**
 * The constant head and tail of an export request for one resource; a batch body is
 * `head + spans.join(',') + tail`.
 */
export function batchEnvelope(
  resource: Record<string, AttributeValue>,
  scope: { name: string; version: string },
): { head: string; tail: string } {
  const res = JSON.stringify({ attributes: encodeAttributes(Object.entries(resource)) });
  const sc = JSON.stringify(scope);
  return { head: `{"resourceSpans":[{"resource":${res},"scopeSpans":[{"scope":${sc},"spans":[`, tail: ']}]}]}' };
}
