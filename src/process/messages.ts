// IPC between the primary and its workers.

import type { Config } from '../config/types.js';
import type { RouteMetricsDump, StreamMetricsDump } from '../observe/metrics.js';
import type { PluginMetricDump } from '../observe/plugin-metrics.js';
import type { TargetHealth } from '../upstream/types.js';
import type { LogSinkStats } from '../observe/log-sink.js';

export type PrimaryMessage =
  | { t: 'config'; config: Config; hash: string; reload: boolean }
  | { t: 'stats'; id: number }
  | { t: 'health'; upstream: string; target: string; healthy: boolean }
  | { t: 'shutdown'; timeoutMs: number };

export interface WorkerStats {
  pid: number;
  index: number;
  hash: string | null;
  connections: number;
  /** Open WebSocket tunnels (included in `connections`). */
  websockets: number;
  metrics: RouteMetricsDump[];
  /** Stream (L4) routes: connections and bytes (summed over the workers by the primary). */
  streamMetrics: StreamMetricsDump[];
  /** Open stream (L4) client connections. */
  streamConnections: number;
  /** What the plugins export through ctx.metrics (summed over the workers by the primary). */
  pluginMetrics: PluginMetricDump[];
  health: { cluster: string; targets: TargetHealth[]; available: boolean }[];
  pools: { endpoint: string; open: number; idle: number }[];
  accessLogDropped: number;
  /** This worker's log destinations and the lines each lost. */
  logSinks: LogSinkStats[];
}

export type WorkerMessage =
  | { t: 'hello' }
  | { t: 'ready'; hash: string }
  | { t: 'applied'; hash: string }
  | { t: 'apply-failed'; hash: string; message: string }
  | { t: 'stats'; id: number; stats: WorkerStats }
  /** A passive health check in this worker ejected (or restored) a target. */
  | { t: 'health'; upstream: string; target: string; healthy: boolean }
  | { t: 'fatal'; message: string };
