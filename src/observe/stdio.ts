// This process's stdout and stderr: the sinks its own log lines go through, and guards for
// what else writes there (console, Node's warnings, a plugin) or is done to them at exit.

import fs from 'node:fs';
import tty from 'node:tty';
import { LogSink } from './log-sink.js';

const std: { stdout?: LogSink; stderr?: LogSink } = {};

/**
 * This process's sink for stdout or stderr (one each, made on first use). The last queued
 * lines get one synchronous attempt when the process exits.
 */
export function stdSink(name: 'stdout' | 'stderr'): LogSink {
  let s = std[name];
  if (s === undefined) {
    s = new LogSink(name === 'stdout' ? 1 : 2, { log: 'process', sink: name });
    std[name] = s;
    const sink = s;
    process.once('exit', () => sink.flushSync());
  }
  return s;
}

/**
 * Keeps a failed write on process.stdout/stderr (console.log, Node's warnings, a plugin's
 * output) from becoming an uncaught exception that kills the process: the error event
 * (EPIPE, EIO) is absorbed and the line counted as dropped on that sink. Also makes both
 * sinks, so their metric series exist (at 0) before anything is lost.
 */
export function guardStdio(): void {
  if (guarded) return;
  guarded = true;
  for (const name of ['stdout', 'stderr'] as const) {
    stdSink(name);
    const stream = process[name];
    if (stream.listenerCount('error') > 0) continue;
    stream.on('error', () => {
      stdSink(name).dropped++;
    });
  }
  releaseHungUpTerminals();
}

let guarded = false;

/**
 * At exit Node restores the terminal settings of stdio descriptors that were terminals at
 * start, and aborts (SIGABRT, or SIGSEGV while printing the abort) when tcsetattr fails, as it
 * does with EIO once the terminal hung up (Node 20; nodejs/node#51519, fixed by #58200 in
 * later releases). A terminal that went away answers isatty() with false: such descriptors
 * are closed last thing before the exit, which Node's restore skips (EBADF).
 */
function releaseHungUpTerminals(): void {
  const wasTty = [0, 1, 2].filter((fd) => tty.isatty(fd));
  if (wasTty.length === 0) return;
  process.on('exit', () => {
    for (const fd of wasTty) {
      if (tty.isatty(fd)) continue;
      try {
        fs.closeSync(fd);
      } catch {
        /* already closed */
      }
    }
  });
}
