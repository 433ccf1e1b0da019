// The entity kinds the management commands name: Kong's Admin API paths, the names a user
// may type (singular, plural, Kong's credential names), the parent a nested kind needs, and
// the columns of the table output.
import { X509Certificate } from 'node:crypto';
import { AdminError, EXIT } from './admin-client.js';

type Obj = Record<string, unknown>;

export type ParentKind = 'service' | 'route' | 'upstream' | 'consumer';

export interface Column {
  header: string;
  value: (e: Obj, names: NameLookup) => unknown;
}

/** Names of referenced entities (a route's service) for the table output; ids when unknown. */
export type NameLookup = (kind: 'services' | 'routes' | 'consumers', id: string) => string;

export interface KindInfo {
  /** The canonical name: the Admin API collection ("services", "key-auth"). */
  name: string;
  /** What a message calls one ("service", "key-auth credential"). */
  singular: string;
  aliases: string[];
  /** A nested kind is only reachable under this parent (/upstreams/{u}/targets). */
  requires?: ParentKind;
  /** The top-level collection when it differs from `name` (Kong's /key-auths for /consumers/{c}/key-auth). */
  top?: string;
  /** Parents the collection may be listed under (/services/{s}/routes). */
  under: ParentKind[];
  columns: Column[];
  /** The reference kinds the table shows by name. */
  refs: ('services' | 'routes' | 'consumers')[];
}

const list = (v: unknown): string => (Array.isArray(v) ? v.join(',') : '');
const ref = (kind: 'services' | 'routes' | 'consumers', field: string) => (e: Obj, names: NameLookup) => {
  const r = e[field] as { id?: string } | null | undefined;
  return r?.id ? names(kind, r.id) : '';
};
const f = (name: string, header = name.toUpperCase()): Column => ({ header, value: (e) => e[name] });
const id: Column = f('id');
const tags: Column = { header: 'TAGS', value: (e) => list(e.tags) };

function certInfo(pem: unknown): { subject: string; expires: string } {
  if (typeof pem !== 'string') return { subject: '', expires: '' };
  try {
    const c = new X509Certificate(pem);
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(c.subject)?.[1] ?? c.subject.replace(/\n/g, ',');
    return { subject: cn, expires: new Date(c.validTo).toISOString().slice(0, 10) };
  } catch {
    return { subject: '?', expires: '?' };
  }
}

const consumer: Column = { header: 'CONSUMER', value: ref('consumers', 'consumer') };
const credential = (name: string, top: string, singular: string, aliases: string[], columns: Column[]): KindInfo => ({
  name,
  top,
  singular,
  aliases,
  under: ['consumer'],
  columns: [...columns, consumer, tags, id],
  refs: ['consumers'],
});

export const KIND_LIST: KindInfo[] = [
  {
    name: 'services',
    singular: 'service',
    aliases: ['service', 'svc'],
    under: [],
    columns: [f('name'), f('host'), f('port'), f('protocol'), f('path'), tags, id],
    refs: [],
  },
  {
    name: 'routes',
    singular: 'route',
    aliases: ['route', 'rt'],
    under: ['service'],
    columns: [
      f('name'),
      { header: 'PATHS', value: (e) => list(e.paths) },
      { header: 'HOSTS', value: (e) => list(e.hosts) },
      { header: 'METHODS', value: (e) => list(e.methods) },
      { header: 'SERVICE', value: ref('services', 'service') },
      tags,
      id,
    ],
    refs: ['services'],
  },
  {
    name: 'upstreams',
    singular: 'upstream',
    aliases: ['upstream', 'us'],
    under: [],
    columns: [f('name'), f('algorithm'), f('slots'), tags, id],
    refs: [],
  },
  {
    name: 'targets',
    singular: 'target',
    aliases: ['target'],
    requires: 'upstream',
    under: ['upstream'],
    columns: [f('target'), f('weight'), tags, id],
    refs: [],
  },
  {
    name: 'consumers',
    singular: 'consumer',
    aliases: ['consumer'],
    under: [],
    columns: [f('username'), f('custom_id', 'CUSTOM_ID'), tags, id],
    refs: [],
  },
  {
    name: 'plugins',
    singular: 'plugin',
    aliases: ['plugin'],
    under: ['service', 'route', 'consumer'],
    columns: [
      f('name'),
      f('instance_name', 'INSTANCE'),
      f('enabled'),
      { header: 'SERVICE', value: ref('services', 'service') },
      { header: 'ROUTE', value: ref('routes', 'route') },
      { header: 'CONSUMER', value: ref('consumers', 'consumer') },
      tags,
      id,
    ],
    refs: ['services', 'routes', 'consumers'],
  },
  {
    name: 'certificates',
    singular: 'certificate',
    aliases: ['certificate', 'cert', 'certs'],
    under: [],
    columns: [
      id,
      { header: 'SUBJECT', value: (e) => certInfo(e.cert).subject },
      { header: 'EXPIRES', value: (e) => certInfo(e.cert).expires },
      tags,
    ],
    refs: [],
  },
  {
    name: 'snis',
    singular: 'sni',
    aliases: ['sni'],
    under: [],
    columns: [
      f('name'),
      { header: 'CERTIFICATE', value: (e) => (e.certificate as { id?: string } | null)?.id ?? '' },
      tags,
      id,
    ],
    refs: [],
  },
  {
    name: 'ca_certificates',
    singular: 'ca_certificate',
    aliases: ['ca_certificate', 'ca-certificate', 'ca-certificates', 'ca-cert', 'ca-certs'],
    under: [],
    columns: [
      id,
      { header: 'SUBJECT', value: (e) => certInfo(e.cert).subject },
      { header: 'EXPIRES', value: (e) => certInfo(e.cert).expires },
      tags,
    ],
    refs: [],
  },
  credential(
    'key-auth',
    'key-auths',
    'key-auth credential',
    ['keyauth_credentials', 'keyauth', 'key-auths'],
    [f('key')],
  ),
  credential(
    'basic-auth',
    'basic-auths',
    'basic-auth credential',
    ['basicauth_credentials', 'basicauth', 'basic-auths'],
    [f('username')],
  ),
  credential(
    'hmac-auth',
    'hmac-auths',
    'hmac-auth credential',
    ['hmacauth_credentials', 'hmacauth', 'hmac-auths'],
    [f('username')],
  ),
  credential('jwt', 'jwts', 'jwt secret', ['jwt_secrets', 'jwts'], [f('key'), f('algorithm')]),
  credential('acls', 'acls', 'acl', ['acl'], [f('group')]),
  credential(
    'oauth2',
    'oauth2',
    'oauth2 credential',
    ['oauth2_credentials', 'oauth2s'],
    [f('name'), f('client_id', 'CLIENT_ID'), f('client_type', 'CLIENT_TYPE')],
  ),
];

/** Every name `get`/`delete` accept, canonical names first (for completion and messages). */
export const KIND_NAMES: string[] = [...KIND_LIST.map((k) => k.name), ...KIND_LIST.flatMap((k) => k.aliases)];

export function resolveKind(name: string): KindInfo {
  const n = name.toLowerCase();
  const k = KIND_LIST.find((x) => x.name === n || x.aliases.includes(n));
  if (!k) throw new AdminError(`unknown kind '${name}'; kinds: ${KIND_LIST.map((x) => x.name).join(', ')}`, EXIT.usage);
  return k;
}

const PARENT_PATH: Record<ParentKind, string> = {
  service: 'services',
  route: 'routes',
  upstream: 'upstreams',
  consumer: 'consumers',
};

/**
 * The Admin API path of a kind's collection: `/services`, or nested under the parent given
 * (`/upstreams/u/targets`). A kind that requires a parent fails without it (usage error).
 */
export function collectionPath(kind: KindInfo, parents: Partial<Record<ParentKind, string>>): string {
  const given = (Object.keys(parents) as ParentKind[]).filter((p) => parents[p] !== undefined && parents[p] !== '');
  if (kind.requires && !given.includes(kind.requires)) {
    throw new AdminError(
      `${kind.name} belong to ${kind.requires === 'upstream' ? 'an' : 'a'} ${kind.requires}: add --${kind.requires} <name or id>`,
      EXIT.usage,
    );
  }
  const usable = given.filter((p) => kind.under.includes(p));
  const unusable = given.filter((p) => !kind.under.includes(p));
  if (unusable.length > 0)
    throw new AdminError(
      `--${unusable[0]} does not apply to ${kind.name}${kind.under.length ? ` (only --${kind.under.join(', --')})` : ''}`,
      EXIT.usage,
    );
  if (usable.length > 1) throw new AdminError(`give only one of --${usable.join(', --')}`, EXIT.usage);
  const p = usable[0];
  return p ? `/${PARENT_PATH[p]}/${encodeURIComponent(parents[p]!)}/${kind.name}` : `/${kind.top ?? kind.name}`;
}

/** How a message names one entity: "service 'users'", "target '10.0.0.1:80'". */
export function describe(kind: KindInfo, e: Obj): string {
  const n = e.name ?? e.username ?? e.custom_id ?? e.target ?? e.group ?? e.id;
  return `${kind.singular} '${String(n)}'`;
}
