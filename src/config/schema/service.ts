// Kong `services` entity (kong/db/schema/entities/services.lua), normalized form.
import { Type } from '@sinclair/typebox';
import { Host, Id, Nullable, Path, PROTOCOLS, Ref, StringEnum, Tags, Timeout } from './common.js';

export const EntityName = Type.String({
  minLength: 1,
  pattern: '^[\\p{L}\\p{N}._~-]+$',
  'x-error': "must be a name made of letters, digits, '.', '-', '_' or '~'",
});

export const ServiceSchema = Type.Object(
  {
    id: Id,
    name: Nullable(EntityName),
    protocol: StringEnum(PROTOCOLS, { default: 'http' }),
    host: Host,
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 80 }),
    path: Nullable(Path),
    retries: Type.Integer({ minimum: 0, maximum: 32767, default: 5 }),
    connect_timeout: Timeout,
    write_timeout: Timeout,
    read_timeout: Timeout,
    tags: Tags,
    enabled: Type.Boolean({ default: true }),
    tls_verify: Type.Optional(Nullable(Type.Boolean())),
    tls_verify_depth: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 64 }))),
    /** ids of `ca_certificates` trusted (instead of the system CAs) when tls_verify is on. */
    ca_certificates: Type.Optional(Nullable(Type.Array(Id, { uniqueItems: true }))),
    /** A `certificates` entity presented to the upstream (mutual TLS). */
    client_certificate: Type.Optional(Nullable(Ref)),
  },
  { $id: 'Service', additionalProperties: false },
);
