// The entity table: one row per kind of entity. Adding a kind is its schema in
// src/config/schema/ and one row here (docs/entities.md shows one); the loader, the file
// schema, the store, the Admin API, its OpenAPI document and the CLI all derive from the rows.
//
// The rows are in the store's order: a row references only rows above it, so an import writes
// them top to bottom and `turnpike dump` prints them so. `listed` orders them where users read
// a list of kinds (`turnpike get --help`, the Admin API's entities, the file's keys);
// `applied` orders `turnpike diff`/`apply`'s changes (the store's order but for certificates
// before CA certificates, as `diff` has always printed them).
import type { CliColumn, EntityKind, ForeignKey } from './kind.js';

const fk = (field: string, references: string, onDelete: ForeignKey['onDelete'], nests?: true): ForeignKey =>
  nests ? { field, references, onDelete, nests } : { field, references, onDelete };
const TAGS: CliColumn = { field: 'tags', show: 'list' };
const ref = (field: string): CliColumn => ({ field, show: 'ref' });
const CERT_COLUMNS: readonly CliColumn[] = [
  'id',
  { field: 'cert', header: 'SUBJECT', show: 'subject' },
  { field: 'cert', header: 'EXPIRES', show: 'expires' },
  TAGS,
];

// A consumer's credential (kong/plugins/*/daos.lua): nested under its consumer or at the top
// level naming it; unique across all consumers by `key`, as in Kong.
const credential = <N extends string>(
  row: Pick<EntityKind, 'one' | 'singular' | 'schema' | 'listed' | 'applied' | 'admin'> & {
    name: N;
    key: readonly string[];
    required: readonly string[];
    label: readonly string[];
    aliases: readonly string[];
    columns: readonly CliColumn[];
  },
) =>
  ({
    name: row.name,
    one: row.one,
    singular: row.singular,
    schema: row.schema,
    listed: row.listed,
    applied: row.applied,
    credential: true,
    endpointKeys: row.key.length === 1 ? row.key : [],
    unique: [{ fields: row.key }],
    foreign: [fk('consumer', 'consumers', 'cascade', true)],
    file: { required: row.required, id: 'as-given', label: row.label },
    admin: row.admin,
    cli: { aliases: row.aliases, columns: [...row.columns, ref('consumer'), TAGS, 'id'] },
  }) as const satisfies EntityKind;

export const ENTITY_TABLE = [
  {
    name: 'ca_certificates',
    one: 'ca_certificate',
    singular: 'ca_certificate',
    schema: 'CaCertificate',
    listed: 9,
    applied: 2,
    endpointKeys: [],
    unique: [{ fields: ['cert_digest'], file: false }],
    foreign: [],
    file: { required: ['cert'], id: 'certificate', label: ['name'] },
    admin: {},
    cli: {
      aliases: ['ca_certificate', 'ca-certificate', 'ca-certificates', 'ca-cert', 'ca-certs'],
      columns: CERT_COLUMNS,
    },
  },
  {
    name: 'certificates',
    one: 'certificate',
    singular: 'certificate',
    schema: 'Certificate',
    listed: 7,
    applied: 1,
    endpointKeys: [],
    unique: [],
    foreign: [],
    file: { required: ['cert', 'key'], id: 'certificate', label: ['name'] },
    admin: {},
    cli: { aliases: ['certificate', 'cert', 'certs'], columns: CERT_COLUMNS },
  },
  {
    name: 'snis',
    one: 'sni',
    singular: 'sni',
    schema: 'Sni',
    listed: 8,
    applied: 3,
    endpointKeys: ['name'],
    unique: [{ fields: ['name'] }],
    foreign: [fk('certificate', 'certificates', 'cascade', true)],
    file: { required: ['name'], id: 'natural', label: ['name'], shorthand: 'name' },
    admin: {},
    cli: { aliases: ['sni'], columns: ['name', ref('certificate'), TAGS, 'id'] },
  },
  {
    name: 'services',
    one: 'service',
    singular: 'service',
    schema: 'Service',
    listed: 1,
    applied: 4,
    endpointKeys: ['name'],
    unique: [{ fields: ['name'] }],
    foreign: [fk('client_certificate', 'certificates', 'restrict')],
    idLists: [{ field: 'ca_certificates', references: 'ca_certificates', onDelete: 'restrict' }],
    // Kong's shorthand for protocol, host, port and path (the loader expands it).
    file: { required: [], id: 'natural', label: ['name'], extra: { url: { type: 'string', minLength: 1 } } },
    admin: {},
    cli: { aliases: ['service', 'svc'], columns: ['name', 'host', 'port', 'protocol', 'path', TAGS, 'id'] },
  },
  {
    name: 'routes',
    one: 'route',
    singular: 'route',
    schema: 'Route',
    listed: 2,
    applied: 5,
    endpointKeys: ['name'],
    unique: [{ fields: ['name'] }],
    foreign: [fk('service', 'services', 'restrict', true)],
    file: { required: [], id: 'natural', label: ['name'] },
    admin: {},
    cli: {
      aliases: ['route', 'rt'],
      columns: [
        'name',
        { field: 'paths', show: 'list' },
        { field: 'hosts', show: 'list' },
        { field: 'methods', show: 'list' },
        ref('service'),
        TAGS,
        'id',
      ],
    },
  },
  {
    name: 'upstreams',
    one: 'upstream',
    singular: 'upstream',
    schema: 'Upstream',
    listed: 3,
    applied: 6,
    endpointKeys: ['name'],
    unique: [{ fields: ['name'] }],
    foreign: [fk('client_certificate', 'certificates', 'restrict')],
    file: { required: ['name'], id: 'natural', label: ['name'] },
    admin: {},
    cli: { aliases: ['upstream', 'us'], columns: ['name', 'algorithm', 'slots', TAGS, 'id'] },
  },
  {
    name: 'targets',
    one: 'target',
    singular: 'target',
    schema: 'Target',
    listed: 4,
    applied: 7,
    endpointKeys: ['target'],
    unique: [{ fields: ['upstream', 'target'], file: { shown: "target '{target}' in this upstream", at: 'target' } }],
    foreign: [fk('upstream', 'upstreams', 'cascade', true)],
    file: { required: ['target'], id: 'unique-key', label: ['target'] },
    admin: { top: null },
    cli: { aliases: ['target'], columns: ['target', 'weight', TAGS, 'id'] },
  },
  {
    name: 'consumers',
    one: 'consumer',
    singular: 'consumer',
    schema: 'Consumer',
    listed: 5,
    applied: 8,
    endpointKeys: ['username', 'custom_id'],
    unique: [{ fields: ['username'] }, { fields: ['custom_id'] }],
    foreign: [],
    omit: ['credentials'],
    file: { required: [], id: 'natural', label: ['username', 'custom_id'] },
    admin: {},
    cli: { aliases: ['consumer'], columns: ['username', 'custom_id', TAGS, 'id'] },
  },
  credential({
    name: 'keyauth_credentials',
    one: 'keyauth_credential',
    singular: 'key-auth credential',
    schema: 'KeyauthCredential',
    listed: 10,
    applied: 9,
    key: ['key'],
    required: [],
    label: [],
    admin: { top: 'key-auths', nested: 'key-auth' },
    aliases: ['keyauth_credentials', 'keyauth', 'key-auths'],
    columns: ['key'],
  }),
  credential({
    name: 'basicauth_credentials',
    one: 'basicauth_credential',
    singular: 'basic-auth credential',
    schema: 'BasicauthCredential',
    listed: 11,
    applied: 10,
    key: ['username'],
    required: ['username', 'password'],
    label: ['username'],
    admin: { top: 'basic-auths', nested: 'basic-auth' },
    aliases: ['basicauth_credentials', 'basicauth', 'basic-auths'],
    columns: ['username'],
  }),
  credential({
    name: 'hmacauth_credentials',
    one: 'hmacauth_credential',
    singular: 'hmac-auth credential',
    schema: 'HmacauthCredential',
    listed: 12,
    applied: 11,
    key: ['username'],
    required: ['username'],
    label: ['username'],
    admin: { top: 'hmac-auths', nested: 'hmac-auth' },
    aliases: ['hmacauth_credentials', 'hmacauth', 'hmac-auths'],
    columns: ['username'],
  }),
  credential({
    name: 'jwt_secrets',
    one: 'jwt_secret',
    singular: 'jwt secret',
    schema: 'JwtSecret',
    listed: 13,
    applied: 12,
    key: ['key'],
    required: [],
    label: [],
    admin: { top: 'jwts', nested: 'jwt' },
    aliases: ['jwt_secrets', 'jwts'],
    columns: ['key', 'algorithm'],
  }),
  {
    // A group once per consumer, not across consumers: a path names an ACL by its group.
    ...credential({
      name: 'acls',
      one: 'acl',
      singular: 'acl',
      schema: 'Acl',
      listed: 14,
      applied: 13,
      key: ['consumer', 'group'],
      required: ['group'],
      label: ['group'],
      admin: {},
      aliases: ['acl'],
      columns: ['group'],
    }),
    endpointKeys: ['group'],
  },
  credential({
    name: 'oauth2_credentials',
    one: 'oauth2_credential',
    singular: 'oauth2 credential',
    schema: 'Oauth2Credential',
    listed: 15,
    applied: 14,
    key: ['client_id'],
    required: ['name'],
    label: ['name'],
    admin: { top: 'oauth2', nested: 'oauth2' },
    aliases: ['oauth2_credentials', 'oauth2s'],
    columns: ['name', 'client_id', 'client_type'],
  }),
  {
    name: 'plugins',
    one: 'plugin',
    singular: 'plugin',
    schema: 'Plugin',
    listed: 6,
    applied: 15,
    endpointKeys: ['instance_name'],
    // One plugin of a name (and instance name) per service/route/consumer combination;
    // `instance_name` on its own is unique as in Kong 3 (the store checks it).
    unique: [
      {
        fields: ['name', 'instance_name', 'service', 'route', 'consumer'],
        file: { shown: "plugin '{name}' for the same service/route/consumer" },
      },
      { fields: ['instance_name'], file: false },
    ],
    foreign: [
      fk('service', 'services', 'cascade', true),
      fk('route', 'routes', 'cascade', true),
      fk('consumer', 'consumers', 'cascade', true),
    ],
    file: { required: ['name'], id: 'unique-key', label: ['name'] },
    admin: {},
    cli: {
      aliases: ['plugin'],
      columns: [
        'name',
        { field: 'instance_name', header: 'INSTANCE' },
        'enabled',
        ref('service'),
        ref('route'),
        ref('consumer'),
        TAGS,
        'id',
      ],
    },
  },
] as const satisfies readonly EntityKind[];
