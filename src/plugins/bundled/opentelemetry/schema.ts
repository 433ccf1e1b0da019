// The opentelemetry plugin's config: Kong's field names and defaults (3.x), with the 3.7
// `queue` and `propagation` records. The older shapes (`endpoint`, `batch_span_count`,
// `batch_flush_delay`) are rewritten into these by the plugin's `upgrade` hook (./index.ts).
import { Type, type Static } from '@sinclair/typebox';
import { HeaderName, Nullable, StringEnum } from '../../../config/schema/common.js';
import { QueueSchema } from '../http-log/schema.js';
import { NullIsDefault } from '../shared/kong-null.js';

/** Every format Kong names; the ones in SUPPORTED_FORMATS are implemented, the others refused by `prepare`. */
export const FORMATS = ['w3c', 'b3', 'b3-single', 'jaeger', 'ot', 'aws', 'datadog', 'gcp', 'instana'] as const;
export type Format = (typeof FORMATS)[number];
export const SUPPORTED_FORMATS: readonly Format[] = ['w3c', 'b3', 'b3-single'];
/** Kong's header_type: `preserve`, `ignore` (do not read; write default_format) or a format. */
export const HEADER_TYPES = ['preserve', 'ignore', ...FORMATS] as const;
const INJECT = ['preserve', ...FORMATS] as const;

/** Kong's queue record with the opentelemetry default (200 spans per batch; the rest as the queue's). */
export const OtelQueueSchema = Type.Object(
  {
    ...QueueSchema.properties,
    max_batch_size: NullIsDefault(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 200 })),
  },
  { additionalProperties: false, default: {} },
);

/**
 * Kong 3.7's propagation record. Its lists have no default, as in Kong: while all three are
 * null, `header_type` decides (see ./propagation.ts), which is what db_export writes.
 */
export const PropagationSchema = Type.Object(
  {
    /** Formats read from the incoming request, in order; the first valid one wins. */
    extract: Nullable(Type.Array(StringEnum(FORMATS))),
    /** Incoming headers removed before injection. */
    clear: Nullable(Type.Array(HeaderName)),
    /** Formats written upstream; `preserve` writes the format that was extracted. */
    inject: Nullable(Type.Array(StringEnum(INJECT))),
    /** Written by `preserve` when nothing was extracted. */
    default_format: StringEnum(FORMATS, { default: 'w3c' }),
  },
  { additionalProperties: false },
);

export const OpenTelemetrySchema = Type.Object(
  {
    /** OTLP/HTTP traces URL; with Kong, at least one of traces_endpoint and logs_endpoint is set. */
    traces_endpoint: Nullable(Type.String({ minLength: 1 })),
    /** Kong 3.8's OTLP log export: accepted, not done by Turnpike (a load warning says so). */
    logs_endpoint: Nullable(Type.String({ minLength: 1 })),
    headers: Nullable(Type.Record(HeaderName, Type.String())),
    resource_attributes: Nullable(
      Type.Record(Type.String({ minLength: 1 }), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    ),
    queue: OtelQueueSchema,
    /** Milliseconds. */
    connect_timeout: NullIsDefault(Type.Integer({ minimum: 0, maximum: 2147483646, default: 1000 })),
    send_timeout: NullIsDefault(Type.Integer({ minimum: 0, maximum: 2147483646, default: 5000 })),
    read_timeout: NullIsDefault(Type.Integer({ minimum: 0, maximum: 2147483646, default: 5000 })),
    /** Response header that carries the trace id back to the client (null: none). */
    http_response_header_for_traceid: Nullable(HeaderName),
    header_type: NullIsDefault(StringEnum(HEADER_TYPES, { default: 'preserve' })),
    /** 0..1; null follows the incoming parent's sampled flag (and samples when there is none). */
    sampling_rate: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
    /** Kong's default is a record with default_format w3c and null lists. */
    propagation: Nullable(PropagationSchema, { default: { default_format: 'w3c' } }),
  },
  { additionalProperties: false },
);

export type OpenTelemetryConfig = Static<typeof OpenTelemetrySchema>;
