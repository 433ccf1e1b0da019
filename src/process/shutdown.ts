// How the primary stops: on SIGTERM or SIGINT (or when the process that started it exits,
// if asked to), it stops taking configuration, closes its listeners, lets the workers drain
// their connections, then exits. SIGHUP reloads.

import fs from 'node:fs';
import type { Logger } from 'pino';
import { watchParent } from './launcher.js';
import type { WorkerPool } from './worker-pool.js';

export interface ShutdownOptions {
  log: Logger;
  drainTimeout: number;
  pool: WorkerPool;
  /** Closed in this order before the workers drain: the watch on the source, then the Admin API, the cluster listener, the source. */
  stopWatching: () => void;
  closeFirst: readonly (() => Promise<void>)[];
  /** After the workers exited: the health checks, then the status listener. */
  stopProber: () => void;
  closeStatus: () => Promise<void>;
  pidFile: string;
}

/** Returns the shutdown sequence; it runs once, whatever asks for it again. */
export function shutdownSequence(o: ShutdownOptions): (signal: string) => Promise<void> {
  return async (signal) => {
    if (!o.pool.beginShutdown()) return;
    o.log.info({ signal }, `received ${signal}: draining connections (up to ${o.drainTimeout} ms), then exiting`);
    o.stopWatching();
    for (const close of o.closeFirst) await close().catch(() => {});
    await o.pool.drain(o.drainTimeout);
    o.stopProber();
    await o.closeStatus();
    try {
      fs.unlinkSync(o.pidFile);
    } catch {
      /* already gone */
    }
    o.log.info('stopped');
    o.log.flush();
    setTimeout(() => process.exit(0), 50);
  };
}

/** SIGHUP reloads; SIGTERM, SIGINT and (with `withParent`) the parent's exit shut down. */
export function handleSignals(
  log: Logger,
  reload: (trigger: string) => void,
  shutdown: (signal: string) => Promise<void>,
  withParent: boolean,
): void {
  process.on('SIGHUP', () => reload('SIGHUP'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  if (withParent) {
    watchParent((parent) => {
      log.warn(`the process that started Turnpike (pid ${parent}) exited: stopping as on SIGTERM`);
      void shutdown('parent exit');
    });
  }
}
