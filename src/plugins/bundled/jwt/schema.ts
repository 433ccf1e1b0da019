// Kong's jwt config (kong/plugins/jwt/schema.lua, 3.x, with `realm` from 3.7).
import { Type, type Static } from '@sinclair/typebox';
import { HeaderName, Nullable } from '../../../config/schema/common.js';
import { NullIsDefault } from '../shared/kong-null.js';

export const JwtSchema = Type.Object(
  {
    /** Query arguments that may carry the token. */
    uri_param_names: NullIsDefault(Type.Array(Type.String(), { default: ['jwt'] })),
    /** Cookies that may carry the token. */
    cookie_names: NullIsDefault(Type.Array(Type.String(), { default: [] })),
    /** Headers that may carry the token, as `Bearer <token>`. */
    header_names: NullIsDefault(Type.Array(HeaderName, { default: ['authorization'] })),
    /** The claim (or, failing that, the header field) naming the credential's `key`. */
    key_claim_name: NullIsDefault(Type.String({ default: 'iss' })),
    /** HS* secrets are stored base64-encoded (url-safe or standard, padding optional). */
    secret_is_base64: Type.Boolean({ default: false }),
    /** Registered claims to check; none by default, as in Kong. */
    claims_to_verify: Nullable(Type.Array(Type.Union([Type.Literal('exp'), Type.Literal('nbf')]))),
    /** Consumer id or username used when authentication fails (Kong's logical OR). */
    anonymous: Nullable(Type.String({ minLength: 1 })),
    run_on_preflight: Type.Boolean({ default: true }),
    /** Seconds; when > 0, `exp` may be at most this far in the future (needs `exp` in claims_to_verify). */
    maximum_expiration: NullIsDefault(Type.Number({ minimum: 0, maximum: 31536000, default: 0 })),
    realm: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

export type JwtConfig = Static<typeof JwtSchema>;
