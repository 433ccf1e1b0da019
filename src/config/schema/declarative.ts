// The declarative file's building blocks: an entity's input form (`input`), a reference as a
// file writes it (`RefInput`), decK's `_info`, and the normalized `Config` the loader produces.
// The file's own schema is derived from the entity table in ../entities/file-schema.ts: same
// fields, same constraints and defaults, `id` optional, references written as a name or id,
// and Kong's nested forms.
import { Type, type TSchema } from '@sinclair/typebox';

import { ServiceSchema } from './service.js';
import { RouteSchema } from './route.js';
import { UpstreamSchema } from './upstream.js';
import { TargetSchema } from './target.js';
import { ConsumerSchema } from './consumer.js';
import { DeckInfoInput, ENTITY_META_FIELDS } from './file-meta.js';
import { PluginSchema } from './plugin.js';
import { CertificateSchema, SniSchema } from './certificate.js';
import { CaCertificateSchema } from './ca-certificate.js';

export const FORMAT_VERSIONS = ['1.1', '2.1', '3.0'] as const;

/** Entity fields Kong knows that Turnpike does not support yet. */
export const UNSUPPORTED_FIELDS: Record<string, string> = {
  expression: 'expression routes are not supported; use paths/hosts/methods/headers',
  priority: "the 'priority' field belongs to expression routes, which are not supported",
};

type Json = Record<string, unknown>;

/**
 * A reference in the file: a name or id, or `{ id }` / `{ name }` (consumers: `{ username }`).
 * An optional reference may also be null, as `kong config db_export` writes an unset one.
 */
export function RefInput(nameKeys: string[], opts: { nullable?: boolean } = {}): Json {
  const props: Json = { id: { type: 'string', minLength: 1 } };
  for (const k of nameKeys) props[k] = { type: 'string', minLength: 1 };
  return {
    'x-ref': true,
    anyOf: [
      ...(opts.nullable ? [{ type: 'null' }] : []),
      { type: 'string', minLength: 1 },
      { type: 'object', properties: props, additionalProperties: false, minProperties: 1, maxProperties: 1 },
    ],
    'x-error': `must be a name or id, or an object with one of ${['id', ...nameKeys].map((k) => `'${k}'`).join(', ')}`,
  };
}

/** Nested records with a default (healthchecks) may be written partially: drop `required` there. */
function relax(s: Json): Json {
  if (s && typeof s === 'object' && s.properties && 'default' in s) {
    const properties: Json = {};
    for (const [k, v] of Object.entries(s.properties as Json)) properties[k] = relax(v as Json);
    return { ...s, properties, required: [] };
  }
  return s;
}

/**
 * The input form of an entity: its fields (nested records with defaults may be partial), `required`
 * as given. With `file`, as a declarative file may write it: also Kong's `_comment`/`_ignore` and
 * db_export's timestamps, and `tags: null` (db_export's "no tags"; the loader makes it []).
 */
export function input(
  entity: TSchema,
  opts: { omit?: readonly string[]; extra?: Json; required?: string[]; file?: boolean } = {},
): Json {
  const src = (entity as unknown as Json).properties as Json;
  const properties: Json = {};
  for (const [k, v] of Object.entries(src)) if (!opts.omit?.includes(k)) properties[k] = relax(v as Json);
  if (opts.file) {
    Object.assign(properties, ENTITY_META_FIELDS);
    if (properties.tags) properties.tags = { ...(properties.tags as Json), type: ['array', 'null'] };
  }
  Object.assign(properties, opts.extra ?? {});
  return { type: 'object', properties, required: opts.required ?? [], additionalProperties: false };
}

/** decK's `_info`, checked on its own before the rest: its defaults are copied into entities first. */
export const DeckInfoSchema: Json = DeckInfoInput({
  service: input(ServiceSchema, { extra: { url: { type: 'string', minLength: 1 } } }),
  route: input(RouteSchema, { omit: ['service'] }),
  upstream: input(UpstreamSchema, { omit: ['client_certificate'] }),
  target: input(TargetSchema, { omit: ['upstream'] }),
});

/** The normalized configuration (output of the loader). */
export const ConfigSchema = Type.Object(
  {
    _format_version: Type.String(),
    _transform: Type.Optional(Type.Boolean()),
    _comment: Type.Optional(Type.String()),
    _workspace: Type.Optional(Type.String()),
    services: Type.Array(ServiceSchema),
    routes: Type.Array(RouteSchema),
    upstreams: Type.Array(UpstreamSchema),
    targets: Type.Array(TargetSchema),
    consumers: Type.Array(ConsumerSchema),
    plugins: Type.Array(PluginSchema),
    // Optional in the type so hand-written fixtures keep compiling; the loader always fills them.
    certificates: Type.Optional(Type.Array(CertificateSchema)),
    snis: Type.Optional(Type.Array(SniSchema)),
    ca_certificates: Type.Optional(Type.Array(CaCertificateSchema)),
  },
  { $id: 'Config', additionalProperties: false },
);
