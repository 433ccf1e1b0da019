// The Store over SQL, shared by the SQLite and PostgreSQL backends. Every write runs in one
// transaction that (1) resolves references given by name, (2) validates against the entity's
// JSON Schema, (3) checks references and unique keys itself so the error names the field and
// value as Kong does, (4) writes the row, whose UNIQUE and FOREIGN KEY constraints still guard
// against concurrent writers, and (5) bumps `config_version` for the change feed.
import { randomBytes, randomUUID, X509Certificate, createHash } from 'node:crypto';
import type { Config } from '../../config/types.js';
import { normalizeTarget } from '../../config/load.js';
import { UUID_RE } from '../../config/ids.js';
import type { Backend, Param, Queryable, Row } from './backend.js';
import {
  columnOf,
  CREDENTIAL_KINDS,
  ENTITIES,
  KINDS,
  referencing,
  uniqueColumn,
  type EntityDef,
  type Kind,
  type UniqueKey,
} from './entities.js';
import {
  DatabaseError,
  ForeignKeyViolation,
  InvalidOptions,
  NotFound,
  PrimaryKeyViolation,
  SchemaViolation,
  StoreError,
  UniqueViolation,
} from './errors.js';
import { decodeOffset, encodeOffset, pageSize, parseTags, tagPattern, tagsColumn } from './paging.js';
import type {
  ChangeEvent,
  DeclarativeObject,
  Entity,
  ImportSummary,
  ListOptions,
  Page,
  Scope,
  Store,
  WriteOptions,
} from './store.js';
import { validateEntity } from './validate.js';
import { declarativeEntities } from './declarative-entities.js';
import { checkWithLoader } from './semantic.js';
import type { PluginRegistry } from '../../plugins/registry.js';

export interface SqlStoreOptions {
  /**
   * The plugins this node knows: with it, a plugin's name and config are checked on write
   * (as the loader checks a file); without it, plugins are checked by their schema only.
   */
  registry?: PluginRegistry | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const now = () => Math.floor(Date.now() / 1000);
const q = (ident: string) => `"${ident}"`;

export class SqlStore implements Store {
  private readonly listeners = new Set<(e: ChangeEvent) => void>();
  private stopWatch: (() => void) | null = null;
  private lastVersion = -1;

  private readonly registry: PluginRegistry | null;

  constructor(
    private readonly db: Backend,
    opts: SqlStoreOptions = {},
  ) {
    this.registry = opts.registry ?? null;
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
      const scope = await this.resolveScope(this.db, def, opts.scope);
      return this.find(this.db, def, key, scope);
    });
  }

  async list(kind: Kind, opts: ListOptions = {}): Promise<Page> {
    return this.read(async () => {
      const def = ENTITIES[kind];
      const size = pageSize(opts.size);
      const tags = parseTags(opts.tags ?? null);
      const scope = await this.resolveScope(this.db, def, opts.scope);
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
      Object.assign(e, refsOf(await this.resolveScope(tx, def, opts.scope)));
      e.id = typeof e.id === 'string' ? e.id.toLowerCase() : randomUUID();
      return this.save(tx, def, e, null);
    });
  }

  async upsert(kind: Kind, key: string, input: Obj, opts: WriteOptions = {}): Promise<Entity> {
    return this.write(async (tx) => {
      const def = ENTITIES[kind];
      const scope = await this.resolveScope(tx, def, opts.scope);
      const existing = await this.find(tx, def, key, scope);
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
      return this.save(tx, def, e, existing);
    });
  }

  async update(kind: Kind, key: string, patch: Obj, opts: WriteOptions = {}): Promise<Entity> {
    return this.write(async (tx) => {
      const def = ENTITIES[kind];
      const scope = await this.resolveScope(tx, def, opts.scope);
      const existing = await this.find(tx, def, key, scope);
      if (existing === null) throw new NotFound(def.singular, key);
      const p = fresh(patch);
      if (typeof p.id === 'string' && p.id.toLowerCase() !== existing.id)
        throw new SchemaViolation({ id: 'cannot be changed' });
      const base = withoutTimestamps(existing);
      // A service PATCHed with the url shorthand: the url replaces the four fields it stands for.
      if (kind === 'services' && typeof p.url === 'string')
        for (const f of ['protocol', 'host', 'port', 'path']) delete base[f];
      const e = merge(def, base, p);
      return this.save(tx, def, e, existing);
    });
  }

  async delete(kind: Kind, key: string, opts: WriteOptions = {}): Promise<Entity | null> {
    let found: Entity | null = null;
    await this.write(async (tx) => {
      const def = ENTITIES[kind];
      const scope = await this.resolveScope(tx, def, opts.scope);
      found = await this.find(tx, def, key, scope);
      if (found === null) return false;
      // Kong refuses to delete what a 'restrict' reference still points at; 'cascade'
      // references go with it (ON DELETE CASCADE in the tables).
      for (const r of referencing(kind)) {
        if (r.fk.onDelete !== 'restrict') continue;
        const rows = await tx.query(
          `SELECT 1 AS x FROM ${q(r.def.kind)} WHERE ${q(columnOf(r.def, r.fk.field))} = ? LIMIT 1`,
          [found.id],
        );
        if (rows.length > 0) throw ForeignKeyViolation.referencedBy(r.def.kind, kind);
      }
      for (const k of KINDS) {
        for (const l of ENTITIES[k].idLists ?? []) {
          if (l.references !== kind) continue;
          const rows = await tx.query(
            `SELECT 1 AS x FROM ${q(joinTable(ENTITIES[k], l.field))} WHERE ${q(`${def.singular}_id`)} = ? LIMIT 1`,
            [found.id],
          );
          if (rows.length > 0) throw ForeignKeyViolation.referencedBy(k, kind);
        }
      }
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
            const existing = await this.find(tx, def, String(e.id), {});
            await this.save(tx, def, e, existing);
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
    return this.read(async () => {
      const all = {} as Record<Kind, Entity[]>;
      // One snapshot for all the tables: a route written between two reads cannot refer to a
      // service this export does not hold.
      const meta = await this.db.transaction(
        async (tx) => {
          for (const kind of KINDS)
            all[kind] = (await tx.query(`SELECT "entity" FROM ${q(kind)} ORDER BY "id"`)).map(decode);
          return tx.query(`SELECT "value" FROM "store_meta" WHERE "key" = 'transform'`);
        },
        { readOnly: true },
      );
      const out: DeclarativeObject = { _format_version: '3.0', _transform: meta[0]?.value !== 'false' };
      const put = (key: string, list: Obj[]) => {
        if (list.length > 0) out[key] = list;
      };
      // References are written as { id }; a reference that is not set is left out, because
      // the file format takes a name or an id there, never null.
      const clean = (def: EntityDef, e: Entity, drop: string[] = []): Obj => {
        const o: Obj = {};
        for (const [k, v] of Object.entries(e)) {
          if (k === 'created_at' || k === 'updated_at' || drop.includes(k)) continue;
          if (v === null && (def.foreign.some((f) => f.field === k) || (def.idLists ?? []).some((l) => l.field === k)))
            continue;
          o[k] = v;
        }
        return o;
      };
      // The table's order (referenced kinds first); credentials nested under their consumer.
      for (const kind of KINDS) {
        if ((CREDENTIAL_KINDS as readonly string[]).includes(kind)) continue;
        if (kind !== 'consumers') {
          put(
            kind,
            all[kind].map((e) => clean(ENTITIES[kind], e)),
          );
          continue;
        }
        put(
          'consumers',
          all.consumers.map((c) => {
            const o = clean(ENTITIES.consumers, c);
            for (const ck of CREDENTIAL_KINDS) {
              const mine = all[ck].filter((cred) => (cred.consumer as { id: string }).id === c.id);
              if (mine.length > 0) o[ck] = mine.map((cred) => clean(ENTITIES[ck], cred, ['consumer']));
            }
            return o;
          }),
        );
      }
      return out;
    });
  }

  // ----------------------------------------------------------------------------------------
  // Change feed

  onChange(listener: (event: ChangeEvent) => void): () => void {
    this.listeners.add(listener);
    if (this.stopWatch === null) {
      // The version before listening is the baseline: only what comes after is a change,
      // including a change made between this call and the watch being in place.
      const baseline = this.configVersion().then(
        (v) => {
          if (this.lastVersion < 0) this.lastVersion = v;
        },
        () => {},
      );
      this.stopWatch = this.db.watch(() => {
        void baseline
          .then(() => this.configVersion())
          .then(
            (v) => this.emit(v),
            () => {},
          );
      });
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.stopWatch !== null) {
        this.stopWatch();
        this.stopWatch = null;
      }
    };
  }

  private emit(version: number): void {
    if (this.lastVersion < 0 && this.listeners.size > 0) {
      // Our own write landed before the baseline read: it is still a change after onChange.
      this.lastVersion = version - 1;
    }
    if (version <= this.lastVersion) return;
    this.lastVersion = version;
    for (const l of this.listeners) {
      try {
        l({ version });
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  async close(): Promise<void> {
    this.stopWatch?.();
    this.stopWatch = null;
    this.listeners.clear();
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
    if (version >= 0) this.emit(version);
    return out;
  }

  /** Scope keys → the parents' ids, per reference field. */
  private async resolveScope(db: Queryable, def: EntityDef, scope: Scope | undefined): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [field, key] of Object.entries(scope ?? {})) {
      if (key === undefined) continue;
      const fk = def.foreign.find((f) => f.field === field);
      if (fk === undefined) throw new InvalidOptions(`${def.kind} cannot be listed or written under a ${field}`);
      const parentDef = ENTITIES[fk.references];
      const parent = await this.find(db, parentDef, key, {});
      if (parent === null) throw new NotFound(parentDef.singular, key);
      out[field] = parent.id;
    }
    return out;
  }

  /** The entity named by `key` (an id, or an endpoint key such as a name), within `scope`. */
  private async find(
    db: Queryable,
    def: EntityDef,
    key: string,
    scope: Record<string, string>,
  ): Promise<Entity | null> {
    let found: Entity | null = null;
    if (UUID_RE.test(key)) found = await this.byColumn(db, def, 'id', key.toLowerCase());
    for (const field of def.endpointKeys) {
      if (found !== null) break;
      const u = def.unique.find((x) => x.fields.includes(field));
      if (u === undefined) continue;
      if (u.fields.length === 1) found = await this.byColumn(db, def, uniqueColumn(u), key);
      else {
        // A key unique only within its parent (a target in its upstream, an acl group of a
        // consumer): the parent comes from the scope.
        const probe: Obj = { [field]: def.kind === 'targets' ? normalizeTargetKey(key) : key, ...refsOf(scope) };
        if (u.fields.every((f) => probe[f] !== undefined))
          found = await this.byColumn(db, def, uniqueColumn(u), uniqueValue(def, u, probe) ?? '');
      }
    }
    if (found === null) return null;
    for (const [field, id] of Object.entries(scope)) {
      if ((found[field] as { id?: string } | null)?.id !== id) return null;
    }
    return found;
  }

  private async byColumn(db: Queryable, def: EntityDef, column: string, value: string): Promise<Entity | null> {
    const rows = await db.query(`SELECT "entity" FROM ${q(def.kind)} WHERE ${q(column)} = ?`, [value]);
    return rows.length > 0 ? decode(rows[0]!) : null;
  }

  /** Validates, checks and writes `e` (a full entity with its id); `existing` is what it replaces. */
  private async save(tx: Queryable, def: EntityDef, e: Obj, existing: Entity | null): Promise<Entity> {
    await this.resolveRefs(tx, def, e);
    prepare(def, e);
    e = checkWithLoader(def.kind, e, this.registry);
    validateEntity(def.kind, e);
    const entity = ordered(def, e, existing?.created_at ?? (typeof e.created_at === 'number' ? e.created_at : now()));
    if (existing === null && (await this.byColumn(tx, def, 'id', entity.id)) !== null)
      throw new PrimaryKeyViolation(entity.id);
    for (const f of def.foreign) {
      const ref = entity[f.field] as { id: string } | null | undefined;
      if (ref === null || ref === undefined) continue;
      if ((await this.byColumn(tx, ENTITIES[f.references], 'id', ref.id)) === null)
        throw ForeignKeyViolation.missing(f.field, ref, f.references);
    }
    for (const l of def.idLists ?? []) {
      for (const id of (entity[l.field] as string[] | null | undefined) ?? []) {
        if ((await this.byColumn(tx, ENTITIES[l.references], 'id', id)) === null)
          throw ForeignKeyViolation.missing(l.field, { id }, l.references);
      }
    }
    for (const u of def.unique) {
      const value = uniqueValue(def, u, entity);
      if (value === null) continue;
      const rows = await tx.query(`SELECT "id" FROM ${q(def.kind)} WHERE ${q(uniqueColumn(u))} = ? AND "id" <> ?`, [
        value,
        entity.id,
      ]);
      if (rows.length > 0) throw new UniqueViolation(Object.fromEntries(u.fields.map((f) => [f, entity[f]])));
    }
    const cols: [string, Param][] = [['id', entity.id]];
    for (const f of def.foreign)
      cols.push([columnOf(def, f.field), (entity[f.field] as { id: string } | null | undefined)?.id ?? null]);
    for (const u of def.unique) cols.push([uniqueColumn(u), uniqueValue(def, u, entity)]);
    cols.push(['tags', tagsColumn(entity.tags)], ['entity', JSON.stringify(entity)]);
    if (existing === null) {
      await tx.query(
        `INSERT INTO ${q(def.kind)} (${cols.map(([c]) => q(c)).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
        cols.map(([, v]) => v),
      );
    } else {
      await tx.query(
        `UPDATE ${q(def.kind)} SET ${cols
          .slice(1)
          .map(([c]) => `${q(c)} = ?`)
          .join(', ')} WHERE "id" = ?`,
        [...cols.slice(1).map(([, v]) => v), entity.id],
      );
    }
    for (const l of def.idLists ?? []) {
      const table = joinTable(def, l.field);
      const own = q(`${def.singular}_id`);
      await tx.query(`DELETE FROM ${q(table)} WHERE ${own} = ?`, [entity.id]);
      for (const id of (entity[l.field] as string[] | null | undefined) ?? []) {
        await tx.query(
          `INSERT INTO ${q(table)} (${own}, ${q(`${ENTITIES[l.references].singular}_id`)}) VALUES (?, ?)`,
          [entity.id, id],
        );
      }
    }
    return entity;
  }

  /** References given by an endpoint key (`{ name: 'users' }`, or just 'users') become `{ id }`. */
  private async resolveRefs(tx: Queryable, def: EntityDef, e: Obj): Promise<void> {
    for (const f of def.foreign) {
      const v = e[f.field];
      if (v === undefined || v === null) continue;
      const target = ENTITIES[f.references];
      let key: string | undefined;
      if (typeof v === 'string') key = v;
      else if (isObj(v)) {
        const entries = Object.entries(v);
        if (entries.length === 1 && entries[0]![0] === 'id') {
          if (typeof entries[0]![1] === 'string') e[f.field] = { id: (entries[0]![1] as string).toLowerCase() };
          continue;
        }
        if (entries.length === 1 && target.endpointKeys.includes(entries[0]![0]) && typeof entries[0]![1] === 'string')
          key = entries[0]![1] as string;
      }
      if (key === undefined) continue; // the schema reports the bad shape
      const found = await this.find(tx, target, key, {});
      if (found === null)
        throw ForeignKeyViolation.missing(
          f.field,
          isObj(v) ? v : { [UUID_RE.test(key) ? 'id' : (target.endpointKeys[0] ?? 'id')]: key },
          f.references,
        );
      e[f.field] = { id: found.id };
    }
  }
}

// ------------------------------------------------------------------------------------------
// Helpers

function decode(row: Row): Entity {
  const v = row.entity;
  return (typeof v === 'string' ? JSON.parse(v) : v) as Entity;
}

async function readVersion(db: Queryable): Promise<number> {
  const rows = await db.query(`SELECT "version" FROM "config_version" WHERE "id" = 1`);
  return Number(rows[0]?.version ?? 0);
}

async function setMeta(tx: Queryable, key: string, value: string): Promise<void> {
  await tx.query(`DELETE FROM "store_meta" WHERE "key" = ?`, [key]);
  await tx.query(`INSERT INTO "store_meta" ("key", "value") VALUES (?, ?)`, [key, value]);
}

function joinTable(def: EntityDef, field: string): string {
  return `${def.kind}_${field}`;
}

function refsOf(scope: Record<string, string>): Obj {
  return Object.fromEntries(Object.entries(scope).map(([k, id]) => [k, { id }]));
}

/** A deep copy of caller input without the timestamps (the store sets those). */
function fresh(input: Obj): Obj {
  const e = structuredClone(isObj(input) ? input : {}) as Obj;
  delete e.updated_at;
  if (typeof e.created_at !== 'number') delete e.created_at;
  return e;
}

function withoutTimestamps(e: Entity): Obj {
  const o: Obj = structuredClone(e);
  delete o.created_at;
  delete o.updated_at;
  return o;
}

/** PATCH: records merged field by field (healthchecks, plugin config), lists and references replaced. */
function merge(def: EntityDef, base: Obj, patch: Obj): Obj {
  const refs = new Set(def.foreign.map((f) => f.field));
  const deep = (a: unknown, b: unknown): unknown => {
    if (!isObj(a) || !isObj(b)) return b;
    const out: Obj = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = deep(a[k], v);
    return out;
  };
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = refs.has(k) ? v : deep(base[k], v);
  return out;
}

const randomKey = () => randomBytes(16).toString('hex');

function normalizeTargetKey(t: string): string {
  const n = normalizeTarget(t);
  return n.ok ? n.target : t;
}

/** What Kong fills in or normalizes before validating: generated secrets, digests, lower-case names. */
function prepare(def: EntityDef, e: Obj): void {
  switch (def.kind) {
    case 'keyauth_credentials':
      e.key ??= randomKey();
      break;
    case 'jwt_secrets':
      e.key ??= randomKey();
      if (e.secret === undefined && (e.algorithm === undefined || String(e.algorithm).startsWith('HS')))
        e.secret = randomKey();
      break;
    case 'hmacauth_credentials':
      e.secret ??= randomKey();
      break;
    case 'oauth2_credentials':
      e.client_id ??= randomKey();
      e.client_secret ??= randomKey();
      break;
    case 'snis':
      if (typeof e.name === 'string') e.name = e.name.toLowerCase();
      break;
    case 'targets':
      if (typeof e.target === 'string') {
        const n = normalizeTarget(e.target);
        if (!n.ok) throw new SchemaViolation({ target: n.message });
        e.target = n.target;
      }
      break;
    case 'ca_certificates':
      if (typeof e.cert === 'string' && e.cert.includes('-----BEGIN ')) {
        let digest: string;
        try {
          digest = createHash('sha256').update(new X509Certificate(e.cert).raw).digest('hex');
        } catch (err) {
          throw new SchemaViolation({ cert: `invalid certificate: ${(err as Error).message.split('\n')[0]}` });
        }
        if (typeof e.cert_digest === 'string' && e.cert_digest.toLowerCase() !== digest)
          throw new SchemaViolation({ cert_digest: `does not match the certificate (its SHA-256 is ${digest})` });
        e.cert_digest = digest;
      }
      break;
    default:
  }
}

/** The entity with its fields in schema order, `id` first and the timestamps last. */
function ordered(def: EntityDef, e: Obj, createdAt: number): Entity {
  const props = Object.keys((def.schema as unknown as { properties: Obj }).properties);
  const out: Obj = { id: e.id };
  for (const k of props) if (k !== 'id' && k in e && e[k] !== undefined) out[k] = e[k];
  out.created_at = createdAt;
  out.updated_at = Math.max(now(), createdAt);
  return out as Entity;
}

/** The value of a unique key's column: the field itself, or a JSON list for a key of several fields. */
function uniqueValue(def: EntityDef, u: UniqueKey, e: Obj): string | null {
  const val = (f: string): unknown =>
    def.foreign.some((x) => x.field === f)
      ? ((e[f] as { id?: string } | null | undefined)?.id ?? null)
      : (e[f] ?? null);
  if (u.fields.length === 1) {
    const v = val(u.fields[0]!);
    return v === null ? null : String(v);
  }
  return JSON.stringify(u.fields.map(val));
}

/** Database errors → the store's typed errors (the checks above catch the usual cases first). */
export function mapDbError(err: unknown, location: string): unknown {
  if (err instanceof StoreError) return err;
  const e = err as { code?: string; message?: string; detail?: string; table?: string; constraint?: string };
  const code = String(e.code ?? '');
  const msg = String(e.message ?? err);
  // SQLite
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const m = /failed: [^.]+\.(\S+)/.exec(msg);
    return new UniqueViolation({ [m?.[1] ?? 'id']: 'already in use' });
  }
  // SQLite reports a RESTRICT refusal as a trigger failure.
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || (code === 'SQLITE_CONSTRAINT_TRIGGER' && /FOREIGN KEY/.test(msg)))
    return new ForeignKeyViolation(
      `a referenced entity was deleted, or is still referenced, by a concurrent write; retry`,
    );
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED')
    return new DatabaseError(`the database ${location} is locked by another process; retry`);
  if (
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_IOERR') ||
    code === 'SQLITE_FULL' ||
    code === 'SQLITE_READONLY'
  )
    return new DatabaseError(`the database ${location} cannot be written: ${msg}`);
  if (/no such table/.test(msg))
    return new DatabaseError(`the database ${location} has no Turnpike tables: run \`turnpike migrations up\``);
  // PostgreSQL
  if (code === '23505') {
    const m = /Key \((.+?)\)=\((.*)\) already exists/.exec(e.detail ?? '');
    return new UniqueViolation({ [m?.[1] ?? 'id']: m?.[2] ?? null });
  }
  if (code === '23503') {
    const referenced = /still referenced from table "([^"]+)"/.exec(e.detail ?? '');
    if (referenced) {
      // The constraint is <referencing table>_<column>_fkey; the entity deleted is what that column references.
      const def = (KINDS as readonly string[]).includes(referenced[1]!) ? ENTITIES[referenced[1] as Kind] : undefined;
      const fk = def?.foreign.find((f) => e.constraint === `${def.kind}_${columnOf(def, f.field)}_fkey`);
      return ForeignKeyViolation.referencedBy(referenced[1]!, fk?.references ?? 'entity');
    }
    return new ForeignKeyViolation(`a referenced entity does not exist (${e.detail ?? msg})`);
  }
  if (code === '42P01')
    return new DatabaseError(`the database ${location} has no Turnpike tables: run \`turnpike migrations up\``);
  if (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'ENOTFOUND',
      'EHOSTUNREACH',
      'EPIPE',
      '57P01',
      '57P02',
      '57P03',
      '53300',
    ].includes(code) ||
    code.startsWith('08') ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(msg)
  ) {
    return new DatabaseError(`the database ${location} is unavailable: ${msg}`);
  }
  return err;
}
