// Kong's bot-detection config (kong/plugins/bot-detection/schema.lua, 3.x).
import { Type, type Static } from '@sinclair/typebox';
import { NullIsDefault } from '../shared/kong-null.js';

export const BotDetectionSchema = Type.Object(
  {
    allow: NullIsDefault(Type.Array(Type.String(), { default: [] })),
    deny: NullIsDefault(Type.Array(Type.String(), { default: [] })),
  },
  { additionalProperties: false },
);

export type BotDetectionConfig = Static<typeof BotDetectionSchema>;
