// Finding entities in the tables: by id, by an endpoint key (a name, a unique key within a
// parent), within a scope (the routes of one service), and references given by key turned
// into `{ id }`. Reads and writes both use these, inside or outside a transaction.
import { UUID_RE } from '../../config/ids.js';
import type { Queryable, Row } from './backend.js';
import { ENTITIES, uniqueColumn, type EntityDef } from './entities.js';
import { ForeignKeyViolation, InvalidOptions, NotFound } from './errors.js';
import type { Entity, Scope } from './store.js';
import { isObj, normalizeTargetKey, refsOf, uniqueValue, type Obj } from './entity-shape.js';

/** A quoted SQL identifier (table and column names come from the entity table, never from input). */
export const q = (ident: string) => `"${ident}"`;

/** The table that holds an entity's list of ids (e.g. a route's list of ids of another kind). */
export function joinTable(def: EntityDef, field: string): string {
  return `${def.kind}_${field}`;
}

/** The entity a row holds (JSON text in SQLite, a parsed jsonb in PostgreSQL). */
export function decode(row: Row): Entity {
  const v = row.entity;
  return (typeof v === 'string' ? JSON.parse(v) : v) as Entity;
}

export async function readVersion(db: Queryable): Promise<number> {
  const rows = await db.query(`SELECT "version" FROM "config_version" WHERE "id" = 1`);
  return Number(rows[0]?.version ?? 0);
}

export async function byColumn(db: Queryable, def: EntityDef, column: string, value: string): Promise<Entity | null> {
  const rows = await db.query(`SELECT "entity" FROM ${q(def.kind)} WHERE ${q(column)} = ?`, [value]);
  return rows.length > 0 ? decode(rows[0]!) : null;
}

/** Scope keys → the parents' ids, per reference field. */
export async function resolveScope(
  db: Queryable,
  def: EntityDef,
  scope: Scope | undefined,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [field, key] of Object.entries(scope ?? {})) {
    if (key === undefined) continue;
    const fk = def.foreign.find((f) => f.field === field);
    if (fk === undefined) throw new InvalidOptions(`${def.kind} cannot be listed or written under a ${field}`);
    const parentDef = ENTITIES[fk.references];
    const parent = await find(db, parentDef, key, {});
    if (parent === null) throw new NotFound(parentDef.singular, key);
    out[field] = parent.id;
  }
  return out;
}

/** The entity named by `key` (an id, or an endpoint key such as a name), within `scope`. */
export async function find(
  db: Queryable,
  def: EntityDef,
  key: string,
  scope: Record<string, string>,
): Promise<Entity | null> {
  let found: Entity | null = null;
  if (UUID_RE.test(key)) found = await byColumn(db, def, 'id', key.toLowerCase());
  for (const field of def.endpointKeys) {
    if (found !== null) break;
    const u = def.unique.find((x) => x.fields.includes(field));
    if (u === undefined) continue;
    if (u.fields.length === 1) found = await byColumn(db, def, uniqueColumn(u), key);
    else {
      // A key unique only within its parent (a target in its upstream, an acl group of a
      // consumer): the parent comes from the scope.
      const probe: Obj = { [field]: def.kind === 'targets' ? normalizeTargetKey(key) : key, ...refsOf(scope) };
      if (u.fields.every((f) => probe[f] !== undefined))
        found = await byColumn(db, def, uniqueColumn(u), uniqueValue(def, u, probe) ?? '');
    }
  }
  if (found === null) return null;
  for (const [field, id] of Object.entries(scope)) {
    if ((found[field] as { id?: string } | null)?.id !== id) return null;
  }
  return found;
}

/** References given by an endpoint key (`{ name: 'users' }`, or just 'users') become `{ id }`. */
export async function resolveRefs(tx: Queryable, def: EntityDef, e: Obj): Promise<void> {
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
    const found = await find(tx, target, key, {});
    if (found === null)
      throw ForeignKeyViolation.missing(
        f.field,
        isObj(v) ? v : { [UUID_RE.test(key) ? 'id' : (target.endpointKeys[0] ?? 'id')]: key },
        f.references,
      );
    e[f.field] = { id: found.id };
  }
}
