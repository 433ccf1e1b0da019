// The Store: Kong's entity semantics over a database. The Admin API, the CLI's db_import/
// db_export and the database-mode primary use only this interface; SqlStore implements it
// for SQLite and PostgreSQL.
import type { Config } from '../../config/types.js';
import type { Kind } from './entities.js';

export type { Kind } from './entities.js';

/** A stored entity: its schema's fields plus `id`, `created_at` and `updated_at` (seconds). */
export type Entity = Record<string, unknown> & { id: string; created_at: number; updated_at: number };

/**
 * Nesting under a parent, as the Admin API's nested paths do: `{ service: 'users' }` for
 * /services/users/routes. A key is an id or the parent's endpoint key (a name, a username).
 * Lists are filtered by it, inserts get it as their reference, and an entity outside it is
 * not found.
 */
export type Scope = Partial<Record<'service' | 'route' | 'consumer' | 'upstream' | 'certificate', string>>;

export interface ListOptions {
  /** 1..1000, default 100. */
  size?: number | string;
  /** The `offset` of the previous page. */
  offset?: string | null;
  /** Kong's filter: 'a,b' (every tag) or 'a/b' (any of them). */
  tags?: string | null;
  scope?: Scope;
}

export interface Page {
  data: Entity[];
  /** Cursor of the next page; null on the last page. */
  offset: string | null;
}

export interface WriteOptions {
  scope?: Scope;
}

export interface ChangeEvent {
  /** The configuration version after the change (every write adds one). */
  version: number;
}

export interface ImportSummary {
  /** Entities written per kind. */
  counts: Partial<Record<Kind, number>>;
  version: number;
}

/** The object a declarative file holds; what `parseDeclarative` accepts. */
export type DeclarativeObject = Record<string, unknown> & { _format_version: '3.0' };

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Where the data lives (file, host:port/database), for logs. */
  readonly location: string;

  /** POST: a new entity; `id` is a random UUID unless given. */
  insert(kind: Kind, input: Record<string, unknown>, opts?: WriteOptions): Promise<Entity>;
  /** PUT: creates or replaces the entity named by `key` (id or endpoint key); fields left out get their defaults. */
  upsert(kind: Kind, key: string, input: Record<string, unknown>, opts?: WriteOptions): Promise<Entity>;
  /** PATCH: changes the given fields (records merged, lists replaced); NotFound when missing. */
  update(kind: Kind, key: string, patch: Record<string, unknown>, opts?: WriteOptions): Promise<Entity>;
  /** DELETE: the deleted entity, or null when there was none (Kong answers 204 either way). */
  delete(kind: Kind, key: string, opts?: WriteOptions): Promise<Entity | null>;
  get(kind: Kind, key: string, opts?: WriteOptions): Promise<Entity | null>;
  list(kind: Kind, opts?: ListOptions): Promise<Page>;

  /** The configuration version: bumped by every write. */
  configVersion(): Promise<number>;
  /** Called after every change, by this store or any other connection to the same database. */
  onChange(listener: (event: ChangeEvent) => void): () => void;

  /** The whole configuration as a declarative object, which the DB-less loader accepts. */
  toDeclarative(): Promise<DeclarativeObject>;
  /** Writes a loaded declarative configuration, all or nothing, entities matched by id. */
  importConfig(config: Config): Promise<ImportSummary>;

  close(): Promise<void>;
}
