// Kong's plugins that Turnpike does not bundle, so that a Kong file naming one is refused with
// what is true about it instead of "unknown plugin": a Kong Enterprise plugin (Turnpike has
// no such plugin, and may never), or an open-source Kong plugin (kong/constants.lua's list,
// 3.x) that Turnpike does not have yet. `nearest`: the bundled plugin that does a similar job,
// named in the message; it is never a drop-in replacement (fields differ).
//
// A custom plugin registered under one of these names takes precedence: these entries are
// only read for a name the registry does not have.

import { didYouMean } from '../config/errors.js';
import { bundled } from './bundled/index.js';

export interface KongPluginInfo {
  readonly edition: 'enterprise' | 'oss';
  /** A bundled Turnpike plugin for a similar job. */
  readonly nearest?: string;
}

const ee = (nearest?: string): KongPluginInfo =>
  nearest === undefined ? { edition: 'enterprise' } : { edition: 'enterprise', nearest };
const oss = (nearest?: string): KongPluginInfo =>
  nearest === undefined ? { edition: 'oss' } : { edition: 'oss', nearest };

export const KONG_PLUGINS: Readonly<Record<string, KongPluginInfo>> = {
  // Kong Enterprise (Kong Gateway Enterprise / Konnect). openid-connect and request-validator
  // are Enterprise too, but Turnpike bundles its own.
  ace: ee(),
  'ai-aws-guardrails': ee(),
  'ai-azure-content-safety': ee(),
  'ai-gcp-model-armor': ee(),
  'ai-lakera-guard': ee(),
  'ai-llm-as-judge': ee(),
  'ai-mcp-oauth2': ee(),
  'ai-mcp-proxy': ee(),
  'ai-prompt-compressor': ee(),
  'ai-proxy-advanced': ee(),
  'ai-rag-injector': ee(),
  'ai-rate-limiting-advanced': ee(),
  'ai-sanitizer': ee(),
  'ai-semantic-cache': ee(),
  'ai-semantic-prompt-guard': ee(),
  'ai-semantic-response-guard': ee(),
  'app-dynamics': ee(),
  'application-registration': ee(),
  canary: ee(),
  confluent: ee(),
  'confluent-consume': ee(),
  datakit: ee(),
  degraphql: ee(),
  'exit-transformer': ee(),
  'forward-proxy': ee(),
  'graphql-proxy-cache-advanced': ee(),
  'graphql-rate-limiting-advanced': ee(),
  'header-cert-auth': ee(),
  'injection-protection': ee(),
  jq: ee(),
  'json-threat-protection': ee(),
  'jwe-decrypt': ee(),
  'jwt-signer': ee(),
  'kafka-consume': ee(),
  'kafka-log': ee(),
  'kafka-upstream': ee(),
  'key-auth-enc': ee('key-auth'),
  'ldap-auth-advanced': ee(),
  mocking: ee(),
  'mtls-auth': ee(),
  'oas-validation': ee('request-validator'),
  'oauth2-introspection': ee(),
  opa: ee(),
  'proxy-cache-advanced': ee('proxy-cache'),
  'rate-limiting-advanced': ee('rate-limiting'),
  'request-callout': ee(),
  'request-transformer-advanced': ee('request-transformer'),
  'response-transformer-advanced': ee('response-transformer'),
  'route-by-header': ee(),
  'route-transformer-advanced': ee(),
  saml: ee(),
  'service-protection': ee('rate-limiting'),
  'solace-consume': ee(),
  'solace-log': ee(),
  'solace-upstream': ee(),
  'statsd-advanced': ee(),
  'tls-handshake-modifier': ee(),
  'tls-metadata-headers': ee(),
  'upstream-oauth': ee(),
  'upstream-timeout': ee(),
  'vault-auth': ee(),
  'websocket-size-limit': ee(),
  'websocket-validator': ee(),
  'xml-threat-protection': ee(),
  // Open-source Kong 3.x plugins not bundled yet.
  acme: oss(),
  'ai-prompt-decorator': oss(),
  'ai-prompt-guard': oss(),
  'ai-prompt-template': oss(),
  'ai-proxy': oss(),
  'ai-request-transformer': oss(),
  'ai-response-transformer': oss(),
  'aws-lambda': oss(),
  'azure-functions': oss(),
  datadog: oss('prometheus'),
  'ldap-auth': oss(),
  loggly: oss('http-log'),
  oauth2: oss(),
  'response-ratelimiting': oss(),
  session: oss(),
  'standard-webhooks': oss(),
  statsd: oss('prometheus'),
  syslog: oss('file-log'),
  'tcp-log': oss('http-log'),
  'udp-log': oss('http-log'),
  zipkin: oss('opentelemetry'),
};

const BUNDLED = new Set(bundled.map((m) => m.name));

/**
 * Why a plugin entity naming `name` cannot load on a node whose registry has `available`:
 * a Kong Enterprise plugin, a Kong plugin not available yet, or a name this build does not
 * know (with a guess at a typo).
 */
export function unavailablePluginMessage(name: string, available: readonly string[]): string {
  const info = BUNDLED.has(name) ? undefined : Object.hasOwn(KONG_PLUGINS, name) ? KONG_PLUGINS[name] : undefined;
  const fix = 'remove it, or load a custom plugin of that name (TURNPIKE_PLUGINS)';
  if (info !== undefined) {
    const nearest =
      info.nearest === undefined
        ? ''
        : `; the nearest Turnpike plugin is '${info.nearest}' (its fields differ: see its documentation)`;
    if (info.edition === 'enterprise')
      return `plugin '${name}' is a Kong Enterprise plugin; Turnpike does not have it${nearest}; ${fix}`;
    return `Kong plugin '${name}' is not available in Turnpike yet${nearest}; ${fix}`;
  }
  const guess = didYouMean(name, available);
  return `plugin '${name}' is not available in this build (available: ${available.length ? available.join(', ') : 'none yet'})${guess ? `; did you mean '${guess}'?` : ''}; remove it or load a custom plugin`;
}
