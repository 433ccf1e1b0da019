// The Admin API of a DB-less node reads the configuration it serves through the same Store
// interface as in database mode: the loaded configuration is imported into a private
// in-memory SQLite store, rebuilt when the configuration hash changes. Writes are refused
// before they reach it (Kong's DB-less Admin API is read-only too, apart from POST /config).
import type { Config } from '../../config/types.js';
import { SqliteBackend } from '../store/sqlite.js';
import { SqlStore } from '../store/sql-store.js';
import type { Store } from '../store/index.js';

export class DblessView {
  private store: SqlStore | null = null;
  private hash: string | null = null;
  private building: Promise<SqlStore> | null = null;

  constructor(private readonly current: () => { config: Config; hash: string }) {}

  async get(): Promise<Store> {
    const { config, hash } = this.current();
    if (this.store !== null && this.hash === hash) return this.store;
    this.building ??= (async () => {
      const backend = new SqliteBackend({ file: ':memory:' });
      await backend.migrateUp();
      const store = new SqlStore(backend);
      await store.importConfig(config);
      const old = this.store;
      this.store = store;
      this.hash = hash;
      await old?.close();
      return store;
    })().finally(() => {
      this.building = null;
    });
    return this.building;
  }

  async close(): Promise<void> {
    await this.store?.close();
    this.store = null;
  }
}
