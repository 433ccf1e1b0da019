// Kong's response-transformer config (kong/plugins/response-transformer/schema.lua, 3.x).
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../../../config/schema/common.js';

const Names = Type.Array(Type.String(), { default: [] });
const Pairs = Type.Array(Type.String({ pattern: '^[^:]+:[\\s\\S]*$', 'x-error': "must be in the form 'name:value'" }), {
  default: [],
});
const JsonTypes = Type.Array(StringEnum(['boolean', 'number', 'string'] as const), { default: [] });
const opts = { additionalProperties: false, default: {} } as const;

export const ResponseTransformerSchema = Type.Object(
  {
    remove: Type.Object({ json: Names, headers: Names }, opts),
    rename: Type.Object({ json: Pairs, headers: Pairs }, opts),
    replace: Type.Object({ json: Pairs, json_types: JsonTypes, headers: Pairs }, opts),
    add: Type.Object({ json: Pairs, json_types: JsonTypes, headers: Pairs }, opts),
    append: Type.Object({ json: Pairs, json_types: JsonTypes, headers: Pairs }, opts),
  },
  { additionalProperties: false },
);

export type ResponseTransformerConfig = Static<typeof ResponseTransformerSchema>;
