// prometheus: Kong's per-request metrics (requests by status code, latency histograms,
// bandwidth) under Kong's metric names, through the SDK's ctx.metrics: each worker counts, the
// primary sums the workers, and the status listener's /metrics shows them after the built-in
// turnpike_* metrics. Kong priority 13; log phase only, so it never delays a response.
//
// Kong runs the plugin globally or per service/route; here any scope works, and a request
// is counted once per instance that applies to it (one, as Kong's chain picks one per plugin).

import {
  definePlugin,
  type BoundCounter,
  type BoundHistogram,
  type CounterMetric,
  type HistogramMetric,
  type PluginContext,
  type PluginMetrics,
} from '../../sdk.js';
import { PrometheusSchema, type PrometheusConfig } from './schema.js';

/** Bucket upper bounds in ms, as Kong's exporter uses them. */
export const KONG_LATENCY_BUCKETS = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 3000, 6000];
export const UPSTREAM_LATENCY_BUCKETS = [25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10000, 30000, 60000];
export const REQUEST_LATENCY_BUCKETS = [
  1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 2000, 5000, 10000, 30000, 60000,
];

/** Turnpike has no workspaces: everything is in Kong's "default" one. */
const WORKSPACE = 'default';

interface Families {
  requests: CounterMetric;
  kongLatency: HistogramMetric;
  upstreamLatency: HistogramMetric;
  requestLatency: HistogramMetric;
  bandwidth: CounterMetric;
  /** Bound series per route (the route object of the current snapshot; NO_ROUTE for none). */
  byRoute: WeakMap<object, RouteSeries>;
}

/**
 * The series one route (and one consumer, with per_consumer) updates on every request, bound
 * once: each update is then an array write instead of joining label values into a key.
 */
class RouteSeries {
  // Bound on first use: a series appears on /metrics only once it has counted something.
  private rl: BoundHistogram | null = null;
  private ul: BoundHistogram | null = null;
  private kl: BoundHistogram | null = null;
  private bin: BoundCounter | null = null;
  private bout: BoundCounter | null = null;
  /** Requests counters by status code × 2 + (1 when the gateway answered). */
  private readonly requests: BoundCounter[] = [];
  /** per_consumer: the series of each consumer label seen on this route. */
  consumers: Map<string, RouteSeries> | null = null;

  constructor(
    private readonly f: Families,
    private readonly service: string,
    private readonly route: string,
    private readonly consumer: string,
  ) {}

  get requestLatency(): BoundHistogram {
    return (this.rl ??= this.f.requestLatency.labels([this.service, this.route, WORKSPACE]));
  }
  get upstreamLatency(): BoundHistogram {
    return (this.ul ??= this.f.upstreamLatency.labels([this.service, this.route, WORKSPACE]));
  }
  get kongLatency(): BoundHistogram {
    return (this.kl ??= this.f.kongLatency.labels([this.service, this.route, WORKSPACE]));
  }
  get ingress(): BoundCounter {
    return (this.bin ??= this.f.bandwidth.labels([this.service, this.route, 'ingress', WORKSPACE, this.consumer]));
  }
  get egress(): BoundCounter {
    return (this.bout ??= this.f.bandwidth.labels([this.service, this.route, 'egress', WORKSPACE, this.consumer]));
  }

  requestsFor(status: number, byGateway: boolean): BoundCounter {
    const i = status * 2 + (byGateway ? 1 : 0);
    return (this.requests[i] ??= this.f.requests.labels([
      this.service,
      this.route,
      String(status),
      byGateway ? 'kong' : 'service',
      WORKSPACE,
      this.consumer,
    ]));
  }

  forConsumer(consumer: string): RouteSeries {
    const m = (this.consumers ??= new Map());
    let s = m.get(consumer);
    if (s === undefined) {
      s = new RouteSeries(this.f, this.service, this.route, consumer);
      m.set(consumer, s);
    }
    return s;
  }
}

const NO_ROUTE = {};

// The metric objects, looked up once per worker registry (prepare cannot reach ctx.metrics).
const families = new WeakMap<PluginMetrics, Families>();

function familiesOf(m: PluginMetrics): Families {
  let f = families.get(m);
  if (f === undefined) {
    f = {
      requests: m.counter(
        'kong_http_requests_total',
        'Requests by service, route, status code and consumer; source is service when the upstream answered, kong when the gateway did',
        ['service', 'route', 'code', 'source', 'workspace', 'consumer'],
      ),
      kongLatency: m.histogram(
        'kong_kong_latency_ms',
        'Time the gateway and its plugins spent on a request (total minus upstream), in ms',
        ['service', 'route', 'workspace'],
        KONG_LATENCY_BUCKETS,
      ),
      upstreamLatency: m.histogram(
        'kong_upstream_latency_ms',
        'Time from sending a request upstream to its response head, in ms',
        ['service', 'route', 'workspace'],
        UPSTREAM_LATENCY_BUCKETS,
      ),
      requestLatency: m.histogram(
        'kong_request_latency_ms',
        'Time from the request head to the last response byte, in ms',
        ['service', 'route', 'workspace'],
        REQUEST_LATENCY_BUCKETS,
      ),
      bandwidth: m.counter('kong_bandwidth_bytes', 'Bytes read from clients (ingress) and written to them (egress)', [
        'service',
        'route',
        'direction',
        'workspace',
        'consumer',
      ]),
      byRoute: new WeakMap(),
    };
    families.set(m, f);
  }
  return f;
}

function seriesOf(ctx: PluginContext, f: Families, perConsumer: boolean): RouteSeries {
  const r = ctx.route;
  let rs = f.byRoute.get(r ?? NO_ROUTE);
  if (rs === undefined) {
    const s = ctx.service;
    const service = s === null ? '' : s.name !== '' ? s.name : s.id;
    const route = r === null ? '' : r.name !== '' ? r.name : r.id;
    rs = new RouteSeries(f, service, route, '');
    f.byRoute.set(r ?? NO_ROUTE, rs);
  }
  if (!perConsumer) return rs;
  const consumer = consumerLabel(ctx);
  return consumer === '' ? rs : rs.forConsumer(consumer);
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
  const rs = seriesOf(ctx, familiesOf(ctx.metrics), conf.per_consumer);
  if (conf.status_code_metrics) rs.requestsFor(o.status, o.upstreamStatus === null).inc();
  if (conf.latency_metrics) {
    rs.requestLatency.observe(o.latencyMs);
    if (o.upstreamLatencyMs !== null) {
      rs.upstreamLatency.observe(o.upstreamLatencyMs);
      rs.kongLatency.observe(Math.max(0, o.latencyMs - o.upstreamLatencyMs));
    } else {
      rs.kongLatency.observe(o.latencyMs);
    }
  }
  if (conf.bandwidth_metrics) {
    rs.ingress.inc(o.bytesIn);
    rs.egress.inc(o.bytesOut);
  }
}

export default definePlugin({
  name: 'prometheus',
  version: '0.1.0',
  priority: 13,
  schema: PrometheusSchema,
  phases: { log },
});
