// The test PostgreSQL (TURNPIKE_TEST_PG_URL): a fresh schema per test file, dropped after.
// When it cannot be reached the tests skip with a loud message, except under CI=true where
// a missing database is a failure.

import pg from 'pg';
import type { PostgresOptions } from '../../src/control/store/postgres.js';

export const PG_URL = process.env.TURNPIKE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function pgOptions(schema: string, url: string = PG_URL): PostgresOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: u.port === '' ? 5432 : Number(u.port),
    user: decodeURIComponent(u.username || 'postgres'),
    password: u.password === '' ? undefined : decodeURIComponent(u.password),
    database: u.pathname.replace(/^\//, '') || 'postgres',
    schema,
    connectTimeoutMs: 3000,
  };
}

/** The same settings as TURNPIKE_PG_* variables, for a child process. */
export function pgEnv(schema: string, url: string = PG_URL): Record<string, string> {
  const o = pgOptions(schema, url);
  return {
    TURNPIKE_DATABASE: 'postgres',
    TURNPIKE_PG_HOST: o.host,
    TURNPIKE_PG_PORT: String(o.port),
    TURNPIKE_PG_USER: o.user,
    ...(o.password !== undefined ? { TURNPIKE_PG_PASSWORD: o.password } : {}),
    TURNPIKE_PG_DATABASE: o.database,
    TURNPIKE_PG_SCHEMA: schema,
  };
}

/** null when the database answers; otherwise why not. */
export async function pingPg(url: string = PG_URL): Promise<string | null> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.query('SELECT 1');
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * Whether the PostgreSQL tests of a file run: false (after a loud message) when the database
 * is unreachable outside CI; throws under CI=true.
 */
export async function pgAvailable(): Promise<boolean> {
  const why = await pingPg();
  if (why === null) return true;
  const msg = `PostgreSQL at ${PG_URL} is unreachable (${why}): the PostgreSQL store tests are SKIPPED. Set TURNPIKE_TEST_PG_URL to run them.`;
  if (process.env.CI === 'true') throw new Error(msg);
  process.stderr.write(`\n!!!!!!!!!!\n!!! ${msg}\n!!!!!!!!!!\n\n`);
  return false;
}

/** A schema name no other test file uses. */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

export async function dropSchema(schema: string, url: string = PG_URL): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}
