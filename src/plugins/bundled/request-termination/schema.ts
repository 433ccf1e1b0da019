// Kong's request-termination config (kong/plugins/request-termination/schema.lua, 3.x).
import { Type, type Static } from '@sinclair/typebox';
import { HeaderName, Nullable } from '../../../config/schema/common.js';

export const RequestTerminationSchema = Type.Object(
  {
    status_code: Type.Integer({ minimum: 100, maximum: 599, default: 503 }),
    message: Nullable(Type.String()),
    content_type: Nullable(Type.String()),
    body: Nullable(Type.String()),
    echo: Type.Boolean({ default: false }),
    trigger: Nullable(HeaderName),
  },
  { additionalProperties: false },
);

export type RequestTerminationConfig = Static<typeof RequestTerminationSchema>;
