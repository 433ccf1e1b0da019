// Kong's Admin API paths for entities: which kind a path names, under which parent, and
// whether it names the collection or one entity. One table drives the router, the OpenAPI
// document and the CLI's kind names.
import type { Kind } from '../store/index.js';
import type { Scope } from '../store/store.js';

/** Top-level collections: the URL segment and the kind. */
export const TOP_LEVEL: readonly (readonly [string, Kind])[] = [
  ['services', 'services'],
  ['routes', 'routes'],
  ['upstreams', 'upstreams'],
  ['consumers', 'consumers'],
  ['plugins', 'plugins'],
  ['certificates', 'certificates'],
  ['snis', 'snis'],
  ['ca_certificates', 'ca_certificates'],
  // Kong's top-level credential collections
  ['key-auths', 'keyauth_credentials'],
  ['basic-auths', 'basicauth_credentials'],
  ['hmac-auths', 'hmacauth_credentials'],
  ['jwts', 'jwt_secrets'],
  ['acls', 'acls'],
  ['oauth2', 'oauth2_credentials'],
];

type ParentField = keyof Scope;

/** Nested collections: parent segment, the parent's field on the child, child segment, kind. */
export const NESTED: readonly (readonly [string, ParentField, string, Kind])[] = [
  ['services', 'service', 'routes', 'routes'],
  ['services', 'service', 'plugins', 'plugins'],
  ['routes', 'route', 'plugins', 'plugins'],
  ['consumers', 'consumer', 'plugins', 'plugins'],
  ['upstreams', 'upstream', 'targets', 'targets'],
  ['certificates', 'certificate', 'snis', 'snis'],
  ['consumers', 'consumer', 'key-auth', 'keyauth_credentials'],
  ['consumers', 'consumer', 'basic-auth', 'basicauth_credentials'],
  ['consumers', 'consumer', 'hmac-auth', 'hmacauth_credentials'],
  ['consumers', 'consumer', 'jwt', 'jwt_secrets'],
  ['consumers', 'consumer', 'acls', 'acls'],
  ['consumers', 'consumer', 'oauth2', 'oauth2_credentials'],
];

export interface EntityPath {
  kind: Kind;
  scope: Scope;
  /** The id or endpoint key of one entity; null for the collection. */
  key: string | null;
}

const top = new Map(TOP_LEVEL);

export function matchEntityPath(segments: readonly string[]): EntityPath | null {
  const [a, b, c, d] = segments;
  if (a === undefined) return null;
  if (segments.length <= 2) {
    const kind = top.get(a);
    if (kind === undefined) return null;
    return { kind, scope: {}, key: b ?? null };
  }
  if (segments.length <= 4) {
    const n = NESTED.find(([p, , child]) => p === a && child === c);
    if (n === undefined) return null;
    return { kind: n[3], scope: { [n[1]]: b! }, key: d ?? null };
  }
  return null;
}
