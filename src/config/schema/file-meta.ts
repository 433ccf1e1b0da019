// What a declarative file may hold besides the entities Turnpike serves: Kong's own annotations,
// what `kong config db_export` writes, and decK's file metadata. All of it is checked for its
// type and then left out of the normalized configuration (decK's `_info` is applied first).
type Json = Record<string, unknown>;

/**
 * Fields any entity may carry in a file, nested or not. Kong's declarative schema adds
 * `_comment` (a string) and `_ignore` (a list of anything) to every entity record
 * (kong/db/schema/others/declarative_config.lua); `kong config db_export` writes each entity's
 * `created_at` / `updated_at` (seconds; targets' with a fraction), null where Kong never set one
 * (the `cluster_id` parameter row, which a migration inserts without a timestamp).
 */
export const ENTITY_META_FIELDS: Json = {
  _comment: { type: 'string' },
  _ignore: { type: 'array' },
  created_at: { type: ['number', 'null'], minimum: 0 },
  updated_at: { type: ['number', 'null'], minimum: 0 },
};

/** Kong's `parameters` entity (cluster_id and the like), which db_export writes: internal to Kong, ignored. */
export const ParameterInput: Json = {
  type: 'object',
  properties: { key: { type: 'string', minLength: 1 }, value: { type: 'string' }, ...ENTITY_META_FIELDS },
  required: ['key', 'value'],
  additionalProperties: false,
};

/** Kong's `workspaces` entity: Kong OSS has the one workspace named `default` (the loader refuses others). */
export const WorkspaceInput: Json = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string', minLength: 1 },
    comment: { type: ['string', 'null'] },
    meta: { type: ['object', 'null'] },
    config: { type: ['object', 'null'] },
    ...ENTITY_META_FIELDS,
  },
  required: ['name'],
  additionalProperties: false,
};

/** decK's `_konnect` (which Konnect control plane a file is for): nothing to Turnpike. */
export const KonnectInput: Json = {
  type: 'object',
  properties: { control_plane_name: { type: 'string' }, runtime_group_name: { type: 'string' } },
  additionalProperties: false,
};

/** The fields decK refuses in `_info.defaults` (each entity's own identity). */
export const DECK_RESTRICTED_DEFAULTS: Record<string, string[]> = {
  service: ['id', 'name'],
  route: ['id', 'name'],
  upstream: ['id', 'name'],
  target: ['id', 'target'],
};

/** A schema with every `required` and `default` taken out, at every depth: a partial record. */
export function partial(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(partial);
  if (s === null || typeof s !== 'object') return s;
  const out: Json = {};
  for (const [k, v] of Object.entries(s as Json)) {
    if (k === 'default' || k === 'required') continue;
    out[k] =
      k === 'properties'
        ? Object.fromEntries(Object.entries(v as Json).map(([f, fs]) => [f, partial(fs)]))
        : partial(v);
  }
  return out;
}

/**
 * decK's `_info` (its JSON schema refuses other keys). `entities` are the input schemas of
 * service, route, upstream and target, for `defaults`: values decK gives those entities'
 * missing fields when it syncs the file, which the loader applies the same way.
 */
export function DeckInfoInput(entities: Record<'service' | 'route' | 'upstream' | 'target', Json>): Json {
  const defaults: Json = {};
  for (const [kind, schema] of Object.entries(entities)) {
    const p = partial(schema) as Json;
    const properties = { ...(p.properties as Json) };
    for (const f of DECK_RESTRICTED_DEFAULTS[kind] ?? []) delete properties[f];
    defaults[kind] = { ...p, properties };
  }
  const tags = { type: 'array', items: { type: 'string' } };
  return {
    type: 'object',
    properties: {
      select_tags: tags,
      default_lookup_tags: {
        type: 'object',
        properties: { consumer_groups: tags, consumers: tags, partials: tags, routes: tags, services: tags },
        additionalProperties: false,
      },
      defaults: { type: 'object', properties: defaults, additionalProperties: false },
      consumer_group_policy_overrides: { type: 'boolean' },
      skip_hash_for_basic_auth: { type: 'boolean' },
      include_plugin_definitions: { type: 'boolean' },
    },
    additionalProperties: false,
  };
}
