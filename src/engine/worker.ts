// A worker process: runs the data-plane engine on the snapshot the primary sends it.
// Messages from the primary: config (compile and swap), stats (metrics and health), shutdown.

import net from 'node:net';
import { BlockList } from 'node:net';
import type { Config } from '../config/types.js';
import type { Settings } from '../settings/index.js';
import { activateSnapshot, compileSnapshot, stopSnapshot } from '../snapshot/compile.js';
import type { Snapshot } from '../snapshot/types.js';
import { UpstreamPools } from '../upstream/pool.js';
import { AccessLog } from '../observe/access-log.js';
import { logSinkStats } from '../observe/log-sink.js';
import { guardStdio } from '../observe/stdio.js';
import { MetricsRegistry, StreamMetricsRegistry } from '../observe/metrics.js';
import { PluginMetricsRegistry } from '../observe/plugin-metrics.js';
import { readPemPairs, type PemPair } from './tls/index.js';
import type { WorkerContext } from './context.js';
import type { StreamContext } from './stream/connection.js';
import { listenersOf } from './listeners/table.js';
import type { Listener, ListenerEnv } from './listeners/types.js';
import type { PrimaryMessage, WorkerMessage, WorkerStats } from '../process/messages.js';
import { VERSION } from '../version.js';
import { nodeRegistry } from '../plugins/node-registry.js';
import { compilePluginChains } from '../plugins/chain/compile.js';
import type { PluginRegistry } from '../plugins/registry.js';

function send(msg: WorkerMessage): void {
  if (process.send !== undefined && process.connected) process.send(msg);
}

function trustedList(ips: string[]): BlockList | null {
  if (ips.length === 0) return null;
  const bl = new BlockList();
  for (const t of ips) {
    if (t === 'unix:') continue;
    const [ip, bits] = t.split('/');
    const type = net.isIPv6(ip) ? 'ipv6' : 'ipv4';
    if (bits === undefined) bl.addAddress(ip, type);
    else bl.addSubnet(ip, Number(bits), type);
  }
  return bl;
}

export async function runWorker(settings: Settings, workerIndex: number): Promise<void> {
  guardStdio();
  let registry: PluginRegistry;
  try {
    registry = await nodeRegistry(settings.plugins);
  } catch (err) {
    send({ t: 'fatal', message: `plugins: ${(err as Error).message}` });
    setTimeout(() => process.exit(1), 50);
    return;
  }
  const metrics = new MetricsRegistry();
  const pluginMetrics = new PluginMetricsRegistry();
  const streamMetrics = new StreamMetricsRegistry();
  let sctx: StreamContext | null = null;
  /** One per address of proxy_listen and stream_listen, of the kind the table picks (src/engine/listeners/). */
  const listeners: Listener[] = [];
  let snapshot: Snapshot | null = null;
  let ctx: WorkerContext | null = null;
  let shuttingDown = false;
  // Set while applying a health decision from the primary, so it is not reported back.
  let applyingRemoteHealth = false;
  const onHealthChange = (upstream: string, ep: { key: string }, healthy: boolean): void => {
    if (!applyingRemoteHealth) send({ t: 'health', upstream, target: ep.key, healthy });
  };

  const pools = new UpstreamPools({
    poolSize: settings.upstreamKeepalivePoolSize,
    maxRequests: settings.upstreamKeepaliveMaxRequests,
    idleTimeout: settings.upstreamKeepaliveIdleTimeout,
  });
  let accessLog: AccessLog | null = null;
  try {
    if (settings.proxyAccessLog !== 'off') accessLog = new AccessLog(settings.proxyAccessLog);
  } catch (err) {
    send({
      t: 'fatal',
      message: `proxy_access_log "${settings.proxyAccessLog}": cannot open it (${(err as Error).message}); choose a writable path, "stdout" or "off"`,
    });
    setTimeout(() => process.exit(1), 50);
    return;
  }

  function apply(config: Config, hash: string): void {
    const next = compileSnapshot(config, hash, {
      plugins: compilePluginChains(config, registry),
      metrics,
      streamMetrics,
      previous: snapshot,
      passiveRecoveryTimeout: settings.passiveRecoveryTimeout,
      activeChecks: false,
      onHealthChange,
      tls: settings.tls,
    });
    activateSnapshot(next, snapshot);
    snapshot = next;
    if (ctx === null) {
      ctx = {
        snapshot: next,
        pools,
        accessLog,
        unmatched: metrics.cell('', ''),
        pluginMetrics,
        clientBodyBufferLimit: settings.clientBodyBufferLimit,
        trusted: trustedList(settings.trustedIps),
        maxHeaderSize: settings.maxHeaderSize,
        clientKeepaliveTimeout: settings.clientKeepaliveTimeout,
        clientTimeout: settings.clientTimeout,
        serverToken: 'turnpike/' + VERSION,
        requestIdPrefix: process.pid.toString(36) + '-',
        connections: 0,
        websockets: 0,
        draining: false,
      };
      sctx = {
        snapshot: next,
        accessLog,
        unmatched: streamMetrics.cell('', ''),
        peekTimeout: STREAM_PEEK_TIMEOUT_MS,
        open: new Set(),
      };
      listen(ctx, sctx);
    } else {
      ctx.snapshot = next; // the swap: requests in flight keep the snapshot they started with
      if (sctx !== null) sctx.snapshot = next; // stream connections too
    }
  }

  function listen(c: WorkerContext, sc: StreamContext): void {
    let pending = 0;
    // The primary made sure there is a default certificate (configured or generated) before forking.
    let defaults: PemPair[] | null = null;
    const env: ListenerEnv = {
      settings,
      http: c,
      stream: sc,
      defaultCertificates: () => (defaults ??= readPemPairs(settings.sslCert, settings.sslCertKey)),
    };
    for (const { kind, address } of listenersOf(settings)) {
      pending++;
      const listener = kind.create(address, env);
      listeners.push(listener);
      listener.server.on('error', (err: NodeJS.ErrnoException) => {
        send({ t: 'fatal', message: listenError(address.spec, err, kind.setting) });
        setTimeout(() => process.exit(1), 50);
      });
      listener.server.listen({ host: address.host, port: address.port }, () => {
        if (--pending === 0) send({ t: 'ready', hash: c.snapshot.hash });
      });
    }
    if (pending === 0) send({ t: 'ready', hash: c.snapshot.hash });
  }

  function stats(): WorkerStats {
    const health: WorkerStats['health'] = [];
    if (snapshot !== null) {
      for (const cl of snapshot.clusters.values())
        health.push({ cluster: cl.name, targets: cl.health(), available: cl.available() });
    }
    return {
      pid: process.pid,
      index: workerIndex,
      hash: snapshot?.hash ?? null,
      connections: ctx?.connections ?? 0,
      websockets: ctx?.websockets ?? 0,
      metrics: metrics.dump(),
      streamMetrics: streamMetrics.dump(),
      streamConnections: sctx?.open.size ?? 0,
      pluginMetrics: pluginMetrics.dump(),
      health,
      pools: pools.stats(),
      accessLogDropped: accessLog?.dropped ?? 0,
      logSinks: logSinkStats(),
    };
  }

  async function shutdown(timeoutMs: number): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    if (ctx !== null) ctx.draining = true;
    for (const l of listeners) l.server.close();
    for (const l of listeners) l.drain();
    const deadline = Date.now() + timeoutMs;
    const busy = (): boolean => listeners.some((l) => l.busy());
    while (busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const l of listeners) l.close();
    if (snapshot !== null) stopSnapshot(snapshot);
    pools.closeAll();
    if (accessLog !== null) await accessLog.close();
    process.exit(0);
  }

  process.on('message', (msg: PrimaryMessage) => {
    switch (msg.t) {
      case 'config':
        try {
          apply(msg.config, msg.hash);
          if (msg.reload) send({ t: 'applied', hash: msg.hash });
        } catch (err) {
          const message = (err as Error).message;
          if (msg.reload) send({ t: 'apply-failed', hash: msg.hash, message });
          else {
            send({ t: 'fatal', message: 'cannot compile the configuration: ' + message });
            setTimeout(() => process.exit(1), 50);
          }
        }
        break;
      case 'stats':
        send({ t: 'stats', id: msg.id, stats: stats() });
        break;
      case 'health':
        applyingRemoteHealth = true;
        try {
          snapshot?.clusters.get(msg.upstream)?.setTargetHealth(msg.target, msg.healthy);
        } finally {
          applyingRemoteHealth = false;
        }
        break;
      case 'shutdown':
        void shutdown(msg.timeoutMs);
        break;
    }
  });
  // The primary going away (killed) must not leave orphan workers serving stale config.
  process.on('disconnect', () => void shutdown(settings.drainTimeout));
  process.on('SIGTERM', () => {}); // the primary coordinates shutdown; ignore group signals
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  send({ t: 'hello' });
}

/** Longest wait for a TLS ClientHello on a stream listener whose routes need the SNI. */
const STREAM_PEEK_TIMEOUT_MS = 5000;

function listenError(spec: string, err: NodeJS.ErrnoException, setting = 'proxy_listen'): string {
  const flag = `--${setting.replace(/_/g, '-')} / TURNPIKE_${setting.toUpperCase()}`;
  if (err.code === 'EADDRINUSE')
    return `${setting} "${spec}": the address is already in use; stop what is listening there or choose another port (${flag})`;
  if (err.code === 'EACCES')
    return `${setting} "${spec}": permission denied; ports below 1024 need privileges, choose a port >= 1024`;
  if (err.code === 'EADDRNOTAVAIL') return `${setting} "${spec}": the address is not available on this machine`;
  return `${setting} "${spec}": ${err.message}`;
}
