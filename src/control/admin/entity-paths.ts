// Kong's Admin API paths for entities: which kind a path names, under which parent, and
// whether it names the collection or one entity. Derived from the entity table
// (src/config/entities/table.ts); they drive the router and the OpenAPI document.
import {
  adminNested,
  adminTop,
  ENTITY_TABLE,
  listedOrder,
  parentKeys,
  rowOf,
  type EntityTable,
} from '../../config/entities/index.js';
import type { Kind } from '../store/index.js';
import type { Scope } from '../store/store.js';

type ParentField = keyof Scope;

/** Top-level collections: the URL segment and the kind. */
export function topLevelPaths(table: EntityTable): (readonly [string, string])[] {
  return listedOrder(table).flatMap((r) => {
    const top = adminTop(r);
    return top === null ? [] : [[top, r.name] as const];
  });
}

/** Nested collections: parent segment, the parent's field on the child, child segment, kind. */
export function nestedPaths(table: EntityTable): (readonly [string, string, string, string])[] {
  return listedOrder(table).flatMap((r) =>
    parentKeys(r).flatMap((f) => {
      const parent = adminTop(rowOf(table, f.references));
      return parent === null ? [] : [[parent, f.field, adminNested(r), r.name] as const];
    }),
  );
}

export const TOP_LEVEL = topLevelPaths(ENTITY_TABLE) as readonly (readonly [string, Kind])[];
export const NESTED = nestedPaths(ENTITY_TABLE) as readonly (readonly [string, ParentField, string, Kind])[];

export interface EntityPath {
  kind: Kind;
  scope: Scope;
  /** The id or endpoint key of one entity; null for the collection. */
  key: string | null;
}

const top = new Map(TOP_LEVEL);

export function matchEntityPath(segments: readonly string[]): EntityPath | null {
  const [a, b, c, d] = segments;
  if (a === undefined) return null;
  if (segments.length <= 2) {
    const kind = top.get(a);
    if (kind === undefined) return null;
    return { kind, scope: {}, key: b ?? null };
  }
  if (segments.length <= 4) {
    const n = NESTED.find(([p, , child]) => p === a && child === c);
    if (n === undefined) return null;
    return { kind: n[3], scope: { [n[1]]: b! }, key: d ?? null };
  }
  return null;
}
