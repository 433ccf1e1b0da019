// Kong's request-transformer config (kong/plugins/request-transformer/schema.lua, 3.x).
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../../config/schema/common.js';

const Names = Type.Array(Type.String(), { default: [] });
const Pairs = Type.Array(Type.String({ pattern: '^[^:]+:[\\s\\S]*$', 'x-error': "must be in the form 'name:value'" }), {
  default: [],
});
const opts = { additionalProperties: false, default: {} } as const;

export const RequestTransformerSchema = Type.Object(
  {
    http_method: Nullable(
      Type.String({ pattern: '^[A-Z]+$', 'x-error': 'must be an HTTP method in upper case, such as POST' }),
    ),
    remove: Type.Object({ body: Names, headers: Names, querystring: Names }, opts),
    rename: Type.Object({ body: Pairs, headers: Pairs, querystring: Pairs }, opts),
    replace: Type.Object({ body: Pairs, headers: Pairs, querystring: Pairs, uri: Nullable(Type.String()) }, opts),
    add: Type.Object({ body: Pairs, headers: Pairs, querystring: Pairs }, opts),
    append: Type.Object({ body: Pairs, headers: Pairs, querystring: Pairs }, opts),
  },
  { additionalProperties: false },
);

export type RequestTransformerConfig = Static<typeof RequestTransformerSchema>;
