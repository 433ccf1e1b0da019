// The primary process: loads and validates the configuration, forks the workers, keeps them
// running (a worker that dies is replaced), reloads on SIGHUP or a change of the file,
// drains on SIGTERM, and serves the status listener with figures gathered from the workers.

import cluster, { type Worker } from 'node:cluster';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Settings, TlsOptions } from '../settings/index.js';
import { formatConfigErrors, formatConfigWarnings } from '../config/load.js';
import { FileSource, SourceUnavailable, type ConfigSource, type LoadOutcome } from './config-source.js';
import { DatabaseSource } from '../control/db-source.js';
import type { Config } from '../config/types.js';
import { nodeRegistry } from '../plugins/node-registry.js';
import { compilePluginChains } from '../plugins/chain/compile.js';
import type { PluginRegistry } from '../plugins/registry.js';
import { activateSnapshot, compileSnapshot, stopSnapshot } from '../snapshot/compile.js';
import type { Snapshot } from '../snapshot/types.js';
import { MetricsRegistry } from '../observe/metrics.js';
import { startStatusServer } from '../observe/status-server.js';
import { logSinkStats } from '../observe/log-sink.js';
import { guardStdio } from '../observe/stdio.js';
import { setProcessLog } from '../observe/logger.js';
import type { PrimaryMessage, WorkerMessage, WorkerStats } from './messages.js';
import { VERSION } from '../version.js';
import { ensureDefaultCertificate, readPemPairs } from '../engine/tls/index.js';
import { kindOf, listenersOf, listenerUrl, startupLines } from '../engine/listeners/table.js';
import { startAdminNode, type AdminNode } from '../control/admin/node.js';
import { checkHybridRole } from '../control/cluster/role.js';
import { ClusterServer } from '../control/cluster/server.js';
import { ClusterSource } from '../control/cluster/source.js';
import type { ClusterTls } from '../control/cluster/tls.js';
import { nodeId } from '../control/node-id.js';
import { stopsWithParent, watchParent } from './launcher.js';
import { StartupError, checkBindable, checkDistinct, checkPrefix } from './startup-checks.js';

/** Environment variables blanked for the workers: secrets only the primary uses. */
const WORKER_ENV_SECRETS: Record<string, string> = Object.fromEntries(
  [
    'TURNPIKE_PG_PASSWORD',
    'TURNPIKE_ADMIN_TOKEN',
    'TURNPIKE_ADMIN_TOKEN_FILE',
    'TURNPIKE_CLUSTER_CERT_KEY',
    'PGPASSWORD',
  ].map((k) => [k, '']),
);

export { StartupError };

interface WorkerSlot {
  index: number;
  worker: Worker;
  ready: boolean;
  hash: string | null;
}

export interface ReloadResult {
  ok: boolean;
  at: string;
  hash: string | null;
  error: string | null;
  trigger: string;
}

/**
 * Loads, validates and test-compiles the configuration of a source (a file or the database);
 * throws StartupError with every problem listed, SourceUnavailable when it cannot be read now.
 */
async function loadAndCheck(
  source: ConfigSource,
  registry: PluginRegistry,
  tls: TlsOptions,
): Promise<{ config: Config; hash: string; warnings: readonly string[] }> {
  const file = source.label;
  const res = await source.read();
  if (!res.ok) {
    // An unreadable file is one problem with its own message; a bad file lists every error.
    const only = res.errors.length === 1 ? res.errors[0] : null;
    if (only !== null && only.entity === '' && only.path === '' && only.line === null)
      throw new StartupError(`${file}: ${only.message}`);
    throw new StartupError(`invalid configuration in ${file}:\n${formatConfigErrors(res.errors, file)}`);
  }
  let warnings: readonly string[];
  try {
    // Compile once here so problems the schema cannot see (e.g. a bad target) are caught
    // before any worker gets the config. Nothing is started by compiling.
    const plugins = compilePluginChains(res.config, registry);
    warnings = plugins.warnings;
    stopSnapshot(
      compileSnapshot(res.config, res.hash, { metrics: new MetricsRegistry(), previous: null, plugins, tls }),
    );
  } catch (err) {
    throw new StartupError(`invalid configuration in ${file}: ${(err as Error).message}`);
  }
  // The file's own warnings (an expired certificate…), then the plugins' (a missing .proto…).
  const configWarnings = formatConfigWarnings(res.warnings ?? [], file)
    .split('\n')
    .filter((l) => l !== '');
  return { config: res.config, hash: res.hash, warnings: [...configWarnings, ...warnings] };
}

/** What loads but deserves a word: one log line each, at start and at each reload (the problem is still there). */
function logWarnings(log: Logger, label: string, warnings: readonly string[], trigger: string): void {
  for (const w of warnings) log.warn({ trigger, config: label }, w);
}

export async function runPrimary(settings: Settings, workerEntry: string): Promise<void> {
  // Through a LogSink, not pino's default destination: a closed terminal or pipe must cost
  // lines (counted), never the node (see src/observe/log-sink.ts and stdio.ts).
  guardStdio();
  const withParent = stopsWithParent(); // checked before anything starts: a bad value is a start-up error
  // The primary's lines go to stdout with pino's level numbers, as they always have.
  const log: Logger = setProcessLog({
    level: settings.logLevel,
    format: settings.logFormat,
    to: 'stdout',
    levelAs: 'number',
  });
  // Hybrid mode (src/control/cluster/): a control plane serves data planes from its database
  // and proxies nothing; a data plane serves what its control plane pushes.
  let clusterTls: ClusterTls | null;
  try {
    clusterTls = checkHybridRole(settings);
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
  checkPrefix(settings.prefix);
  const controlPlane = settings.role === 'control_plane';
  const dataPlane = settings.role === 'data_plane';
  if (controlPlane) settings = { ...settings, proxyListen: [], streamListen: [] };
  if (!dataPlane && settings.config !== null && settings.database !== 'off')
    throw new StartupError(
      `with --config (DB-less mode) the database must be "off", not "${settings.database}"; leave out --config to run on the database`,
    );
  if (!dataPlane && settings.config === null && settings.db === null)
    throw new StartupError(
      'no configuration: pass --config FILE (DB-less mode) or run on a database (--database sqlite or postgres)',
    );
  let registry: PluginRegistry;
  try {
    registry = await nodeRegistry(settings.plugins);
  } catch (err) {
    throw new StartupError(`plugins: ${(err as Error).message}`);
  }
  const dbSource =
    settings.config === null && !dataPlane ? new DatabaseSource(settings.db!, settings.prefix, registry) : null;
  const clusterSource = dataPlane
    ? new ClusterSource(settings.cluster, clusterTls!, settings.prefix, nodeId(settings.prefix), registry, log)
    : null;
  const fileSource =
    dbSource === null && clusterSource === null ? new FileSource(path.resolve(settings.config!), registry) : null;
  const source: ConfigSource = dbSource ?? clusterSource ?? fileSource!;
  let startingSnapshot = clusterSource?.startingPoint() ?? null;
  let current: { config: Config; hash: string; warnings?: readonly string[] };
  let startedFromCache = false;
  try {
    const loaded = await loadAndCheck(source, registry, settings.tls).catch(async (err: unknown) => {
      // A data plane whose saved snapshot no longer loads (e.g. a plugin was removed) starts
      // empty and waits for its control plane rather than not starting.
      if (clusterSource === null || !(err instanceof StartupError)) throw err;
      log.warn(
        `the saved configuration snapshot is refused (${err.message}); starting with an empty configuration until the control plane sends one`,
      );
      clusterSource.settled({ ok: false, error: err.message });
      startingSnapshot = null;
      return loadAndCheck(source, registry, settings.tls);
    });
    current = loaded;
    source.settled?.({ ok: true, hash: current.hash });
    logWarnings(log, source.label, loaded.warnings, 'start');
  } catch (err) {
    if (!(err instanceof SourceUnavailable)) {
      await source.close().catch(() => {});
      if (err instanceof StartupError) throw err;
      throw new StartupError(`${source.label}: ${(err as Error).message}`);
    }
    // The database is away: start from the configuration last read from it, if there is one,
    // and catch up when it returns (the reload retries below).
    const cached = dbSource?.readCache() ?? null;
    if (cached === null || !cached.result.ok) {
      await source.close().catch(() => {});
      throw new StartupError(
        `${err.message}; and there is no configuration saved from an earlier start to serve meanwhile`,
      );
    }
    current = { config: cached.result.config, hash: cached.result.hash };
    log.warn(
      `${err.message}: starting from the configuration saved at ${cached.writtenAt.toISOString()} (${current.hash.slice(0, 12)}); retrying the database`,
    );
    startedFromCache = true;
  }

  const served = settings.proxyListen;
  checkDistinct({
    proxy_listen: served,
    status_listen: settings.statusListen,
    admin_listen: settings.adminListen,
    stream_listen: settings.streamListen,
    cluster_listen: controlPlane ? settings.cluster.listen : [],
  });
  for (const a of served) await checkBindable('proxy_listen', a.host, a.port, a.spec);
  for (const a of settings.statusListen) await checkBindable('status_listen', a.host, a.port, a.spec);
  for (const a of settings.adminListen) await checkBindable('admin_listen', a.host, a.port, a.spec);
  for (const a of settings.streamListen) await checkBindable('stream_listen', a.host, a.port, a.spec);
  let clusterServer: ClusterServer | null = null;
  if (controlPlane) {
    try {
      clusterServer = await ClusterServer.start({
        listen: settings.cluster.listen,
        tls: clusterTls!,
        log,
        pingIntervalMs: settings.cluster.pingIntervalMs,
      });
    } catch (err) {
      await source.close().catch(() => {});
      throw new StartupError((err as Error).message);
    }
    const first = dbSource!.declarativeText(current.hash)!;
    clusterServer.publish(first.text, current.hash, first.version);
  }
  let defaultCertNote: string | null = null;
  if (listenersOf(settings).some((l) => l.kind.tls) || settings.adminListen.some((a) => a.ssl)) {
    if (settings.sslCert.length === 0 && settings.sslCertKey.length === 0) {
      // No ssl_cert: a self-signed default certificate in the prefix, made once and reused.
      const made = await ensureDefaultCertificate(settings.prefix);
      settings = { ...settings, sslCert: [made.cert], sslCertKey: [made.key] };
      defaultCertNote = `no ssl_cert configured: ${made.generated ? 'generated a self-signed default certificate' : 'using the self-signed default certificate'} ${made.cert} (clients will not trust it; set ssl_cert/ssl_cert_key or add certificates with snis)`;
    }
    try {
      readPemPairs(settings.sslCert, settings.sslCertKey);
    } catch (err) {
      throw new StartupError((err as Error).message);
    }
  }

  const startedAt = Date.now();
  const slots = new Map<number, WorkerSlot>();
  let shuttingDown = false;
  let statsSeq = 0;
  const statsWaiters = new Map<number, { want: number; got: WorkerStats[]; done: (s: WorkerStats[]) => void }>();
  let lastReload: ReloadResult = {
    ok: true,
    at: new Date().toISOString(),
    hash: current.hash,
    error: null,
    trigger: 'start',
  };
  let reloadsOk = 0;
  let reloadsFailed = 0;
  const restartTimes: number[] = [];

  cluster.setupPrimary({ exec: workerEntry, args: [], serialization: 'advanced', silent: false });

  function sendTo(w: Worker, msg: PrimaryMessage): void {
    // A worker can die between the check and the send; the 'error' listener absorbs that.
    if (w.isConnected()) w.send(msg);
  }

  function broadcast(msg: PrimaryMessage): void {
    for (const s of slots.values()) if (s.ready) sendTo(s.worker, msg);
  }

  // Active health checks run here, once for the node; results go to every worker. Passive
  // ejections reported by a worker are applied here too, so all workers agree and the
  // active checks can bring the target back (as Kong's shared health state does).
  let prober: Snapshot | null = null;
  function onHealthChange(upstream: string, ep: { key: string }, healthy: boolean): void {
    log.info(
      { upstream, target: ep.key, healthy },
      `target ${ep.key} of upstream ${upstream} is now ${healthy ? 'HEALTHY' : 'UNHEALTHY'}`,
    );
    broadcast({ t: 'health', upstream, target: ep.key, healthy });
  }
  function startProber(config: Config, hash: string): void {
    const next = compileSnapshot(config, hash, {
      metrics: new MetricsRegistry(),
      previous: prober,
      passiveRecoveryTimeout: settings.passiveRecoveryTimeout,
      onHealthChange,
    });
    activateSnapshot(next, prober);
    prober = next;
  }
  /** Brings a (new or reloaded) worker up to date with the targets known to be down. */
  function sendUnhealthy(w: Worker): void {
    if (prober === null) return;
    for (const c of prober.clusters.values()) {
      for (const t of c.health())
        if (t.health === 'UNHEALTHY') sendTo(w, { t: 'health', upstream: c.name, target: t.target, healthy: false });
    }
  }

  let readyResolve: (() => void) | null = null;
  let startupReject: ((e: Error) => void) | null = null;
  const allReady = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    startupReject = reject;
  });

  function fork(index: number): void {
    // Workers never open the database, serve the Admin API or talk to the cluster: those
    // secrets (a password, the admin token, the cluster key) stay here, in the settings sent
    // and in the environment a worker inherits.
    const worker = cluster.fork({
      ...WORKER_ENV_SECRETS,
      TURNPIKE_WORKER_INDEX: String(index),
      TURNPIKE_WORKER_SETTINGS: JSON.stringify({
        ...settings,
        db: null,
        adminToken: null,
        cluster: { ...settings.cluster, certKey: null },
      }),
    });
    const slot: WorkerSlot = { index, worker, ready: false, hash: null };
    slots.set(index, slot);
    worker.on('error', (err: Error) => log.warn({ worker: index }, `IPC with worker ${index} failed: ${err.message}`));
    worker.on('message', (msg: WorkerMessage) => {
      switch (msg.t) {
        case 'hello':
          sendTo(worker, { t: 'config', config: current.config, hash: current.hash, reload: false });
          break;
        case 'ready':
          slot.ready = true;
          slot.hash = msg.hash;
          sendUnhealthy(worker);
          if (readyResolve !== null && [...slots.values()].every((s) => s.ready)) {
            readyResolve();
            readyResolve = null;
          }
          break;
        case 'applied':
          slot.hash = msg.hash;
          sendUnhealthy(worker);
          break;
        case 'health':
          prober?.clusters.get(msg.upstream)?.setTargetHealth(msg.target, msg.healthy);
          break;
        case 'apply-failed':
          log.error(
            { worker: index, hash: msg.hash },
            `worker ${index} could not apply the configuration: ${msg.message}`,
          );
          break;
        case 'stats': {
          const w = statsWaiters.get(msg.id);
          if (w !== undefined) {
            w.got.push(msg.stats);
            if (w.got.length >= w.want) w.done(w.got);
          }
          break;
        }
        case 'fatal':
          if (startupReject !== null) {
            startupReject(new StartupError(msg.message));
            startupReject = null;
          } else log.error({ worker: index }, msg.message);
          break;
      }
    });
    worker.on('exit', (code, signal) => {
      if (slots.get(index)?.worker !== worker) return;
      slots.delete(index);
      if (shuttingDown) return;
      if (startupReject !== null) {
        startupReject(new StartupError(`worker ${index} exited during start-up (code ${code ?? signal})`));
        startupReject = null;
        return;
      }
      log.error(
        { worker: index, code, signal },
        `worker ${index} died (${signal ?? 'exit code ' + code}); starting a replacement`,
      );
      const now = Date.now();
      restartTimes.push(now);
      while (restartTimes.length > 0 && restartTimes[0] < now - 10_000) restartTimes.shift();
      // A crash loop gets slowed down rather than spinning the CPU.
      const delay = restartTimes.length > 5 ? 1000 : 0;
      setTimeout(() => {
        if (!shuttingDown) fork(index);
      }, delay);
    });
  }

  if (!controlPlane) startProber(current.config, current.hash);
  for (let i = 0; i < (controlPlane ? 0 : settings.workers); i++) fork(i);
  try {
    if (!controlPlane) await allReady;
  } catch (err) {
    shuttingDown = true;
    for (const s of slots.values()) s.worker.process.kill('SIGKILL');
    throw err;
  }
  startupReject = null;

  function collectStats(): Promise<WorkerStats[]> {
    const live = [...slots.values()].filter((s) => s.ready && s.worker.isConnected());
    if (live.length === 0) return Promise.resolve([]);
    const id = ++statsSeq;
    return new Promise((resolve) => {
      const finish = (got: WorkerStats[]): void => {
        statsWaiters.delete(id);
        clearTimeout(timer);
        resolve(got);
      };
      const timer = setTimeout(() => finish(statsWaiters.get(id)?.got ?? []), 1000);
      statsWaiters.set(id, { want: live.length, got: [], done: finish });
      for (const s of live) sendTo(s.worker, { t: 'stats', id });
    });
  }

  async function reload(trigger: string): Promise<void> {
    let next: { config: Config; hash: string; warnings: readonly string[] };
    try {
      next = await loadAndCheck(source, registry, settings.tls);
      dbRetryMs = 0;
    } catch (err) {
      if (err instanceof SourceUnavailable) {
        // Traffic goes on with the current snapshot; the database is tried again with a
        // growing pause (1 s .. 10 s), and one line is logged per attempt.
        dbRetryMs = Math.min(Math.max(dbRetryMs * 2, 1000), 10_000);
        log.error(
          { trigger },
          `${err.message}; still serving the current configuration (${current.hash.slice(0, 12)}), retrying in ${dbRetryMs / 1000} s`,
        );
        if (!shuttingDown) setTimeout(() => requestReload('database retry'), dbRetryMs).unref();
        return;
      }
      reloadsFailed++;
      afterLoad({ ok: false, error: (err as Error).message });
      lastReload = {
        ok: false,
        at: new Date().toISOString(),
        hash: current.hash,
        error: (err as Error).message,
        trigger,
      };
      log.error(
        { trigger },
        `reload refused, still serving the previous configuration (${current.hash.slice(0, 12)}): ${(err as Error).message}`,
      );
      return;
    }
    reloadsOk++;
    afterLoad({ ok: true, hash: next.hash });
    logWarnings(log, source.label, next.warnings, trigger);
    lastReload = { ok: true, at: new Date().toISOString(), hash: next.hash, error: null, trigger };
    if (next.hash === current.hash) {
      log.info({ trigger, hash: next.hash }, 'reload: configuration unchanged');
      return;
    }
    current = next;
    try {
      if (!controlPlane) startProber(current.config, current.hash);
    } catch (err) {
      log.error(`health checks could not be updated for the new configuration: ${(err as Error).message}`);
    }
    for (const s of slots.values())
      sendTo(s.worker, { t: 'config', config: current.config, hash: current.hash, reload: true });
    log.info({ trigger, hash: current.hash }, 'configuration reloaded');
  }

  let dbRetryMs = 0;

  /** After a reload: a data plane acks or nacks it; a control plane pushes what it now serves. */
  function afterLoad(outcome: LoadOutcome): void {
    source.settled?.(outcome);
    if (clusterServer !== null && outcome.ok) {
      const read = dbSource!.declarativeText(outcome.hash);
      if (read !== null) clusterServer.publish(read.text, outcome.hash, read.version);
    }
  }

  // Reload serialisation: one at a time, the latest request wins.
  let reloading: Promise<void> | null = null;
  let again = false;
  function requestReload(trigger: string): void {
    if (reloading !== null) {
      again = true;
      return;
    }
    reloading = reload(trigger).finally(() => {
      reloading = null;
      if (again) {
        again = false;
        requestReload(trigger);
      }
    });
  }

  /** Runs a reload now (after the one in progress) and resolves when it is done. */
  async function reloadNow(trigger: string): Promise<void> {
    while (reloading !== null) await reloading;
    reloading = reload(trigger).finally(() => {
      reloading = null;
      if (again) {
        again = false;
        requestReload(trigger);
      }
    });
    await reloading;
  }

  // A changed file, or a change in the database (this node's or another's), reloads.
  const stopWatching = source.watch((trigger) => requestReload(trigger));
  if (startedFromCache) requestReload('database retry');

  const status = await startStatusServer(settings.statusListen, {
    collect: collectStats,
    facts: () => ({
      version: VERSION,
      configHash: current.hash,
      workers: [...slots.values()].filter((s) => s.ready).length,
      reloadsOk,
      reloadsFailed,
      uptimeSeconds: (Date.now() - startedAt) / 1000,
      logSinks: logSinkStats(),
    }),
    lastReload: () => lastReload,
    workerSlots: () =>
      [...slots.values()].map((s) => ({
        index: s.index,
        pid: s.worker.process.pid ?? 0,
        ready: s.ready,
        hash: s.hash,
      })),
    startedAt,
    // A control plane proxies nothing: it is ready once it serves data planes.
    ...(controlPlane ? { ready: () => true } : {}),
  });

  const pidFile = path.join(settings.prefix, 'turnpike.pid');
  fs.writeFileSync(pidFile, String(process.pid));

  const proxyAddrs = served.map((a) => listenerUrl({ kind: kindOf('proxy_listen', a), address: a }));
  log.info(
    {
      version: VERSION,
      role: settings.role,
      workers: controlPlane ? 0 : settings.workers,
      config: source.label,
      hash: current.hash,
      proxy: proxyAddrs,
      status: settings.statusListen.map((a) => `${a.host}:${a.port}`),
    },
    `Turnpike ${VERSION} started: ${controlPlane ? 'control plane' : `proxy on ${proxyAddrs.join(', ')}`}`,
  );
  // What the listener kinds say about themselves (src/engine/listeners/): stream listeners, HTTP/2.
  for (const line of startupLines(settings)) {
    if (line.fields !== undefined) log.info(line.fields, line.message);
    else log.info(line.message);
  }
  if (defaultCertNote !== null) log.info(defaultCertNote);
  if (clusterServer !== null)
    log.info(
      { cluster: clusterServer.addresses(), mtls: settings.cluster.mtls },
      `role control_plane: no proxy workers and no proxy listeners; data planes connect to cluster_listen ${clusterServer.addresses().join(', ')} (mutual TLS, ${settings.cluster.mtls})`,
    );
  if (clusterSource !== null) {
    log.info(
      startingSnapshot !== null
        ? `role data_plane: started from the configuration snapshot saved at ${startingSnapshot.received_at} (${startingSnapshot.hash.slice(0, 12)}, version ${startingSnapshot.version}); connecting to the ${clusterSource.label}`
        : `role data_plane: no saved configuration; serving an empty one (404 for every request) until the ${clusterSource.label} sends one`,
    );
  }
  let admin: AdminNode | null = null;
  if (settings.adminListen.length > 0 && settings.role !== 'data_plane') {
    try {
      admin = await startAdminNode({
        settings,
        log,
        registry,
        dbSource,
        current: () => current,
        collect: collectStats,
        // DB-less: POST /config replaces what the file says until the file changes again.
        replaceConfig:
          fileSource === null
            ? null
            : async (result) => {
                fileSource.post(result);
                await reloadNow('POST /config');
                return current.hash === result.hash ? null : (lastReload.error ?? 'the configuration was not applied');
              },
        dataPlanes: clusterServer !== null ? () => clusterServer!.dataPlanes() : null,
      });
    } catch (err) {
      // The CLI prints it as the one error line; the message names admin_listen when it is about the address.
      const msg = (err as Error).message;
      throw new StartupError(msg.startsWith('admin_listen') ? msg : `admin_listen: ${msg}`);
    }
  }

  async function shutdown(signal: string): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, `received ${signal}: draining connections (up to ${settings.drainTimeout} ms), then exiting`);
    stopWatching();
    await admin?.close().catch(() => {});
    await clusterServer?.close().catch(() => {});
    await source.close().catch(() => {});
    const exits = [...slots.values()].map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.worker.isDead()) return resolve();
          s.worker.once('exit', () => resolve());
          sendTo(s.worker, { t: 'shutdown', timeoutMs: settings.drainTimeout });
        }),
    );
    const hard = setTimeout(() => {
      for (const s of slots.values()) s.worker.process.kill('SIGKILL');
    }, settings.drainTimeout + 5000);
    hard.unref();
    await Promise.all(exits);
    if (prober !== null) stopSnapshot(prober);
    await status.close();
    try {
      fs.unlinkSync(pidFile);
    } catch {
      /* already gone */
    }
    log.info('stopped');
    log.flush();
    setTimeout(() => process.exit(0), 50);
  }

  process.on('SIGHUP', () => requestReload('SIGHUP'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  if (withParent) {
    watchParent((parent) => {
      log.warn(`the process that started Turnpike (pid ${parent}) exited: stopping as on SIGTERM`);
      void shutdown('parent exit');
    });
  }
}
