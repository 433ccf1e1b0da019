// Kong's grpc-gateway config (kong/plugins/grpc-gateway/schema.lua): the .proto file with the
// google.api.http annotations. Kong leaves `proto` optional and fails every request without
// it; here the configuration is refused instead.
import { Type, type Static } from '@sinclair/typebox';

export const GrpcGatewaySchema = Type.Object(
  {
    proto: Type.String({ minLength: 1, 'x-error': 'must be the path of a .proto file (relative paths are from the working directory)' }),
  },
  { additionalProperties: false },
);

export type GrpcGatewayConfig = Static<typeof GrpcGatewaySchema>;
