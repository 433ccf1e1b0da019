// Kong `consumers` entity (kong/db/schema/entities/consumers.lua), normalized form. Kong's
// nested credential arrays are kept, unvalidated, under `credentials` (validated later).
import { Type } from '@sinclair/typebox';
import { Id, Nullable, Tags } from './common.js';

export const CREDENTIAL_KEYS = [
  'keyauth_credentials',
  'basicauth_credentials',
  'jwt_secrets',
  'hmacauth_credentials',
  'acls',
  'oauth2_credentials',
] as const;

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
