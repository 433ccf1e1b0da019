// Entities as the store shapes them before and after a write, with no database involved:
// caller input copied without timestamps, a PATCH merged, what Kong fills in or normalizes
// (generated secrets, digests, lower-case names), fields in schema order, and the value of
// a unique key's column.
import { randomBytes, X509Certificate, createHash } from 'node:crypto';
import { normalizeTarget } from '../../config/load.js';
import type { EntityDef, UniqueKey } from './entities.js';
import { SchemaViolation } from './errors.js';
import type { Entity } from './store.js';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Seconds since the epoch, as the timestamps are stored. */
export const now = () => Math.floor(Date.now() / 1000);

/** Scope ids (per reference field) as the references an entity holds: `{ service: { id } }`. */
export function refsOf(scope: Record<string, string>): Obj {
  return Object.fromEntries(Object.entries(scope).map(([k, id]) => [k, { id }]));
}

/** A deep copy of caller input without the timestamps (the store sets those). */
export function fresh(input: Obj): Obj {
  const e = structuredClone(isObj(input) ? input : {}) as Obj;
  delete e.updated_at;
  if (typeof e.created_at !== 'number') delete e.created_at;
  return e;
}

export function withoutTimestamps(e: Entity): Obj {
  const o: Obj = structuredClone(e);
  delete o.created_at;
  delete o.updated_at;
  return o;
}

/** PATCH: records merged field by field (healthchecks, plugin config), lists and references replaced. */
export function merge(def: EntityDef, base: Obj, patch: Obj): Obj {
  const refs = new Set(def.foreign.map((f) => f.field));
  const deep = (a: unknown, b: unknown): unknown => {
    if (!isObj(a) || !isObj(b)) return b;
    const out: Obj = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = deep(a[k], v);
    return out;
  };
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = refs.has(k) ? v : deep(base[k], v);
  return out;
}

const randomKey = () => randomBytes(16).toString('hex');

export function normalizeTargetKey(t: string): string {
  const n = normalizeTarget(t);
  return n.ok ? n.target : t;
}

/** What Kong fills in or normalizes before validating: generated secrets, digests, lower-case names. */
export function prepare(def: EntityDef, e: Obj): void {
  switch (def.kind) {
    case 'keyauth_credentials':
      e.key ??= randomKey();
      break;
    case 'jwt_secrets':
      e.key ??= randomKey();
      if (e.secret === undefined && (e.algorithm === undefined || String(e.algorithm).startsWith('HS')))
        e.secret = randomKey();
      break;
    case 'hmacauth_credentials':
      e.secret ??= randomKey();
      break;
    case 'oauth2_credentials':
      e.client_id ??= randomKey();
      e.client_secret ??= randomKey();
      break;
    case 'snis':
      if (typeof e.name === 'string') e.name = e.name.toLowerCase();
      break;
    case 'targets':
      if (typeof e.target === 'string') {
        const n = normalizeTarget(e.target);
        if (!n.ok) throw new SchemaViolation({ target: n.message });
        e.target = n.target;
      }
      break;
    case 'ca_certificates':
      if (typeof e.cert === 'string' && e.cert.includes('-----BEGIN ')) {
        let digest: string;
        try {
          digest = createHash('sha256').update(new X509Certificate(e.cert).raw).digest('hex');
        } catch (err) {
          throw new SchemaViolation({ cert: `invalid certificate: ${(err as Error).message.split('\n')[0]}` });
        }
        if (typeof e.cert_digest === 'string' && e.cert_digest.toLowerCase() !== digest)
          throw new SchemaViolation({ cert_digest: `does not match the certificate (its SHA-256 is ${digest})` });
        e.cert_digest = digest;
      }
      break;
    default:
  }
}

/** The entity with its fields in schema order, `id` first and the timestamps last. */
export function ordered(def: EntityDef, e: Obj, createdAt: number): Entity {
  const props = Object.keys((def.schema as unknown as { properties: Obj }).properties);
  const out: Obj = { id: e.id };
  for (const k of props) if (k !== 'id' && k in e && e[k] !== undefined) out[k] = e[k];
  out.created_at = createdAt;
  out.updated_at = Math.max(now(), createdAt);
  return out as Entity;
}

/** The value of a unique key's column: the field itself, or a JSON list for a key of several fields. */
export function uniqueValue(def: EntityDef, u: UniqueKey, e: Obj): string | null {
  const val = (f: string): unknown =>
    def.foreign.some((x) => x.field === f)
      ? ((e[f] as { id?: string } | null | undefined)?.id ?? null)
      : (e[f] ?? null);
  if (u.fields.length === 1) {
    const v = val(u.fields[0]!);
    return v === null ? null : String(v);
  }
  return JSON.stringify(u.fields.map(val));
}
