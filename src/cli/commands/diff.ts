// What `turnpike diff` and `turnpike apply` compute: the changes that turn the current
// configuration (the server's, loaded by the same loader) into the desired one (a file),
// entity by entity, as decK's sync does.
//
// Both sides are normalized `Config`s from the declarative loader, so defaults and derived
// ids are filled in the same way on both. An entity of the file is matched to one on the
// server by its id when the file gives one, otherwise by its derived id and then by its
// natural key (a name; a consumer's username or custom_id; a target's upstream and address;
// a credential's key; a plugin's name, instance name and service/route/consumer). Matched
// entities keep the server's id, and references in the file are rewritten to those ids, so
// that a child's natural key and its fields compare with the server's.
import { createHash } from 'node:crypto';
import { parseDocument } from 'yaml';
import type { Config } from '../../config/types.js';
import { canonicalJson, UUID_RE } from '../../config/ids.js';
import { adminNested, adminTop, appliedOrder, ENTITY_TABLE, parentKeys, rowOf } from '../../config/entities/index.js';
import { CREDENTIAL_KINDS, ENTITIES, KINDS, type CredentialKind, type Kind } from '../../control/store/entities.js';
import { validateEntity } from '../../control/store/validate.js';
import { declarativeEntities } from '../../control/store/declarative-entities.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export type DiffKind = Kind;

/**
 * Parents before children: creates and updates run in this order, deletes in the reverse.
 * The entity table's `applied` column; a unit test checks that referenced kinds come first.
 */
export const APPLY_ORDER: DiffKind[] = appliedOrder(ENTITY_TABLE).map((r) => r.name as DiffKind);

/**
 * Where a change to an entity of a kind is written: under its parent (/consumers/{c}/key-auth,
 * /upstreams/{u}/targets) for a credential or a kind the Admin API serves only there, else at
 * the top level.
 */
const PATH_OF = Object.fromEntries(
  ENTITY_TABLE.map((row) => {
    const parent = 'credential' in row || adminTop(row) === null ? parentKeys(row)[0] : undefined;
    const place =
      parent === undefined
        ? { top: adminTop(row) ?? row.name }
        : {
            parent: adminTop(rowOf(ENTITY_TABLE, parent.references)) ?? parent.references,
            field: parent.field,
            segment: adminNested(row),
          };
    return [row.name, place];
  }),
) as Record<DiffKind, { top: string } | { parent: string; field: string; segment: string }>;

/** The fields that hold a reference `{ id }`, and those that hold a list of ids, in any kind. */
const REF_FIELDS = [...new Set(ENTITY_TABLE.flatMap((r) => r.foreign.map((f) => f.field)))];
const ID_LIST_FIELDS = [...new Set(ENTITY_TABLE.flatMap((r) => ('idLists' in r ? r.idLists : []).map((l) => l.field)))];

const SINGULAR = Object.fromEntries(KINDS.map((k) => [k, ENTITIES[k].singular])) as Record<DiffKind, string>;

/** Values the store generates when a credential leaves them out: compared only when the file sets them. */
const GENERATED: Partial<Record<CredentialKind, string[]>> = {
  keyauth_credentials: ['key'],
  jwt_secrets: ['key', 'secret'],
  hmacauth_credentials: ['secret'],
  oauth2_credentials: ['client_id', 'client_secret'],
};

/** Fields that are not configuration. */
const IGNORED = new Set(['id', 'created_at', 'updated_at', 'credentials']);

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface Change {
  action: 'create' | 'update' | 'delete';
  kind: DiffKind;
  /** The id the change is made with: the server's for a matched or deleted entity, the file's for a new one. */
  id: string;
  /** "service 'users'", "plugin 'cors' on route 'users-api'". */
  label: string;
  /** Admin API path of the entity: PUT (create, update) or DELETE goes there. */
  path: string;
  /** The entity to PUT (create, update): the file's fields, references as server ids. */
  body?: Obj;
  /** update: the fields that differ. */
  fields?: FieldChange[];
}

/** Ids written in a declarative file's text (any `id:` holding a UUID), lower-cased. */
export function explicitIds(text: string): Set<string> {
  const out = new Set<string>();
  let raw: unknown;
  try {
    raw = parseDocument(text, { merge: true }).toJS({ maxAliasCount: 1000 });
  } catch {
    return out;
  }
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObj(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'id' && typeof x === 'string' && UUID_RE.test(x)) out.add(x.toLowerCase());
        else walk(x);
      }
    }
  };
  walk(raw);
  return out;
}

interface Item {
  kind: DiffKind;
  entity: Obj;
  /** For credentials: the fields the file leaves to the server to generate. */
  skip: string[];
}

/** The entities of a Config by kind, credentials taken out of their consumers (with defaults filled). */
function entitiesOf(config: Config, side: 'file' | 'server'): Record<DiffKind, Item[]> {
  const out = Object.fromEntries(APPLY_ORDER.map((k) => [k, [] as Item[]])) as Record<DiffKind, Item[]>;
  // The store's own split, so a credential written without an id gets the id `config
  // db_import` gives it.
  const byKind = declarativeEntities(config);
  for (const kind of APPLY_ORDER) {
    for (const { entity } of byKind[kind]) {
      const e = structuredClone(entity);
      if (!(CREDENTIAL_KINDS as readonly string[]).includes(kind)) {
        // What the store does not keep on the entity (a consumer's nested credentials).
        for (const f of ENTITIES[kind].omit ?? []) delete e[f];
        out[kind].push({ kind, entity: e, skip: [] });
        continue;
      }
      const ck = kind as CredentialKind;
      const skip = side === 'file' ? (GENERATED[ck] ?? []).filter((f) => e[f] === undefined || e[f] === null) : [];
      delete e.created_at;
      delete e.updated_at;
      if (typeof e.id === 'string') e.id = e.id.toLowerCase();
      try {
        validateEntity(ck, e);
      } catch {
        // Defaults are filled even when a field is invalid; the server reports it on apply.
      }
      for (const f of skip) delete e[f];
      out[kind].push({ kind, entity: e, skip });
    }
  }
  return out;
}

/** A credential's identifying fields: its unique key, less the consumer it belongs to. */
function naturalFields(kind: Kind): string[] {
  return (ENTITIES[kind].unique[0]?.fields ?? []).filter((f) => f !== 'consumer');
}

const refId = (v: unknown): string => (isObj(v) && typeof v.id === 'string' ? v.id : '');
const sha = (s: unknown) =>
  createHash('sha256')
    .update(String(s ?? '').trim())
    .digest('hex');

/** The natural key of an entity (references already as server ids); undefined when it has none. */
export function naturalKey(kind: DiffKind, e: Obj): string | undefined {
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  switch (kind) {
    case 'upstreams':
    case 'snis':
      return str(e.name);
    // Without a name, what the entity does is its identity: a route's service and matching
    // fields, a service's address. Changing one of those is then a new entity (create + delete).
    case 'services':
      return (
        str(e.name) ?? `unnamed:${String(e.protocol)}://${String(e.host)}:${String(e.port)}${String(e.path ?? '')}`
      );
    case 'routes':
      return (
        str(e.name) ??
        `unnamed:${refId(e.service)}|${canonicalJson(['protocols', 'methods', 'hosts', 'paths', 'headers', 'snis', 'sources', 'destinations'].map((f) => e[f] ?? null))}`
      );
    case 'consumers':
      return str(e.username) !== undefined
        ? `username:${str(e.username)}`
        : str(e.custom_id) !== undefined
          ? `custom_id:${str(e.custom_id)}`
          : undefined;
    case 'targets':
      return str(e.target) !== undefined ? `${refId(e.upstream)}|${str(e.target)}` : undefined;
    case 'certificates':
      return str(e.cert) !== undefined ? sha(e.cert) : undefined;
    case 'ca_certificates':
      return str(e.cert_digest)?.toLowerCase() ?? (str(e.cert) !== undefined ? sha(e.cert) : undefined);
    case 'plugins':
      return `${String(e.name)}|${String(e.instance_name ?? '')}|${refId(e.service)}|${refId(e.route)}|${refId(e.consumer)}`;
    case 'acls':
      return str(e.group) !== undefined ? `${refId(e.consumer)}|${str(e.group)}` : undefined;
    default: {
      // Key-auth keys, usernames and client ids are unique across consumers: a key that moved
      // to another consumer is the same credential, updated.
      const v = naturalFields(kind).map((f) => str(e[f]));
      return v.every((x) => x !== undefined) ? v.join('|') : undefined;
    }
  }
}

/** Rewrites references (`{ id }` and lists of ids, as services' ca_certificates) through `ids`. */
function remap(e: Obj, ids: Map<string, string>): void {
  for (const f of REF_FIELDS) {
    const r = e[f];
    if (isObj(r) && typeof r.id === 'string') e[f] = { ...r, id: ids.get(r.id) ?? r.id };
  }
  for (const f of ID_LIST_FIELDS) {
    const list = e[f];
    if (Array.isArray(list)) e[f] = list.map((x) => (typeof x === 'string' ? (ids.get(x) ?? x) : x));
  }
}

function fieldChanges(desired: Obj, current: Obj, skip: string[]): FieldChange[] {
  const out: FieldChange[] = [];
  const keys = new Set([...Object.keys(desired), ...Object.keys(current)]);
  for (const k of keys) {
    if (IGNORED.has(k) || skip.includes(k)) continue;
    const a = desired[k] ?? null;
    const b = current[k] ?? null;
    if (canonicalJson(a) !== canonicalJson(b)) out.push({ field: k, from: b, to: a });
  }
  return out.sort((x, y) => x.field.localeCompare(y.field));
}

/** The Admin API path of an entity. */
export function entityPath(kind: DiffKind, e: Obj): string {
  const place = PATH_OF[kind];
  if ('top' in place) return `/${place.top}/${String(e.id)}`;
  return `/${place.parent}/${refId(e[place.field])}/${place.segment}/${String(e.id)}`;
}

/** The body of a PUT: the entity without its id, timestamps and the consumer's nested credentials. */
function bodyOf(e: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(e)) if (!IGNORED.has(k)) out[k] = v;
  return out;
}

/**
 * Computes the changes from `current` (the server) to `desired` (the file).
 * `selectTags` (decK's `_info.select_tags`) scopes the sync as decK does: only server entities
 * carrying every one of those tags are the file's to delete; the others are left alone.
 */
export function computeDiff(
  desired: Config,
  current: Config,
  fileIds: Set<string> = new Set(),
  selectTags: readonly string[] = [],
): Change[] {
  const want = entitiesOf(desired, 'file');
  const have = entitiesOf(current, 'server');
  const ids = new Map<string, string>();
  const names = new Map<string, string>();
  const creates: Change[] = [];
  const deletes: Change[] = [];

  const nameOf = (kind: DiffKind, e: Obj): string => {
    const n = e.name ?? e.username ?? e.custom_id ?? e.target ?? e.group;
    if (typeof n === 'string' && n !== '') return `${SINGULAR[kind]} '${n}'`;
    return `${SINGULAR[kind]} ${String(e.id)}`;
  };
  const label = (kind: DiffKind, e: Obj): string => {
    if (kind === 'plugins') {
      const on = (['service', 'route', 'consumer'] as const)
        .map((f) => (refId(e[f]) ? (names.get(refId(e[f])) ?? `${f} ${refId(e[f])}`) : ''))
        .filter((x) => x !== '');
      const inst = typeof e.instance_name === 'string' ? ` (${e.instance_name})` : '';
      return on.length
        ? `plugin '${String(e.name)}'${inst} on ${on.join(', ')}`
        : `global plugin '${String(e.name)}'${inst}`;
    }
    if (kind === 'targets')
      return `target '${String(e.target)}' of ${names.get(refId(e.upstream)) ?? `upstream ${refId(e.upstream)}`}`;
    if ((CREDENTIAL_KINDS as readonly string[]).includes(kind)) {
      const owner = names.get(refId(e.consumer)) ?? `consumer ${refId(e.consumer)}`;
      const shown =
        kind === 'acls'
          ? `'${String(e.group)}' `
          : kind === 'basicauth_credentials' || kind === 'hmacauth_credentials'
            ? `'${String(e.username)}' `
            : '';
      return `${SINGULAR[kind]} ${shown}${shown ? '' : `${String(e.id)} `}of ${owner}`;
    }
    if (kind === 'routes' && (typeof e.name !== 'string' || e.name === '')) {
      return `route ${String(e.id)}${Array.isArray(e.paths) && e.paths.length ? ` (paths ${e.paths.join(',')})` : ''}`;
    }
    if (kind === 'snis') return `sni '${String(e.name)}'`;
    return nameOf(kind, e);
  };

  for (const kind of APPLY_ORDER) {
    const server = have[kind];
    for (const s of server) names.set(String(s.entity.id), nameOf(kind, s.entity));
    const byId = new Map(server.map((s) => [String(s.entity.id), s]));
    const byKey = new Map<string, Item>();
    for (const s of server) {
      const k = naturalKey(kind, s.entity);
      if (k !== undefined && !byKey.has(k)) byKey.set(k, s);
    }
    const matched = new Set<Item>();
    for (const f of want[kind]) {
      const e = f.entity;
      remap(e, ids);
      const fileId = String(e.id);
      let s: Item | undefined = byId.get(fileId);
      if (s !== undefined && matched.has(s)) s = undefined;
      if (s === undefined && !fileIds.has(fileId)) {
        const k = naturalKey(kind, e);
        const byNatural = k !== undefined ? byKey.get(k) : undefined;
        if (byNatural !== undefined && !matched.has(byNatural)) s = byNatural;
        // A credential without its key (the server generated it) is the consumer's one of that kind.
        if (s === undefined && k === undefined && f.skip.length > 0) {
          s = server.find((x) => !matched.has(x) && refId(x.entity.consumer) === refId(e.consumer));
        }
      }
      if (s === undefined) {
        ids.set(fileId, fileId);
        names.set(fileId, nameOf(kind, e));
        creates.push({
          action: 'create',
          kind,
          id: fileId,
          label: label(kind, e),
          path: entityPath(kind, e),
          body: bodyOf(e),
        });
        continue;
      }
      matched.add(s);
      const serverId = String(s.entity.id);
      ids.set(fileId, serverId);
      e.id = serverId;
      names.set(serverId, nameOf(kind, e));
      const changes = fieldChanges(e, s.entity, f.skip);
      if (changes.length > 0) {
        const body = bodyOf(e);
        // Keep what the server generated (a key-auth key the file leaves out): PUT replaces the entity.
        for (const g of f.skip) if (s.entity[g] !== undefined) body[g] = s.entity[g];
        creates.push({
          action: 'update',
          kind,
          id: serverId,
          label: label(kind, e),
          path: entityPath(kind, e),
          body,
          fields: changes,
        });
      }
    }
    const inScope = (e: Obj) => selectTags.every((t) => Array.isArray(e.tags) && e.tags.includes(t));
    for (const s of server) {
      if (!matched.has(s) && inScope(s.entity))
        deletes.push({
          action: 'delete',
          kind,
          id: String(s.entity.id),
          label: label(kind, s.entity),
          path: entityPath(kind, s.entity),
        });
    }
  }
  // Deletes children first: reverse kind order.
  deletes.sort((a, b) => APPLY_ORDER.indexOf(b.kind) - APPLY_ORDER.indexOf(a.kind));
  return [...creates, ...deletes];
}
