// Puts the Admin API together for a node: where its entities come from (the database, or the
// configuration a DB-less node serves), where tokens and the audit log are kept, and what a
// POST /config does. The primary calls startAdminNode once the workers are up.
import path from 'node:path';
import type { Logger } from 'pino';
import type { Settings } from '../../settings/index.js';
import { formatConfigErrors, formatConfigWarnings, parseDeclarative, type LoadResult } from '../../config/load.js';
import type { Config } from '../../config/types.js';
import { readPemPairs } from '../../engine/tls/index.js';
import type { PluginRegistry } from '../../plugins/registry.js';
import type { WorkerStats } from '../../process/messages.js';
import type { DatabaseSource } from '../db-source.js';
import { nodeId } from '../node-id.js';
import { SqliteBackend } from '../store/sqlite.js';
import type { Backend } from '../store/backend.js';
import { AdminData } from './admin-data.js';
import { DblessView } from './dbless-view.js';
import { startAdminServer } from './server.js';
import type { ConfigReplaceResult } from './system-handlers.js';

export interface AdminNodeOptions {
  settings: Settings;
  log: Logger;
  registry: PluginRegistry;
  /** Database mode: the primary's source (its store is shared); null when DB-less. */
  dbSource: DatabaseSource | null;
  current(): { config: Config; hash: string };
  collect(): Promise<WorkerStats[]>;
  /** DB-less: applies a valid configuration; resolves null when applied, else why not. */
  replaceConfig: ((result: LoadResult & { ok: true }) => Promise<string | null>) | null;
  dataPlanes: (() => unknown[]) | null;
}

export interface AdminNode {
  close(): Promise<void>;
}

export async function startAdminNode(o: AdminNodeOptions): Promise<AdminNode> {
  const { settings, dbSource } = o;
  let view: DblessView | null = null;
  let adminDb: Backend | null = null;
  let data: AdminData;
  if (dbSource !== null) {
    data = new AdminData(async () => (await dbSource.openStore()).backend);
  } else {
    // DB-less: tokens and the audit log in a small SQLite file of their own in the prefix.
    const backend = new SqliteBackend({ file: path.join(settings.prefix, 'admin.db') });
    await backend.migrateUp();
    adminDb = backend;
    data = new AdminData(async () => backend);
    view = new DblessView(o.current);
  }
  const store = dbSource !== null ? () => dbSource.openStore() : () => view!.get();

  const replaceConfig =
    o.replaceConfig === null
      ? null
      : async (text: string, checkHash: boolean): Promise<ConfigReplaceResult> => {
          const res = parseDeclarative(text, 'POST /config', o.registry);
          if (!res.ok) {
            return {
              status: 400,
              body: {
                code: 14,
                name: 'invalid declarative configuration',
                message: `declarative config is invalid:\n${formatConfigErrors(res.errors, 'POST /config')}`,
                flattened_errors: res.errors.map((e) => ({
                  entity: e.entity,
                  path: e.path,
                  line: e.line,
                  message: e.message,
                })),
              },
            };
          }
          if (checkHash && res.hash === o.current().hash) return { status: 304, body: undefined };
          const refused = await o.replaceConfig!(res);
          if (refused !== null)
            return { status: 400, body: { code: 14, name: 'invalid declarative configuration', message: refused } };
          // Kong's reply, and what loaded but deserves a word (an expired certificate…): the poster
          // does not see the node's log.
          const warnings =
            res.warnings.length > 0 ? { warnings: formatConfigWarnings(res.warnings, 'POST /config').split('\n') } : {};
          return { status: 201, body: { message: 'configuration applied', config_hash: res.hash, ...warnings } };
        };

  let tls: { cert: string; key: string; minVersion: 'TLSv1.2' | 'TLSv1.3' } | null = null;
  if (settings.adminListen.some((a) => a.ssl)) {
    const [pair] = readPemPairs(settings.sslCert, settings.sslCertKey);
    if (pair !== undefined) tls = { cert: pair.cert, key: pair.key, minVersion: settings.tls.minVersion };
  }

  const pg = settings.db?.pg;
  const server = await startAdminServer(settings.adminListen, {
    log: o.log,
    data,
    bootstrapToken: settings.adminToken,
    maxBodySize: settings.adminMaxBodySize,
    tls,
    store,
    readOnly: dbSource === null ? 'DB-less mode: edit the declarative file, or replace it all with POST /config' : null,
    registry: o.registry,
    nodeId: nodeId(settings.prefix),
    configuration: {
      role: settings.role,
      database: settings.database,
      prefix: settings.prefix,
      declarative_config: settings.config,
      proxy_listen: settings.proxyListen.map((a) => a.spec),
      admin_listen: settings.adminListen.map((a) => a.spec),
      admin_max_body_size: settings.adminMaxBodySize,
      status_listen: settings.statusListen.map((a) => a.spec),
      stream_listen: settings.streamListen.map((a) => a.spec),
      workers: settings.workers,
      plugins: settings.plugins,
      ...(settings.database === 'sqlite' ? { sqlite_file: settings.db?.sqliteFile } : {}),
      // Where the database is, never its password.
      ...(settings.database === 'postgres' && pg !== undefined
        ? {
            pg_host: pg.host,
            pg_port: pg.port,
            pg_user: pg.user,
            pg_database: pg.database,
            pg_schema: pg.schema,
            pg_ssl: pg.ssl,
          }
        : {}),
      admin_token: settings.adminToken === null ? 'off' : '******',
    },
    configHash: () => o.current().hash,
    collect: o.collect,
    replaceConfig,
    dataPlanes: o.dataPlanes,
    database: settings.database,
  });
  o.log.info(
    { admin: settings.adminListen.map((a) => `${a.ssl ? 'https' : 'http'}://${a.host}:${a.port}`) },
    `Admin API on ${settings.adminListen.map((a) => `${a.host}:${a.port}`).join(', ')} (${dbSource !== null ? 'database mode' : 'DB-less: read-only apart from POST /config'}; ${settings.adminToken !== null ? 'tokens required' : 'tokens required once one is created'})`,
  );
  return {
    async close() {
      await server.close();
      await view?.close();
      await adminDb?.close();
    },
  };
}
