// Kong's file-log config (kong/plugins/file-log/schema.lua, 3.x).
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../../config/schema/common.js';

export const FileLogSchema = Type.Object(
  {
    // Kong: match [[^[^*&%%\`]+$]], err "not a valid filename".
    path: Type.String({ minLength: 1, pattern: '^[^*&%`]+$', 'x-error': 'not a valid filename' }),
    reopen: Type.Boolean({ default: false }),
    custom_fields_by_lua: Nullable(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);

export type FileLogConfig = Static<typeof FileLogSchema>;
