// Kong `targets` entity (kong/db/schema/entities/targets.lua), normalized form.
import { Type } from '@sinclair/typebox';
import { Id, Ref, Tags } from './common.js';

export const TargetAddress = Type.String({
  minLength: 1,
  pattern: '^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]*)(?:\\.[A-Za-z0-9_-]+)*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?$',
  'x-error': "must be 'host' or 'host:port' (IPv6 as '[::1]:8080'); the port defaults to 8000",
});

export const TargetSchema = Type.Object(
  {
    id: Id,
    upstream: Ref,
    target: TargetAddress,
    weight: Type.Integer({ minimum: 0, maximum: 65535, default: 100 }),
    tags: Tags,
  },
  { $id: 'Target', additionalProperties: false },
);
