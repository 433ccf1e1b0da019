// Database mode: the primary's configuration comes from the store. The store's content is
// turned into the declarative object (toDeclarative) and loaded by the same loader as a file,
// so database mode and DB-less mode compile exactly the same thing. Every change feed event
// asks the primary to reload. The last configuration read is kept in the prefix, so a node
// whose database is away at start still starts, from what it last served.
import fs from 'node:fs';
import path from 'node:path';
import { parseDeclarative, type LoadResult } from '../config/load.js';
import type { PluginRegistry } from '../plugins/registry.js';
import { SourceUnavailable, type ConfigSource } from '../process/config-source.js';
import { openStore, type DatabaseSettings, type SqlStore } from './store/open.js';
import { DatabaseError } from './store/errors.js';

export class DatabaseSource implements ConfigSource {
  readonly label: string;
  private store: SqlStore | null = null;
  private opening: Promise<SqlStore> | null = null;
  private onChange: ((trigger: string) => void) | null = null;
  private stopFeed: (() => void) | null = null;
  private readonly cacheFile: string;
  private lastText: { hash: string; text: string; version: number } | null = null;

  constructor(
    private readonly db: DatabaseSettings,
    prefix: string,
    private readonly registry: PluginRegistry,
  ) {
    this.label =
      db.database === 'sqlite'
        ? `database ${db.sqliteFile}`
        : `database postgres://${db.pg.user}@${db.pg.host}:${db.pg.port}/${db.pg.database} (schema ${db.pg.schema ?? 'public'})`;
    this.cacheFile = path.join(prefix, 'last-config.json');
  }

  /** The store (for the Admin API); rejects while the database cannot be opened. */
  openStore(): Promise<SqlStore> {
    return this.open();
  }

  /** Opens the store (running the pending migrations) once; a failure is retried on the next read. */
  private async open(): Promise<SqlStore> {
    if (this.store !== null) return this.store;
    this.opening ??= openStore(this.db, { registry: this.registry }).then(
      (s) => {
        this.store = s;
        this.opening = null;
        if (this.onChange !== null) this.subscribe(this.onChange);
        return s;
      },
      (err: Error) => {
        this.opening = null;
        throw err;
      },
    );
    return this.opening;
  }

  async read(): Promise<LoadResult> {
    let text: string;
    let version: number;
    try {
      const store = await this.open();
      // Read before the content: the content is at least this version.
      version = await store.configVersion();
      text = JSON.stringify(await store.toDeclarative(), null, 1);
    } catch (err) {
      if (isUnavailable(err)) throw new SourceUnavailable(`${this.label} is unavailable: ${(err as Error).message}`);
      throw err;
    }
    const res = parseDeclarative(text, this.label, this.registry);
    if (res.ok) {
      this.writeCache(text);
      this.lastText = { hash: res.hash, text, version };
    }
    return res;
  }

  /**
   * The declarative text (JSON) last read with this hash and the database's configuration
   * version it was read at (0 when read from the saved file), for a control plane to push;
   * null if another was read since.
   */
  declarativeText(hash: string): { text: string; version: number } | null {
    return this.lastText?.hash === hash ? { text: this.lastText.text, version: this.lastText.version } : null;
  }

  /** The configuration last read from the database, when the database cannot be read at start. */
  readCache(): { result: LoadResult; writtenAt: Date } | null {
    let text: string;
    let stat: fs.Stats;
    try {
      text = fs.readFileSync(this.cacheFile, 'utf8');
      stat = fs.statSync(this.cacheFile);
    } catch {
      return null;
    }
    const result = parseDeclarative(text, this.cacheFile, this.registry);
    if (result.ok) this.lastText = { hash: result.hash, text, version: 0 };
    return { result, writtenAt: stat.mtime };
  }

  private writeCache(text: string): void {
    try {
      // Written whole then renamed: a crash never leaves half a file to start from.
      const tmp = `${this.cacheFile}.${process.pid}.tmp`;
      fs.mkdirSync(path.dirname(this.cacheFile), { recursive: true });
      // Owner-only: the configuration holds credentials (keys, secrets, certificate keys).
      fs.writeFileSync(tmp, text, { mode: 0o600 });
      fs.renameSync(tmp, this.cacheFile);
    } catch {
      /* the cache is a convenience; the node runs without it */
    }
  }

  private subscribe(onChange: (trigger: string) => void): void {
    this.stopFeed?.();
    this.stopFeed = this.store!.onChange((e) => onChange(`database change (version ${e.version})`));
  }

  watch(onChange: (trigger: string) => void): () => void {
    this.onChange = onChange;
    if (this.store !== null) this.subscribe(onChange);
    return () => {
      this.onChange = null;
      this.stopFeed?.();
      this.stopFeed = null;
    };
  }

  async close(): Promise<void> {
    this.stopFeed?.();
    await this.store?.close();
    this.store = null;
  }
}

/** Errors that mean "the database is away", as opposed to a configuration problem. */
function isUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseError) return true;
  const code = String((err as { code?: unknown }).code ?? '');
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P03'].includes(code) ||
    code.startsWith('08') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code === 'SQLITE_BUSY' ||
    /Connection terminated|timeout exceeded when trying to connect/.test(String((err as Error).message))
  );
}
