// Renders the metrics collected from every worker as Prometheus text exposition format
// (checked with `promtool check metrics` in the tests). Latencies are observed in ms on the
// request path and exposed in seconds, Prometheus' base unit.

import { LATENCY_BUCKETS_MS, type RouteMetricsDump, type StreamMetricsDump } from './metrics.js';
import type { WorkerStats } from '../process/messages.js';
import { mergeLogSinks, type LogSinkStats } from './log-sink.js';

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12)));
}

/** A route's figures summed over the workers (codes as a map for summing). */
type Merged = Omit<RouteMetricsDump, 'codes'> & { codes: Map<number, number> };

export function mergeMetrics(dumps: RouteMetricsDump[][]): Merged[] {
  const byKey = new Map<string, Merged>();
  for (const worker of dumps) {
    for (const d of worker) {
      const key = d.service + '\u0000' + d.route;
      let m = byKey.get(key);
      if (m === undefined) {
        m = {
          service: d.service,
          route: d.route,
          codes: new Map(),
          latency: new Array(d.latency.length).fill(0),
          latencySum: 0,
          latencyCount: 0,
          upstream: new Array(d.upstream.length).fill(0),
          upstreamSum: 0,
          upstreamCount: 0,
          bytesIn: 0,
          bytesOut: 0,
        };
        byKey.set(key, m);
      }
      for (const [code, n] of d.codes) m.codes.set(code, (m.codes.get(code) ?? 0) + n);
      for (let i = 0; i < d.latency.length; i++) m.latency[i] += d.latency[i];
      for (let i = 0; i < d.upstream.length; i++) m.upstream[i] += d.upstream[i];
      m.latencySum += d.latencySum;
      m.latencyCount += d.latencyCount;
      m.upstreamSum += d.upstreamSum;
      m.upstreamCount += d.upstreamCount;
      m.bytesIn += d.bytesIn;
      m.bytesOut += d.bytesOut;
    }
  }
  return [...byKey.values()].sort((a, b) => (a.service + a.route).localeCompare(b.service + b.route));
}

/** Stream route figures summed over the workers. */
export function mergeStreamMetrics(dumps: StreamMetricsDump[][]): StreamMetricsDump[] {
  const byKey = new Map<string, StreamMetricsDump>();
  for (const worker of dumps) {
    for (const d of worker) {
      const key = d.service + '\u0000' + d.route;
      const m = byKey.get(key);
      if (m === undefined) byKey.set(key, { ...d });
      else {
        m.connections += d.connections;
        m.bytesIn += d.bytesIn;
        m.bytesOut += d.bytesOut;
      }
    }
  }
  return [...byKey.values()].sort((a, b) => (a.service + a.route).localeCompare(b.service + b.route));
}

export interface PrimaryFacts {
  version: string;
  configHash: string | null;
  workers: number;
  reloadsOk: number;
  reloadsFailed: number;
  uptimeSeconds: number;
  /** The primary's own log destinations (the workers report theirs in their stats). */
  logSinks: LogSinkStats[];
}

function histogram(lines: string[], name: string, labels: string, counts: number[], sum: number, count: number): void {
  let cumulative = 0;
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
    cumulative += counts[i];
    lines.push(`${name}_bucket{${labels},le="${num(LATENCY_BUCKETS_MS[i] / 1000)}"} ${cumulative}`);
  }
  cumulative += counts[LATENCY_BUCKETS_MS.length];
  lines.push(`${name}_bucket{${labels},le="+Inf"} ${cumulative}`);
  lines.push(`${name}_sum{${labels}} ${num(sum / 1000)}`);
  lines.push(`${name}_count{${labels}} ${count}`);
}

export function renderPrometheus(workers: WorkerStats[], facts: PrimaryFacts): string {
  const merged = mergeMetrics(workers.map((w) => w.metrics));
  const L: string[] = [];

  L.push('# HELP turnpike_http_requests_total HTTP requests proxied or answered, by service, route and status code.');
  L.push('# TYPE turnpike_http_requests_total counter');
  for (const m of merged) {
    for (const [code, n] of [...m.codes].sort((a, b) => a[0] - b[0])) {
      L.push(`turnpike_http_requests_total{service="${esc(m.service)}",route="${esc(m.route)}",code="${code}"} ${n}`);
    }
  }

  L.push(
    '# HELP turnpike_request_duration_seconds Time from the request head to the last response byte, as seen by the gateway.',
  );
  L.push('# TYPE turnpike_request_duration_seconds histogram');
  for (const m of merged)
    histogram(
      L,
      'turnpike_request_duration_seconds',
      `service="${esc(m.service)}",route="${esc(m.route)}"`,
      m.latency,
      m.latencySum,
      m.latencyCount,
    );

  L.push('# HELP turnpike_upstream_duration_seconds Time from sending the request upstream to its response head.');
  L.push('# TYPE turnpike_upstream_duration_seconds histogram');
  for (const m of merged) {
    if (m.upstreamCount > 0)
      histogram(
        L,
        'turnpike_upstream_duration_seconds',
        `service="${esc(m.service)}",route="${esc(m.route)}"`,
        m.upstream,
        m.upstreamSum,
        m.upstreamCount,
      );
  }

  L.push('# HELP turnpike_bandwidth_bytes_total Bytes received from clients (ingress) and sent to them (egress).');
  L.push('# TYPE turnpike_bandwidth_bytes_total counter');
  for (const m of merged) {
    L.push(
      `turnpike_bandwidth_bytes_total{service="${esc(m.service)}",route="${esc(m.route)}",direction="ingress"} ${m.bytesIn}`,
    );
    L.push(
      `turnpike_bandwidth_bytes_total{service="${esc(m.service)}",route="${esc(m.route)}",direction="egress"} ${m.bytesOut}`,
    );
  }

  const streams = mergeStreamMetrics(workers.map((w) => w.streamMetrics ?? []));
  L.push(
    '# HELP turnpike_stream_connections_total Stream (TCP, TLS passthrough) connections accepted, by service and route (empty labels: no route matched).',
  );
  L.push('# TYPE turnpike_stream_connections_total counter');
  for (const m of streams)
    L.push(`turnpike_stream_connections_total{service="${esc(m.service)}",route="${esc(m.route)}"} ${m.connections}`);
  L.push(
    '# HELP turnpike_stream_bytes_total Bytes of finished stream connections: received from clients (ingress) and sent to them (egress).',
  );
  L.push('# TYPE turnpike_stream_bytes_total counter');
  for (const m of streams) {
    L.push(
      `turnpike_stream_bytes_total{service="${esc(m.service)}",route="${esc(m.route)}",direction="ingress"} ${m.bytesIn}`,
    );
    L.push(
      `turnpike_stream_bytes_total{service="${esc(m.service)}",route="${esc(m.route)}",direction="egress"} ${m.bytesOut}`,
    );
  }

  // Target health: the worst state any worker sees (passive checks are per worker).
  const health = new Map<string, { upstream: string; target: string; state: string }>();
  const rank: Record<string, number> = { HEALTHCHECKS_OFF: 0, HEALTHY: 1, UNHEALTHY: 2 };
  for (const w of workers) {
    for (const c of w.health) {
      for (const t of c.targets) {
        const key = c.cluster + '\u0000' + t.target;
        const cur = health.get(key);
        if (cur === undefined || rank[t.health] > rank[cur.state])
          health.set(key, { upstream: c.cluster, target: t.target, state: t.health });
      }
    }
  }
  L.push('# HELP turnpike_upstream_target_health Health of each target: 1 for its current state, 0 for the others.');
  L.push('# TYPE turnpike_upstream_target_health gauge');
  for (const h of [...health.values()].sort((a, b) => (a.upstream + a.target).localeCompare(b.upstream + b.target))) {
    for (const state of ['healthy', 'unhealthy', 'healthchecks_off']) {
      L.push(
        `turnpike_upstream_target_health{upstream="${esc(h.upstream)}",target="${esc(h.target)}",state="${state}"} ${h.state.toLowerCase() === state ? 1 : 0}`,
      );
    }
  }

  L.push('# HELP turnpike_connections Open client connections.');
  L.push('# TYPE turnpike_connections gauge');
  L.push(`turnpike_connections{state="active"} ${workers.reduce((a, w) => a + w.connections, 0)}`);

  L.push('# HELP turnpike_stream_connections Open stream (TCP, TLS passthrough) client connections.');
  L.push('# TYPE turnpike_stream_connections gauge');
  L.push(`turnpike_stream_connections{state="active"} ${workers.reduce((a, w) => a + (w.streamConnections ?? 0), 0)}`);

  L.push('# HELP turnpike_websocket_connections Open WebSocket connections (client connections switched to a tunnel).');
  L.push('# TYPE turnpike_websocket_connections gauge');
  L.push(`turnpike_websocket_connections ${workers.reduce((a, w) => a + (w.websockets ?? 0), 0)}`);

  L.push('# HELP turnpike_upstream_connections Open connections to upstream endpoints (pooled idle ones included).');
  L.push('# TYPE turnpike_upstream_connections gauge');
  const pools = new Map<string, { open: number; idle: number }>();
  for (const w of workers)
    for (const p of w.pools) {
      const cur = pools.get(p.endpoint) ?? { open: 0, idle: 0 };
      cur.open += p.open;
      cur.idle += p.idle;
      pools.set(p.endpoint, cur);
    }
  for (const [endpoint, p] of [...pools].sort()) {
    L.push(`turnpike_upstream_connections{endpoint="${esc(endpoint)}",state="open"} ${p.open}`);
    L.push(`turnpike_upstream_connections{endpoint="${esc(endpoint)}",state="idle"} ${p.idle}`);
  }

  L.push('# HELP turnpike_workers Worker processes answering.');
  L.push('# TYPE turnpike_workers gauge');
  L.push(`turnpike_workers ${facts.workers}`);

  L.push('# HELP turnpike_config_reloads_total Configuration reloads, by result.');
  L.push('# TYPE turnpike_config_reloads_total counter');
  L.push(`turnpike_config_reloads_total{result="success"} ${facts.reloadsOk}`);
  L.push(`turnpike_config_reloads_total{result="failure"} ${facts.reloadsFailed}`);

  L.push(
    '# HELP turnpike_access_log_dropped_total Access-log lines dropped because the destination could not keep up.',
  );
  L.push('# TYPE turnpike_access_log_dropped_total counter');
  L.push(`turnpike_access_log_dropped_total ${workers.reduce((a, w) => a + w.accessLogDropped, 0)}`);

  // Summed over the node's processes per log and destination; every process makes its
  // stdout and stderr sinks at start, so those series exist (at 0) before anything is lost.
  const lost = mergeLogSinks([...facts.logSinks, ...workers.flatMap((w) => w.logSinks ?? [])]);
  L.push(
    '# HELP turnpike_log_lines_dropped_total Log lines lost, by log (process, access) and destination (stdout, stderr, file): the destination failed (EIO, EPIPE, a full disk) or could not keep up.',
  );
  L.push('# TYPE turnpike_log_lines_dropped_total counter');
  for (const l of lost) {
    L.push(`turnpike_log_lines_dropped_total{log="${esc(l.log)}",sink="${esc(l.sink)}"} ${l.dropped}`);
  }

  L.push('# HELP turnpike_info Version and running configuration hash.');
  L.push('# TYPE turnpike_info gauge');
  L.push(`turnpike_info{version="${esc(facts.version)}",config_hash="${esc(facts.configHash ?? '')}"} 1`);

  L.push('# HELP turnpike_uptime_seconds Seconds since the node started.');
  L.push('# TYPE turnpike_uptime_seconds gauge');
  L.push(`turnpike_uptime_seconds ${Math.floor(facts.uptimeSeconds)}`);
  return L.join('\n') + '\n';
}
