// The status listener (loopback by default): /status, /metrics and target health, with
// figures gathered from every worker at request time.

import http from 'node:http';
import type { ListenAddress } from '../settings/index.js';
import type { WorkerStats } from '../process/messages.js';
import { renderPrometheus, type PrimaryFacts } from './prometheus.js';
import { declaredNames, mergePluginMetrics, renderPluginMetrics } from './plugin-metrics-render.js';
import type { TargetHealth } from '../upstream/types.js';
import { mergeLogSinks } from './log-sink.js';

export interface StatusSources {
  collect(): Promise<WorkerStats[]>;
  facts(): PrimaryFacts;
  lastReload(): unknown;
  workerSlots(): { index: number; pid: number; ready: boolean; hash: string | null }[];
  startedAt: number;
  /** Readiness when it is not "every worker ready" (a control plane has no workers). */
  ready?(): boolean;
}

/** Per-cluster target health merged across workers (worst state wins). */
export function mergeHealth(stats: WorkerStats[]): Map<string, { available: boolean; targets: TargetHealth[] }> {
  const rank: Record<string, number> = { HEALTHCHECKS_OFF: 0, HEALTHY: 1, UNHEALTHY: 2 };
  const out = new Map<string, { available: boolean; targets: Map<string, TargetHealth> }>();
  for (const w of stats) {
    for (const c of w.health) {
      let e = out.get(c.cluster);
      if (e === undefined) {
        e = { available: true, targets: new Map() };
        out.set(c.cluster, e);
      }
      e.available &&= c.available;
      for (const t of c.targets) {
        const cur = e.targets.get(t.target);
        if (cur === undefined || rank[t.health] > rank[cur.health]) e.targets.set(t.target, t);
      }
    }
  }
  const res = new Map<string, { available: boolean; targets: TargetHealth[] }>();
  for (const [k, v] of out) res.set(k, { available: v.available, targets: [...v.targets.values()] });
  return res;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}

export async function startStatusServer(
  addrs: ListenAddress[],
  src: StatusSources,
): Promise<{ close(): Promise<void> }> {
  const handler = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://status');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return json(res, 405, { message: 'Method not allowed: the status listener is read-only (GET)' });
    if (url.pathname === '/metrics') {
      const stats = await src.collect();
      const builtIn = renderPrometheus(stats, src.facts());
      // Plugin metrics after the built-in ones; a worker from before this field has none.
      const text =
        builtIn +
        renderPluginMetrics(mergePluginMetrics(stats.map((s) => s.pluginMetrics ?? [])), declaredNames(builtIn));
      res.writeHead(200, {
        'content-type': 'text/plain; version=0.0.4; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    if (url.pathname === '/status' || url.pathname === '/status/ready') {
      const stats = await src.collect();
      const facts = src.facts();
      const slots = src.workerSlots();
      if (url.pathname === '/status/ready') {
        const ready = src.ready !== undefined ? src.ready() : slots.length > 0 && slots.every((s) => s.ready);
        return json(res, ready ? 200 : 503, { ready });
      }
      const health = mergeHealth(stats);
      const byPid = new Map(stats.map((s) => [s.pid, s]));
      return json(res, 200, {
        version: facts.version,
        config_hash: facts.configHash,
        started_at: new Date(src.startedAt).toISOString(),
        uptime_seconds: Math.floor(facts.uptimeSeconds),
        workers: slots.map((s) => ({
          index: s.index,
          pid: s.pid,
          ready: s.ready,
          config_hash: s.hash,
          connections: byPid.get(s.pid)?.connections ?? null,
        })),
        connections: {
          active: stats.reduce((a, s) => a + s.connections, 0),
          websocket: stats.reduce((a, s) => a + (s.websockets ?? 0), 0),
        },
        last_reload: src.lastReload(),
        reloads: { success: facts.reloadsOk, failure: facts.reloadsFailed },
        upstreams: Object.fromEntries([...health].map(([name, h]) => [name, h])),
        // Lines lost per log and destination, and the errors that stopped writing (EIO: the
        // terminal is gone; EPIPE: nothing reads the pipe; ENOSPC: the disk is full).
        logs: mergeLogSinks([...facts.logSinks, ...stats.flatMap((s) => s.logSinks ?? [])]),
      });
    }
    const m = /^\/upstreams\/([^/]+)\/health\/?$/.exec(url.pathname);
    if (m !== null) {
      const name = decodeURIComponent(m[1]);
      const health = mergeHealth(await src.collect()).get(name);
      if (health === undefined)
        return json(res, 404, {
          message: `upstream "${name}" not found; see /status for the upstreams this node runs`,
        });
      return json(res, 200, {
        data: health.targets.map((t) => ({
          target: t.target,
          weight: t.weight,
          health: t.health,
          data: { addresses: t.addresses ?? [] },
        })),
        next: null,
        available: health.available,
      });
    }
    json(res, 404, {
      message: `no such status endpoint "${url.pathname}"; try /status, /metrics or /upstreams/{name}/health`,
    });
  };

  const servers: http.Server[] = [];
  for (const a of addrs) {
    const server = http.createServer((req, res) => {
      handler(req, res).catch((err: Error) => json(res, 500, { message: 'status listener error: ' + err.message }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: a.host, port: a.port }, () => resolve());
    });
    servers.push(server);
  }
  return {
    close: () =>
      Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.close(() => r());
              s.closeAllConnections();
            }),
        ),
      ).then(() => undefined),
  };
}
