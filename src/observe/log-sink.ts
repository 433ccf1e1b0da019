// Where every process's log lines go: a sink writes them to a file descriptor (stdout,
// stderr, an access-log file) without ever blocking the event loop, retrying forever or
// throwing, and counts every line it could not write (turnpike_log_lines_dropped_total).
//
// Why not pino's default destination: sonic-boom turns a failed write into an 'error' that
// pino re-emits unhandled (for anything but EPIPE), and at exit pino calls its flushSync(),
// which retries *every* error every 100 ms, forever. On a closed terminal (EIO) that left the
// primary blocked in its exit handler: no SIGTERM, no proxying (the primary accepts the
// connections). Node's own process.stdout/stderr are synchronous on ttys and pipes and emit
// 'error' events that nothing handles. Log output therefore goes through this module.
//
// A sink is a pino destination (it has write(string), flush(cb) and flushSync()).

import { closeSync, mkdirSync, openSync, write, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { AsciiQueue, LineQueue, type LogQueue } from './log-queue.js';

// Any other error (EIO on a hung-up terminal, EPIPE, EBADF, ...) means nothing written to the
// descriptor can succeed again: the sink stops writing to it and counts every line.
/** Errors that may clear up (a full disk or quota): one write is tried again after a pause. */
const FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
/** The destination is busy (a non-blocking descriptor whose reader is slow): retried later. */
const BUSY = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);

/** Pause before a full destination is tried again. Lines in between are dropped and counted. */
const FULL_RETRY_MS = 30_000;
/** Longest pause between retries of a busy (EAGAIN) destination. */
const BUSY_RETRY_MAX_MS = 1000;

export interface LogSinkOptions {
  /** Which log this is, a metric label: "process" (the node's own log) or "access". */
  log: string;
  /** Where it goes, a metric label: "stdout", "stderr" or "file". */
  sink: string;
  /** Lines are batched until this many bytes (string length) are waiting; 0 = write when the event loop is free. */
  batchBytes?: number;
  /** Longest time a line waits in a batch, ms (only with batchBytes > 0). */
  intervalMs?: number;
  /** Most bytes one write(2) carries. Writes of at most PIPE_BUF (4096) bytes are atomic on a pipe,
   * so lines of the primary and the workers sharing one pipe or terminal never interleave mid-line. */
  maxWriteBytes?: number;
  /** Bytes allowed to wait (batched, in flight, held back by EAGAIN); lines beyond are dropped and counted. */
  maxBacklogBytes?: number;
  /** Every line is ASCII (the access log): lines are copied into large buffers at once (log-queue.ts). */
  ascii?: boolean;
}

export interface LogSinkStats {
  log: string;
  sink: string;
  /** Lines not written: the destination failed, or could not keep up. */
  dropped: number;
  /** The error code that stopped (or is pausing) writing, or null while it works. */
  error: string | null;
}

const sinks: LogSink[] = [];

/** Figures of every sink this process made (for its metrics). */
export function logSinkStats(): LogSinkStats[] {
  return sinks.map((s) => ({ log: s.log, sink: s.sink, dropped: s.dropped, error: s.error }));
}

/** The sinks of several processes summed per log and destination, with the errors seen (for /status and /metrics). */
export function mergeLogSinks(all: LogSinkStats[]): { log: string; sink: string; dropped: number; errors: string[] }[] {
  const out = new Map<string, { log: string; sink: string; dropped: number; errors: string[] }>();
  for (const s of all) {
    const key = s.log + '\u0000' + s.sink;
    let m = out.get(key);
    if (m === undefined) out.set(key, (m = { log: s.log, sink: s.sink, dropped: 0, errors: [] }));
    m.dropped += s.dropped;
    if (s.error !== null && !m.errors.includes(s.error)) m.errors.push(s.error);
  }
  return [...out.values()].sort((a, b) => (a.log + ' ' + a.sink).localeCompare(b.log + ' ' + b.sink));
}

export class LogSink {
  readonly log: string;
  readonly sink: string;
  /** Lines lost. A line is what one write() call was given. */
  dropped = 0;
  /** Set once writing failed with an error that stops it (or, for a full disk, pauses it). */
  error: string | null = null;
  private fd: number;
  private readonly ownsFd: boolean;
  private readonly queue: LogQueue;
  /** What one write(2) is carrying: the rest of its bytes and how many lines end in them. */
  private inFlight: { data: string | Buffer; lines: number } | null = null;
  private writing = false;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private busyDelay = 0;
  /** Waiting out an EAGAIN: new lines only queue until the retry timer fires. */
  private busy = false;
  private retryAt = 0;
  private flushWaiters: (() => void)[] = [];
  private readonly batchBytes: number;
  private readonly intervalMs: number;
  private readonly maxWrite: number;
  private readonly maxBacklog: number;

  constructor(fd: number, opts: LogSinkOptions, ownsFd = false) {
    this.fd = fd;
    this.ownsFd = ownsFd;
    this.log = opts.log;
    this.sink = opts.sink;
    this.batchBytes = opts.batchBytes ?? 0;
    this.intervalMs = opts.intervalMs ?? 0;
    this.maxWrite = opts.maxWriteBytes ?? 4096;
    this.maxBacklog = opts.maxBacklogBytes ?? 1024 * 1024;
    this.queue = opts.ascii === true ? new AsciiQueue(this.maxWrite) : new LineQueue();
    sinks.push(this);
  }

  /** A sink appending to a file (created with its folder). Throws if it cannot be opened. */
  static file(path: string, opts: Omit<LogSinkOptions, 'sink'>): LogSink {
    mkdirSync(dirname(path), { recursive: true });
    return new LogSink(openSync(path, 'a'), { ...opts, sink: 'file' }, true);
  }

  /** Queues one line (with its newline). Never throws, never blocks; returns false once lines are being dropped. */
  write(line: string): boolean {
    if (this.fd < 0 || (this.error !== null && !FULL.has(this.error))) {
      this.dropped++;
      return false;
    }
    const q = this.queue;
    if (q.size + line.length > this.maxBacklog) {
      this.dropped++;
      return false;
    }
    q.push(line);
    if (this.writing || this.busy) return true;
    if (q.size >= this.batchBytes) this.schedule(true);
    else this.schedule(false);
    return true;
  }

  /** Starts writing what is queued; `cb` runs once the queue is empty or cannot be written. */
  flush(cb?: (err?: Error) => void): void {
    if (cb !== undefined) this.flushWaiters.push(() => cb());
    this.kick();
    this.settleWaiters();
  }

  /**
   * One synchronous attempt to write what is queued, for the last lines before an exit. It
   * never loops: any error (EAGAIN included) drops the rest. Skipped while an asynchronous
   * write is in flight: that write is stuck in the kernel, so would this one be.
   */
  flushSync(): void {
    if (this.writing || this.fd < 0 || this.queue.size === 0) return;
    if (this.error !== null && !FULL.has(this.error)) return;
    const all = this.queue.takeAll();
    if (all === null) return;
    const lines = all.lines;
    try {
      const buf = typeof all.data === 'string' ? Buffer.from(all.data) : all.data;
      let off = 0;
      while (off < buf.length) {
        const n = writeSync(this.fd, buf, off, buf.length - off);
        if (n <= 0) break;
        off += n;
      }
      if (off < buf.length) this.dropped += countLines(buf.subarray(off), lines);
    } catch (err) {
      this.dropped += lines;
      const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
      if (!BUSY.has(code)) this.stop(code);
    }
  }

  /** Writes what is queued (as far as the destination lets it) and closes a file the sink opened. */
  async close(timeoutMs = 2000): Promise<void> {
    this.clearTimers();
    const deadline = Date.now() + timeoutMs;
    const pending = (): boolean => this.writing || this.inFlight !== null || this.queue.size > 0;
    while (pending() && Date.now() < deadline && (this.error === null || this.writing)) {
      if (!this.writing) this.kick();
      await new Promise((r) => setTimeout(r, 5));
    }
    if (this.writing) return; // stuck in the kernel: leave the descriptor to the process's exit
    this.clearTimers();
    this.dropped += this.queue.clear() + (this.inFlight?.lines ?? 0);
    this.inFlight = null;
    if (this.ownsFd && this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        /* already gone */
      }
    }
    this.fd = -1;
  }

  private schedule(now: boolean): void {
    if (now) {
      if (this.immediate === null)
        this.immediate = setImmediate(() => {
          this.immediate = null;
          this.kick();
        });
    } else if (this.timer === null && this.immediate === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.kick();
      }, this.intervalMs);
      this.timer.unref();
    }
  }

  private clearTimers(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  /** Starts the next write(2) unless one is in flight or the destination is paused. */
  private kick(): void {
    if (this.writing || this.fd < 0) return;
    if (this.error !== null) {
      if (!FULL.has(this.error)) return this.dropQueued();
      if (Date.now() < this.retryAt) return this.dropQueued();
    }
    if (this.inFlight === null) {
      // Whole lines up to maxWrite bytes (at least one line, however long).
      this.inFlight = this.queue.take(this.maxWrite);
      if (this.inFlight === null) return;
    }
    const job = this.inFlight;
    this.writing = true;
    const done = (err: NodeJS.ErrnoException | null, written: number): void => {
      this.writing = false;
      if (err !== null) return this.failed(err);
      this.busyDelay = 0;
      if (this.error !== null) this.error = null; // a full disk has room again
      const total = typeof job.data === 'string' ? Buffer.byteLength(job.data) : job.data.length;
      if (written < total) {
        // A partial write (a pipe or a non-blocking descriptor): the rest goes next.
        job.data = (typeof job.data === 'string' ? Buffer.from(job.data) : job.data).subarray(written);
        job.lines = countLines(job.data as Buffer, job.lines);
      } else this.inFlight = null;
      if (this.inFlight !== null || this.queue.size >= this.batchBytes) this.kick();
      else if (this.queue.size > 0) this.schedule(false);
      this.settleWaiters();
    };
    if (typeof job.data === 'string') write(this.fd, job.data, null, 'utf8', done);
    else write(this.fd, job.data, 0, job.data.length, null, done);
  }

  private failed(err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'EUNKNOWN';
    if (BUSY.has(code)) {
      // A slow reader: keep what is in flight, let the queue grow up to maxBacklog, try again.
      this.busyDelay = Math.min(Math.max(this.busyDelay * 2, 10), BUSY_RETRY_MAX_MS);
      this.busy = true;
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.busy = false;
        this.kick();
      }, this.busyDelay);
      this.timer.unref();
      this.settleWaiters();
      return;
    }
    this.dropped += this.inFlight?.lines ?? 0;
    this.inFlight = null;
    this.stop(code);
  }

  /** EIO, EPIPE, EBADF and any other error not known to pass stop writing for good; a full disk pauses it. */
  private stop(code: string): void {
    this.error = code;
    if (FULL.has(code)) this.retryAt = Date.now() + FULL_RETRY_MS;
    this.dropQueued();
  }

  private dropQueued(): void {
    this.dropped += this.queue.clear();
    this.settleWaiters();
  }

  private settleWaiters(): void {
    if (this.flushWaiters.length === 0) return;
    // Settled: nothing left to write, or nothing can be written now (failed, or EAGAIN).
    const idle =
      !this.writing && ((this.queue.size === 0 && this.inFlight === null) || this.error !== null || this.busy);
    if (!idle) return;
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const w of waiters) w();
  }
}

/** Lines that end in `rest` (each line ends with "\n"); at least 1 when anything is left. */
function countLines(rest: Buffer, atMost: number): number {
  let n = 0;
  for (let i = rest.indexOf(10); i >= 0; i = rest.indexOf(10, i + 1)) n++;
  return Math.min(atMost, Math.max(n, rest.length > 0 ? 1 : 0));
}
