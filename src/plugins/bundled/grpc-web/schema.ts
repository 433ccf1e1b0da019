// Kong's grpc-web config (kong/plugins/grpc-web/schema.lua).
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../../config/schema/common.js';
import { NullIsDefault } from '../shared/kong-null.js';

export const GrpcWebSchema = Type.Object(
  {
    /** A .proto file: needed only for the `+json` content types (JSON messages). */
    proto: Nullable(Type.String({ minLength: 1 })),
    /** Send the path as the route left it (after strip_path) instead of the client's path. */
    pass_stripped_path: Nullable(Type.Boolean()),
    allow_origin_header: NullIsDefault(Type.String({ default: '*' })),
  },
  { additionalProperties: false },
);

export type GrpcWebConfig = Static<typeof GrpcWebSchema>;
