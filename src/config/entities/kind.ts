// What one row of the entity table says about a kind of entity. Everything that names a kind
// (the declarative loader and its file schema, the store and its SQL, the Admin API paths and
// OpenAPI document, the CLI's kind names and table columns) reads it from here; no other
// module lists the kinds. The rows themselves are in ./table.ts.
export interface ForeignKey {
  /** The entity field holding `{ id }`; the store's column is `<field>_id`. */
  field: string;
  /** The `name` of the referenced kind (a row above this one). */
  references: string;
  /** Kong: deleting the referenced entity deletes this one ('cascade') or is refused ('restrict'). */
  onDelete: 'cascade' | 'restrict';
  /**
   * The entity may be written nested under the referenced one: in a declarative file (a route
   * under its service) and in the Admin API (/services/{service}/routes). Nested, the field is
   * left out and the parent is the reference.
   */
  nests?: true;
}

export interface UniqueKey {
  /** Entity fields (a foreign key field means its id); more than one = unique together. */
  fields: readonly string[];
  /**
   * How the loader checks the key across a declarative file. Absent: a single field is checked
   * with "<field> '<value>' is already used by …". `false`: the store only (a file may repeat it).
   * With `shown`, a key of several fields is checked too: `shown` is the message's subject,
   * `{field}` replaced by the field's value; `at` the field the error points at (the entity when absent).
   */
  file?: false | { shown: string; at?: string };
}

/** A column of `turnpike get`'s table: a field (header: the field upper-cased) or a field shown some way. */
export type CliColumn =
  | string
  | {
      field: string;
      header?: string;
      /** list: comma-joined; ref: the referenced entity's name (its id when it has none); subject/expires: of a PEM certificate. */
      show?: 'list' | 'ref' | 'subject' | 'expires';
    };

/**
 * How a declarative file's entity without an `id` gets one (a v5 UUID, stable across loads):
 * natural — from its first endpoint key that is set (`name`, a consumer's `username`…);
 * certificate — from the text of its `cert`; unique-key — from its first unique key, references
 * by their ids; as-given — none (credentials: the store derives theirs).
 */
export type FileId = 'natural' | 'certificate' | 'unique-key' | 'as-given';

export interface EntityKind {
  /** Kong's name, plural: the declarative file's key, the store's table, the Admin API's collection. */
  name: string;
  /** One entity in the loader's messages and ids ("service", "keyauth_credential"). */
  one: string;
  /** One entity in prose: the store's and the CLI's messages, OpenAPI ("service", "key-auth credential"). */
  singular: string;
  /**
   * The `$id` of its normalized JSON Schema: a TypeBox object in src/config/schema/, exported
   * from schema/index.ts, the single definition of the fields.
   */
  schema: string;
  /** Position in what users read as a list of kinds (CLI help, Admin API, the file schema); rows are in store order. */
  listed: number;
  /**
   * Position in `turnpike diff`/`apply`'s changes: creates and updates run in this order,
   * deletes in the reverse, so every kind a row references comes before it.
   */
  applied: number;
  /** A consumer's credential: kept under the consumer's `credentials` in the loaded configuration. */
  credential?: true;
  /** Fields (besides `id`) a path or a reference may name the entity by, tried in order. */
  endpointKeys: readonly string[];
  unique: readonly UniqueKey[];
  foreign: readonly ForeignKey[];
  /** A list of ids referencing another kind (services.ca_certificates): kept in a join table. */
  idLists?: readonly { field: string; references: string; onDelete: 'restrict' }[];
  /** Schema fields the store does not keep on this entity (consumers' nested credentials). */
  omit?: readonly string[];
  file: {
    /** Fields a declarative file must give (Kong fills or derives the others); nested, the parent is never required. */
    required: readonly string[];
    id: FileId;
    /** The fields that name the entity in an error's label, tried in order; [] when its identifying value is a secret. */
    label: readonly string[];
    /** Nested under its parent, the entity may be written as just this field's value (an SNI as its name). */
    shorthand?: string;
    /** Input-only fields of the file form (a service's `url`), JSON Schema. */
    extra?: Readonly<Record<string, unknown>>;
  };
  admin: {
    /** The top-level collection's path segment; null when only nested (targets). Default: `name`. */
    top?: string | null;
    /** The segment under a parent (/consumers/{c}/key-auth). Default: `name`. */
    nested?: string;
  };
  cli: {
    /** Other names `turnpike get`/`delete` accept (the first is offered by completion unless it has a '_'). */
    aliases: readonly string[];
    columns: readonly CliColumn[];
  };
}
