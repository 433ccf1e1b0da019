// Kong `upstreams` entity (kong/db/schema/entities/upstreams.lua, 3.x), normalized form,
// including the full `healthchecks` record with Kong's defaults.
import { Type } from '@sinclair/typebox';
import { HeaderName, HttpStatus, Id, Nullable, Path, Ref, StringEnum, Tags } from './common.js';

export const HASH_ON = ['none', 'consumer', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'] as const;
export const ALGORITHMS = ['round-robin', 'least-connections', 'consistent-hashing', 'latency'] as const;
export const CHECK_TYPES = ['http', 'https', 'tcp', 'grpc', 'grpcs'] as const;

export const HashOnSchema = StringEnum(HASH_ON, { default: 'none' });

const Seconds = (def: number) => Type.Number({ minimum: 0, maximum: 65535, default: def });
const Counter = Type.Integer({ minimum: 0, maximum: 255, default: 0 });
const Statuses = (def: number[]) => Type.Array(HttpStatus, { default: def });

export const ACTIVE_DEFAULTS = {
  type: 'http',
  http_path: '/',
  timeout: 1,
  concurrency: 10,
  https_verify_certificate: true,
  https_sni: null,
  headers: null,
  healthy: { interval: 0, successes: 0, http_statuses: [200, 302] },
  unhealthy: {
    interval: 0,
    http_failures: 0,
    tcp_failures: 0,
    timeouts: 0,
    http_statuses: [429, 404, 500, 501, 502, 503, 504, 505],
  },
};
export const PASSIVE_DEFAULTS = {
  type: 'http',
  healthy: {
    successes: 0,
    http_statuses: [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308],
  },
  unhealthy: { http_failures: 0, tcp_failures: 0, timeouts: 0, http_statuses: [429, 500, 503] },
};
export const HEALTHCHECKS_DEFAULTS = { active: ACTIVE_DEFAULTS, passive: PASSIVE_DEFAULTS, threshold: 0 };

export const HealthcheckHealthySchema = Type.Object(
  { interval: Seconds(0), successes: Counter, http_statuses: Statuses(ACTIVE_DEFAULTS.healthy.http_statuses) },
  { additionalProperties: false, default: ACTIVE_DEFAULTS.healthy },
);
export const HealthcheckUnhealthySchema = Type.Object(
  {
    interval: Seconds(0),
    http_failures: Counter,
    tcp_failures: Counter,
    timeouts: Counter,
    http_statuses: Statuses(ACTIVE_DEFAULTS.unhealthy.http_statuses),
  },
  { additionalProperties: false, default: ACTIVE_DEFAULTS.unhealthy },
);
export const ActiveHealthcheckSchema = Type.Object(
  {
    type: StringEnum(CHECK_TYPES, { default: 'http' }),
    http_path: Type.Unsafe<string>({ ...Path, default: '/' }),
    timeout: Seconds(1),
    concurrency: Type.Integer({ minimum: 1, maximum: 2147483648, default: 10 }),
    https_verify_certificate: Type.Boolean({ default: true }),
    https_sni: Nullable(Type.String({ minLength: 1 })),
    headers: Nullable(Type.Record(Type.String(), Type.Array(Type.String()))),
    healthy: HealthcheckHealthySchema,
    unhealthy: HealthcheckUnhealthySchema,
  },
  { additionalProperties: false, default: ACTIVE_DEFAULTS },
);
export const PassiveHealthcheckSchema = Type.Object(
  {
    type: StringEnum(CHECK_TYPES, { default: 'http' }),
    healthy: Type.Object(
      { successes: Counter, http_statuses: Statuses(PASSIVE_DEFAULTS.healthy.http_statuses) },
      { additionalProperties: false, default: PASSIVE_DEFAULTS.healthy },
    ),
    unhealthy: Type.Object(
      {
        http_failures: Counter,
        tcp_failures: Counter,
        timeouts: Counter,
        http_statuses: Statuses(PASSIVE_DEFAULTS.unhealthy.http_statuses),
      },
      { additionalProperties: false, default: PASSIVE_DEFAULTS.unhealthy },
    ),
  },
  { additionalProperties: false, default: PASSIVE_DEFAULTS },
);
export const HealthchecksSchema = Type.Object(
  {
    active: ActiveHealthcheckSchema,
    passive: PassiveHealthcheckSchema,
    threshold: Type.Number({ minimum: 0, maximum: 100, default: 0 }),
  },
  { additionalProperties: false, default: HEALTHCHECKS_DEFAULTS },
);

export const UpstreamName = Type.String({
  minLength: 1,
  pattern: '^[A-Za-z0-9_](?:[A-Za-z0-9_-]*)(?:\\.[A-Za-z0-9_-]+)*$',
  'x-error': 'must be a hostname such as users.upstream (no IP address, port or scheme)',
});

export const UpstreamSchema = Type.Object(
  {
    id: Id,
    name: UpstreamName,
    algorithm: StringEnum(ALGORITHMS, { default: 'round-robin' }),
    hash_on: HashOnSchema,
    hash_fallback: HashOnSchema,
    hash_on_header: Nullable(HeaderName),
    hash_fallback_header: Nullable(HeaderName),
    hash_on_cookie: Nullable(
      Type.String({
        minLength: 1,
        pattern: "^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$",
        'x-error': 'must be a valid cookie name',
      }),
    ),
    hash_on_cookie_path: Type.Unsafe<string>({ ...Path, default: '/' }),
    hash_on_query_arg: Nullable(Type.String({ minLength: 1 })),
    hash_fallback_query_arg: Nullable(Type.String({ minLength: 1 })),
    hash_on_uri_capture: Nullable(Type.String({ minLength: 1 })),
    hash_fallback_uri_capture: Nullable(Type.String({ minLength: 1 })),
    slots: Type.Integer({ minimum: 10, maximum: 65536, default: 10000 }),
    healthchecks: HealthchecksSchema,
    host_header: Nullable(Type.String({ minLength: 1 })),
    /** The certificate (with its key) that active https health checks present to the targets (mutual TLS), as in Kong. */
    client_certificate: Type.Optional(Nullable(Ref)),
    tags: Tags,
    use_srv_name: Type.Optional(Type.Boolean({ default: false })),
  },
  { $id: 'Upstream', additionalProperties: false },
);
