// openid-connect: validates bearer access tokens (JWTs) against an OpenID Connect issuer's
// keys, found through its discovery document — the bearer/JWT part of Kong Enterprise's
// plugin of that name (priority 1050). Signatures are verified with jose against the cached
// JWKS (asymmetric algorithms only); a token signed with a key the cache lacks triggers a
// rate-limited refetch, so key rotation needs no reload. Claims: `iss` (the discovered issuer
// or one of `issuers_allowed`), `exp`/`nbf` with `leeway`, audiences and scopes (Kong's
// AND-within-an-entry, OR-between-entries). A `consumer_claim` maps the token to a consumer.

import type { JWTVerifyGetKey } from 'jose';
import { joseModule } from '../shared/lazy-modules.js';
import { definePlugin, type ConsumerRef, type PluginContext } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { anonymousConsumer } from '../key-auth/index.js';
import { OidcSchema, type OidcConfig } from './schema.js';
import { Provider, ProviderError, type ProviderState } from './provider.js';
import { checkClaims, claimAt, matchesAny, scopesOf } from './claims.js';
import { findBearerToken } from './token.js';

/** Signature algorithms accepted; HS* (a shared secret) and `none` are never accepted. */
export const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

interface Prepared extends OidcConfig {
  readonly provider: Provider;
  readonly fromHeader: boolean;
  readonly fromQuery: boolean;
  readonly audiences: readonly (readonly string[])[] | null;
  readonly scopeSets: readonly (readonly string[])[] | null;
  readonly headerMap: readonly (readonly [claim: string, header: string])[];
}

/** Kong's "AND within an entry, OR between entries" lists: each entry split on spaces. */
function splitEntries(list: readonly string[] | null): string[][] | null {
  if (list === null || list.length === 0) return null;
  return list.map((e) => e.split(/\s+/).filter((s) => s !== ''));
}

export function discoveryUrl(issuer: string): string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new PluginConfigFieldError(
      'issuer',
      `'${issuer}' is not a URL; expected e.g. https://idp.example.com/realms/main`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new PluginConfigFieldError('issuer', `'${issuer}' must be an http or https URL`);
  if (url.pathname.endsWith('/.well-known/openid-configuration')) return url.toString();
  url.pathname = url.pathname.replace(/\/+$/, '') + '/.well-known/openid-configuration';
  return url.toString();
}

function prepare(c: OidcConfig): Prepared {
  const others = c.auth_methods.filter((m) => m !== 'bearer');
  if (others.length > 0 || c.auth_methods.length === 0) {
    const not = others.length > 0 ? ` (not ${others.map((m) => `"${m}"`).join(', ')})` : '';
    throw new PluginConfigFieldError(
      'auth_methods',
      `only "bearer" is implemented in this build${not}; use auth_methods: ["bearer"]`,
    );
  }
  const fromHeader = c.bearer_token_param_type.includes('header');
  const fromQuery = c.bearer_token_param_type.includes('query');
  if (!fromHeader && !fromQuery) {
    throw new PluginConfigFieldError(
      'bearer_token_param_type',
      'must contain "header" or "query" ("body" is not implemented)',
    );
  }
  const claims = c.upstream_headers_claims ?? [];
  const names = c.upstream_headers_names ?? [];
  if (claims.length !== names.length) {
    throw new PluginConfigFieldError(
      'upstream_headers_names',
      `must have one header per claim of upstream_headers_claims (${claims.length} claims, ${names.length} names)`,
    );
  }
  if (c.consumer_optional && c.consumer_claim === null) {
    throw new PluginConfigFieldError('consumer_optional', 'needs consumer_claim');
  }
  const provider = new Provider({
    discoveryUrl: discoveryUrl(c.issuer),
    timeoutMs: c.timeout,
    sslVerify: c.ssl_verify,
    ttlMs: c.cache_ttl * 1000,
    cooldownMs: c.rediscovery_lifetime * 1000,
  });
  return {
    ...c,
    provider,
    fromHeader,
    fromQuery,
    audiences: splitEntries(c.audience_required),
    scopeSets: splitEntries(c.scopes_required),
    headerMap: claims.map((claim, i) => [claim, names[i]!] as const),
  };
}

function realmOf(ctx: PluginContext): string {
  return ctx.request.host.replace(/:\d+$/, '').replace(/["\\]/g, '\\$&');
}

type Outcome =
  | { ok: true; claims: Record<string, unknown>; token: string }
  | { ok: false; status: 401; error: 'missing' | 'invalid_token'; reason: string }
  | { ok: false; status: 403; reason: string }
  | { ok: false; status: 502; reason: string };

const ACCEPTED: readonly string[] = ALGORITHMS;

/** jose's verdict with the keys of `state`: payload bytes, or 'no-key', or 'bad'. */
async function verifyWith(token: string, keys: JWTVerifyGetKey): Promise<Uint8Array | 'no-key' | 'bad'> {
  const jose = await joseModule();
  try {
    return (await jose.compactVerify(token, keys, { algorithms: [...ALGORITHMS] })).payload;
  } catch (err) {
    if (err instanceof jose.errors.JWKSNoMatchingKey) return 'no-key';
    return 'bad';
  }
}

async function validate(ctx: PluginContext, conf: Prepared): Promise<Outcome> {
  const found = findBearerToken(ctx, conf.fromHeader, conf.fromQuery);
  if (found === null) return { ok: false, status: 401, error: 'missing', reason: 'no bearer token' };
  if ('multiple' in found)
    return { ok: false, status: 401, error: 'invalid_token', reason: 'more than one bearer token' };
  const token = found.token;

  let alg: unknown;
  const jose = await joseModule();
  try {
    alg = jose.decodeProtectedHeader(token).alg;
  } catch {
    return { ok: false, status: 401, error: 'invalid_token', reason: 'not a JWS' };
  }
  if (typeof alg !== 'string' || !ACCEPTED.includes(alg))
    return { ok: false, status: 401, error: 'invalid_token', reason: `algorithm ${String(alg)} not accepted` };
  if (token.split('.').length !== 3)
    return { ok: false, status: 401, error: 'invalid_token', reason: 'not a compact JWS' };

  let state: ProviderState;
  try {
    state = await conf.provider.current(ctx.log);
  } catch (err) {
    if (err instanceof ProviderError) return { ok: false, status: 502, reason: err.message };
    throw err;
  }

  let payload: Uint8Array;
  if (conf.verify_signature) {
    let v = await verifyWith(token, state.keys);
    if (v === 'no-key') {
      // Maybe the issuer rotated its keys: refetch (rate-limited) and try once more.
      let fresh: ProviderState | null;
      try {
        fresh = await conf.provider.refetchForUnknownKey(ctx.log);
      } catch (err) {
        if (err instanceof ProviderError) return { ok: false, status: 502, reason: err.message };
        throw err;
      }
      if (fresh !== null) {
        state = fresh;
        v = await verifyWith(token, state.keys);
      }
    }
    if (v === 'no-key')
      return { ok: false, status: 401, error: 'invalid_token', reason: 'no key of the issuer matches the token' };
    if (v === 'bad') return { ok: false, status: 401, error: 'invalid_token', reason: 'invalid signature' };
    payload = v;
  } else {
    payload = Buffer.from(token.split('.')[1]!, 'base64url');
  }

  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return { ok: false, status: 401, error: 'invalid_token', reason: 'claims are not JSON' };
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims))
    return { ok: false, status: 401, error: 'invalid_token', reason: 'claims are not a JSON object' };
  const c = claims as Record<string, unknown>;

  if (conf.verify_claims) {
    const issuers = [state.issuer, ...(conf.issuers_allowed ?? [])];
    const bad = checkClaims(c, issuers, conf.leeway);
    if (bad !== null) return { ok: false, status: 401, error: 'invalid_token', reason: bad };
  }
  if (conf.audiences !== null && !matchesAny(conf.audiences, scopesOf(claimAt(c, conf.audience_claim)))) {
    return { ok: false, status: 401, error: 'invalid_token', reason: 'audience not allowed' };
  }
  if (conf.scopeSets !== null && !matchesAny(conf.scopeSets, scopesOf(claimAt(c, conf.scopes_claim)))) {
    return { ok: false, status: 403, reason: 'insufficient scope' };
  }
  return { ok: true, claims: c, token };
}

/** The consumer the token's consumer_claim names (by the consumer_by fields, in order). */
function mapConsumer(ctx: PluginContext, conf: Prepared, claims: Record<string, unknown>): ConsumerRef | null {
  let v = claimAt(claims, conf.consumer_claim!);
  if (Array.isArray(v)) v = v.find((x) => typeof x === 'string');
  if (typeof v !== 'string' || v === '') return null;
  const c = ctx.consumers.findConsumer(v);
  if (c === null) return null;
  for (const by of conf.consumer_by) if (c[by] === v) return c;
  return null;
}

function headerValue(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean'))
    return v.join(',');
  return JSON.stringify(v);
}

export default definePlugin({
  name: 'openid-connect',
  version: '0.1.0',
  priority: 1050,
  schema: OidcSchema,
  prepare,
  phases: {
    async access(ctx, conf) {
      if (!conf.run_on_preflight && ctx.request.method === 'OPTIONS') return;
      // Logical OR: another auth plugin already authenticated the request.
      if (conf.anonymous !== null && ctx.credential !== null) return;
      // Never pass on client-sent copies of the headers this plugin sets from claims.
      for (const [, header] of conf.headerMap) ctx.request.removeHeader(header);

      const r = await validate(ctx, conf);
      const realm = realmOf(ctx);
      if (!r.ok) {
        if (r.status === 502) {
          ctx.respond(502, { message: 'The identity provider could not be reached' });
          return;
        }
        if (r.status === 401 && conf.anonymous !== null) {
          ctx.authenticate(anonymousConsumer(ctx, conf.anonymous), null);
          return;
        }
        if (r.status === 403) {
          ctx.respond(
            403,
            { message: 'Forbidden' },
            { 'WWW-Authenticate': `Bearer realm="${realm}", error="insufficient_scope"` },
          );
          return;
        }
        const challenge =
          r.error === 'missing' ? `Bearer realm="${realm}"` : `Bearer realm="${realm}", error="invalid_token"`;
        ctx.respond(401, { message: 'Unauthorized' }, { 'WWW-Authenticate': challenge });
        return;
      }

      const claims = r.claims;
      const subject =
        typeof claims.sub === 'string' && claims.sub !== ''
          ? claims.sub
          : typeof claims.jti === 'string' && claims.jti !== ''
            ? claims.jti
            : null;
      const credential = subject === null ? null : { id: subject };
      if (conf.consumer_claim !== null) {
        const consumer = mapConsumer(ctx, conf, claims);
        if (consumer !== null) {
          // A token without sub or jti still authenticates a mapped consumer (not as anonymous).
          ctx.authenticate(consumer, credential ?? { id: consumer.id });
        } else if (!conf.consumer_optional) {
          ctx.respond(403, { message: 'Forbidden' });
          return;
        }
      }
      if (ctx.consumer === null) {
        // Authenticated without a consumer: no client-sent consumer headers may pass.
        for (const h of ['X-Consumer-ID', 'X-Consumer-Username', 'X-Consumer-Custom-ID', 'X-Anonymous-Consumer'])
          ctx.request.removeHeader(h);
        ctx.credential = credential ?? { id: 'openid-connect' };
        if (credential !== null) ctx.request.setHeader('X-Credential-Identifier', credential.id);
        else ctx.request.removeHeader('X-Credential-Identifier');
      }
      for (const [claim, header] of conf.headerMap) {
        const v = headerValue(claims[claim]);
        if (v !== null) ctx.request.setHeader(header, v);
      }
      ctx.shared['authenticated_jwt_claims'] = claims;
      ctx.shared['authenticated_jwt_token'] = r.token;
    },
  },
});
