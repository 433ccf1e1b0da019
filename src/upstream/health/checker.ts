// Kong's `healthchecks` for one upstream: active probes, passive counting, ejection and
// recovery, the upstream-level threshold, and status for the status listener. How the
// per-target counters move is in ./counters.ts; this class owns the targets, the timers and
// the probes, and flips a target when the counters say so.
import type { Healthchecks } from '../../config/types.js';
import type { Endpoint, PassiveOutcome, TargetHealth } from '../types.js';
import { probeTarget, type ClientCert, type ProbeResult } from './probe.js';
import { healthConfigKey } from './config-key.js';
import {
  clearCounters,
  countFailure,
  countSuccess,
  HTTP_FAILURE,
  limitsOf,
  newTargetState,
  TCP_FAILURE,
  TIMEOUT,
  type Limits,
  type TargetState,
} from './counters.js';

export type HealthChangeListener = (ep: Endpoint, healthy: boolean) => void;

export interface HealthCheckerOptions {
  healthchecks: Healthchecks;
  /** The same endpoint objects the balancer was built with (the checker writes `ep.healthy`). */
  endpoints: readonly Endpoint[];
  /** Upstream name, for messages. */
  name?: string;
  /** upstream.host_header: Host header of HTTP probes (default host:port of the target). */
  hostHeader?: string | null;
  /** upstream.client_certificate: presented by https probes (targets that require mutual TLS). */
  clientCert?: ClientCert | null;
  onChange?: HealthChangeListener;
  /**
   * Turnpike extension, OFF by default (0 = Kong's behaviour: a target ejected by passive
   * checks stays unhealthy until an active check or an operator puts it back). When > 0
   * and active checks do not probe unhealthy targets (active.unhealthy.interval = 0), a
   * target ejected passively is put back after this many seconds, with clean counters.
   */
  passiveRecoveryTimeout?: number;
  /** Observes every probe result (logging, tests). */
  onProbe?: (ep: Endpoint, result: ProbeResult) => void;
}

const MODE_ACTIVE = 0;
const MODE_PASSIVE = 1;

export class HealthChecker {
  readonly name: string;
  readonly healthchecks: Healthchecks;
  onChange: HealthChangeListener | null;
  private readonly hostHeader: string | null;
  private readonly clientCert: ClientCert | null;
  private readonly passiveRecoveryMs: number;
  private readonly onProbe: ((ep: Endpoint, r: ProbeResult) => void) | null;
  private readonly limits: [Limits, Limits];
  private readonly configKey: string;
  private states = new Map<Endpoint, TargetState>();
  private timers: NodeJS.Timeout[] = [];
  private running = false;
  private roundBusy: [boolean, boolean] = [false, false];
  private aborts = new Set<() => void>();

  constructor(opts: HealthCheckerOptions) {
    const hc = opts.healthchecks;
    this.name = opts.name ?? '';
    this.healthchecks = hc;
    this.onChange = opts.onChange ?? null;
    this.hostHeader = opts.hostHeader ?? null;
    this.clientCert = opts.clientCert ?? null;
    this.passiveRecoveryMs = Math.max(0, (opts.passiveRecoveryTimeout ?? 0) * 1000);
    this.onProbe = opts.onProbe ?? null;
    this.limits = [limitsOf(hc.active), limitsOf(hc.passive)];
    this.configKey = HealthChecker.configKey(hc, this.hostHeader, opts.passiveRecoveryTimeout ?? 0);
    this.setEndpoints(opts.endpoints);
  }

  static configKey(
    hc: Healthchecks,
    hostHeader: string | null = null,
    passiveRecoveryTimeout = 0,
    clientCert: ClientCert | null = null,
  ): string {
    return healthConfigKey(hc, hostHeader, passiveRecoveryTimeout, clientCert);
  }

  /** Active checks run when either interval is > 0 (Kong). */
  get activeEnabled(): boolean {
    const a = this.healthchecks.active;
    return a.healthy.interval > 0 || a.unhealthy.interval > 0;
  }

  /** Passive checks run when any passive failure threshold is > 0 (Kong). */
  get passiveEnabled(): boolean {
    const u = this.healthchecks.passive.unhealthy;
    return u.http_failures > 0 || u.tcp_failures > 0 || u.timeouts > 0;
  }

  /**
   * True when `other` configures this checker identically (healthchecks deep-equal, same
   * host header and recovery option). On a reload the engine keeps the old checker when
   * this holds and hands it the new endpoint list with setEndpoints(); otherwise it stops
   * the old one and starts a new one. See HealthChecker.reuseOrCreate.
   */
  sameConfig(
    other: Healthchecks,
    hostHeader: string | null = null,
    passiveRecoveryTimeout = 0,
    clientCert: ClientCert | null = null,
  ): boolean {
    return this.configKey === HealthChecker.configKey(other, hostHeader, passiveRecoveryTimeout, clientCert);
  }

  /**
   * Reload helper: returns `previous` (with its state carried to `opts.endpoints`) when its
   * configuration is unchanged, else stops it and returns a new, started checker.
   */
  static reuseOrCreate(previous: HealthChecker | null | undefined, opts: HealthCheckerOptions): HealthChecker {
    if (
      previous &&
      previous.sameConfig(
        opts.healthchecks,
        opts.hostHeader ?? null,
        opts.passiveRecoveryTimeout ?? 0,
        opts.clientCert ?? null,
      )
    ) {
      previous.setEndpoints(opts.endpoints);
      if (opts.onChange) previous.onChange = opts.onChange;
      return previous;
    }
    previous?.stop();
    const next = new HealthChecker(opts);
    next.start();
    return next;
  }

  /**
   * Replaces the endpoint list, keeping health and counters of targets whose key is
   * unchanged (copying `healthy` onto the new endpoint objects when they differ). New
   * targets start healthy (ep.healthy is set to true); removed ones are forgotten.
   */
  setEndpoints(endpoints: readonly Endpoint[]): void {
    const byKey = new Map<string, TargetState>();
    for (const st of this.states.values()) byKey.set(st.ep.key, st);
    const next = new Map<Endpoint, TargetState>();
    for (const ep of endpoints) {
      const old = byKey.get(ep.key);
      if (old) {
        byKey.delete(ep.key);
        if (old.ep !== ep) {
          ep.healthy = old.ep.healthy;
          old.ep = ep;
        }
        next.set(ep, old);
      } else {
        // A target new to this checker starts healthy, as in Kong (also when the endpoint
        // object is reused from a snapshot whose checker had ejected it).
        ep.healthy = true;
        next.set(ep, newTargetState(ep));
      }
    }
    for (const gone of byKey.values()) if (gone.recovery) clearTimeout(gone.recovery);
    this.states = next;
  }

  get endpoints(): Endpoint[] {
    return [...this.states.keys()];
  }

  /** Starts active probing (no-op when active checks are off or already running). */
  start(): void {
    if (this.running) return;
    this.running = true;
    const a = this.healthchecks.active;
    if (a.healthy.interval > 0) this.schedule(true, a.healthy.interval);
    if (a.unhealthy.interval > 0) this.schedule(false, a.unhealthy.interval);
  }

  /** Stops timers and aborts probes in flight. Passive counting keeps working. */
  stop(): void {
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const abort of [...this.aborts]) abort();
    this.aborts.clear();
    for (const st of this.states.values()) {
      if (st.recovery) clearTimeout(st.recovery);
      st.recovery = null;
    }
  }

  /**
   * Passive check: the engine reports every proxied request's outcome. With a status,
   * 'success' and 'http_failure' are classified by the passive status lists (a status in
   * neither list is ignored); without one, the outcome counts as given. Allocation-free.
   */
  report(ep: Endpoint, outcome: PassiveOutcome, status?: number): void {
    const st = this.states.get(ep);
    if (st === undefined) return;
    const lim = this.limits[MODE_PASSIVE];
    switch (outcome) {
      case 'success':
      case 'http_failure':
        if (status !== undefined && status >= 0 && status < 1000) {
          if (lim.unhealthyStatus[status] === 1) this.failure(st, MODE_PASSIVE, HTTP_FAILURE);
          else if (lim.healthyStatus[status] === 1) this.success(st, MODE_PASSIVE);
        } else if (outcome === 'success') {
          this.success(st, MODE_PASSIVE);
        } else {
          this.failure(st, MODE_PASSIVE, HTTP_FAILURE);
        }
        return;
      case 'tcp_failure':
        this.failure(st, MODE_PASSIVE, TCP_FAILURE);
        return;
      case 'timeout':
        this.failure(st, MODE_PASSIVE, TIMEOUT);
        return;
    }
  }

  /** Manual override (Kong's PUT /upstreams/{u}/targets/{t}/healthy|unhealthy). Clears counters. */
  setHealthy(target: Endpoint | string, healthy: boolean): boolean {
    const st = typeof target === 'string' ? this.findByKey(target) : this.states.get(target);
    if (!st) return false;
    this.flip(st, healthy, false);
    return true;
  }

  /** Per-target health for the status listener, in Kong's vocabulary. */
  status(): TargetHealth[] {
    const off = !this.activeEnabled && !this.passiveEnabled;
    const out: TargetHealth[] = [];
    for (const st of this.states.values()) {
      const ep = st.ep;
      // With checks off a target is HEALTHCHECKS_OFF unless an operator marked it unhealthy.
      const health: TargetHealth['health'] = ep.healthy ? (off ? 'HEALTHCHECKS_OFF' : 'HEALTHY') : 'UNHEALTHY';
      out.push({
        target: ep.key,
        weight: ep.weight,
        health,
        addresses: [{ ip: ep.host, port: ep.port, health }],
      });
    }
    return out;
  }

  /**
   * Kong's `healthchecks.threshold`: the upstream is healthy while the healthy targets
   * carry at least `threshold` percent of the total weight (threshold 0: always healthy).
   */
  upstreamHealthy(): boolean {
    const threshold = this.healthchecks.threshold ?? 0;
    if (!(threshold > 0)) return true;
    let total = 0;
    let healthy = 0;
    for (const st of this.states.values()) {
      total += st.ep.weight;
      if (st.ep.healthy) healthy += st.ep.weight;
    }
    if (total === 0) return false;
    return (healthy * 100) / total >= threshold;
  }

  /** Runs one round of active probes for the targets in the given state now (tests, admin "check now"). */
  async probeNow(healthyTargets: boolean): Promise<void> {
    await this.round(healthyTargets);
  }

  // ---- internals ------------------------------------------------------------------------

  private findByKey(key: string): TargetState | undefined {
    for (const st of this.states.values()) if (st.ep.key === key) return st;
    return undefined;
  }

  private schedule(healthyTargets: boolean, intervalSeconds: number): void {
    const t = setInterval(
      () => {
        void this.round(healthyTargets);
      },
      Math.max(1, Math.round(intervalSeconds * 1000)),
    );
    t.unref();
    this.timers.push(t);
  }

  private async round(healthyTargets: boolean): Promise<void> {
    const slot = healthyTargets ? 0 : 1;
    if (this.roundBusy[slot]) return;
    this.roundBusy[slot] = true;
    try {
      const batch: TargetState[] = [];
      for (const st of this.states.values()) {
        if (st.ep.healthy === healthyTargets && st.ep.weight > 0 && !st.probing) batch.push(st);
      }
      const concurrency = Math.max(1, Math.floor(this.healthchecks.active.concurrency || 1));
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < batch.length) {
          const st = batch[next++]!;
          await this.checkOne(st);
        }
      };
      const workers: Promise<void>[] = [];
      for (let i = 0; i < Math.min(concurrency, batch.length); i++) workers.push(worker());
      await Promise.all(workers);
    } finally {
      this.roundBusy[slot] = false;
    }
  }

  private async checkOne(st: TargetState): Promise<void> {
    st.probing = true;
    let result: ProbeResult;
    try {
      result = await probeTarget(st.ep, this.healthchecks.active, {
        hostHeader: this.hostHeader,
        clientCert: this.clientCert,
        track: (abort) => {
          this.aborts.add(abort);
          return () => this.aborts.delete(abort);
        },
      });
    } finally {
      st.probing = false;
    }
    if (!this.running || this.states.get(st.ep) !== st) return; // stopped or target removed meanwhile
    this.onProbe?.(st.ep, result);
    const lim = this.limits[MODE_ACTIVE];
    switch (result.kind) {
      case 'connected':
        this.success(st, MODE_ACTIVE);
        break;
      case 'status':
        // Kong: a status in neither list is ignored.
        if (result.status < 1000 && lim.healthyStatus[result.status] === 1) this.success(st, MODE_ACTIVE);
        else if (result.status < 1000 && lim.unhealthyStatus[result.status] === 1)
          this.failure(st, MODE_ACTIVE, HTTP_FAILURE);
        break;
      case 'grpc':
        // NOT_SERVING or a failed call counts against http_failures, as a bad status would.
        if (result.serving) this.success(st, MODE_ACTIVE);
        else this.failure(st, MODE_ACTIVE, HTTP_FAILURE);
        break;
      case 'tcp_failure':
        this.failure(st, MODE_ACTIVE, TCP_FAILURE);
        break;
      case 'timeout':
        this.failure(st, MODE_ACTIVE, TIMEOUT);
        break;
    }
  }

  private success(st: TargetState, mode: number): void {
    if (countSuccess(st, this.limits[mode]!)) this.flip(st, true, false);
  }

  /** kind: HTTP_FAILURE, TCP_FAILURE or TIMEOUT. */
  private failure(st: TargetState, mode: number, kind: number): void {
    if (countFailure(st, this.limits[mode]!, kind)) this.flip(st, false, mode === MODE_PASSIVE);
  }

  private flip(st: TargetState, healthy: boolean, passive: boolean): void {
    clearCounters(st);
    if (st.recovery) {
      clearTimeout(st.recovery);
      st.recovery = null;
    }
    if (!healthy && passive && this.passiveRecoveryMs > 0 && !(this.healthchecks.active.unhealthy.interval > 0)) {
      st.recovery = setTimeout(() => {
        st.recovery = null;
        if (this.states.get(st.ep) === st && !st.ep.healthy) this.flip(st, true, false);
      }, this.passiveRecoveryMs);
      st.recovery.unref();
    }
    if (st.ep.healthy === healthy) return;
    st.ep.healthy = healthy;
    this.onChange?.(st.ep, healthy);
  }
}
