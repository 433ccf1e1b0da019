// What the store knows about each entity kind: its JSON Schema (from src/config/schema, the
// single source of truth for fields), the keys a path may name it by, its unique keys and its
// foreign keys with Kong's delete behaviour. The SQL tables, the checks that give Kong's
// errors and the declarative export are all driven by this table.
import type { TSchema } from '@sinclair/typebox';
import {
  AclSchema,
  BasicauthCredentialSchema,
  CaCertificateSchema,
  CertificateSchema,
  ConsumerSchema,
  HmacauthCredentialSchema,
  JwtSecretSchema,
  KeyauthCredentialSchema,
  Oauth2CredentialSchema,
  PluginSchema,
  RouteSchema,
  ServiceSchema,
  SniSchema,
  TargetSchema,
  UpstreamSchema,
} from '../../config/schema/index.js';

export const KINDS = [
  'ca_certificates',
  'certificates',
  'snis',
  'services',
  'routes',
  'upstreams',
  'targets',
  'consumers',
  'keyauth_credentials',
  'basicauth_credentials',
  'hmacauth_credentials',
  'jwt_secrets',
  'acls',
  'oauth2_credentials',
  'plugins',
] as const;
export type Kind = (typeof KINDS)[number];

/** The credential kinds: nested under their consumer in a declarative file. */
export const CREDENTIAL_KINDS = [
  'keyauth_credentials',
  'basicauth_credentials',
  'hmacauth_credentials',
  'jwt_secrets',
  'acls',
  'oauth2_credentials',
] as const satisfies readonly Kind[];
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

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

const fk = (field: string, references: Kind, onDelete: ForeignKey['onDelete']): ForeignKey => ({
  field,
  references,
  onDelete,
});
const credential = (kind: Kind, singular: string, schema: TSchema, key: string[] | null): EntityDef => ({
  kind,
  singular,
  schema,
  endpointKeys: key !== null && key.length === 1 ? key : [],
  // acls are unique per consumer (a group once per consumer); the others globally, as in Kong.
  unique: key === null ? [] : [{ fields: key }],
  foreign: [fk('consumer', 'consumers', 'cascade')],
});

export const ENTITIES: Record<Kind, EntityDef> = {
  ca_certificates: {
    kind: 'ca_certificates',
    singular: 'ca_certificate',
    schema: CaCertificateSchema,
    endpointKeys: [],
    unique: [{ fields: ['cert_digest'] }],
    foreign: [],
  },
  certificates: {
    kind: 'certificates',
    singular: 'certificate',
    schema: CertificateSchema,
    endpointKeys: [],
    unique: [],
    foreign: [],
  },
  snis: {
    kind: 'snis',
    singular: 'sni',
    schema: SniSchema,
    endpointKeys: ['name'],
    unique: [{ fields: ['name'] }],
    foreign: [fk('certificate', 'certificates', 'cascade')],
  },
  services: {
    kind: 'services',
    singular: 'service',
    schema: ServiceSchema,
    endpointKeys: ['name'],
    unique: [{ fields: ['name'] }],
    foreign: [fk('client_certificate', 'certificates', 'restrict')],
    idLists: [{ field: 'ca_certificates', references: 'ca_certificates', onDelete: 'restrict' }],
  },
  routes: {
    kind: 'routes',
    singular: 'route',
    schema: RouteSchema,
    endpointKeys: ['name'],
    unique: [{ fields: ['name'] }],
    foreign: [fk('service', 'services', 'restrict')],
  },
  upstreams: {
    kind: 'upstreams',
    singular: 'upstream',
    schema: UpstreamSchema,
    endpointKeys: ['name'],
    unique: [{ fields: ['name'] }],
    foreign: [fk('client_certificate', 'certificates', 'restrict')],
  },
  targets: {
    kind: 'targets',
    singular: 'target',
    schema: TargetSchema,
    endpointKeys: ['target'],
    unique: [{ fields: ['upstream', 'target'] }],
    foreign: [fk('upstream', 'upstreams', 'cascade')],
  },
  consumers: {
    kind: 'consumers',
    singular: 'consumer',
    schema: ConsumerSchema,
    endpointKeys: ['username', 'custom_id'],
    unique: [{ fields: ['username'] }, { fields: ['custom_id'] }],
    foreign: [],
    omit: ['credentials'],
  },
  keyauth_credentials: credential('keyauth_credentials', 'key-auth credential', KeyauthCredentialSchema, ['key']),
  basicauth_credentials: credential('basicauth_credentials', 'basic-auth credential', BasicauthCredentialSchema, [
    'username',
  ]),
  hmacauth_credentials: credential('hmacauth_credentials', 'hmac-auth credential', HmacauthCredentialSchema, [
    'username',
  ]),
  jwt_secrets: credential('jwt_secrets', 'jwt secret', JwtSecretSchema, ['key']),
  acls: { ...credential('acls', 'acl', AclSchema, ['consumer', 'group']), endpointKeys: ['group'] },
  oauth2_credentials: credential('oauth2_credentials', 'oauth2 credential', Oauth2CredentialSchema, ['client_id']),
  plugins: {
    kind: 'plugins',
    singular: 'plugin',
    schema: PluginSchema,
    endpointKeys: ['instance_name'],
    // One plugin of a name (and instance name) per service/route/consumer combination, as the
    // loader checks for a file; `instance_name` on its own is unique as in Kong 3.
    unique: [{ fields: ['name', 'instance_name', 'service', 'route', 'consumer'] }, { fields: ['instance_name'] }],
    foreign: [
      fk('service', 'services', 'cascade'),
      fk('route', 'routes', 'cascade'),
      fk('consumer', 'consumers', 'cascade'),
    ],
  },
};

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
