// Active health checks run in the primary, once for the node; results go to every worker.
// Passive ejections reported by a worker are applied here too, so all workers agree and the
// active checks can bring the target back (as Kong's shared health state does).

import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { activateSnapshot, compileSnapshot, stopSnapshot } from '../snapshot/compile.js';
import type { Snapshot } from '../snapshot/types.js';
import { MetricsRegistry } from '../observe/metrics.js';
import type { PrimaryMessage } from './messages.js';

export class HealthProber {
  /** A snapshot of its own, compiled only for its clusters' health checks; null before start. */
  private prober: Snapshot | null = null;

  constructor(
    private readonly log: Logger,
    private readonly passiveRecoveryTimeout: number,
    /** Sends a message to every ready worker. */
    private readonly broadcast: (msg: PrimaryMessage) => void,
  ) {}

  /** Checks the upstreams of `config` from now on, keeping what is known of targets that stay. */
  start(config: Config, hash: string): void {
    const next = compileSnapshot(config, hash, {
      metrics: new MetricsRegistry(),
      previous: this.prober,
      passiveRecoveryTimeout: this.passiveRecoveryTimeout,
      onHealthChange: (upstream, ep, healthy) => this.onHealthChange(upstream, ep, healthy),
    });
    activateSnapshot(next, this.prober);
    this.prober = next;
  }

  /** A worker's passive check ejected (or restored) a target. */
  setTargetHealth(upstream: string, target: string, healthy: boolean): void {
    this.prober?.clusters.get(upstream)?.setTargetHealth(target, healthy);
  }

  /** Brings a (new or reloaded) worker up to date with the targets known to be down. */
  sendUnhealthy(send: (msg: PrimaryMessage) => void): void {
    if (this.prober === null) return;
    for (const c of this.prober.clusters.values()) {
      for (const t of c.health())
        if (t.health === 'UNHEALTHY') send({ t: 'health', upstream: c.name, target: t.target, healthy: false });
    }
  }

  stop(): void {
    if (this.prober !== null) stopSnapshot(this.prober);
  }

  private onHealthChange(upstream: string, ep: { key: string }, healthy: boolean): void {
    this.log.info(
      { upstream, target: ep.key, healthy },
      `target ${ep.key} of upstream ${upstream} is now ${healthy ? 'HEALTHY' : 'UNHEALTHY'}`,
    );
    this.broadcast({ t: 'health', upstream, target: ep.key, healthy });
  }
}
