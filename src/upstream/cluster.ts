// A cluster: the balancer of one upstream (or of one service's single host) with its health
// checks, as the snapshot compiler (src/snapshot/compile.ts) builds it for each reload and
// the proxy engine uses it per request: pick an endpoint, report its outcome, name the Host.

import type { Service } from '../config/types.js';
import type { HealthChecker } from './health/index.js';
import type { Balancer, Endpoint, PassiveOutcome, TargetHealth } from './types.js';

export interface PassiveReporter {
  report(ep: Endpoint, outcome: PassiveOutcome, status?: number): void;
}

export interface Cluster {
  /** Upstream name, or "host:port" for a service without an upstream. */
  readonly name: string;
  readonly balancer: Balancer;
  /** Passive health reporting; null when the cluster has no health checks. */
  readonly passive: PassiveReporter | null;
  /** Host header for a request to `ep` when preserve_host is off. */
  hostHeader(ep: Endpoint): string;
  /** False when Kong's healthchecks.threshold says the whole upstream is down. */
  available(): boolean;
  health(): TargetHealth[];
  /** Applies a health decision made elsewhere (the primary's probes, another worker's passive ejection). */
  setTargetHealth(target: string, healthy: boolean): void;
  start(): void;
  stop(): void;
  /** Identity of the cluster's config, to carry a running cluster across reloads. */
  readonly fingerprint: string;
}

/** Default port of a protocol, left out of Host headers. */
function defaultPort(protocol: string): number {
  return protocol === 'https' || protocol === 'grpcs' || protocol === 'wss' || protocol === 'tls' ? 443 : 80;
}

function withPort(host: string, port: number, protocol: string): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return port === defaultPort(protocol) ? h : `${h}:${port}`;
}

export class UpstreamCluster implements Cluster {
  readonly passive: PassiveReporter | null;
  constructor(
    readonly name: string,
    readonly balancer: Balancer,
    readonly checker: HealthChecker,
    private readonly hostHeaderOverride: string | null,
    private readonly protocol: string,
    readonly fingerprint: string,
    private readonly activeChecks: boolean,
  ) {
    this.passive = checker.passiveEnabled ? checker : null;
  }
  setTargetHealth(target: string, healthy: boolean): void {
    this.checker.setHealthy(target, healthy);
  }
  hostHeader(ep: Endpoint): string {
    return this.hostHeaderOverride ?? withPort(ep.host, ep.port, this.protocol);
  }
  available(): boolean {
    return this.checker.upstreamHealthy();
  }
  health(): TargetHealth[] {
    return this.checker.status();
  }
  start(): void {
    if (this.activeChecks) this.checker.start();
  }
  stop(): void {
    this.checker.stop();
  }
}

export class SingleHostCluster implements Cluster {
  readonly passive = null;
  private readonly host: string;
  constructor(
    readonly name: string,
    readonly balancer: Balancer,
    service: Service,
  ) {
    this.host = withPort(service.host, service.port, service.protocol);
  }
  get fingerprint(): string {
    return 'host:' + this.name;
  }
  hostHeader(): string {
    return this.host;
  }
  available(): boolean {
    return true;
  }
  health(): TargetHealth[] {
    const ep = this.balancer.endpoints[0];
    return [
      {
        target: ep.key,
        weight: ep.weight,
        health: 'HEALTHCHECKS_OFF',
        addresses: [{ ip: ep.host, port: ep.port, health: 'HEALTHCHECKS_OFF' }],
      },
    ];
  }
  setTargetHealth(): void {}
  start(): void {}
  stop(): void {}
}
