// Kong `consumers` entity (kong/db/schema/entities/consumers.lua), normalized form. The
// consumer's credentials, nested or top-level in the file, are kept under `credentials`, per
// kind, as the loader checked them (./credentials.ts).
import { Type } from '@sinclair/typebox';
import { Id, Nullable, Tags } from './common.js';

export const Credential = Type.Object({}, { additionalProperties: true });

export const ConsumerSchema = Type.Object(
  {
    id: Id,
    username: Nullable(Type.String({ minLength: 1 })),
    custom_id: Nullable(Type.String({ minLength: 1 })),
    tags: Tags,
    credentials: Type.Optional(Type.Record(Type.String(), Type.Array(Credential))),
  },
  { $id: 'Consumer', additionalProperties: false },
);
