// Kong's hmac-auth config (kong/plugins/hmac-auth/schema.lua, 3.x; `realm` from later 3.x files).
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../../config/schema/common.js';
import { NullIsDefault } from '../shared/kong-null.js';

export const HMAC_ALGORITHMS = ['hmac-sha1', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'] as const;
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];

const Algorithm = Type.Union(HMAC_ALGORITHMS.map((a) => Type.Literal(a)));

export const HmacAuthSchema = Type.Object(
  {
    hide_credentials: Type.Boolean({ default: false }),
    /** Seconds a Date / X-Date header may differ from the gateway's clock. */
    clock_skew: NullIsDefault(Type.Number({ exclusiveMinimum: 0, default: 300 })),
    /** Consumer id or username used when authentication fails (Kong's logical OR). */
    anonymous: Nullable(Type.String({ minLength: 1 })),
    /** The body must match `Digest: SHA-256=<base64>` (no Digest: only an empty body passes). */
    validate_request_body: Type.Boolean({ default: false }),
    /** Headers the client must include in its signature (`date`, `request-line`, …). */
    enforce_headers: NullIsDefault(Type.Array(Type.String(), { default: [] })),
    algorithms: NullIsDefault(Type.Array(Algorithm, { default: [...HMAC_ALGORITHMS] })),
    realm: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

export type HmacAuthConfig = Static<typeof HmacAuthSchema>;
