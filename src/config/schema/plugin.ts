// Kong `plugins` entity (kong/db/schema/entities/plugins.lua), normalized form. The `config`
// is checked by the plugin's own definition from the PluginRegistry, not here.
import { Type } from '@sinclair/typebox';
import { Id, Nullable, PROTOCOLS, Ref, Tags } from './common.js';

const PhaseList = Type.Object(
  { access: Type.Optional(Type.Array(Type.String({ minLength: 1 }))) },
  { additionalProperties: false },
);

export const PluginSchema = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1 }),
    config: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
    enabled: Type.Boolean({ default: true }),
    protocols: Type.Array(Type.String({ enum: [...PROTOCOLS] }), {
      minItems: 1,
      default: ['grpc', 'grpcs', 'http', 'https'],
    }),
    service: Nullable(Ref),
    route: Nullable(Ref),
    consumer: Nullable(Ref),
    ordering: Nullable(
      Type.Object(
        { before: Type.Optional(PhaseList), after: Type.Optional(PhaseList) },
        { additionalProperties: false },
      ),
    ),
    tags: Tags,
    instance_name: Type.Optional(Nullable(Type.String({ minLength: 1 }))),
  },
  { $id: 'Plugin', additionalProperties: false },
);
