// Kong's request-size-limiting config (kong/plugins/request-size-limiting/schema.lua, 3.x).
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../../../config/schema/common.js';
import { NullIsDefault } from '../shared/kong-null.js';

export const SIZE_UNITS = ['megabytes', 'kilobytes', 'bytes'] as const;

export const RequestSizeLimitingSchema = Type.Object(
  {
    allowed_payload_size: NullIsDefault(Type.Integer({ default: 128 })),
    size_unit: StringEnum(SIZE_UNITS, { default: 'megabytes' }),
    require_content_length: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

export type RequestSizeLimitingConfig = Static<typeof RequestSizeLimitingSchema>;
