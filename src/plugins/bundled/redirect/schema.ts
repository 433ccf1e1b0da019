// Kong's redirect config (kong/plugins/redirect/schema.lua, 3.9).
import { Type, type Static } from '@sinclair/typebox';
import { NullIsDefault } from '../shared/kong-null.js';

export const RedirectSchema = Type.Object(
  {
    status_code: Type.Integer({ minimum: 100, maximum: 599, default: 301 }),
    location: Type.String({ minLength: 1 }),
    keep_incoming_path: NullIsDefault(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

export type RedirectConfig = Static<typeof RedirectSchema>;
