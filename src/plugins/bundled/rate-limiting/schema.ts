// Kong's rate-limiting config (kong/plugins/rate-limiting/schema.lua, 3.x), with the nested
// `redis: {...}` record of Kong ≥ 3.7 and the classic flat `redis_*` fields upgraded into it.
import { Type, type Static } from '@sinclair/typebox';
import { HeaderName, Host, Nullable, Path, StringEnum } from '../../../config/schema/common.js';
import { NullIsDefault } from '../shared/kong-null.js';

export const LIMIT_BY = ['consumer', 'credential', 'ip', 'service', 'header', 'path'] as const;
export const POLICIES = ['local', 'cluster', 'redis'] as const;

/** A limit: a number of requests per window, > 0 (Kong's `gt = 0`; fractions are accepted as in Kong). */
const Limit = Nullable(Type.Number({ exclusiveMinimum: 0 }));

export const RedisSchema = Type.Object(
  {
    host: Nullable(Host),
    port: NullIsDefault(Type.Integer({ minimum: 0, maximum: 65535, default: 6379 })),
    timeout: NullIsDefault(Type.Integer({ minimum: 0, maximum: 2147483646, default: 2000 })),
    username: Nullable(Type.String()),
    password: Nullable(Type.String()),
    database: NullIsDefault(Type.Integer({ minimum: 0, default: 0 })),
    ssl: NullIsDefault(Type.Boolean({ default: false })),
    ssl_verify: NullIsDefault(Type.Boolean({ default: false })),
    server_name: Nullable(Type.String()),
  },
  { additionalProperties: false, default: {} },
);

export const RateLimitingSchema = Type.Object(
  {
    second: Limit,
    minute: Limit,
    hour: Limit,
    day: Limit,
    month: Limit,
    year: Limit,
    limit_by: NullIsDefault(StringEnum(LIMIT_BY, { default: 'consumer' })),
    header_name: Nullable(HeaderName),
    path: Nullable(Path),
    policy: NullIsDefault(StringEnum(POLICIES, { default: 'local' })),
    fault_tolerant: Type.Boolean({ default: true }),
    redis: RedisSchema,
    hide_client_headers: Type.Boolean({ default: false }),
    error_code: NullIsDefault(Type.Integer({ minimum: 100, maximum: 599, default: 429 })),
    error_message: NullIsDefault(Type.String({ default: 'API rate limit exceeded' })),
    sync_rate: Type.Number({ default: -1 }),
  },
  { additionalProperties: false },
);

export type RateLimitingConfig = Static<typeof RateLimitingSchema>;
export type RedisConfig = Static<typeof RedisSchema>;

/** Kong's flat (pre-3.7) field → the nested `redis` record's field. */
export const FLAT_REDIS_FIELDS: Readonly<Record<string, keyof Static<typeof RedisSchema>>> = {
  redis_host: 'host',
  redis_port: 'port',
  redis_timeout: 'timeout',
  redis_username: 'username',
  redis_password: 'password',
  redis_database: 'database',
  redis_ssl: 'ssl',
  redis_ssl_verify: 'ssl_verify',
  redis_server_name: 'server_name',
};

/**
 * Moves Kong's flat `redis_host`, `redis_port`, … into `redis: { host, port, … }` (what Kong's
 * shorthand fields do). A flat field and its nested twin may both be given only if they agree.
 */
export function upgradeRedisFields(config: Record<string, unknown>): Record<string, unknown> {
  const flat = Object.keys(config).filter((k) => k in FLAT_REDIS_FIELDS);
  if (flat.length === 0) return config;
  const out: Record<string, unknown> = { ...config };
  const nested = out.redis;
  if (nested !== undefined && nested !== null && (typeof nested !== 'object' || Array.isArray(nested))) return config; // let the schema explain
  const redis: Record<string, unknown> = { ...((nested as Record<string, unknown> | null | undefined) ?? {}) };
  for (const k of flat) {
    const field = FLAT_REDIS_FIELDS[k]!;
    const v = out[k];
    delete out[k];
    if (v === null || v === undefined) continue;
    if (field in redis && redis[field] !== null && redis[field] !== v) {
      throw new Error(
        `'${k}' (${JSON.stringify(v)}) and 'redis.${field}' (${JSON.stringify(redis[field])}) disagree; give one of them`,
      );
    }
    redis[field] = v;
  }
  out.redis = redis;
  return out;
}
