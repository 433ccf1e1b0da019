// The primary's workers: forks them, answers what they say over IPC, replaces one that dies
// (slowing down a crash loop), gathers their figures for the status listener, and drains
// them on shutdown.

import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Settings } from '../settings/index.js';
import type { Config } from '../config/types.js';
import type { PrimaryMessage, WorkerMessage, WorkerStats } from './messages.js';
import { StartupError } from './startup-checks.js';

/** Environment variables blanked for the workers: secrets only the primary uses. */
const WORKER_ENV_SECRETS: Record<string, string> = Object.fromEntries(
  [
    'TURNPIKE_PG_PASSWORD',
    'TURNPIKE_ADMIN_TOKEN',
    'TURNPIKE_ADMIN_TOKEN_FILE',
    'TURNPIKE_CLUSTER_CERT_KEY',
    'PGPASSWORD',
  ].map((k) => [k, '']),
);

interface WorkerSlot {
  index: number;
  worker: Worker;
  ready: boolean;
  hash: string | null;
}

/** What the status listener shows of one worker. */
export interface WorkerSlotInfo {
  index: number;
  pid: number;
  ready: boolean;
  hash: string | null;
}

export interface WorkerPoolOptions {
  settings: Settings;
  workerEntry: string;
  log: Logger;
  /** The configuration a worker that says hello is sent. */
  current: () => { config: Config; hash: string };
  /** A worker is up (or applied a configuration): bring it up to date, e.g. with targets down. */
  onWorkerUp: (send: (msg: PrimaryMessage) => void) => void;
  /** A worker's passive health check ejected (or restored) a target. */
  onPassiveHealth: (upstream: string, target: string, healthy: boolean) => void;
}

export class WorkerPool {
  private readonly slots = new Map<number, WorkerSlot>();
  private stopping = false;
  private statsSeq = 0;
  private readonly statsWaiters = new Map<
    number,
    { want: number; got: WorkerStats[]; done: (s: WorkerStats[]) => void }
  >();
  private readonly restartTimes: number[] = [];
  private readyResolve: (() => void) | null = null;
  private startupReject: ((e: Error) => void) | null = null;
  /** Resolves when every worker forked so far is ready; rejects when one fails to start. */
  readonly allReady: Promise<void>;

  constructor(private readonly opts: WorkerPoolOptions) {
    this.allReady = new Promise<void>((resolve, reject) => {
      this.readyResolve = resolve;
      this.startupReject = reject;
    });
    // Who accepts connections. Round-robin (Node's default on Linux) has the primary accept
    // each one and hand it to a worker over IPC: that balances workers, but costs both
    // processes work per connection, and a burst of new TLS clients then queues behind the
    // primary (the bench's hey opens about a thousand connections in its first second: p99
    // 7–9.5 ms this way against 1.4–1.8 ms when the worker accepts them itself). With one
    // worker there is nothing to balance, so the worker accepts on the shared socket itself.
    // Set before setupPrimary, which freezes it.
    cluster.schedulingPolicy = opts.settings.workers === 1 ? cluster.SCHED_NONE : cluster.SCHED_RR;
    cluster.setupPrimary({ exec: opts.workerEntry, args: [], serialization: 'advanced', silent: false });
  }

  /** True once shutdown began: a worker that exits then is not replaced. */
  get shuttingDown(): boolean {
    return this.stopping;
  }

  /** Marks the start of shutdown; false when it had already begun. */
  beginShutdown(): boolean {
    if (this.stopping) return false;
    this.stopping = true;
    return true;
  }

  /** Start-up is over: from now on a worker that fails is logged and replaced, not fatal. */
  startupOver(): void {
    this.startupReject = null;
  }

  /** A worker failed to start: the others are killed at once. */
  abortStartup(): void {
    this.stopping = true;
    for (const s of this.slots.values()) s.worker.process.kill('SIGKILL');
  }

  /** Sends a message to every ready worker. */
  broadcast(msg: PrimaryMessage): void {
    for (const s of this.slots.values()) if (s.ready) this.sendTo(s.worker, msg);
  }

  /** Sends a message to every worker, ready or still starting. */
  sendToAll(msg: PrimaryMessage): void {
    for (const s of this.slots.values()) this.sendTo(s.worker, msg);
  }

  readyCount(): number {
    return [...this.slots.values()].filter((s) => s.ready).length;
  }

  slotInfo(): WorkerSlotInfo[] {
    return [...this.slots.values()].map((s) => ({
      index: s.index,
      pid: s.worker.process.pid ?? 0,
      ready: s.ready,
      hash: s.hash,
    }));
  }

  fork(index: number): void {
    const { settings, log } = this.opts;
    // Workers never open the database, serve the Admin API or talk to the cluster: those
    // secrets (a password, the admin token, the cluster key) stay here, in the settings sent
    // and in the environment a worker inherits.
    const worker = cluster.fork({
      ...WORKER_ENV_SECRETS,
      TURNPIKE_WORKER_INDEX: String(index),
      TURNPIKE_WORKER_SETTINGS: JSON.stringify({
        ...settings,
        db: null,
        adminToken: null,
        cluster: { ...settings.cluster, certKey: null },
      }),
    });
    const slot: WorkerSlot = { index, worker, ready: false, hash: null };
    this.slots.set(index, slot);
    worker.on('error', (err: Error) => log.warn({ worker: index }, `IPC with worker ${index} failed: ${err.message}`));
    worker.on('message', (msg: WorkerMessage) => this.onMessage(slot, msg));
    worker.on('exit', (code, signal) => this.onExit(index, worker, code, signal));
  }

  /** Asks every ready worker for its figures; a worker that does not answer within 1 s is left out. */
  collectStats(): Promise<WorkerStats[]> {
    const live = [...this.slots.values()].filter((s) => s.ready && s.worker.isConnected());
    if (live.length === 0) return Promise.resolve([]);
    const id = ++this.statsSeq;
    return new Promise((resolve) => {
      const finish = (got: WorkerStats[]): void => {
        this.statsWaiters.delete(id);
        clearTimeout(timer);
        resolve(got);
      };
      const timer = setTimeout(() => finish(this.statsWaiters.get(id)?.got ?? []), 1000);
      this.statsWaiters.set(id, { want: live.length, got: [], done: finish });
      for (const s of live) this.sendTo(s.worker, { t: 'stats', id });
    });
  }

  /** Tells every worker to drain within `timeoutMs`; kills those still there 5 s later. Resolves when all exited. */
  async drain(timeoutMs: number): Promise<void> {
    const exits = [...this.slots.values()].map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.worker.isDead()) return resolve();
          s.worker.once('exit', () => resolve());
          this.sendTo(s.worker, { t: 'shutdown', timeoutMs });
        }),
    );
    const hard = setTimeout(() => {
      for (const s of this.slots.values()) s.worker.process.kill('SIGKILL');
    }, timeoutMs + 5000);
    hard.unref();
    await Promise.all(exits);
  }

  private sendTo(w: Worker, msg: PrimaryMessage): void {
    // A worker can die between the check and the send; the 'error' listener absorbs that.
    if (w.isConnected()) w.send(msg);
  }

  private onMessage(slot: WorkerSlot, msg: WorkerMessage): void {
    const { worker, index } = slot;
    const { log } = this.opts;
    const send = (m: PrimaryMessage): void => this.sendTo(worker, m);
    switch (msg.t) {
      case 'hello': {
        const current = this.opts.current();
        send({ t: 'config', config: current.config, hash: current.hash, reload: false });
        break;
      }
      case 'ready':
        slot.ready = true;
        slot.hash = msg.hash;
        this.opts.onWorkerUp(send);
        if (this.readyResolve !== null && [...this.slots.values()].every((s) => s.ready)) {
          this.readyResolve();
          this.readyResolve = null;
        }
        break;
      case 'applied':
        slot.hash = msg.hash;
        this.opts.onWorkerUp(send);
        break;
      case 'health':
        this.opts.onPassiveHealth(msg.upstream, msg.target, msg.healthy);
        break;
      case 'apply-failed':
        log.error(
          { worker: index, hash: msg.hash },
          `worker ${index} could not apply the configuration: ${msg.message}`,
        );
        break;
      case 'stats': {
        const w = this.statsWaiters.get(msg.id);
        if (w !== undefined) {
          w.got.push(msg.stats);
          if (w.got.length >= w.want) w.done(w.got);
        }
        break;
      }
      case 'fatal':
        if (this.startupReject !== null) {
          this.startupReject(new StartupError(msg.message));
          this.startupReject = null;
        } else log.error({ worker: index }, msg.message);
        break;
    }
  }

  private onExit(index: number, worker: Worker, code: number | null, signal: string | null): void {
    if (this.slots.get(index)?.worker !== worker) return;
    this.slots.delete(index);
    if (this.stopping) return;
    if (this.startupReject !== null) {
      this.startupReject(new StartupError(`worker ${index} exited during start-up (code ${code ?? signal})`));
      this.startupReject = null;
      return;
    }
    this.opts.log.error(
      { worker: index, code, signal },
      `worker ${index} died (${signal ?? 'exit code ' + code}); starting a replacement`,
    );
    const now = Date.now();
    this.restartTimes.push(now);
    while (this.restartTimes.length > 0 && this.restartTimes[0]! < now - 10_000) this.restartTimes.shift();
    // A crash loop gets slowed down rather than spinning the CPU.
    const delay = this.restartTimes.length > 5 ? 1000 : 0;
    setTimeout(() => {
      if (!this.stopping) this.fork(index);
    }, delay);
  }
}
