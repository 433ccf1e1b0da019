// Kong's cors config (kong/plugins/cors/schema.lua, 3.x).
import { Type, type Static } from '@sinclair/typebox';
import { Nullable, StringEnum } from '../../../config/schema/common.js';
import { NullIsDefault } from '../shared/kong-null.js';

export const CORS_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;

const StringList = Nullable(Type.Array(Type.String()));

export const CorsSchema = Type.Object(
  {
    origins: StringList,
    headers: StringList,
    exposed_headers: StringList,
    methods: NullIsDefault(Type.Array(StringEnum(CORS_METHODS), { default: [...CORS_METHODS] })),
    max_age: Nullable(Type.Number()),
    credentials: Type.Boolean({ default: false }),
    private_network: Type.Boolean({ default: false }),
    preflight_continue: Type.Boolean({ default: false }),
    allow_origin_absent: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

export type CorsConfig = Static<typeof CorsSchema>;
