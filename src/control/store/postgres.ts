// PostgreSQL backend (pg): a connection pool for queries and transactions, a session
// advisory lock around migrations (several nodes may start at once), and LISTEN/NOTIFY on a
// dedicated connection so every control plane sharing the database hears each change.
import pg from 'pg';
import type { Backend, MigrationState, Param, Queryable, Row } from './backend.js';
import { MIGRATIONS, MIGRATIONS_TABLE } from './migrations.js';

export interface PostgresOptions {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** TLS to the server (TURNPIKE_PG_SSL); `verify` checks its certificate (TURNPIKE_PG_SSL_VERIFY). */
  ssl?: boolean;
  sslVerify?: boolean;
  /** The schema holding Turnpike's tables (TURNPIKE_PG_SCHEMA); created by the migrations. */
  schema?: string;
  /** Pool size (TURNPIKE_PG_MAX_CONCURRENT_QUERIES in spirit). */
  max?: number;
  /** Milliseconds to wait for a connection before a query fails (the database is away). */
  connectTimeoutMs?: number;
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** `?` placeholders → `$1, $2, …` (the store's SQL has no `?` inside literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export class PostgresBackend implements Backend {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly clientConfig: pg.ClientConfig;
  private readonly channel: string;
  private closed = false;

  constructor(opts: PostgresOptions) {
    this.schema = opts.schema ?? 'public';
    this.location = `${opts.host}:${opts.port}/${opts.database}${this.schema !== 'public' ? ` (schema ${this.schema})` : ''}`;
    this.clientConfig = {
      host: opts.host,
      port: opts.port,
      user: opts.user,
      password: opts.password,
      database: opts.database,
      ssl: opts.ssl ? { rejectUnauthorized: opts.sslVerify ?? false } : undefined,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
      // Every connection works in the configured schema, so the SQL never names it.
      options: `-c search_path=${quoteIdent(this.schema)}`,
      application_name: 'turnpike',
    };
    this.pool = new pg.Pool({ ...this.clientConfig, max: opts.max ?? 5 });
    // An idle connection dropped by the server (restart, failover) must not crash the node.
    this.pool.on('error', () => {});
    this.channel = `turnpike_config_${this.schema}`.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 63);
  }

  async query(sql: string, params: readonly Param[] = []): Promise<Row[]> {
    const r = await this.pool.query(numbered(sql), params as Param[]);
    return r.rows as Row[];
  }

  async transaction<T>(fn: (q: Queryable) => Promise<T>, opts: { readOnly?: boolean } = {}): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    // A connection that drops while checked out emits 'error' on the client, which the pool
    // only listens for while the client is idle: without this the process would crash.
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      // Read-only: every statement sees the same snapshot (the whole configuration at one instant).
      await client.query(opts.readOnly === true ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
      const q: Queryable = {
        dialect: 'postgres',
        query: async (sql, params = []) => (await client.query(numbered(sql), params as Param[])).rows as Row[],
      };
      const out = await fn(q);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection itself failed: do not give it back to the pool
      }
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  async migrateUp(): Promise<string[]> {
    const client = await this.pool.connect();
    let broken = false;
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      // One node at a time; the others wait here, then find nothing left to do. The lock key
      // is per schema, so test schemas (or tenants) in one database do not wait on each other.
      await client.query(`SELECT pg_advisory_lock(hashtext('turnpike_migrations:' || $1))`, [this.schema]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
        await client.query(MIGRATIONS_TABLE);
        const done = new Set(
          (await client.query('SELECT "name" FROM "schema_migrations"')).rows.map((r: { name: string }) => r.name),
        );
        const applied: string[] = [];
        for (const m of MIGRATIONS) {
          if (done.has(m.name)) continue;
          await client.query('BEGIN');
          try {
            for (const stmt of m.up('postgres')) await client.query(stmt);
            await client.query('INSERT INTO "schema_migrations" ("name", "executed_at") VALUES ($1, $2)', [
              m.name,
              Math.floor(Date.now() / 1000),
            ]);
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK').catch(() => {});
            throw new Error(`migration ${m.name} failed: ${(err as Error).message}`);
          }
          applied.push(m.name);
        }
        return applied;
      } finally {
        await client
          .query(`SELECT pg_advisory_unlock(hashtext('turnpike_migrations:' || $1))`, [this.schema])
          .catch(() => {});
      }
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  async migrationStatus(): Promise<MigrationState[]> {
    const exists = await this.query(`SELECT to_regclass(?) AS t`, [`${quoteIdent(this.schema)}."schema_migrations"`]);
    const rows = exists[0]?.t ? await this.query('SELECT "name", "executed_at" FROM "schema_migrations"') : [];
    const at = new Map(rows.map((r) => [String(r.name), Number(r.executed_at)]));
    return MIGRATIONS.map((m) => ({ name: m.name, executedAt: at.get(m.name) ?? null }));
  }

  async announce(q: Queryable, version: number): Promise<void> {
    // Delivered at COMMIT, to every session listening, including the other control planes.
    await q.query('SELECT pg_notify(?, ?)', [this.channel, String(version)]);
  }

  watch(onChange: () => void): () => void {
    let client: pg.Client | null = null;
    let stopped = false;
    let timer: NodeJS.Timeout | null = null;
    let delay = 250;
    const connect = async () => {
      if (stopped || this.closed) return;
      const c = new pg.Client(this.clientConfig);
      c.on('error', () => {}); // 'end' follows; the reconnect happens there
      c.on('notification', (n) => {
        if (n.channel === this.channel) onChange();
      });
      c.on('end', () => {
        if (client === c) client = null;
        schedule();
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${quoteIdent(this.channel)}`);
        if (stopped) {
          await c.end();
          return;
        }
        client = c;
        delay = 250;
        // Changes made while we were not listening: the store compares versions and decides.
        onChange();
      } catch {
        await c.end().catch(() => {});
        schedule();
      }
    };
    const schedule = () => {
      if (stopped || this.closed || timer !== null) return;
      // Back off with jitter while the database is away, up to 5 s between attempts.
      const wait = delay / 2 + Math.random() * delay;
      delay = Math.min(delay * 2, 5000);
      timer = setTimeout(() => {
        timer = null;
        void connect();
      }, wait);
      timer.unref();
    };
    void connect();
    return () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      void client?.end().catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool.end();
  }
}
