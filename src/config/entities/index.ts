// Lookups over an entity table: the relations every consumer of the table needs (which kinds
// nest under which, the Admin API's segments, the order users read). Each takes the table, so
// a test may run the same derivations over a table of its own.
import { ENTITY_TABLE } from './table.js';
import type { EntityKind, ForeignKey } from './kind.js';

export type { CliColumn, EntityKind, FileId, ForeignKey, UniqueKey } from './kind.js';
export { ENTITY_TABLE } from './table.js';

export type EntityTable = readonly EntityKind[];
type Row = (typeof ENTITY_TABLE)[number];
/** Kong's plural name of a kind ("services", "keyauth_credentials"). */
export type EntityName = Row['name'];
/** A kind's name in the loader's messages ("service", "keyauth_credential"). */
export type EntityOne = Row['one'];
export type CredentialName = Extract<Row, { credential: true }>['name'];

/** The row named `name` (Kong's plural). */
export function rowOf(table: EntityTable, name: string): EntityKind {
  const row = table.find((r) => r.name === name);
  if (row === undefined) throw new Error(`no entity kind '${name}' in the table`);
  return row;
}

/** The rows in the order users read them (`listed`); the table itself is in the store's order. */
export function listedOrder(table: EntityTable): EntityKind[] {
  return [...table].sort((a, b) => a.listed - b.listed);
}

/** The rows in `turnpike diff`/`apply`'s order (`applied`): every kind a row references comes first. */
export function appliedOrder(table: EntityTable): EntityKind[] {
  return [...table].sort((a, b) => a.applied - b.applied);
}

/** The fields of `row` that reference other entities: its foreign keys, then its lists of ids. */
export function referenceFields(row: EntityKind): string[] {
  return [...row.foreign.map((f) => f.field), ...(row.idLists ?? []).map((l) => l.field)];
}

/** The foreign keys an entity may be nested by (a route under its service). */
export function parentKeys(row: EntityKind): ForeignKey[] {
  return row.foreign.filter((f) => f.nests === true);
}

/** The kinds that may be written nested under `row`, in table order. */
export function childrenOf(table: EntityTable, row: EntityKind): EntityKind[] {
  return table.filter((c) => c.foreign.some((f) => f.nests === true && f.references === row.name));
}

/** The Admin API's top-level segment of a kind; null when it is reachable under its parent only. */
export function adminTop(row: EntityKind): string | null {
  return row.admin.top === undefined ? row.name : row.admin.top;
}

/** The Admin API's segment of a kind under its parent (/consumers/{c}/key-auth). */
export function adminNested(row: EntityKind): string {
  return row.admin.nested ?? row.name;
}
