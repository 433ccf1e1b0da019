// Kong's grpc-gateway config (kong/plugins/grpc-gateway/schema.lua, 3.x): the .proto file with
// the google.api.http annotations. As in Kong it may be null or name a file that is not there
// yet: the configuration then loads with a warning and the plugin's requests answer 500 until
// the file is there (see ./proto-state.ts).
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../../config/schema/common.js';

export const GrpcGatewaySchema = Type.Object(
  {
    proto: Nullable(
      Type.String({
        minLength: 1,
        'x-error': 'must be the path of a .proto file (relative paths are from the working directory)',
      }),
    ),
  },
  { additionalProperties: false },
);

export type GrpcGatewayConfig = Static<typeof GrpcGatewaySchema>;
