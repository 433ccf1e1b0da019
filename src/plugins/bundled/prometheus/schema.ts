// Kong's prometheus plugin config (3.x fields). Every switch is off by default, as in Kong 3.x:
// the plugin then records nothing until a metric family is enabled.
import { Type, type Static } from '@sinclair/typebox';
import { NullIsDefault } from '../shared/kong-null.js';

export const PrometheusSchema = Type.Object(
  {
    /** Fill the consumer label of kong_http_requests_total and kong_bandwidth_bytes. */
    per_consumer: NullIsDefault(Type.Boolean({ default: false })),
    /** kong_http_requests_total. */
    status_code_metrics: NullIsDefault(Type.Boolean({ default: false })),
    /** kong_kong_latency_ms, kong_upstream_latency_ms, kong_request_latency_ms. */
    latency_metrics: NullIsDefault(Type.Boolean({ default: false })),
    /** kong_bandwidth_bytes. */
    bandwidth_metrics: NullIsDefault(Type.Boolean({ default: false })),
    /** Accepted for Kong files; target health is always on /metrics as turnpike_upstream_target_health. */
    upstream_health_metrics: NullIsDefault(Type.Boolean({ default: false })),
    /** Accepted for Kong files; Turnpike has no AI proxy plugins, so there is nothing to count. */
    ai_metrics: NullIsDefault(Type.Boolean({ default: false })),
    /** Accepted for Kong files; Turnpike runs no Wasm filters, so there is nothing to count. */
    wasm_metrics: NullIsDefault(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

export type PrometheusConfig = Static<typeof PrometheusSchema>;
