// opentelemetry: W3C Trace Context (and B3) propagation, and one SERVER span per request
// exported to an OTLP/HTTP collector in batches. Kong priority 14.
// - access: reads the caller's trace context (./traceparent.ts), makes our span id, decides
//   sampling, and sends the context upstream with our span as the parent.
// - log: builds the span (./span.ts) and queues it, encoded (./otlp.ts), for the exporter
//   (./exporter.ts). Only sampled spans are exported; exporting never touches a request.

import { definePlugin, type PluginContext } from '../../sdk.js';
import type { LogQueue } from '../http-log/queue.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { exporterFor } from './exporter.js';
import { newSpanId, newTraceId } from './ids.js';
import { encodeSpan } from './otlp.js';
import { OpenTelemetrySchema, SUPPORTED_FORMATS, type Format, type OpenTelemetryConfig } from './schema.js';
import { buildSpan, type AttributeValue, type TraceState } from './span.js';
import { extract, injectHeaders, type ExtractedContext } from './traceparent.js';

const SHARED_KEY = 'opentelemetry';

interface Prepared {
  queue: LogQueue;
  extract: readonly Format[];
  /** Formats to write; 'preserve' resolved per request. */
  inject: readonly (Format | 'preserve')[];
  defaultFormat: Format;
  clear: readonly string[];
  samplingRate: number | null;
  responseHeader: string | null;
}

interface Decision extends TraceState {
  extractedFormat: Format | null;
}

/** Refuses a format Kong knows but turnpike does not implement (the schema already refused unknown ones). */
function checkFormat(field: string, f: string, preserveAllowed: boolean): void {
  if (f === 'preserve' && preserveAllowed) return;
  if ((SUPPORTED_FORMATS as readonly string[]).includes(f)) return;
  const supported = [...(preserveAllowed ? ['preserve'] : []), ...SUPPORTED_FORMATS].join(', ');
  throw new PluginConfigFieldError(field, `'${f}' is not supported by turnpike (supported: ${supported})`);
}

const FORBIDDEN_HEADERS = new Set(['host', 'content-length', 'content-type']);

function prepare(c: OpenTelemetryConfig): Prepared {
  let url: URL;
  try {
    url = new URL(c.traces_endpoint);
  } catch {
    throw new PluginConfigFieldError('traces_endpoint', `'${c.traces_endpoint}' is not a valid URL (expected e.g. http://otel-collector:4318/v1/traces)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PluginConfigFieldError('traces_endpoint', `unsupported scheme '${url.protocol.slice(0, -1)}' (OTLP/HTTP: http or https)`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new PluginConfigFieldError('traces_endpoint', 'user info in the URL is not supported; send credentials with `headers` (e.g. Authorization)');
  }
  for (const name of Object.keys(c.headers ?? {})) {
    if (FORBIDDEN_HEADERS.has(name.toLowerCase())) throw new PluginConfigFieldError(`headers.${name}`, `cannot contain '${name}' header (the exporter sets it)`);
  }

  let prop: Pick<Prepared, 'extract' | 'inject' | 'defaultFormat' | 'clear'>;
  if (c.propagation !== null) {
    const p = c.propagation;
    p.extract.forEach((f, i) => checkFormat(`propagation.extract.${i}`, f, false));
    p.inject.forEach((f, i) => checkFormat(`propagation.inject.${i}`, f, true));
    checkFormat('propagation.default_format', p.default_format, false);
    prop = { extract: p.extract, inject: p.inject, defaultFormat: p.default_format, clear: p.clear };
  } else {
    // Kong before 3.7: every known format is read; header_type says what is written.
    checkFormat('header_type', c.header_type, true);
    prop = { extract: ['w3c', 'b3'], inject: [c.header_type], defaultFormat: 'w3c', clear: [] };
  }

  const resource: Record<string, AttributeValue> = { 'service.name': 'turnpike', ...(c.resource_attributes ?? {}) };
  return { ...prop, queue: exporterFor(c, url, resource), samplingRate: c.sampling_rate, responseHeader: c.http_response_header_for_traceid };
}

/**
 * Kong's older shapes: `endpoint` (before 3.5) → `traces_endpoint`; `batch_span_count` and
 * `batch_flush_delay` (before 3.7's queue) → `queue.max_batch_size` and
 * `queue.max_coalescing_delay`. The newer field wins when both are given.
 */
function upgrade(config: Record<string, unknown>): Record<string, unknown> {
  const out = { ...config };
  if ('endpoint' in out) {
    if (out.traces_endpoint === undefined || out.traces_endpoint === null) out.traces_endpoint = out.endpoint;
    delete out.endpoint;
  }
  const moves: [string, string][] = [
    ['batch_span_count', 'max_batch_size'],
    ['batch_flush_delay', 'max_coalescing_delay'],
  ];
  for (const [flat, nested] of moves) {
    if (!(flat in out)) continue;
    const v = out[flat];
    delete out[flat];
    if (v === null || v === undefined) continue;
    const queue = out.queue !== null && typeof out.queue === 'object' ? { ...(out.queue as Record<string, unknown>) } : {};
    if (!(nested in queue)) queue[nested] = v;
    out.queue = queue;
  }
  return out;
}

/** sampling_rate's decision, a function of the trace id: every hop with the same rate agrees. */
function sampleByRate(traceId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  return parseInt(traceId.slice(19), 16) / 2 ** 52 < rate; // the trace id's low 52 bits
}

function decide(ctx: PluginContext, p: Prepared): Decision {
  const parent: ExtractedContext | null = extract((n) => ctx.request.getHeader(n), p.extract);
  const traceId = parent?.traceId ?? newTraceId();
  const sampled = p.samplingRate === null ? (parent?.sampled ?? true) : sampleByRate(traceId, p.samplingRate);
  return {
    traceId,
    spanId: newSpanId(),
    parentSpanId: parent?.spanId ?? null,
    sampled,
    traceState: parent?.traceState ?? null,
    extractedFormat: parent?.format ?? null,
  };
}

export default definePlugin({
  name: 'opentelemetry',
  version: '0.1.0',
  priority: 14,
  schema: OpenTelemetrySchema,
  prepare,
  upgrade,
  phases: {
    access(ctx, p) {
      const d = decide(ctx, p);
      ctx.shared[SHARED_KEY] = d;
      const req = ctx.request;
      for (const h of p.clear) req.removeHeader(h);
      const written = new Set<Format>();
      for (const f of p.inject) {
        const format = f === 'preserve' ? (d.extractedFormat ?? p.defaultFormat) : f;
        if (written.has(format)) continue;
        written.add(format);
        // A tracestate without a valid traceparent belongs to no trace: not passed on.
        if (format === 'w3c' && d.traceState === null) req.removeHeader('tracestate');
        for (const [name, value] of injectHeaders(format, d)) req.setHeader(name, value);
      }
    },
    response(ctx, p) {
      if (p.responseHeader === null || ctx.response === null) return;
      const d = ctx.shared[SHARED_KEY] as Decision | undefined;
      if (d !== undefined) ctx.response.setHeader(p.responseHeader, d.traceId);
    },
    log(ctx, p) {
      // Without an access phase (an earlier plugin answered), the span still joins the caller's trace.
      const d = (ctx.shared[SHARED_KEY] as Decision | undefined) ?? decide(ctx, p);
      if (!d.sampled || ctx.outcome === null) return;
      p.queue.enqueue(encodeSpan(buildSpan(ctx, d, ctx.outcome)));
    },
  },
});
