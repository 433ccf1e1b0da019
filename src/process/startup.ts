// The primary's start-up, before any worker is forked: the node's role, where its
// configuration comes from and its first load (or the saved copy when the database is away),
// the addresses it will listen on, the cluster listener of a control plane and the default
// certificate. Every refusal is a StartupError the CLI prints as one line.

import path from 'node:path';
import type { Logger } from 'pino';
import type { Settings } from '../settings/index.js';
import { FileSource, SourceUnavailable, type ConfigSource } from './config-source.js';
import { DatabaseSource } from '../control/db-source.js';
import { nodeRegistry } from '../plugins/node-registry.js';
import type { PluginRegistry } from '../plugins/registry.js';
import { ensureDefaultCertificate, readPemPairs } from '../engine/tls/index.js';
import { listenersOf } from '../engine/listeners/table.js';
import { checkHybridRole } from '../control/cluster/role.js';
import { ClusterServer } from '../control/cluster/server.js';
import { ClusterSource } from '../control/cluster/source.js';
import type { ClusterTls } from '../control/cluster/tls.js';
import { nodeId } from '../control/node-id.js';
import { StartupError, checkBindable, checkDistinct, checkPrefix } from './startup-checks.js';
import { loadAndCheck, logWarnings } from './config-check.js';
import type { ServedConfig } from './reloader.js';

/** What the primary starts with. */
export interface Prepared {
  /** The settings as the node runs them (a control plane's proxy listeners removed, the default certificate filled in). */
  settings: Settings;
  registry: PluginRegistry;
  source: ConfigSource;
  /** Set when the configuration comes from the database, the file or the control plane. */
  dbSource: DatabaseSource | null;
  fileSource: FileSource | null;
  clusterSource: ClusterSource | null;
  /** A data plane's saved snapshot it starts from, when it has one that loads. */
  startingSnapshot: ReturnType<ClusterSource['startingPoint']>;
  current: ServedConfig;
  /** The database was away: the node serves the configuration saved at an earlier start. */
  startedFromCache: boolean;
  /** A control plane's listener for its data planes. */
  clusterServer: ClusterServer | null;
  /** Said at start when the self-signed default certificate is used. */
  defaultCertNote: string | null;
}

export async function prepareStart(settings: Settings, log: Logger): Promise<Prepared> {
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
  let current: ServedConfig;
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
    // and catch up when it returns (the reloads retry it).
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

  checkDistinct({
    proxy_listen: settings.proxyListen,
    status_listen: settings.statusListen,
    admin_listen: settings.adminListen,
    stream_listen: settings.streamListen,
    cluster_listen: controlPlane ? settings.cluster.listen : [],
  });
  for (const a of settings.proxyListen) await checkBindable('proxy_listen', a.host, a.port, a.spec);
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
  return {
    settings,
    registry,
    source,
    dbSource,
    fileSource,
    clusterSource,
    startingSnapshot,
    current,
    startedFromCache,
    clusterServer,
    defaultCertNote,
  };
}
