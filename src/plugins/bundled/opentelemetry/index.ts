// opentelemetry: W3C Trace Context (and B3) propagation, and one SERVER span per request
// exported to an OTLP/HTTP collector in batches. Kong priority 14.
// - access: reads the caller's trace context (./traceparent.ts), makes our span id, decides
//   sampling, and sends the context upstream with our span as the parent.
// - log: builds the span (./span.ts) and queues it, encoded (./otlp.ts), for the exporter
//   (./exporter.ts). Only sampled spans are exported; exporting never touches a request.

import { definePlugin, type PluginContext, type PrepareEnv } from '../../sdk.js';
import type { LogQueue } from '../http-log/queue.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { exporterFor } from './exporter.js';
import { newSpanId, newTraceId } from './ids.js';
import { encodeSpan } from './otlp.js';
import { resolvePropagation, type Propagation } from './propagation.js';
import { OpenTelemetrySchema, type Format, type OpenTelemetryConfig } from './schema.js';
import { buildSpan, type AttributeValue, type TraceState } from './span.js';
import { extract, injectHeaders, type ExtractedContext } from './traceparent.js';

const SHARED_KEY = 'opentelemetry';

interface Prepared extends Propagation {
  queue: LogQueue;
  samplingRate: number | null;
  responseHeader: string | null;
}

interface Decision extends TraceState {
  extractedFormat: Format | null;
}

const FORBIDDEN_HEADERS = new Set(['host', 'content-length', 'content-type']);

/** A URL the exporter can post to, or the reason it cannot. */
function endpointUrl(field: 'traces_endpoint' | 'logs_endpoint', value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PluginConfigFieldError(
      field,
      `'${value}' is not a valid URL (expected e.g. http://otel-collector:4318/v1/${field === 'traces_endpoint' ? 'traces' : 'logs'})`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PluginConfigFieldError(
      field,
      `unsupported scheme '${url.protocol.slice(0, -1)}' (OTLP/HTTP: http or https)`,
    );
  }
  return url;
}

/** null: no traces_endpoint, so (as in Kong) the plugin neither propagates nor exports traces. */
function prepare(c: OpenTelemetryConfig, env: PrepareEnv): Prepared | null {
  // Kong's entity check, same wording.
  if (c.traces_endpoint === null && c.logs_endpoint === null) {
    throw new PluginConfigFieldError(
      '',
      "at least one of these fields must be non-empty: 'traces_endpoint', 'logs_endpoint'",
    );
  }
  if (c.logs_endpoint !== null) {
    endpointUrl('logs_endpoint', c.logs_endpoint);
    // Not refused: traffic is unaffected, and a Kong file with both endpoints still gets its traces.
    env.warn(
      `logs_endpoint: Turnpike does not export logs over OTLP; nothing is sent to ${c.logs_endpoint}${c.traces_endpoint === null ? ' (and without traces_endpoint the plugin does nothing)' : ' (traces still go to traces_endpoint)'}`,
    );
  }
  for (const name of Object.keys(c.headers ?? {})) {
    if (FORBIDDEN_HEADERS.has(name.toLowerCase()))
      throw new PluginConfigFieldError(`headers.${name}`, `cannot contain '${name}' header (the exporter sets it)`);
  }
  const prop = resolvePropagation(c);
  if (c.traces_endpoint === null) return null;
  const url = endpointUrl('traces_endpoint', c.traces_endpoint);
  if (url.username !== '' || url.password !== '') {
    throw new PluginConfigFieldError(
      'traces_endpoint',
      'user info in the URL is not supported; send credentials with `headers` (e.g. Authorization)',
    );
  }
  const resource: Record<string, AttributeValue> = { 'service.name': 'turnpike', ...(c.resource_attributes ?? {}) };
  return {
    ...prop,
    queue: exporterFor(c, url, resource),
    samplingRate: c.sampling_rate,
    responseHeader: c.http_response_header_for_traceid,
  };
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
    const queue =
      out.queue !== null && typeof out.queue === 'object' ? { ...(out.queue as Record<string, unknown>) } : {};
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
      if (p === null) return;
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
      if (p === null || p.responseHeader === null || ctx.response === null) return;
      const d = ctx.shared[SHARED_KEY] as Decision | undefined;
      if (d !== undefined) ctx.response.setHeader(p.responseHeader, d.traceId);
    },
    log(ctx, p) {
      if (p === null) return;
      // Without an access phase (an earlier plugin answered), the span still joins the caller's trace.
      const d = (ctx.shared[SHARED_KEY] as Decision | undefined) ?? decide(ctx, p);
      if (!d.sampled || ctx.outcome === null) return;
      p.queue.enqueue(encodeSpan(buildSpan(ctx, d, ctx.outcome)));
    },
  },
});
