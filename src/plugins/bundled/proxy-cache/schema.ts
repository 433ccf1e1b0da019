// Kong's proxy-cache config (3.x), plus the `redis` strategy of Kong Enterprise's
// proxy-cache-advanced with the nested `redis: {...}` record shared with rate-limiting (Kong's
// flat `redis_host`, `redis_port`, … are upgraded into it).
import { Type, type Static } from '@sinclair/typebox';
import { HeaderName, HttpStatus, Nullable, StringEnum } from '../../../config/schema/common.js';
import { RedisSchema } from '../rate-limiting/schema.js';
import { NullIsDefault } from '../shared/kong-null.js';

export const STRATEGIES = ['memory', 'redis'] as const;

export const ProxyCacheSchema = Type.Object(
  {
    strategy: StringEnum(STRATEGIES, { default: 'memory' }),
    response_code: Type.Array(HttpStatus, { minItems: 1, default: [200, 301, 404] }),
    request_method: Type.Array(Type.String({ pattern: '^[A-Z]+$' }), { minItems: 1, default: ['GET', 'HEAD'] }),
    content_type: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      default: ['text/plain', 'application/json'],
    }),
    cache_ttl: NullIsDefault(Type.Integer({ exclusiveMinimum: 0, default: 300 })),
    cache_control: Type.Boolean({ default: false }),
    storage_ttl: Nullable(Type.Integer({ minimum: 0 })),
    ignore_uri_case: NullIsDefault(Type.Boolean({ default: false })),
    vary_query_params: Nullable(Type.Array(Type.String({ minLength: 1 }))),
    vary_headers: Nullable(Type.Array(HeaderName)),
    response_headers: Type.Object(
      {
        age: NullIsDefault(Type.Boolean({ default: true })),
        'X-Cache-Status': NullIsDefault(Type.Boolean({ default: true })),
        'X-Cache-Key': NullIsDefault(Type.Boolean({ default: true })),
      },
      { additionalProperties: false, default: {} },
    ),
    memory: Type.Object(
      { dictionary_name: Type.String({ minLength: 1, default: 'kong_db_cache' }) },
      { additionalProperties: false, default: {} },
    ),
    redis: RedisSchema,
  },
  { additionalProperties: false },
);

export type ProxyCacheConfig = Static<typeof ProxyCacheSchema>;
