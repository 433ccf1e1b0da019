// Batched, asynchronous appends to one file, shared by every file-log instance (and every
// configuration generation) that names the same path. Same approach as the gateway's access
// log (src/observe/access-log.ts): lines are joined in memory and written with one async
// fs.write when the batch passes 64 KiB or 100 ms after the first line, so the request
// path only pushes a string. A backlog over 16 MiB drops lines (counted, reported) rather
// than growing without bound. Open and write errors are logged (at most every 10 s per
// file) and never thrown.

import { close, closeSync, mkdir, open, openSync, write, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pluginLog } from '../shared/log-entry.js';

const BATCH = 64 * 1024;
const DELAY_MS = 100;
const MAX_BACKLOG = 16 * 1024 * 1024;
const ERROR_EVERY_MS = 10_000;

export class FileSink {
  private fd = -1;
  private parts: string[] = [];
  private size = 0;
  private busy = false;
  private timer: NodeJS.Timeout | null = null;
  private lastError = 0;
  /** Close after the current batch and open again for the next (Kong's `reopen`). */
  reopen = false;
  dropped = 0;
  written = 0;

  constructor(readonly path: string) {}

  push(line: string): void {
    if (this.size > MAX_BACKLOG) {
      this.dropped++;
      this.report('backlog full; log lines dropped', null);
      return;
    }
    this.parts.push(line);
    this.size += line.length;
    if (this.size >= BATCH) this.flush();
    else if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, DELAY_MS);
      this.timer.unref();
    }
  }

  private flush(): void {
    if (this.busy || this.size === 0) return;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const data = this.parts.length === 1 ? this.parts[0] : this.parts.join('');
    const lines = this.parts.length;
    this.parts = [];
    this.size = 0;
    this.busy = true;
    this.withFd((fd) => {
      if (fd < 0) return this.done(lines, false);
      write(fd, data, null, 'utf8', (err) => {
        if (err !== null) {
          this.report('write failed', err);
          // A broken descriptor (file removed with its directory, disk gone): open again next time.
          this.closeFd();
        }
        this.done(lines, err === null);
      });
    });
  }

  private done(lines: number, ok: boolean): void {
    if (ok) this.written += lines;
    else this.dropped += lines;
    if (ok && this.reopen) this.closeFd();
    this.busy = false;
    if (this.size >= BATCH) this.flush();
    else if (this.size > 0 && this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, DELAY_MS);
      this.timer.unref();
    }
  }

  private withFd(cb: (fd: number) => void): void {
    if (this.fd >= 0) return cb(this.fd);
    mkdir(dirname(this.path), { recursive: true }, () => {
      open(this.path, 'a', 0o644, (err, fd) => {
        if (err !== null) {
          this.report('failed to open the file', err);
          return cb(-1);
        }
        this.fd = fd;
        cb(fd);
      });
    });
  }

  private closeFd(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    close(fd, () => {});
  }

  private report(msg: string, err: NodeJS.ErrnoException | null): void {
    const now = Date.now();
    if (now - this.lastError < ERROR_EVERY_MS) return;
    this.lastError = now;
    pluginLog('error', 'file-log', msg, { path: this.path, error: err?.message, dropped: this.dropped });
  }

  /** Process exit: writes what is batched, synchronously (an in-flight write finishes on its own). */
  flushSync(): void {
    if (this.size === 0) return;
    try {
      const fd = this.fd >= 0 ? this.fd : openSync(this.path, 'a', 0o644);
      writeSync(fd, this.parts.join(''));
      if (fd !== this.fd) closeSync(fd);
    } catch {
      /* exiting: nothing left to tell */
    }
    this.parts = [];
    this.size = 0;
  }
}

const sinks = new Map<string, FileSink>();
let exitHook = false;

/** The sink for `path` (resolved against the working directory), created on first use. */
export function sinkFor(path: string): FileSink {
  const abs = resolve(path);
  let s = sinks.get(abs);
  if (s === undefined) {
    s = new FileSink(abs);
    sinks.set(abs, s);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const sink of sinks.values()) sink.flushSync();
      });
    }
  }
  return s;
}
