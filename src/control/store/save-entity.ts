// Writing one entity inside a write transaction: references resolved, Kong's fill-ins,
// the loader's and the schema's checks, then references and unique keys checked by the
// store itself so the error names the field and value as Kong does, and the row written
// (with its key columns and join tables). Also what a delete must check first.
import type { Param, Queryable } from './backend.js';
import { columnOf, ENTITIES, KINDS, referencing, uniqueColumn, type EntityDef, type Kind } from './entities.js';
import { ForeignKeyViolation, PrimaryKeyViolation, UniqueViolation } from './errors.js';
import { tagsColumn } from './paging.js';
import type { Entity } from './store.js';
import { validateEntity } from './validate.js';
import { checkWithLoader } from './semantic.js';
import type { PluginRegistry } from '../../plugins/registry.js';
import { now, ordered, prepare, uniqueValue, type Obj } from './entity-shape.js';
import { byColumn, joinTable, q, resolveRefs } from './lookup.js';

/** Validates, checks and writes `e` (a full entity with its id); `existing` is what it replaces. */
export async function saveEntity(
  tx: Queryable,
  def: EntityDef,
  e: Obj,
  existing: Entity | null,
  registry: PluginRegistry | null,
): Promise<Entity> {
  await resolveRefs(tx, def, e);
  prepare(def, e);
  e = checkWithLoader(def.kind, e, registry);
  validateEntity(def.kind, e);
  const entity = ordered(def, e, existing?.created_at ?? (typeof e.created_at === 'number' ? e.created_at : now()));
  if (existing === null && (await byColumn(tx, def, 'id', entity.id)) !== null)
    throw new PrimaryKeyViolation(entity.id);
  for (const f of def.foreign) {
    const ref = entity[f.field] as { id: string } | null | undefined;
    if (ref === null || ref === undefined) continue;
    if ((await byColumn(tx, ENTITIES[f.references], 'id', ref.id)) === null)
      throw ForeignKeyViolation.missing(f.field, ref, f.references);
  }
  for (const l of def.idLists ?? []) {
    for (const id of (entity[l.field] as string[] | null | undefined) ?? []) {
      if ((await byColumn(tx, ENTITIES[l.references], 'id', id)) === null)
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
      await tx.query(`INSERT INTO ${q(table)} (${own}, ${q(`${ENTITIES[l.references].singular}_id`)}) VALUES (?, ?)`, [
        entity.id,
        id,
      ]);
    }
  }
  return entity;
}

/**
 * Kong refuses to delete what a 'restrict' reference still points at; 'cascade' references
 * go with it (ON DELETE CASCADE in the tables). Throws when `id`, a `kind`, is still referenced.
 */
export async function checkNotReferenced(tx: Queryable, kind: Kind, id: string): Promise<void> {
  const def = ENTITIES[kind];
  for (const r of referencing(kind)) {
    if (r.fk.onDelete !== 'restrict') continue;
    const rows = await tx.query(
      `SELECT 1 AS x FROM ${q(r.def.kind)} WHERE ${q(columnOf(r.def, r.fk.field))} = ? LIMIT 1`,
      [id],
    );
    if (rows.length > 0) throw ForeignKeyViolation.referencedBy(r.def.kind, kind);
  }
  for (const k of KINDS) {
    for (const l of ENTITIES[k].idLists ?? []) {
      if (l.references !== kind) continue;
      const rows = await tx.query(
        `SELECT 1 AS x FROM ${q(joinTable(ENTITIES[k], l.field))} WHERE ${q(`${def.singular}_id`)} = ? LIMIT 1`,
        [id],
      );
      if (rows.length > 0) throw ForeignKeyViolation.referencedBy(k, kind);
    }
  }
}

export async function setMeta(tx: Queryable, key: string, value: string): Promise<void> {
  await tx.query(`DELETE FROM "store_meta" WHERE "key" = ?`, [key]);
  await tx.query(`INSERT INTO "store_meta" ("key", "value") VALUES (?, ?)`, [key, value]);
}
