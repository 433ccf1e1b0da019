// The database settings of a node (kong.conf's pg_* names and Turnpike's sqlite_file) and
// their defaults. Kept apart from the store (src/control/store/open.ts loads the database
// drivers), so reading the settings costs nothing.
import path from 'node:path';

/** Where the PostgreSQL store is; the store's PostgresOptions add pool tuning to these. */
export interface PgSettings {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** TLS to the server (TURNPIKE_PG_SSL); `sslVerify` checks its certificate (TURNPIKE_PG_SSL_VERIFY). */
  ssl?: boolean;
  sslVerify?: boolean;
  /** The schema holding Turnpike's tables (TURNPIKE_PG_SCHEMA). */
  schema?: string;
}

export interface DatabaseSettings {
  database: 'sqlite' | 'postgres';
  /** SQLite file. */
  sqliteFile: string;
  pg: PgSettings;
}

export class DatabaseSettingsError extends Error {}

/** Turnpike's defaults: a local PostgreSQL, user and database `turnpike`, schema `public`. */
export const PG_DEFAULTS = {
  host: '127.0.0.1',
  port: 5432,
  user: 'turnpike',
  database: 'turnpike',
  schema: 'public',
} as const;

function bool(name: string, v: string | undefined): boolean {
  if (v === undefined || v === '') return false;
  if (['on', 'true', '1', 'yes'].includes(v.toLowerCase())) return true;
  if (['off', 'false', '0', 'no'].includes(v.toLowerCase())) return false;
  throw new DatabaseSettingsError(`${name}: "${v}" is not on/off`);
}

/** The setting names of the store (kong.conf's pg_* names, and Turnpike's sqlite_file). */
export const DATABASE_SETTING_NAMES = [
  'pg_host',
  'pg_port',
  'pg_user',
  'pg_password',
  'pg_database',
  'pg_schema',
  'pg_ssl',
  'pg_ssl_verify',
  'sqlite_file',
] as const;

export function rawDatabaseEnv(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(DATABASE_SETTING_NAMES.map((k) => [k, env[`TURNPIKE_${k.toUpperCase()}`]]));
}

/**
 * The database settings from the raw settings (TURNPIKE_* variables or flags, by kong.conf name) (and overrides, e.g. from flags), with
 * `database` and `prefix` as the node resolved them.
 */
export function databaseSettings(
  database: string,
  prefix: string,
  raw: Record<string, string | undefined> = rawDatabaseEnv(process.env),
): DatabaseSettings {
  if (database !== 'sqlite' && database !== 'postgres') {
    throw new DatabaseSettingsError(
      `database "${database}" has no store; use sqlite or postgres (or run DB-less with --config FILE)`,
    );
  }
  const get = (k: string) => {
    const v = raw[k];
    return v === undefined || v === '' ? undefined : v;
  };
  const portText = get('pg_port');
  const port = portText === undefined ? PG_DEFAULTS.port : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new DatabaseSettingsError(`pg_port: "${portText}" is not a port number (1..65535)`);
  const schema = get('pg_schema') ?? PG_DEFAULTS.schema;
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema))
    throw new DatabaseSettingsError(`pg_schema: "${schema}" must be a plain identifier (letters, digits, _)`);
  return {
    database,
    sqliteFile: path.resolve(prefix, get('sqlite_file') ?? 'turnpike.db'),
    pg: {
      host: get('pg_host') ?? PG_DEFAULTS.host,
      port,
      user: get('pg_user') ?? PG_DEFAULTS.user,
      password: get('pg_password'),
      database: get('pg_database') ?? PG_DEFAULTS.database,
      ssl: bool('pg_ssl', get('pg_ssl')),
      sslVerify: bool('pg_ssl_verify', get('pg_ssl_verify')),
      schema,
    },
  };
}
