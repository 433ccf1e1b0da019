// The `local` policy's counters: in-process, per worker, keyed like Kong's local keys (route,
// service, identifier, period; the window start decides when a counter starts over). The keys
// are nested maps of strings the request already holds (route id, service id, consumer id),
// not one concatenated key: V8 caches a string's hash on the string, so looking up the same
// instances costs no hashing, while a freshly built key is hashed on every request (measured:
// the largest part of this plugin's cost). An unref'd interval sweeps ended windows, so an
// idle worker neither leaks nor is kept alive.

import type { Period } from './windows.js';

/** One window's counter for one (route, service, identifier). */
export interface WindowCounter {
  readonly period: Period;
  /** Epoch ms at which the counted window began. */
  start: number;
  /** Epoch ms at which it ends (the counter then starts over). */
  end: number;
  count: number;
}

type ByIdentifier = Map<string, WindowCounter[]>;

export class LocalCounters {
  /** route id → service id → identifier → the counters of its windows. */
  private readonly map = new Map<string, Map<string, ByIdentifier>>();
  private timer: NodeJS.Timeout | null = null;
  private count = 0;

  constructor(private readonly sweepEveryMs = 1000) {}

  /**
   * The counter of `period` for (route, service, identifier) in the window [start, end); a
   * counter left from an earlier window starts over at zero.
   */
  counter(
    route: string,
    service: string,
    identifier: string,
    period: Period,
    start: number,
    end: number,
  ): WindowCounter {
    let byService = this.map.get(route);
    if (byService === undefined) this.map.set(route, (byService = new Map()));
    let byId = byService.get(service);
    if (byId === undefined) byService.set(service, (byId = new Map()));
    let list = byId.get(identifier);
    if (list === undefined) {
      byId.set(identifier, (list = []));
      this.count++;
      this.ensureSweeper();
    }
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      if (c.period !== period) continue;
      if (c.start !== start) {
        c.start = start;
        c.end = end;
        c.count = 0;
      }
      return c;
    }
    const c: WindowCounter = { period, start, end, count: 0 };
    list.push(c);
    return c;
  }

  /** Drops the counters whose windows have all ended; returns how many identifiers were dropped. */
  sweep(nowMs: number): number {
    let n = 0;
    for (const [route, byService] of this.map) {
      for (const [service, byId] of byService) {
        for (const [id, list] of byId) {
          if (list.every((c) => c.end <= nowMs)) {
            byId.delete(id);
            n++;
          }
        }
        if (byId.size === 0) byService.delete(service);
      }
      if (byService.size === 0) this.map.delete(route);
    }
    this.count -= n;
    if (this.count === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    return n;
  }

  /** Identifiers with counters. */
  get size(): number {
    return this.count;
  }

  clear(): void {
    this.map.clear();
    this.count = 0;
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
