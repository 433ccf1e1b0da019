// Kong's http-log config (kong/plugins/http-log/schema.lua and typedefs.queue, 3.x).
import { Type, type Static } from '@sinclair/typebox';
import { HeaderName, Nullable } from '../../../config/schema/common.js';
import { NullIsDefault } from '../shared/kong-null.js';

export const QueueSchema = Type.Object(
  {
    max_batch_size: NullIsDefault(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
    /** Seconds (fractional) after the first entry of a batch before it is sent. */
    max_coalescing_delay: NullIsDefault(Type.Number({ minimum: 0, maximum: 3600, default: 1 })),
    max_entries: NullIsDefault(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10000 })),
    max_bytes: Nullable(Type.Integer({ minimum: 1 })),
    /** Seconds before a failing batch is dropped; -1: no retries. */
    max_retry_time: NullIsDefault(Type.Number({ default: 60 })),
    initial_retry_delay: NullIsDefault(Type.Number({ minimum: 0.001, maximum: 1_000_000, default: 0.01 })),
    max_retry_delay: NullIsDefault(Type.Number({ minimum: 0.001, maximum: 1_000_000, default: 60 })),
    concurrency_limit: NullIsDefault(Type.Integer({ enum: [-1, 1], default: 1 })),
  },
  { additionalProperties: false, default: {} },
);

export const HttpLogSchema = Type.Object(
  {
    http_endpoint: Type.String({ minLength: 1 }),
    method: NullIsDefault(
      Type.Unsafe<'POST' | 'PUT' | 'PATCH'>({ type: 'string', enum: ['POST', 'PUT', 'PATCH'], default: 'POST' }),
    ),
    content_type: NullIsDefault(
      Type.Unsafe<'application/json' | 'application/json; charset=utf-8'>({
        type: 'string',
        enum: ['application/json', 'application/json; charset=utf-8'],
        default: 'application/json',
      }),
    ),
    timeout: NullIsDefault(Type.Number({ minimum: 0, default: 10000 })),
    keepalive: NullIsDefault(Type.Number({ minimum: 0, default: 60000 })),
    headers: Nullable(Type.Record(HeaderName, Type.String())),
    queue: QueueSchema,
    custom_fields_by_lua: Nullable(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);

export type HttpLogConfig = Static<typeof HttpLogSchema>;
export type QueueConfig = Static<typeof QueueSchema>;
