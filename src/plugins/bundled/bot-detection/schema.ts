// Kong's bot-detection config (kong/plugins/bot-detection/schema.lua, 3.x).
import { Type, type Static } from '@sinclair/typebox';

export const BotDetectionSchema = Type.Object(
  {
    allow: Type.Array(Type.String(), { default: [] }),
    deny: Type.Array(Type.String(), { default: [] }),
  },
  { additionalProperties: false },
);

export type BotDetectionConfig = Static<typeof BotDetectionSchema>;
