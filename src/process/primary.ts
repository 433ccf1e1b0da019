// The primary process: loads and validates the configuration, forks the workers, keeps them
// running (a worker that dies is replaced), reloads on SIGHUP or a change of the file,
// drains on SIGTERM, and serves the status listener with figures gathered from the workers.
// Each of those is its own module; this one puts them together in start-up order:
// startup.ts (role, source, first load, addresses), health-prober.ts, worker-pool.ts,
// reloader.ts, then the status listener, the Admin API and shutdown.ts.

import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Settings } from '../settings/index.js';
import { startStatusServer } from '../observe/status-server.js';
import { logSinkStats } from '../observe/log-sink.js';
import { guardStdio } from '../observe/stdio.js';
import { setProcessLog } from '../observe/logger.js';
import { VERSION } from '../version.js';
import { kindOf, listenerUrl, startupLines } from '../engine/listeners/table.js';
import { startAdminNode, type AdminNode } from '../control/admin/node.js';
import { stopsWithParent } from './launcher.js';
import { StartupError } from './startup-checks.js';
import { prepareStart, type Prepared } from './startup.js';
import { HealthProber } from './health-prober.js';
import { WorkerPool } from './worker-pool.js';
import { Reloader } from './reloader.js';
import { handleSignals, shutdownSequence } from './shutdown.js';

export { StartupError };
export type { ReloadResult } from './reloader.js';

export async function runPrimary(initialSettings: Settings, workerEntry: string): Promise<void> {
  // Through a LogSink, not pino's default destination: a closed terminal or pipe must cost
  // lines (counted), never the node (see src/observe/log-sink.ts and stdio.ts).
  guardStdio();
  const withParent = stopsWithParent(); // checked before anything starts: a bad value is a start-up error
  // The primary's lines go to stdout with pino's level numbers, as they always have.
  const log: Logger = setProcessLog({
    level: initialSettings.logLevel,
    format: initialSettings.logFormat,
    to: 'stdout',
    levelAs: 'number',
  });
  const start = await prepareStart(initialSettings, log);
  const { settings, registry, source, dbSource, fileSource, clusterServer } = start;
  const controlPlane = settings.role === 'control_plane';

  const startedAt = Date.now();
  // The three call one another only once workers are forked, when all three exist.
  const workers: WorkerPool = new WorkerPool({
    settings,
    workerEntry,
    log,
    current: () => reloader.current,
    onWorkerUp: (send) => prober.sendUnhealthy(send),
    onPassiveHealth: (upstream, target, healthy) => prober.setTargetHealth(upstream, target, healthy),
  });
  const prober: HealthProber = new HealthProber(log, settings.passiveRecoveryTimeout, (msg) => workers.broadcast(msg));
  const reloader: Reloader = new Reloader({
    source,
    registry,
    tls: settings.tls,
    log,
    initial: start.current,
    onLoaded: (hash) => {
      // A control plane pushes what it now serves to its data planes.
      if (clusterServer === null) return;
      const read = dbSource!.declarativeText(hash);
      if (read !== null) clusterServer.publish(read.text, hash, read.version);
    },
    onChanged: (current) => {
      try {
        if (!controlPlane) prober.start(current.config, current.hash);
      } catch (err) {
        log.error(`health checks could not be updated for the new configuration: ${(err as Error).message}`);
      }
      workers.sendToAll({ t: 'config', config: current.config, hash: current.hash, reload: true });
    },
    shuttingDown: () => workers.shuttingDown,
  });

  if (!controlPlane) prober.start(start.current.config, start.current.hash);
  for (let i = 0; i < (controlPlane ? 0 : settings.workers); i++) workers.fork(i);
  try {
    if (!controlPlane) await workers.allReady;
  } catch (err) {
    workers.abortStartup();
    throw err;
  }
  workers.startupOver();

  // A changed file, or a change in the database (this node's or another's), reloads.
  const stopWatching = source.watch((trigger) => reloader.request(trigger));
  if (start.startedFromCache) reloader.request('database retry');

  const status = await startStatusServer(settings.statusListen, {
    collect: () => workers.collectStats(),
    facts: () => ({
      version: VERSION,
      configHash: reloader.current.hash,
      workers: workers.readyCount(),
      reloadsOk: reloader.reloadsOk,
      reloadsFailed: reloader.reloadsFailed,
      uptimeSeconds: (Date.now() - startedAt) / 1000,
      logSinks: logSinkStats(),
    }),
    lastReload: () => reloader.lastReload,
    workerSlots: () => workers.slotInfo(),
    startedAt,
    // A control plane proxies nothing: it is ready once it serves data planes.
    ...(controlPlane ? { ready: () => true } : {}),
  });

  const pidFile = path.join(settings.prefix, 'turnpike.pid');
  fs.writeFileSync(pidFile, String(process.pid));
  logStarted(log, start, reloader.current.hash);

  let admin: AdminNode | null = null;
  if (settings.adminListen.length > 0 && settings.role !== 'data_plane') {
    try {
      admin = await startAdminNode({
        settings,
        log,
        registry,
        dbSource,
        current: () => reloader.current,
        collect: () => workers.collectStats(),
        // DB-less: POST /config replaces what the file says until the file changes again.
        replaceConfig:
          fileSource === null
            ? null
            : async (result) => {
                fileSource.post(result);
                await reloader.now('POST /config');
                return reloader.current.hash === result.hash
                  ? null
                  : (reloader.lastReload.error ?? 'the configuration was not applied');
              },
        dataPlanes: clusterServer !== null ? () => clusterServer.dataPlanes() : null,
      });
    } catch (err) {
      // The CLI prints it as the one error line; the message names admin_listen when it is about the address.
      const msg = (err as Error).message;
      throw new StartupError(msg.startsWith('admin_listen') ? msg : `admin_listen: ${msg}`);
    }
  }

  const openAdmin = admin;
  const shutdown = shutdownSequence({
    log,
    drainTimeout: settings.drainTimeout,
    pool: workers,
    stopWatching,
    closeFirst: [
      ...(openAdmin !== null ? [() => openAdmin.close()] : []),
      ...(clusterServer !== null ? [() => clusterServer.close()] : []),
      () => source.close(),
    ],
    stopProber: () => prober.stop(),
    closeStatus: () => status.close(),
    pidFile,
  });
  handleSignals(log, (trigger) => reloader.request(trigger), shutdown, withParent);
}

/** The start-up lines: what runs where, and what the operator should know about it. */
function logStarted(log: Logger, start: Prepared, hash: string): void {
  const { settings, source, clusterServer, clusterSource, startingSnapshot } = start;
  const controlPlane = settings.role === 'control_plane';
  const proxyAddrs = settings.proxyListen.map((a) => listenerUrl({ kind: kindOf('proxy_listen', a), address: a }));
  log.info(
    {
      version: VERSION,
      role: settings.role,
      workers: controlPlane ? 0 : settings.workers,
      config: source.label,
      hash,
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
  if (start.defaultCertNote !== null) log.info(start.defaultCertNote);
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
}
