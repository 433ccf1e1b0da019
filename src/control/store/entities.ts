// What the store knows about each entity kind, taken from the entity table
// (src/config/entities/table.ts): its JSON Schema, the keys a path may name it by, its unique
// keys and its foreign keys with Kong's delete behaviour. The SQL tables, the checks that give
// Kong's errors and the declarative export are all driven by these definitions.
import type { TSchema } from '@sinclair/typebox';
import { ENTITY_TABLE, type CredentialName, type EntityKind, type EntityName } from '../../config/entities/index.js';
import { schemaOf } from '../../config/entities/schemas.js';

export type Kind = EntityName;
export type CredentialKind = CredentialName;

/** The kinds in the table's order: everything an entity references comes before it. */
export const KINDS: readonly Kind[] = ENTITY_TABLE.map((r) => r.name);

/** The credential kinds: nested under their consumer in a declarative file. */
export const CREDENTIAL_KINDS: readonly CredentialKind[] = ENTITY_TABLE.flatMap((r) =>
  'credential' in r ? [r.name] : [],
);

export interface ForeignKey {
  /** The entity field holding `{ id }`; the column is `<field>_id`. */
  field: string;
  references: Kind;
  /** Kong: deleting the referenced entity deletes this one ('cascade') or is refused ('restrict'). */
  onDelete: 'cascade' | 'restrict';
}

export interface UniqueKey {
  /** Entity fields (a foreign key field means its id); more than one = unique together. */
  fields: string[];
}

export interface EntityDef {
  kind: Kind;
  /** For messages: "service", "key-auth credential". */
  singular: string;
  schema: TSchema;
  /** Fields (besides `id`) a path or reference may name the entity by, tried in order. */
  endpointKeys: string[];
  unique: UniqueKey[];
  foreign: ForeignKey[];
  /** A list of ids referencing another kind (services.ca_certificates): kept in a join table. */
  idLists?: { field: string; references: Kind; onDelete: 'restrict' }[];
  /** Schema fields the store does not keep on this entity (consumers' nested credentials). */
  omit?: string[];
}

/** The store's definition of a kind, from its table row. */
export function entityDef(row: EntityKind): EntityDef {
  const def: EntityDef = {
    kind: row.name as Kind,
    singular: row.singular,
    schema: schemaOf(row),
    endpointKeys: [...row.endpointKeys],
    unique: row.unique.map((u) => ({ fields: [...u.fields] })),
    foreign: row.foreign.map((f) => ({ field: f.field, references: f.references as Kind, onDelete: f.onDelete })),
  };
  if (row.idLists) def.idLists = row.idLists.map((l) => ({ ...l, references: l.references as Kind }));
  if (row.omit) def.omit = [...row.omit];
  return def;
}

export const ENTITIES = Object.fromEntries(ENTITY_TABLE.map((r) => [r.name, entityDef(r)])) as Record<Kind, EntityDef>;

/** Column name of an entity field: a foreign key `service` is stored as `service_id`. */
export function columnOf(def: EntityDef, field: string): string {
  return def.foreign.some((f) => f.field === field) ? `${field}_id` : field;
}

/** Column name of a unique key made of several fields (a computed text column). */
export function uniqueColumn(u: UniqueKey): string {
  return u.fields.length === 1 ? u.fields[0]! : `uk_${u.fields.join('_')}`;
}

/** The entity kinds that reference `kind`, with the foreign key (for delete checks). */
export function referencing(kind: Kind): { def: EntityDef; fk: ForeignKey }[] {
  const out: { def: EntityDef; fk: ForeignKey }[] = [];
  for (const k of KINDS)
    for (const f of ENTITIES[k].foreign) if (f.references === kind) out.push({ def: ENTITIES[k], fk: f });
  return out;
}
