// Reloads in the primary: one at a time, the latest request wins. A configuration that does
// not load is refused and the current one stays; a database that is away is retried with a
// growing pause while traffic goes on. What loads is handed on (to the workers, the health
// checks, the data planes) only when its hash differs.

import type { Logger } from 'pino';
import type { TlsOptions } from '../settings/index.js';
import type { Config } from '../config/types.js';
import type { PluginRegistry } from '../plugins/registry.js';
import { SourceUnavailable, type ConfigSource, type LoadOutcome } from './config-source.js';
import { loadAndCheck, logWarnings, type CheckedConfig } from './config-check.js';

/** The last reload's outcome, as the status listener shows it. */
export interface ReloadResult {
  ok: boolean;
  at: string;
  hash: string | null;
  error: string | null;
  trigger: string;
}

/** The configuration being served; `warnings` is absent when it came from the cache. */
export type ServedConfig = { config: Config; hash: string; warnings?: readonly string[] };

export interface ReloaderOptions {
  source: ConfigSource;
  registry: PluginRegistry;
  tls: TlsOptions;
  log: Logger;
  /** What the node serves at start. */
  initial: ServedConfig;
  /** A reload loaded a configuration (changed or not): e.g. a control plane pushes it to its data planes. */
  onLoaded: (hash: string) => void;
  /** A changed configuration is now current: hand it to the health checks and the workers. */
  onChanged: (current: ServedConfig) => void;
  /** True once the node is stopping: a database retry is then not scheduled. */
  shuttingDown: () => boolean;
}

export class Reloader {
  private served: ServedConfig;
  private last: ReloadResult;
  private ok = 0;
  private failed = 0;
  private dbRetryMs = 0;
  private reloading: Promise<void> | null = null;
  private again = false;

  constructor(private readonly opts: ReloaderOptions) {
    this.served = opts.initial;
    this.last = { ok: true, at: new Date().toISOString(), hash: opts.initial.hash, error: null, trigger: 'start' };
  }

  get current(): ServedConfig {
    return this.served;
  }
  get lastReload(): ReloadResult {
    return this.last;
  }
  get reloadsOk(): number {
    return this.ok;
  }
  get reloadsFailed(): number {
    return this.failed;
  }

  /** Asks for a reload: now, or once the one in progress is over (requests meanwhile make one more). */
  request(trigger: string): void {
    if (this.reloading !== null) {
      this.again = true;
      return;
    }
    this.reloading = this.reload(trigger).finally(() => this.afterReload(trigger));
  }

  /** Runs a reload now (after the one in progress) and resolves when it is done. */
  async now(trigger: string): Promise<void> {
    while (this.reloading !== null) await this.reloading;
    this.reloading = this.reload(trigger).finally(() => this.afterReload(trigger));
    await this.reloading;
  }

  private afterReload(trigger: string): void {
    this.reloading = null;
    if (this.again) {
      this.again = false;
      this.request(trigger);
    }
  }

  private async reload(trigger: string): Promise<void> {
    const { source, log } = this.opts;
    let next: CheckedConfig;
    try {
      next = await loadAndCheck(source, this.opts.registry, this.opts.tls);
      this.dbRetryMs = 0;
    } catch (err) {
      if (err instanceof SourceUnavailable) {
        // Traffic goes on with the current snapshot; the database is tried again with a
        // growing pause (1 s .. 10 s), and one line is logged per attempt.
        this.dbRetryMs = Math.min(Math.max(this.dbRetryMs * 2, 1000), 10_000);
        log.error(
          { trigger },
          `${err.message}; still serving the current configuration (${this.served.hash.slice(0, 12)}), retrying in ${this.dbRetryMs / 1000} s`,
        );
        if (!this.opts.shuttingDown()) setTimeout(() => this.request('database retry'), this.dbRetryMs).unref();
        return;
      }
      this.failed++;
      this.settled({ ok: false, error: (err as Error).message });
      this.last = {
        ok: false,
        at: new Date().toISOString(),
        hash: this.served.hash,
        error: (err as Error).message,
        trigger,
      };
      log.error(
        { trigger },
        `reload refused, still serving the previous configuration (${this.served.hash.slice(0, 12)}): ${(err as Error).message}`,
      );
      return;
    }
    this.ok++;
    this.settled({ ok: true, hash: next.hash });
    logWarnings(log, source.label, next.warnings, trigger);
    this.last = { ok: true, at: new Date().toISOString(), hash: next.hash, error: null, trigger };
    if (next.hash === this.served.hash) {
      log.info({ trigger, hash: next.hash }, 'reload: configuration unchanged');
      return;
    }
    this.served = next;
    this.opts.onChanged(next);
    log.info({ trigger, hash: next.hash }, 'configuration reloaded');
  }

  /** After a reload: a data plane acks or nacks it; a control plane pushes what it now serves. */
  private settled(outcome: LoadOutcome): void {
    this.opts.source.settled?.(outcome);
    if (outcome.ok) this.opts.onLoaded(outcome.hash);
  }
}
