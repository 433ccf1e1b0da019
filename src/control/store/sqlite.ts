// SQLite backend (better-sqlite3, synchronous): one connection per process, WAL mode so the
// gateway's reads never wait for a writer, a busy timeout so several processes (or nodes
// starting at once) queue for the write lock instead of failing.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Backend, MigrationState, Param, Queryable, Row } from './backend.js';
import { MIGRATIONS, MIGRATIONS_TABLE } from './migrations.js';

export interface SqliteOptions {
  /** Database file, created with its folder when missing; or ':memory:'. */
  file: string;
  /** Milliseconds a statement waits for another process's write lock. */
  busyTimeoutMs?: number;
  /** How often other processes' commits are looked for (PRAGMA data_version). */
  pollMs?: number;
}

export class SqliteBackend implements Backend {
  readonly dialect = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database.Database;
  private readonly pollMs: number;
  // better-sqlite3 is synchronous but the store's transactions span awaits: one at a time,
  // and plain queries wait for the running transaction, so nothing reads a half-made write.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: SqliteOptions) {
    // ':memory:' is a private in-memory database (the Admin API's view of a DB-less node).
    const memory = opts.file === ':memory:';
    if (!memory) fs.mkdirSync(path.dirname(path.resolve(opts.file)), { recursive: true });
    this.location = memory ? opts.file : path.resolve(opts.file);
    this.db = new Database(this.location, { timeout: opts.busyTimeoutMs ?? 10000 });
    if (!memory) {
      // Owner-only: the database holds credentials. SQLite gives its -wal and -shm files the
      // same mode. A file owned by someone else keeps its mode (and is still used).
      try {
        fs.chmodSync(this.location, 0o600);
      } catch {
        /* not ours to change */
      }
    }
    // Switching a new file to WAL while another process opens it at the same moment can fail
    // at once with SQLITE_BUSY: the busy timeout does not cover the switch (seen in 3 of 40
    // pairs of processes starting on one new file). Tried again within the busy timeout.
    retryBusy(() => this.db.pragma('journal_mode = WAL'), opts.busyTimeoutMs ?? 10000);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('synchronous = NORMAL');
    this.pollMs = opts.pollMs ?? 200;
  }

  private run(sql: string, params: readonly Param[]): Row[] {
    const stmt = this.db.prepare(sql);
    if (stmt.reader) return stmt.all(...params) as Row[];
    stmt.run(...params);
    return [];
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }

  query(sql: string, params: readonly Param[] = []): Promise<Row[]> {
    return this.serial(async () => this.run(sql, params));
  }

  transaction<T>(fn: (q: Queryable) => Promise<T>, opts: { readOnly?: boolean } = {}): Promise<T> {
    return this.serial(async () => {
      // IMMEDIATE takes the write lock now: two processes cannot both read-then-write. A
      // read-only transaction (DEFERRED) reads one WAL snapshot and blocks no writer.
      this.db.exec(opts.readOnly === true ? 'BEGIN' : 'BEGIN IMMEDIATE');
      const q: Queryable = { dialect: 'sqlite', query: async (sql, params = []) => this.run(sql, params) };
      try {
        const out = await fn(q);
        this.db.exec('COMMIT');
        return out;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async migrateUp(): Promise<string[]> {
    return this.serial(async () => {
      this.db.exec(MIGRATIONS_TABLE);
      // The write lock is held from the check to the commit: a second process starting at the
      // same moment waits (busy timeout), then finds the migrations done.
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const done = new Set(
          (this.db.prepare('SELECT "name" FROM "schema_migrations"').all() as { name: string }[]).map((r) => r.name),
        );
        const applied: string[] = [];
        for (const m of MIGRATIONS) {
          if (done.has(m.name)) continue;
          for (const stmt of m.up('sqlite')) this.db.exec(stmt);
          this.db
            .prepare('INSERT INTO "schema_migrations" ("name", "executed_at") VALUES (?, ?)')
            .run(m.name, Math.floor(Date.now() / 1000));
          applied.push(m.name);
        }
        this.db.exec('COMMIT');
        return applied;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async migrationStatus(): Promise<MigrationState[]> {
    return this.serial(async () => {
      const exists = this.db
        .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`)
        .get();
      const rows = exists
        ? (this.db.prepare('SELECT "name", "executed_at" FROM "schema_migrations"').all() as {
            name: string;
            executed_at: number;
          }[])
        : [];
      const at = new Map(rows.map((r) => [r.name, Number(r.executed_at)]));
      return MIGRATIONS.map((m) => ({ name: m.name, executedAt: at.get(m.name) ?? null }));
    });
  }

  async announce(): Promise<void> {
    // Other processes see the commit through PRAGMA data_version; nothing to send.
  }

  watch(onChange: () => void): () => void {
    // data_version changes when ANOTHER connection commits to the file; our own commits are
    // announced in-process by the store.
    let last = this.db.pragma('data_version', { simple: true }) as number;
    const timer = setInterval(() => {
      void this.serial(async () => {
        if (!this.db.open) return;
        const v = this.db.pragma('data_version', { simple: true }) as number;
        if (v !== last) {
          last = v;
          onChange();
        }
      });
    }, this.pollMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  async close(): Promise<void> {
    await this.serial(async () => {
      if (this.db.open) this.db.close();
    });
  }
}

/** Runs `fn` again after a short pause while it fails with SQLITE_BUSY, for up to `timeoutMs`. */
function retryBusy<T>(fn: () => T, timeoutMs: number): T {
  const deadline = Date.now() + timeoutMs;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    try {
      return fn();
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
      Atomics.wait(sleeper, 0, 0, pause); // start-up only: a synchronous pause is fine here
    }
  }
}
