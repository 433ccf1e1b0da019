// The declarative file: what a `kong.yml` may contain (Kong's `_format_version` 1.1, 2.1 and
// 3.0), and the normalized `Config` the loader produces. The file-side schemas are DERIVED
// from the normalized entity schemas: same fields, same constraints and defaults, `id`
// optional, references written as a name or id, and Kong's nested forms.
import { Type, type TSchema } from '@sinclair/typebox';

import { ServiceSchema } from './service.js';
import { RouteSchema } from './route.js';
import { UpstreamSchema } from './upstream.js';
import { TargetSchema } from './target.js';
import { ConsumerSchema, CREDENTIAL_KEYS } from './consumer.js';
import { CREDENTIAL_ENTITIES } from './credentials.js';
import { DeckInfoInput, ENTITY_META_FIELDS, KonnectInput, ParameterInput, WorkspaceInput } from './file-meta.js';
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
  opts: { omit?: string[]; extra?: Json; required?: string[]; file?: boolean } = {},
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

const arr = (items: Json): Json => ({ type: 'array', items });

const pluginIn = (omit: string[]) => {
  const extra: Json = {};
  for (const [k, keys] of [
    ['service', ['name']],
    ['route', ['name']],
    ['consumer', ['username', 'custom_id']],
  ] as const) {
    if (!omit.includes(k)) extra[k] = RefInput([...keys], { nullable: true });
  }
  return input(PluginSchema, { omit: ['service', 'route', 'consumer'], extra, required: ['name'], file: true });
};

const routeIn = (nested: boolean): Json =>
  input(RouteSchema, {
    omit: ['service'],
    extra: {
      ...(nested ? {} : { service: RefInput(['name'], { nullable: true }) }),
      plugins: arr(pluginIn(['route'])),
    },
    file: true,
  });

// A service or upstream names its client certificate by id or `{ id }`.
const clientCertificateIn: Json = {
  anyOf: [{ type: 'null' }, RefInput([])],
  'x-error': "must be a certificate id, or an object with 'id'",
};

// A service names its CA certificates by id (as in Kong).
const serviceIn: Json = input(ServiceSchema, {
  extra: {
    ca_certificates: {
      anyOf: [{ type: 'null' }, { type: 'array', items: { type: 'string', minLength: 1 } }],
      'x-error': 'must be a list of ca_certificate ids',
    },
    client_certificate: clientCertificateIn,
    url: { type: 'string', minLength: 1 },
    routes: arr(routeIn(true)),
    plugins: arr(pluginIn(['service'])),
  },
  file: true,
});

const targetIn = (nested: boolean): Json =>
  input(TargetSchema, {
    omit: ['upstream'],
    extra: nested ? {} : { upstream: RefInput(['name']) },
    required: nested ? ['target'] : ['target', 'upstream'],
    file: true,
  });

const upstreamIn: Json = input(UpstreamSchema, {
  extra: { client_certificate: clientCertificateIn, targets: arr(targetIn(true)) },
  required: ['name'],
  file: true,
});

// A credential under its consumer, or at the top level naming its consumer (as Kong's
// declarative format gives every entity a top-level key, credentials included).
const credentialIn = (k: (typeof CREDENTIAL_KEYS)[number], nested: boolean): Json => {
  const def = CREDENTIAL_ENTITIES[k];
  return input(def.schema, {
    omit: ['consumer'],
    extra: nested ? {} : { consumer: RefInput(['username', 'custom_id']) },
    required: nested ? [...def.required] : [...def.required, 'consumer'],
    file: true,
  });
};
const credentialsIn: Json = {};
for (const k of CREDENTIAL_KEYS) credentialsIn[k] = arr(credentialIn(k, true));
const consumerIn: Json = input(ConsumerSchema, {
  omit: ['credentials'],
  extra: { ...credentialsIn, plugins: arr(pluginIn(['consumer'])) },
  file: true,
});

const sniIn = (nested: boolean): Json =>
  input(SniSchema, {
    omit: ['certificate'],
    extra: nested ? {} : { certificate: RefInput([]) },
    required: nested ? ['name'] : ['name', 'certificate'],
    file: true,
  });

// Nested under a certificate, an SNI may also be written as just its name (as the Admin API
// takes it); the loader turns such a string into `{ name }` before validation.
const certificateIn: Json = input(CertificateSchema, {
  extra: { snis: arr(sniIn(true)) },
  required: ['cert', 'key'],
  file: true,
});

const topLevelCredentials: Json = {};
for (const k of CREDENTIAL_KEYS) topLevelCredentials[k] = arr(credentialIn(k, false));

/** decK's `_info`, checked on its own before the rest: its defaults are copied into entities first. */
export const DeckInfoSchema: Json = DeckInfoInput({
  service: input(ServiceSchema, { extra: { url: { type: 'string', minLength: 1 } } }),
  route: input(RouteSchema, { omit: ['service'] }),
  upstream: input(UpstreamSchema, { omit: ['client_certificate'] }),
  target: input(TargetSchema, { omit: ['upstream'] }),
});

/** JSON Schema of a declarative file (input side). */
export const DeclarativeFileSchema: Json = {
  $id: 'DeclarativeFile',
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
    services: arr(serviceIn),
    routes: arr(routeIn(false)),
    upstreams: arr(upstreamIn),
    targets: arr(targetIn(false)),
    consumers: arr(consumerIn),
    plugins: arr(pluginIn([])),
    certificates: arr(certificateIn),
    snis: arr(sniIn(false)),
    ca_certificates: arr(input(CaCertificateSchema, { required: ['cert'], file: true })),
    ...topLevelCredentials,
    parameters: arr(ParameterInput),
    workspaces: arr(WorkspaceInput),
  },
  required: ['_format_version'],
  additionalProperties: false,
};

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
