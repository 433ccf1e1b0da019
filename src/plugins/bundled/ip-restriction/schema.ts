// Kong's ip-restriction config (kong/plugins/ip-restriction/schema.lua, 3.x).
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../../config/schema/common.js';

const IpList = Nullable(Type.Array(Type.String({ minLength: 1 })));

export const IpRestrictionSchema = Type.Object(
  {
    allow: IpList,
    deny: IpList,
    status: Nullable(Type.Integer({ minimum: 100, maximum: 599 })),
    message: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

export type IpRestrictionConfig = Static<typeof IpRestrictionSchema>;
