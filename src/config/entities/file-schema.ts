// The JSON Schema of a declarative file (input side), derived from the entity table: each
// kind's file form from its row and its normalized schema. The build generates the validator's
// code from it (../declarative-validator.ts).
import { FORMAT_VERSIONS, input, RefInput } from '../schema/declarative.js';
import { KonnectInput, ParameterInput, WorkspaceInput } from '../schema/file-meta.js';
import { childrenOf, ENTITY_TABLE, listedOrder, parentKeys, rowOf, type EntityTable } from './index.js';
import type { EntityKind, ForeignKey } from './kind.js';
import { schemaOf } from './schemas.js';

type Json = Record<string, unknown>;

const arr = (items: Json): Json => ({ type: 'array', items });

const fieldOf = (row: EntityKind, field: string): Json =>
  ((schemaOf(row) as unknown as { properties: Record<string, Json> }).properties[field] ?? {}) as Json;
const nullable = (row: EntityKind, field: string): boolean => {
  const t = fieldOf(row, field).type;
  return Array.isArray(t) && t.includes('null');
};
const requiredIn = (row: EntityKind, field: string): boolean =>
  ((schemaOf(row) as unknown as { required?: string[] }).required ?? []).includes(field);

/**
 * The file form of one kind, from its table row: at the top level, or nested under the parent
 * its foreign key `under` names (then that key is left out: the parent is the reference). A
 * reference to a parent is written after the entity's own fields; other references stay where
 * the schema has them, written as an id (Kong's form for certificates). The kinds that may nest
 * in this one follow as lists.
 */
function fileForm(table: EntityTable, row: EntityKind, under?: ForeignKey): Json {
  const parents = parentKeys(row);
  const extra: Json = {};
  for (const f of row.foreign) {
    if (f.nests) continue;
    const target = rowOf(table, f.references);
    const ref = RefInput([...target.endpointKeys]);
    extra[f.field] = {
      anyOf: [...(nullable(row, f.field) ? [{ type: 'null' }] : []), ref],
      'x-error':
        target.endpointKeys.length === 0 ? `must be a ${target.one} id, or an object with 'id'` : ref['x-error'],
    };
  }
  for (const l of row.idLists ?? []) {
    extra[l.field] = {
      anyOf: [{ type: 'null' }, { type: 'array', items: { type: 'string', minLength: 1 } }],
      'x-error': `must be a list of ${rowOf(table, l.references).one} ids`,
    };
  }
  const required = [...row.file.required];
  for (const f of parents) {
    if (f === under) continue;
    const keys = [...rowOf(table, f.references).endpointKeys];
    extra[f.field] = RefInput(keys, nullable(row, f.field) ? { nullable: true } : {});
    if (requiredIn(row, f.field) && !nullable(row, f.field)) required.push(f.field);
  }
  Object.assign(extra, row.file.extra ?? {});
  for (const child of childrenOf(table, row)) {
    const fk = child.foreign.find((f) => f.nests === true && f.references === row.name)!;
    extra[child.name] = arr(fileForm(table, child, fk));
  }
  return input(schemaOf(row), {
    omit: [...parents.map((f) => f.field), ...(row.omit ?? [])],
    extra,
    required,
    file: true,
  });
}

/** The entity keys of a declarative file: each kind of `table` at the top level, in the order users read them. */
export function fileEntities(table: EntityTable): Json {
  return Object.fromEntries(listedOrder(table).map((r) => [r.name, arr(fileForm(table, r))]));
}

/** JSON Schema of a declarative file (input side). */
/** The schema of a file whose entities are `table`'s (without an `$id`: a test's table compiles beside the real one). */
export function fileSchemaOf(table: EntityTable): Json {
  return {
    type: 'object',
    properties: {
      _format_version: {
        type: 'string',
        enum: [...FORMAT_VERSIONS],
        'x-error': `must be one of "1.1", "2.1", "3.0" (as a quoted string, e.g. _format_version: "3.0")`,
      },
      _transform: { type: 'boolean', default: true },
      _comment: { type: 'string' },
      _ignore: { type: 'array' },
      _workspace: { type: 'string' },
      _konnect: KonnectInput,
      ...fileEntities(table),
      parameters: arr(ParameterInput),
      workspaces: arr(WorkspaceInput),
    },
    required: ['_format_version'],
    additionalProperties: false,
  };
}

/** JSON Schema of a declarative file (input side). */
export const DeclarativeFileSchema: Json = { $id: 'DeclarativeFile', ...fileSchemaOf(ENTITY_TABLE) };
