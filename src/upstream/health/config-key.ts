// A health checker's configuration as one comparable string: a reload keeps the running
// checker (its targets' health and counters) when the key is unchanged, and replaces it
// otherwise (HealthChecker.sameConfig, reuseOrCreate).
import type { Healthchecks } from '../../config/types.js';
import type { ClientCert } from './probe.js';

/** Deterministic JSON with sorted keys: used to compare configurations. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'undefined';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

export function healthConfigKey(
  hc: Healthchecks,
  hostHeader: string | null,
  passiveRecoveryTimeout: number,
  clientCert: ClientCert | null,
): string {
  // The certificate itself is compared (not an id): a reload that rotates it restarts the probes.
  return canonical({
    hc,
    hostHeader,
    passiveRecoveryTimeout,
    clientCert: clientCert === null ? null : clientCert.cert,
  });
}
