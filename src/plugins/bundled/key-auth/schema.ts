// Kong's key-auth config (kong/plugins/key-auth/schema.lua, 3.x, with `realm` from 3.7).
import { Type, type Static } from '@sinclair/typebox';
import { HeaderName, Nullable } from '../../../config/schema/common.js';

export const KeyAuthSchema = Type.Object(
  {
    key_names: Type.Array(HeaderName, { default: ['apikey'] }),
    hide_credentials: Type.Boolean({ default: false }),
    /** Consumer id or username used when authentication fails (Kong's logical OR). */
    anonymous: Nullable(Type.String({ minLength: 1 })),
    key_in_header: Type.Boolean({ default: true }),
    key_in_query: Type.Boolean({ default: true }),
    /** Also look in a JSON or form-urlencoded request body. */
    key_in_body: Type.Boolean({ default: false }),
    run_on_preflight: Type.Boolean({ default: true }),
    realm: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

export type KeyAuthConfig = Static<typeof KeyAuthSchema>;
