// One sweep timer per process for every timeout on the proxy path. Arming a real timer per
// request (or per socket activity) costs more than the proxying itself at tens of thousands
// of requests a second; instead each connection stores a deadline (Date.now() + timeout) and
// one interval checks the connections that have one. A timeout fires up to one sweep period
// (100 ms) late, never early.

export interface Expirable {
  /** Absolute time (Date.now() scale) at which `expire` runs; 0 = none. */
  deadline: number;
  expire(now: number): void;
}

const watched = new Set<Expirable>();
let timer: NodeJS.Timeout | null = null;

function sweep(): void {
  const now = Date.now();
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
