// The `local` policy's counters: one in-process Map per worker, keyed like Kong's local keys
// (route, service, identifier, window start, period). An entry lives until its window ends; an
// unref'd interval sweeps ended ones, so an idle worker neither leaks nor is kept alive.

export interface Counter {
  count: number;
  /** Epoch ms at which the window ends and the counter can be dropped. */
  readonly end: number;
}

export class LocalCounters {
  private readonly map = new Map<string, Counter>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly sweepEveryMs = 1000) {}

  /** Requests counted so far in the window (0 when none, or when it has ended). */
  usage(key: string, nowMs: number): number {
    const c = this.map.get(key);
    return c === undefined || c.end <= nowMs ? 0 : c.count;
  }

  /** The counter of a window that has not ended, or null. */
  live(key: string, nowMs: number): Counter | null {
    const c = this.map.get(key);
    return c === undefined || c.end <= nowMs ? null : c;
  }

  /** Counts `by` more requests in the window ending at `end`. */
  increment(key: string, end: number, nowMs: number, by = 1): number {
    let c = this.map.get(key);
    if (c === undefined || c.end <= nowMs) {
      c = { count: 0, end };
      this.map.set(key, c);
      this.ensureSweeper();
    }
    c.count += by;
    return c.count;
  }

  /** Drops every counter whose window has ended; returns how many were dropped. */
  sweep(nowMs: number): number {
    let n = 0;
    for (const [k, c] of this.map) {
      if (c.end <= nowMs) {
        this.map.delete(k);
        n++;
      }
    }
    if (this.map.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    return n;
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private ensureSweeper(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.sweep(Date.now()), this.sweepEveryMs);
    this.timer.unref();
  }
}

/** The counters of this process (each worker has its own: `local` counts per worker). */
export const localCounters = new LocalCounters();
