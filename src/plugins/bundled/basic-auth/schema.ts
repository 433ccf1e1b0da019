// Kong's basic-auth config (kong/plugins/basic-auth/schema.lua, 3.x, with `realm` from 3.6).
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../../config/schema/common.js';

export const BasicAuthSchema = Type.Object(
  {
    /** Consumer id or username used when authentication fails (Kong's logical OR). */
    anonymous: Nullable(Type.String({ minLength: 1 })),
    hide_credentials: Type.Boolean({ default: false }),
    realm: Type.String({ default: 'service' }),
  },
  { additionalProperties: false },
);

export type BasicAuthConfig = Static<typeof BasicAuthSchema>;
