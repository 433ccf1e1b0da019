// request-validator's config: Kong Enterprise's fields (body_schema, parameter_schema,
// allowed_content_types, verbose_response, version, content_type_parameter_validation) plus
// Turnpike's OpenAPI 3 mode (api_spec / api_spec_file and the fields around it).
import { Type, type Static } from '@sinclair/typebox';
import { Nullable, StringEnum } from '../../../config/schema/common.js';

export const DIALECTS = ['kong', 'draft4', 'draft6', 'draft7', 'draft201909', 'draft202012'] as const;
export type Dialect = (typeof DIALECTS)[number];

const Parameter = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    in: StringEnum(['query', 'header', 'path'] as const),
    required: Type.Boolean(),
    style: Nullable(
      StringEnum(['form', 'simple', 'label', 'matrix', 'spaceDelimited', 'pipeDelimited', 'deepObject'] as const),
    ),
    explode: Nullable(Type.Boolean()),
    schema: Nullable(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export const RequestValidatorSchema = Type.Object(
  {
    body_schema: Nullable(Type.String({ minLength: 1 })),
    parameter_schema: Nullable(Type.Array(Parameter)),
    allowed_content_types: Type.Array(Type.String({ minLength: 1 }), { default: ['application/json'] }),
    content_type_parameter_validation: Type.Boolean({ default: true }),
    verbose_response: Type.Boolean({ default: false }),
    version: StringEnum(DIALECTS, { default: 'kong' }),
    // OpenAPI 3 mode (Turnpike): the whole API description, inline or from a file.
    api_spec: Nullable(Type.String({ minLength: 1 })),
    api_spec_file: Nullable(Type.String({ minLength: 1 })),
    api_spec_base_path: Type.String({ default: '' }),
    allow_unknown_operations: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

export type RequestValidatorConfig = Static<typeof RequestValidatorSchema>;
export type ParameterConfig = Static<typeof Parameter>;
