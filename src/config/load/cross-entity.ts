// Loading: what holds between entities. References (by name or id, or the parent a
// nested entity sits in) resolved to `{ id }`, the ids that derive from them, and the unique
// keys of the entity table checked across the file. Every rule comes from the table's rows.
import { rowOf, type EntityKind, type EntityTable } from '../entities/index.js';
import { isObj, isSet } from '../values.js';
import type { Entry, Reporter } from '../reporter.js';
import type { Ref } from '../types.js';
import { schemaOf } from '../entities/schemas.js';
import { assignId, naturalKey } from './collect.js';

export type Refs = Map<Entry, Record<string, Ref | null>>;
type Of = (row: EntityKind) => Entry[];

const requiredIn = (row: EntityKind, field: string): boolean =>
  ((schemaOf(row) as unknown as { required?: string[] }).required ?? []).includes(field);

/**
 * Resolves every entry's foreign keys and id lists. A reference the schema may leave out is
 * resolved only when given; one it requires is null when not given.
 */
export function resolveReferences(rep: Reporter, table: EntityTable, entries: readonly Entry[], of: Of): Refs {
  const maps = new Map<string, Map<string, Entry>>();
  // An entity is found by `id:<id>` and by `<key>:<value>` for each endpoint key.
  const index = (row: EntityKind): Map<string, Entry> => {
    let m = maps.get(row.name);
    if (m === undefined) {
      m = new Map<string, Entry>();
      for (const e of of(row)) {
        for (const k of row.endpointKeys) if (typeof e.node[k] === 'string') m.set(`${k}:${e.node[k] as string}`, e);
        if (e.id) m.set(`id:${e.id}`, e);
      }
      maps.set(row.name, m);
    }
    return m;
  };
  const resolve = (from: Entry, target: EntityKind, field: string): Ref | null | undefined => {
    const ref = from.node[field];
    if (ref === undefined || ref === null) return null;
    const m = index(target);
    let found: Entry | undefined;
    let shown = '';
    if (typeof ref === 'string') {
      shown = `'${ref}'`;
      found = m.get(`id:${ref.toLowerCase()}`) ?? target.endpointKeys.map((k) => m.get(`${k}:${ref}`)).find((x) => x);
    } else if (isObj(ref)) {
      const [k, v] = Object.entries(ref)[0] ?? [];
      if (typeof v !== 'string') return undefined;
      shown = `${k} '${v}'`;
      found = m.get(k === 'id' ? `id:${v.toLowerCase()}` : `${k}:${v}`);
    } else return undefined;
    if (!found) {
      const names = [...new Set(of(target).map((e) => naturalKey(target, e.node) ?? e.id!))];
      rep.add(
        [...from.at, field],
        `references ${target.one} ${shown}, which is not defined in this file; defined ${target.name}: ${names.length ? names.join(', ') : 'none'}`,
      );
      return undefined;
    }
    return { id: found.id! };
  };

  const rows = new Map(table.map((r) => [r.one as string, r]));
  const refs: Refs = new Map();
  for (const e of entries) {
    const row = rows.get(e.kind)!;
    const r: Record<string, Ref | null> = {};
    for (const f of row.foreign) {
      const target = rowOf(table, f.references);
      if (f.nests && e.parent?.kind === target.one) r[f.field] = { id: e.parent.id! };
      else if (requiredIn(row, f.field) || isSet(e.node[f.field])) r[f.field] = resolve(e, target, f.field) ?? null;
    }
    // A list of references (a service's ca_certificates) names its entities by id only (as in Kong).
    for (const l of row.idLists ?? []) {
      const list = e.node[l.field];
      if (!Array.isArray(list)) continue;
      const target = rowOf(table, l.references);
      const ids: string[] = [];
      (list as unknown[]).forEach((v, i) => {
        if (typeof v !== 'string') return;
        const found = index(target).get(`id:${v.toLowerCase()}`);
        if (found === undefined) {
          const known = of(target).map((c) => c.id!);
          rep.add(
            [...e.at, l.field, i],
            `references ${target.one} '${v}', which is not defined in this file; defined ${target.name}: ${known.length ? known.join(', ') : 'none'}`,
          );
        } else if (!ids.includes(found.id!)) ids.push(found.id!);
      });
      e.node[l.field] = ids;
    }
    refs.set(e, r);
  }
  return refs;
}

/** A field of a unique key as one text: a reference by the id it resolved to. */
function keyPart(row: EntityKind, e: Entry, refs: Refs, field: string): string {
  if (row.foreign.some((f) => f.field === field)) return refs.get(e)?.[field]?.id ?? '';
  const v = e.node[field];
  return v === undefined || v === null ? '' : String(v);
}

/** Ids derived from a unique key with references (a target: its upstream and address). */
export function assignKeyIds(table: EntityTable, of: Of, refs: Refs): void {
  for (const row of table) {
    if (row.file.id !== 'unique-key') continue;
    const fields = row.unique[0]?.fields ?? [];
    for (const e of of(row)) assignId(e, fields.map((f) => keyPart(row, e, refs, f)).join(':'));
  }
}

/**
 * The table's unique keys across the file (credentials apart: ./credentials.ts): the id, each
 * single-field key, and each key of several fields the row gives a message for.
 */
export function checkUniqueness(rep: Reporter, table: EntityTable, of: Of, refs: Refs): void {
  const unique = (
    row: EntityKind,
    field: string,
    keyOf: (e: Entry) => string | undefined,
    at: (e: Entry) => (string | number)[],
    shown?: (e: Entry) => string,
  ) => {
    const seen = new Map<string, Entry>();
    for (const e of of(row)) {
      const k = keyOf(e);
      if (k === undefined) continue;
      const first = seen.get(k);
      if (first) {
        const what = shown ? shown(e) : `${field} '${k}'`;
        rep.add(
          at(e),
          `${what} is already used by ${rep.label(first.kind, first.at)}; ${shown ? 'configure it once' : `each ${row.one} needs a unique ${field}`}`,
        );
      } else seen.set(k, e);
    }
  };
  const str = (f: string) => (e: Entry) => (typeof e.node[f] === 'string' ? (e.node[f] as string) : undefined);
  const regular = table.filter((r) => !r.credential);
  for (const row of regular) {
    for (const u of row.unique) {
      const [field] = u.fields;
      if (u.fields.length !== 1 || u.file === false || field === undefined) continue;
      if (row.foreign.some((f) => f.field === field)) continue;
      unique(row, field, str(field), (e) => [...e.at, field]);
    }
  }
  for (const row of regular)
    unique(
      row,
      'id',
      (e) => str('id')(e)?.toLowerCase(),
      (e) => [...e.at, 'id'],
    );
  for (const row of regular) {
    for (const u of row.unique) {
      if (u.fields.length < 2 || !u.file) continue;
      const { shown, at } = u.file;
      unique(
        row,
        u.fields.join('+'),
        (e) =>
          at !== undefined && typeof e.node[at] !== 'string'
            ? undefined
            : u.fields.map((f) => keyPart(row, e, refs, f)).join('|'),
        (e) => (at === undefined ? e.at : [...e.at, at]),
        (e) => shown.replace(/\{(\w+)\}/g, (_, f: string) => String(e.node[f])),
      );
    }
  }
}
