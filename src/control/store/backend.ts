// What the generic store needs from a database: queries with `?` placeholders, transactions,
// migrations under a lock, and a signal when another connection changed the configuration.
// SQLite (better-sqlite3) and PostgreSQL (pg) each implement it in their own file.

export type Dialect = 'sqlite' | 'postgres';
export type Param = string | number | null;
export type Row = Record<string, unknown>;

export interface Queryable {
  readonly dialect: Dialect;
  /** Runs one statement; `?` placeholders; the rows it returns (none for writes without RETURNING). */
  query(sql: string, params?: readonly Param[]): Promise<Row[]>;
}

export interface MigrationState {
  name: string;
  /** Seconds since the epoch when it ran; null when pending. */
  executedAt: number | null;
}

export interface Backend extends Queryable {
  /** Where the data lives, for logs and messages (a file path, or host:port/database). */
  readonly location: string;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * `readOnly`: a consistent snapshot for several reads (the whole configuration), taking no
   * write lock.
   */
  transaction<T>(fn: (q: Queryable) => Promise<T>, opts?: { readOnly?: boolean }): Promise<T>;
  /** Applies the pending migrations, one node at a time; returns the names applied now. */
  migrateUp(): Promise<string[]>;
  migrationStatus(): Promise<MigrationState[]>;
  /** Called inside a write transaction after the version was bumped (PostgreSQL: NOTIFY). */
  announce(q: Queryable, version: number): Promise<void>;
  /** Calls `onChange` when another connection may have changed the configuration; returns a stop function. */
  watch(onChange: () => void): () => void;
  close(): Promise<void>;
}
