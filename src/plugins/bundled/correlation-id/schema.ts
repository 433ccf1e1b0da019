// Kong's correlation-id config (kong/plugins/correlation-id/schema.lua, 3.x).
import { Type, type Static } from '@sinclair/typebox';
import { HeaderName, StringEnum } from '../../../config/schema/common.js';
import { NullIsDefault } from '../shared/kong-null.js';

export const GENERATORS = ['uuid', 'uuid#counter', 'tracker'] as const;

export const CorrelationIdSchema = Type.Object(
  {
    header_name: NullIsDefault(Type.Unsafe<string>({ ...HeaderName, default: 'Kong-Request-ID' })),
    generator: StringEnum(GENERATORS, { default: 'uuid#counter' }),
    echo_downstream: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

export type CorrelationIdConfig = Static<typeof CorrelationIdSchema>;
