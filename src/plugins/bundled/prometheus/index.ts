// prometheus: Kong's per-request metrics (requests by status code, latency histograms,
// bandwidth) under Kong's metric names, through the SDK's ctx.metrics: each worker counts, the
// primary sums the workers, and the status listener's /metrics shows them after the built-in
// turnpike_* metrics. Kong priority 13; log phase only, so it never delays a response.
//
// Kong runs the plugin globally or per service/route; here any scope works, and a request
// is counted once per instance that applies to it (one, as Kong's chain picks one per plugin).

import { definePlugin, type CounterMetric, type HistogramMetric, type PluginContext, type PluginMetrics } from '../../sdk.js';
import { PrometheusSchema, type PrometheusConfig } from './schema.js';

/** Bucket upper bounds in ms, as Kong's exporter uses them. */
export const KONG_LATENCY_BUCKETS = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 3000, 6000];
export const UPSTREAM_LATENCY_BUCKETS = [25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10000, 30000, 60000];
export const REQUEST_LATENCY_BUCKETS = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 2000, 5000, 10000, 30000, 60000];

/** Turnpike has no workspaces: everything is in Kong's "default" one. */
const WORKSPACE = 'default';

interface Families {
  requests: CounterMetric;
  kongLatency: HistogramMetric;
  upstreamLatency: HistogramMetric;
  requestLatency: HistogramMetric;
  bandwidth: CounterMetric;
}

// The metric objects, looked up once per worker registry (prepare cannot reach ctx.metrics).
const families = new WeakMap<PluginMetrics, Families>();

function familiesOf(m: PluginMetrics): Families {
  let f = families.get(m);
  if (f === undefined) {
    f = {
      requests: m.counter('kong_http_requests_total', 'Requests by service, route, status code and consumer; source is service when the upstream answered, kong when the gateway did', ['service', 'route', 'code', 'source', 'workspace', 'consumer']),
      kongLatency: m.histogram('kong_kong_latency_ms', 'Time the gateway and its plugins spent on a request (total minus upstream), in ms', ['service', 'route', 'workspace'], KONG_LATENCY_BUCKETS),
      upstreamLatency: m.histogram('kong_upstream_latency_ms', 'Time from sending a request upstream to its response head, in ms', ['service', 'route', 'workspace'], UPSTREAM_LATENCY_BUCKETS),
      requestLatency: m.histogram('kong_request_latency_ms', 'Time from the request head to the last response byte, in ms', ['service', 'route', 'workspace'], REQUEST_LATENCY_BUCKETS),
      bandwidth: m.counter('kong_bandwidth_bytes', 'Bytes read from clients (ingress) and written to them (egress)', ['service', 'route', 'direction', 'workspace', 'consumer']),
    };
    families.set(m, f);
  }
  return f;
}

/** Status codes as label values, made once. */
const codes: string[] = [];
function code(status: number): string {
  return (codes[status] ??= String(status));
}

function consumerLabel(ctx: PluginContext): string {
  const c = ctx.consumer;
  if (c === null) return '';
  // Kong labels with the username, falling back to the custom_id.
  return c.username ?? c.custom_id ?? '';
}

function log(ctx: PluginContext, conf: PrometheusConfig): void {
  const o = ctx.outcome;
  if (o === null) return;
  if (!conf.status_code_metrics && !conf.latency_metrics && !conf.bandwidth_metrics) return;
  const f = familiesOf(ctx.metrics);
  const s = ctx.service;
  const r = ctx.route;
  const service = s === null ? '' : s.name !== '' ? s.name : s.id;
  const route = r === null ? '' : r.name !== '' ? r.name : r.id;
  const consumer = conf.per_consumer ? consumerLabel(ctx) : '';

  if (conf.status_code_metrics) {
    f.requests.inc([service, route, code(o.status), o.upstreamStatus === null ? 'kong' : 'service', WORKSPACE, consumer]);
  }
  if (conf.latency_metrics) {
    const labels = [service, route, WORKSPACE];
    f.requestLatency.observe(labels, o.latencyMs);
    if (o.upstreamLatencyMs !== null) {
      f.upstreamLatency.observe(labels, o.upstreamLatencyMs);
      f.kongLatency.observe(labels, Math.max(0, o.latencyMs - o.upstreamLatencyMs));
    } else {
      f.kongLatency.observe(labels, o.latencyMs);
    }
  }
  if (conf.bandwidth_metrics) {
    f.bandwidth.inc([service, route, 'ingress', WORKSPACE, consumer], o.bytesIn);
    f.bandwidth.inc([service, route, 'egress', WORKSPACE, consumer], o.bytesOut);
  }
}

export default definePlugin({
  name: 'prometheus',
  version: '0.1.0',
  priority: 13,
  schema: PrometheusSchema,
  phases: { log },
});
