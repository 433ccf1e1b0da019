// A row's JSON Schema. The table names each schema by its `$id` rather than importing it, so
// that what only needs names (the CLI's `get`, `delete`, completion) never loads TypeBox and
// the schemas (a few hundred milliseconds at start-up); the loader and the store, which
// validate, look the schema up here among the exports of src/config/schema/.
import type { TSchema } from '@sinclair/typebox';
import * as schemas from '../schema/index.js';
import type { EntityKind } from './kind.js';

const BY_ID = new Map<string, TSchema>();
for (const v of Object.values(schemas) as unknown[]) {
  const id = (v as { $id?: unknown } | null)?.$id;
  if (typeof id === 'string' && typeof v === 'object') BY_ID.set(id, v as TSchema);
}

/** The normalized JSON Schema of a kind (its `$id` is the row's `schema`). */
export function schemaOf(row: Pick<EntityKind, 'name' | 'schema'>): TSchema {
  const s = BY_ID.get(row.schema);
  if (s === undefined)
    throw new Error(`entity kind '${row.name}': no schema with $id '${row.schema}' is exported by src/config/schema/`);
  return s;
}
