// The entity kinds the management commands name, derived from the entity table
// (src/config/entities/table.ts): Kong's Admin API paths, the names a user may type (Admin
// API segment, Kong's plural, the row's aliases), the parent a nested kind needs, and the
// columns of the table output.
import { X509Certificate } from 'node:crypto';
import {
  adminNested,
  adminTop,
  ENTITY_TABLE,
  listedOrder,
  parentKeys,
  rowOf,
  type CliColumn,
  type EntityKind,
  type EntityTable,
} from '../../config/entities/index.js';
import { AdminError, EXIT } from './admin-client.js';

type Obj = Record<string, unknown>;

/** The parents the commands take a flag for (--service, --route, --upstream, --consumer). */
export const PARENT_KINDS = ['service', 'route', 'upstream', 'consumer'] as const;
export type ParentKind = (typeof PARENT_KINDS)[number];

export interface Column {
  header: string;
  value: (e: Obj, names: NameLookup) => unknown;
}

/** Names of referenced entities (a route's service) for the table output; ids when unknown. */
export type NameLookup = (kind: string, id: string) => string;

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
  refs: string[];
}

const list = (v: unknown): string => (Array.isArray(v) ? v.join(',') : '');

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

/** A row's column: references by name when the referenced kind has one, by id otherwise. */
function column(table: EntityTable, row: EntityKind, c: CliColumn): Column {
  const { field, header = field.toUpperCase(), show } = typeof c === 'string' ? { field: c } : c;
  switch (show) {
    case 'list':
      return { header, value: (e) => list(e[field]) };
    case 'subject':
      return { header, value: (e) => certInfo(e[field]).subject };
    case 'expires':
      return { header, value: (e) => certInfo(e[field]).expires };
    case 'ref': {
      const target = refTarget(table, row, field);
      const named = target.endpointKeys.length > 0;
      return {
        header,
        value: (e, names) => {
          const r = e[field] as { id?: string } | null | undefined;
          if (!named) return r?.id ?? '';
          return r?.id ? names(target.name, r.id) : '';
        },
      };
    }
    default:
      return { header, value: (e) => e[field] };
  }
}

function refTarget(table: EntityTable, row: EntityKind, field: string): EntityKind {
  const f = row.foreign.find((x) => x.field === field);
  if (f === undefined) throw new Error(`${row.name}: column '${field}' is not a foreign key`);
  return rowOf(table, f.references);
}

function kindInfo(table: EntityTable, row: EntityKind): KindInfo {
  const name = adminNested(row);
  const top = adminTop(row);
  const under = parentKeys(row)
    .map((f) => rowOf(table, f.references).one)
    .filter((p): p is ParentKind => (PARENT_KINDS as readonly string[]).includes(p));
  const refs = row.cli.columns.flatMap((c) => {
    if (typeof c === 'string' || c.show !== 'ref') return [];
    const target = refTarget(table, row, c.field);
    return target.endpointKeys.length > 0 ? [target.name] : [];
  });
  return {
    name,
    ...(top !== null && top !== name ? { top } : {}),
    singular: row.singular,
    aliases: [...row.cli.aliases],
    // Without a top-level collection, a kind is listed under its parent only.
    ...(top === null && under[0] !== undefined ? { requires: under[0] } : {}),
    under,
    columns: row.cli.columns.map((c) => column(table, row, c)),
    refs: [...new Set(refs)],
  };
}

/** The kinds of `table` as the commands name them, in the order users read them. */
export function kindList(table: EntityTable): KindInfo[] {
  return listedOrder(table).map((r) => kindInfo(table, r));
}

export const KIND_LIST: KindInfo[] = kindList(ENTITY_TABLE);

const credentialNames = listedOrder(ENTITY_TABLE)
  .filter((r) => r.credential)
  .map(adminNested);
/** For help texts: the kinds other than credentials by name, then the credentials as a range. */
export const KIND_SUMMARY = `${listedOrder(ENTITY_TABLE)
  .filter((r) => !r.credential)
  .map(adminNested)
  .join(', ')}, or a credential kind`;
export const CREDENTIAL_RANGE = `${credentialNames[0]} ... ${credentialNames.at(-1)}`;

/** Every name `get`/`delete` accept, canonical names first (for completion and messages). */
export const KIND_NAMES: string[] = [...KIND_LIST.map((k) => k.name), ...KIND_LIST.flatMap((k) => k.aliases)];

export function resolveKind(name: string): KindInfo {
  const n = name.toLowerCase();
  const k = KIND_LIST.find((x) => x.name === n || x.aliases.includes(n));
  if (!k) throw new AdminError(`unknown kind '${name}'; kinds: ${KIND_LIST.map((x) => x.name).join(', ')}`, EXIT.usage);
  return k;
}

const PARENT_PATH = Object.fromEntries(
  PARENT_KINDS.map((p) => [p, ENTITY_TABLE.find((r) => r.one === p)!.name]),
) as Record<ParentKind, string>;

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
