// Per-worker metric cells. The request path only bumps numbers in a cell that the compiled
// route already points at (no label lookup, no hashing per request); the status listener
// collects the cells from every worker, sums them and renders Prometheus text.
// prom-client is not used on the request path for that reason: its labelled `inc`/`observe`
// hash the label set on every call, a per-request cost this design avoids.

/** Histogram bucket upper bounds in milliseconds (Kong's prometheus plugin uses ms as well). */
export const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000];

export class Histogram {
  readonly counts = new Float64Array(LATENCY_BUCKETS_MS.length + 1);
  sum = 0;
  count = 0;

  observe(ms: number): void {
    const b = LATENCY_BUCKETS_MS;
    let i = 0;
    while (i < b.length && ms > b[i]) i++;
    this.counts[i]++;
    this.sum += ms;
    this.count++;
  }
}

export class RouteMetrics {
  /** status code → count */
  readonly codes = new Map<number, number>();
  readonly latency = new Histogram();
  readonly upstreamLatency = new Histogram();
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    readonly service: string,
    readonly route: string,
  ) {}

  countStatus(code: number): void {
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
  }
}

/** Serialisable form of a worker's metrics, sent to the primary over IPC. */
export interface RouteMetricsDump {
  service: string;
  route: string;
  codes: [number, number][];
  latency: number[];
  latencySum: number;
  latencyCount: number;
  upstream: number[];
  upstreamSum: number;
  upstreamCount: number;
  bytesIn: number;
  bytesOut: number;
}

/** The worker's cells, keyed by service and route name, kept across reloads. */
export class MetricsRegistry {
  private readonly cells = new Map<string, RouteMetrics>();

  cell(service: string, route: string): RouteMetrics {
    const key = service + '\u0000' + route;
    let c = this.cells.get(key);
    if (c === undefined) {
      c = new RouteMetrics(service, route);
      this.cells.set(key, c);
    }
    return c;
  }

  dump(): RouteMetricsDump[] {
    const out: RouteMetricsDump[] = [];
    for (const c of this.cells.values()) {
      out.push({
        service: c.service,
        route: c.route,
        codes: [...c.codes.entries()],
        latency: Array.from(c.latency.counts),
        latencySum: c.latency.sum,
        latencyCount: c.latency.count,
        upstream: Array.from(c.upstreamLatency.counts),
        upstreamSum: c.upstreamLatency.sum,
        upstreamCount: c.upstreamLatency.count,
        bytesIn: c.bytesIn,
        bytesOut: c.bytesOut,
      });
    }
    return out;
  }
}

/** Figures of one stream (L4) route in one worker; bumped once per connection, at its end. */
export class StreamMetrics {
  connections = 0;
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    readonly service: string,
    readonly route: string,
  ) {}
}

export interface StreamMetricsDump {
  service: string;
  route: string;
  connections: number;
  bytesIn: number;
  bytesOut: number;
}

/** The worker's stream cells, keyed by service and route name, kept across reloads. */
export class StreamMetricsRegistry {
  private readonly cells = new Map<string, StreamMetrics>();

  cell(service: string, route: string): StreamMetrics {
    const key = service + '\u0000' + route;
    let c = this.cells.get(key);
    if (c === undefined) {
      c = new StreamMetrics(service, route);
      this.cells.set(key, c);
    }
    return c;
  }

  dump(): StreamMetricsDump[] {
    const out: StreamMetricsDump[] = [];
    for (const c of this.cells.values())
      out.push({
        service: c.service,
        route: c.route,
        connections: c.connections,
        bytesIn: c.bytesIn,
        bytesOut: c.bytesOut,
      });
    return out;
  }
}
