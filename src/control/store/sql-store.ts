// The Store over SQL, shared by the SQLite and PostgreSQL backends. Every write runs in one
// transaction that (1) resolves references given by name, (2) validates against the entity's
// JSON Schema, (3) checks references and unique keys itself so the error names the field and
// value as Kong does, (4) writes the row, whose UNIQUE and FOREIGN KEY constraints still guard
// against concurrent writers, and (5) bumps `config_version` for the change feed.
// This file holds the Store's methods and its transactions; the work is done by
// lookup.ts (finding entities), save-entity.ts (writing one), entity-shape.ts (input,
// PATCH, Kong's fill-ins), declarative-export.ts, change-feed.ts and db-errors.ts.
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config/types.js';
import { UUID_RE } from '../../config/ids.js';
import type { Backend, Param, Queryable } from './backend.js';
import { columnOf, ENTITIES, KINDS, type Kind } from './entities.js';
import { InvalidOptions, NotFound, SchemaViolation } from './errors.js';
import { decodeOffset, encodeOffset, pageSize, parseTags, tagPattern } from './paging.js';
import type {
  ChangeEvent,
  DeclarativeObject,
  Entity,
  ImportSummary,
  ListOptions,
  Page,
  Store,
  WriteOptions,
} from './store.js';
import { declarativeEntities } from './declarative-entities.js';
import type { PluginRegistry } from '../../plugins/registry.js';
import { fresh, merge, refsOf, withoutTimestamps, type Obj } from './entity-shape.js';
import { decode, find, q, readVersion, resolveScope } from './lookup.js';
import { checkNotReferenced, saveEntity, setMeta } from './save-entity.js';
import { exportDeclarative } from './declarative-export.js';
import { ChangeFeed } from './change-feed.js';
import { mapDbError } from './db-errors.js';

export interface SqlStoreOptions {
  /**
   * The plugins this node knows: with it, a plugin's name and config are checked on write
   * (as the loader checks a file); without it, plugins are checked by their schema only.
   */
  registry?: PluginRegistry | null;
}

export class SqlStore implements Store {
  private readonly feed: ChangeFeed;
  private readonly registry: PluginRegistry | null;

  constructor(
    private readonly db: Backend,
    opts: SqlStoreOptions = {},
  ) {
    this.registry = opts.registry ?? null;
    this.feed = new ChangeFeed(db, () => this.configVersion());
  }

  get dialect() {
    return this.db.dialect;
  }
  get location() {
    return this.db.location;
  }
  /** The database behind the store, for the Admin API's own tables (tokens, audit log). */
  get backend(): Backend {
    return this.db;
  }

  // ----------------------------------------------------------------------------------------
  // Reads

  async get(kind: Kind, key: string, opts: WriteOptions = {}): Promise<Entity | null> {
    return this.read(async () => {
      const def = ENTITIES[kind];
      const scope = await resolveScope(this.db, def, opts.scope);
      return find(this.db, def, key, scope);
    });
  }

  async list(kind: Kind, opts: ListOptions = {}): Promise<Page> {
    return this.read(async () => {
      const def = ENTITIES[kind];
      const size = pageSize(opts.size);
      const tags = parseTags(opts.tags ?? null);
      const scope = await resolveScope(this.db, def, opts.scope);
      const where: string[] = [];
      const params: Param[] = [];
      for (const [field, id] of Object.entries(scope)) {
        where.push(`${q(columnOf(def, field))} = ?`);
        params.push(id);
      }
      if (opts.offset !== undefined && opts.offset !== null && opts.offset !== '') {
        where.push(`"id" > ?`);
        params.push(decodeOffset(opts.offset));
      }
      if (tags !== null) {
        where.push(
          `(${tags.tags.map(() => `"tags" LIKE ? ESCAPE '\\'`).join(tags.mode === 'and' ? ' AND ' : ' OR ')})`,
        );
        params.push(...tags.tags.map(tagPattern));
      }
      const rows = await this.db.query(
        `SELECT "entity" FROM ${q(kind)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY "id" LIMIT ${size + 1}`,
        params,
      );
      const data = rows.slice(0, size).map(decode);
      return { data, offset: rows.length > size ? encodeOffset(data[data.length - 1]!.id) : null };
    });
  }

  async configVersion(): Promise<number> {
    return this.read(async () => readVersion(this.db));
  }

  // ----------------------------------------------------------------------------------------
  // Writes

  async insert(kind: Kind, input: Obj, opts: WriteOptions = {}): Promise<Entity> {
    return this.write(async (tx) => {
      const def = ENTITIES[kind];
      const e = fresh(input);
      Object.assign(e, refsOf(await resolveScope(tx, def, opts.scope)));
      e.id = typeof e.id === 'string' ? e.id.toLowerCase() : randomUUID();
      return saveEntity(tx, def, e, null, this.registry);
    });
  }

  async upsert(kind: Kind, key: string, input: Obj, opts: WriteOptions = {}): Promise<Entity> {
    return this.write(async (tx) => {
      const def = ENTITIES[kind];
      const scope = await resolveScope(tx, def, opts.scope);
      const existing = await find(tx, def, key, scope);
      const e = fresh(input);
      Object.assign(e, refsOf(scope));
      if (UUID_RE.test(key)) {
        if (typeof e.id === 'string' && e.id.toLowerCase() !== key.toLowerCase())
          throw new SchemaViolation({ id: 'must be the id given in the path' });
        e.id = key.toLowerCase();
      } else {
        const field = def.endpointKeys[0];
        if (field === undefined)
          throw new InvalidOptions(`a ${def.singular} can only be named by its id ('${key}' is not a UUID)`);
        e[field] = key;
        e.id = existing?.id ?? (typeof e.id === 'string' ? e.id.toLowerCase() : randomUUID());
      }
      return saveEntity(tx, def, e, existing, this.registry);
    });
  }

  async update(kind: Kind, key: string, patch: Obj, opts: WriteOptions = {}): Promise<Entity> {
    return this.write(async (tx) => {
      const def = ENTITIES[kind];
      const scope = await resolveScope(tx, def, opts.scope);
      const existing = await find(tx, def, key, scope);
      if (existing === null) throw new NotFound(def.singular, key);
      const p = fresh(patch);
      if (typeof p.id === 'string' && p.id.toLowerCase() !== existing.id)
        throw new SchemaViolation({ id: 'cannot be changed' });
      const base = withoutTimestamps(existing);
      // A service PATCHed with the url shorthand: the url replaces the four fields it stands for.
      if (kind === 'services' && typeof p.url === 'string')
        for (const f of ['protocol', 'host', 'port', 'path']) delete base[f];
      const e = merge(def, base, p);
      return saveEntity(tx, def, e, existing, this.registry);
    });
  }

  async delete(kind: Kind, key: string, opts: WriteOptions = {}): Promise<Entity | null> {
    let found: Entity | null = null;
    await this.write(async (tx) => {
      const def = ENTITIES[kind];
      const scope = await resolveScope(tx, def, opts.scope);
      found = await find(tx, def, key, scope);
      if (found === null) return false;
      await checkNotReferenced(tx, kind, found.id);
      await tx.query(`DELETE FROM ${q(kind)} WHERE "id" = ?`, [found.id]);
      return true;
    });
    return found;
  }

  async importConfig(config: Config): Promise<ImportSummary> {
    const counts: Partial<Record<Kind, number>> = {};
    const byKind = declarativeEntities(config);
    const version = await this.write(async (tx) => {
      for (const kind of KINDS) {
        const def = ENTITIES[kind];
        for (const { entity, label } of byKind[kind]) {
          try {
            const e = fresh(entity);
            const existing = await find(tx, def, String(e.id), {});
            await saveEntity(tx, def, e, existing, this.registry);
          } catch (err) {
            if (err instanceof Error) err.message = `${label}: ${err.message}`;
            throw err;
          }
          counts[kind] = (counts[kind] ?? 0) + 1;
        }
      }
      await setMeta(tx, 'transform', config._transform === false ? 'false' : 'true');
      return true;
    });
    void version;
    return { counts, version: await this.configVersion() };
  }

  // ----------------------------------------------------------------------------------------
  // The declarative view

  async toDeclarative(): Promise<DeclarativeObject> {
    return this.read(() => exportDeclarative(this.db));
  }

  // ----------------------------------------------------------------------------------------
  // Change feed

  onChange(listener: (event: ChangeEvent) => void): () => void {
    return this.feed.onChange(listener);
  }

  async close(): Promise<void> {
    this.feed.close();
    await this.db.close();
  }

  // ----------------------------------------------------------------------------------------
  // Internals

  private async read<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw mapDbError(err, this.db.location);
    }
  }

  /** Runs `fn` in a transaction; when it returns true (something changed) the version is bumped. */
  private async write<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    let version = -1;
    let out: T;
    try {
      out = await this.db.transaction(async (tx) => {
        const r = await fn(tx);
        if ((r as unknown) !== false) {
          const rows = await tx.query(
            `UPDATE "config_version" SET "version" = "version" + 1 WHERE "id" = 1 RETURNING "version"`,
          );
          version = Number(rows[0]!.version);
          await this.db.announce(tx, version);
        }
        return r;
      });
    } catch (err) {
      throw mapDbError(err, this.db.location);
    }
    if (version >= 0) this.feed.emit(version);
    return out;
  }
}
