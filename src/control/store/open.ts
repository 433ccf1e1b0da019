// Opening the store a node is configured for: `database` sqlite (the file
// $TURNPIKE_PREFIX/turnpike.db unless TURNPIKE_SQLITE_FILE says otherwise) or postgres
// (TURNPIKE_PG_*); the settings themselves are read in settings.ts, with the defaults
// documented in docs/deployment.md.
import { PostgresBackend } from './postgres.js';
import { SqliteBackend } from './sqlite.js';
import { SqlStore, type SqlStoreOptions } from './sql-store.js';
import type { Backend } from './backend.js';
import { DatabaseSettingsError, type DatabaseSettings } from '../../settings/database.js';

export {
  DATABASE_SETTING_NAMES,
  DatabaseSettingsError,
  PG_DEFAULTS,
  databaseSettings,
  rawDatabaseEnv,
  type DatabaseSettings,
} from '../../settings/database.js';

export function openBackend(s: DatabaseSettings): Backend {
  return s.database === 'sqlite' ? new SqliteBackend({ file: s.sqliteFile }) : new PostgresBackend(s.pg);
}

/**
 * Opens the store; with `migrate` (the default, as `turnpike start` does) the pending
 * migrations run first, otherwise a database that is not up to date is refused with the
 * command that fixes it.
 */
export async function openStore(
  s: DatabaseSettings,
  opts: { migrate?: boolean } & SqlStoreOptions = {},
): Promise<SqlStore> {
  const backend = openBackend(s);
  try {
    if (opts.migrate !== false) await backend.migrateUp();
    else {
      const pending = (await backend.migrationStatus()).filter((m) => m.executedAt === null);
      if (pending.length > 0) {
        throw new DatabaseSettingsError(
          `the database ${backend.location} needs migrations (${pending.map((m) => m.name).join(', ')}): run \`turnpike migrations up\``,
        );
      }
    }
  } catch (err) {
    await backend.close().catch(() => {});
    throw err;
  }
  return new SqlStore(backend, { registry: opts.registry ?? null });
}

export { SqlStore };
