// A coarse clock and one sweep timer per process for every timeout on the proxy path.
// Arming a real timer per request (or per socket activity) costs more than the proxying
// itself at tens of thousands of requests a second; instead each connection stores a deadline
// and one interval checks the connections that have one. Precision is the sweep period
// (100 ms), plenty for timeouts counted in seconds.

export interface Expirable {
  /** Absolute time (clock.now scale) at which `expire` runs; 0 = none. */
  deadline: number;
  expire(now: number): void;
}

export const clock = { now: Date.now() };

const watched = new Set<Expirable>();
let timer: NodeJS.Timeout | null = null;

function sweep(): void {
  const now = (clock.now = Date.now());
  for (const item of watched) {
    if (item.deadline !== 0 && item.deadline <= now) {
      item.deadline = 0;
      item.expire(now);
    }
  }
}

export function watch(item: Expirable): void {
  watched.add(item);
  if (timer === null) {
    timer = setInterval(sweep, 100);
    timer.unref();
  }
}

export function unwatch(item: Expirable): void {
  watched.delete(item);
}

export function watchedCount(): number {
  return watched.size;
}
