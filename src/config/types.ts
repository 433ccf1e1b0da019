// The normalized configuration model: what the loader hands to the snapshot compiler.
// Every nested entity is flattened into its top-level list, every reference is resolved to
// `{ id }`, and every field carries Kong's default when the file left it out.
// These types are DERIVED from the JSON Schemas in ./schema (TypeBox Static<>), which are the
// single source of truth. Fields added beyond the original contract are optional in the type
// (the loader always fills them) so that hand-written fixtures keep compiling.
import type { Static } from '@sinclair/typebox';
import type { Ref as RefSchema } from './schema/common.js';
import type { ServiceSchema } from './schema/service.js';
import type { RouteSchema } from './schema/route.js';
import type {
  ActiveHealthcheckSchema,
  HashOnSchema,
  HealthcheckHealthySchema,
  HealthcheckUnhealthySchema,
  HealthchecksSchema,
  PassiveHealthcheckSchema,
  UpstreamSchema,
} from './schema/upstream.js';
import type { TargetSchema } from './schema/target.js';
import type { ConsumerSchema } from './schema/consumer.js';
import type { PluginSchema } from './schema/plugin.js';
import type { CertificateSchema, SniSchema } from './schema/certificate.js';
import type { CaCertificateSchema } from './schema/ca-certificate.js';
import type { ConfigSchema } from './schema/declarative.js';

export type Ref = Static<typeof RefSchema>;
export type Service = Static<typeof ServiceSchema>;
export type Route = Static<typeof RouteSchema>;
export type HealthcheckHealthy = Static<typeof HealthcheckHealthySchema>;
export type HealthcheckUnhealthy = Static<typeof HealthcheckUnhealthySchema>;
export type ActiveHealthcheck = Static<typeof ActiveHealthcheckSchema>;
export type PassiveHealthcheck = Static<typeof PassiveHealthcheckSchema>;
export type Healthchecks = Static<typeof HealthchecksSchema>;
export type HashOn = Static<typeof HashOnSchema>;
export type Upstream = Static<typeof UpstreamSchema>;
export type Target = Static<typeof TargetSchema>;
export type Consumer = Static<typeof ConsumerSchema>;
export type Plugin = Static<typeof PluginSchema>;
export type Certificate = Static<typeof CertificateSchema>;
export type Sni = Static<typeof SniSchema>;
export type CaCertificate = Static<typeof CaCertificateSchema>;
export type Config = Static<typeof ConfigSchema>;
