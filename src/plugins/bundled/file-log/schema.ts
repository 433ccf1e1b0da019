// Kong's file-log config (kong/plugins/file-log/schema.lua, 3.x).
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../../config/schema/common.js';

export const FileLogSchema = Type.Object(
  {
    // Kong 3.x's pattern and message: no * & % or backquote anywhere, no whitespace at either
    // end, and so at least two characters.
    path: Type.String({ minLength: 1, pattern: '^[^\\s*&%`][^*&%`]*[^\\s*&%`]$', 'x-error': 'not a valid filename' }),
    reopen: Type.Boolean({ default: false }),
    custom_fields_by_lua: Nullable(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);

export type FileLogConfig = Static<typeof FileLogSchema>;
