// openid-connect config: the bearer-token (JWT access token) part of Kong Enterprise's plugin
// of that name, with Kong's field names. Only fields that are implemented are here, plus a
// few Kong fields that real configurations commonly carry and that mean nothing for bearer
// validation (accepted, ignored, documented as such).
import { Type, type Static } from '@sinclair/typebox';
import { HeaderName, Nullable, StringEnum } from '../../../config/schema/common.js';

/** Kong's auth_methods values; only `bearer` is implemented (the others are refused when the config loads). */
export const AUTH_METHODS = [
  'password',
  'client_credentials',
  'authorization_code',
  'bearer',
  'introspection',
  'userinfo',
  'kong_oauth2',
  'refresh_token',
  'session',
] as const;

const Strings = Type.Array(Type.String({ minLength: 1 }));

export const OidcSchema = Type.Object(
  {
    /** The issuer base URL (`https://idp/realm`) or its discovery document URL (`…/.well-known/openid-configuration`). */
    issuer: Type.String({ minLength: 1 }),
    auth_methods: Type.Array(StringEnum(AUTH_METHODS), { default: ['bearer'] }),
    /** Where the bearer token may be: the Authorization header, the `access_token` query argument (`body` is ignored). */
    bearer_token_param_type: Type.Array(StringEnum(['header', 'query', 'body'] as const), {
      default: ['header', 'query', 'body'],
    }),
    /** Entries are OR-ed; the space-separated values of one entry are AND-ed. */
    audience_required: Nullable(Strings),
    /** Claim path of the audience. */
    audience_claim: Type.Array(Type.String({ minLength: 1 }), { default: ['aud'], minItems: 1 }),
    /** Issuers accepted in `iss` besides the discovered one. */
    issuers_allowed: Nullable(Strings),
    /** Entries are OR-ed; the space-separated scopes of one entry are AND-ed. */
    scopes_required: Nullable(Strings),
    /** Claim path of the scopes (a space-separated string or an array). */
    scopes_claim: Type.Array(Type.String({ minLength: 1 }), { default: ['scope'], minItems: 1 }),
    /** Claim path whose value names the consumer. */
    consumer_claim: Nullable(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    consumer_by: Type.Array(StringEnum(['id', 'username', 'custom_id'] as const), {
      default: ['username', 'custom_id'],
      minItems: 1,
    }),
    consumer_optional: Type.Boolean({ default: false }),
    /** Consumer id or username used when authentication fails (logical OR between auth plugins). */
    anonymous: Nullable(Type.String({ minLength: 1 })),
    upstream_headers_claims: Nullable(Strings),
    upstream_headers_names: Nullable(Type.Array(HeaderName)),
    /** Seconds of clock skew allowed for `exp` and `nbf`. */
    leeway: Type.Number({ minimum: 0, default: 0 }),
    verify_claims: Type.Boolean({ default: true }),
    verify_signature: Type.Boolean({ default: true }),
    /** Seconds the discovery document and the JWKS are used before they are fetched again. */
    cache_ttl: Type.Number({ minimum: 0, default: 3600 }),
    /** Seconds between two refetches triggered by a token whose key is not in the cached JWKS. */
    rediscovery_lifetime: Type.Number({ minimum: 0, default: 30 }),
    /** Verify the issuer's TLS certificate. */
    ssl_verify: Type.Boolean({ default: true }),
    /** Milliseconds allowed for fetching the discovery document and the JWKS. */
    timeout: Type.Integer({ minimum: 1, maximum: 2147483646, default: 10000 }),
    run_on_preflight: Type.Boolean({ default: true }),
    // Accepted and ignored: they only matter to the flows that are not implemented.
    client_id: Nullable(Strings),
    client_secret: Nullable(Strings),
    scopes: Nullable(Strings),
    audience: Nullable(Strings),
  },
  { additionalProperties: false },
);

export type OidcConfig = Static<typeof OidcSchema>;
