// Kong's plugin queue (kong/tools/queue.lua, 3.3+) for http-log: entries are serialized when
// they are queued, sent in batches of at most max_batch_size once the batch is full or
// max_coalescing_delay passed since its first entry, retried with exponential backoff
// (initial_retry_delay doubling up to max_retry_delay) until max_retry_time, then dropped.
// Bounded: past max_entries (or max_bytes) the oldest entries are dropped. Everything runs
// on timers and promises, never on a request's path; errors are logged, never thrown.

import { pluginLog } from '../shared/log-entry.js';
import type { QueueConfig } from './schema.js';

export type SendBatch = (entries: string[]) => Promise<void>;

const WARN_EVERY_MS = 10_000;

export class LogQueue {
  private entries: string[] = [];
  private bytes = 0;
  private firstAt = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Batches being sent (at most one with concurrency_limit 1). */
  private inFlight = 0;
  private lastWarn = 0;
  dropped = 0;
  sent = 0;

  constructor(
    readonly name: string,
    private readonly conf: QueueConfig,
    private readonly send: SendBatch,
    /** The plugin named in the queue's log lines. */
    private readonly plugin = 'http-log',
  ) {}

  enqueue(entry: string): void {
    const c = this.conf;
    if (c.max_bytes !== null && entry.length > c.max_bytes) {
      this.drop(1, 'entry larger than queue.max_bytes; dropped');
      return;
    }
    while (this.entries.length >= c.max_entries || (c.max_bytes !== null && this.bytes + entry.length > c.max_bytes)) {
      const old = this.entries.shift()!;
      this.bytes -= old.length;
      this.drop(1, 'queue full; oldest entries dropped');
    }
    if (this.entries.length === 0) this.firstAt = Date.now();
    this.entries.push(entry);
    this.bytes += entry.length;
    if (this.entries.length >= 0.8 * c.max_entries && this.entries.length % 100 === 0)
      this.warn('queue is 80% full', { entries: this.entries.length });
    this.schedule();
  }

  /** Entries waiting (not counting a batch being sent). */
  get length(): number {
    return this.entries.length;
  }

  private schedule(): void {
    if (this.entries.length === 0) return;
    if (this.conf.concurrency_limit === 1 && this.inFlight > 0) return; // the sender comes back here
    const c = this.conf;
    if (c.max_batch_size === 1 || this.entries.length >= c.max_batch_size) {
      if (this.timer !== null) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      this.startBatch();
      return;
    }
    if (this.timer !== null) return;
    const wait = Math.max(0, this.firstAt + c.max_coalescing_delay * 1000 - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.startBatch();
    }, wait);
    this.timer.unref();
  }

  private startBatch(): void {
    if (this.entries.length === 0) return;
    const batch = this.entries.splice(0, this.conf.max_batch_size);
    for (const e of batch) this.bytes -= e.length;
    if (this.entries.length > 0) this.firstAt = Date.now();
    this.inFlight++;
    void this.process(batch).finally(() => {
      this.inFlight--;
      this.schedule();
    });
    // concurrency_limit -1: further batches do not wait for this one.
    if (this.conf.concurrency_limit === -1) this.schedule();
  }

  private async process(batch: string[]): Promise<void> {
    const c = this.conf;
    const started = Date.now();
    let delay = c.initial_retry_delay;
    for (;;) {
      try {
        await this.send(batch);
        this.sent += batch.length;
        return;
      } catch (err) {
        const elapsed = (Date.now() - started) / 1000;
        if (c.max_retry_time < 0 || elapsed + delay > c.max_retry_time) {
          this.drop(batch.length, 'could not send entries, giving up after retries', (err as Error).message);
          return;
        }
        this.warn('could not send entries, retrying', { error: (err as Error).message, retry_in_s: delay });
        await new Promise<void>((r) => setTimeout(r, delay * 1000).unref());
        delay = Math.min(delay * 2, c.max_retry_delay);
      }
    }
  }

  private drop(n: number, msg: string, error?: string): void {
    this.dropped += n;
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) return;
    this.lastWarn = now;
    pluginLog('error', this.plugin, msg, { queue: this.name, dropped_total: this.dropped, error });
  }

  private warn(msg: string, fields: Record<string, unknown>): void {
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) return;
    this.lastWarn = now;
    pluginLog('warn', this.plugin, msg, { queue: this.name, ...fields });
  }
}
