// The process log: one pino logger per process (the primary and each worker), at the level
// of `log_level`, written through the process's non-blocking stdout or stderr sink
// (stdio.ts, log-sink.ts), as JSON or, for a person at a terminal, as text (log-text.ts).
//
// Code that logs outside a request object (the engine, plugins' helpers) calls processLog();
// the process's entry point calls setProcessLog() first thing, with its settings.

import { createRequire } from 'node:module';
import tty from 'node:tty';
import type { Level, Logger, LoggerOptions } from 'pino';
import { stdSink } from './stdio.js';
import { TextDestination } from './log-text.js';
import type { LogSink } from './log-sink.js';

/** Kong's `log_level` values (nginx's error-log levels). */
export type KongLogLevel = 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'crit' | 'alert' | 'emerg';

/** `log_format`: text on a terminal and JSON elsewhere (auto), or always one of them. */
export type LogFormat = 'auto' | 'json' | 'text';

/**
 * Kong's levels on pino's. `notice` is `info`: Turnpike's info lines (started, reloaded, a
 * target's health) are what Kong logs at notice, so a Kong user's `notice` keeps showing
 * them. `crit`, `alert` and `emerg` are `fatal`: only what stops the process is logged.
 */
export const PINO_LEVEL: Readonly<Record<KongLogLevel, Level>> = {
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warn: 'warn',
  error: 'error',
  crit: 'fatal',
  alert: 'fatal',
  emerg: 'fatal',
};

/**
 * Field names whose values never reach the log, at the top of a record or one level down
 * (pino's redaction, before any formatting): credentials a caller might pass by mistake.
 */
export const REDACTED_FIELDS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'password',
  'pg_password',
  'admin_token',
  'token',
  'secret',
  'client_secret',
  'cert_key',
  'cluster_cert_key',
  'private_key',
];

const REDACT_PATHS = REDACTED_FIELDS.flatMap((f) => {
  const k = /^[A-Za-z_$][\w$]*$/.test(f) ? f : `["${f}"]`;
  return [k, k.startsWith('[') ? `*${k}` : `*.${k}`];
});

export interface ProcessLogOptions {
  level: KongLogLevel;
  format: LogFormat;
  /** The primary logs to stdout, workers to stderr (as they always have). */
  to: 'stdout' | 'stderr';
  /**
   * How `level` reads in a JSON line: pino's number (the primary's lines: "level":30) or its
   * name (the workers' lines: "level":"warn"). Each process keeps what its JSON consumers know.
   */
  levelAs: 'number' | 'label';
}

/** Whether lines to `to` are text: asked for, or auto and the descriptor is a terminal. */
export function isText(format: LogFormat, to: 'stdout' | 'stderr'): boolean {
  if (format !== 'auto') return format === 'text';
  return tty.isatty(to === 'stdout' ? 1 : 2);
}

/** A logger over `sink` (the process's stdout or stderr sink unless given: tests pass their own). */
export function createProcessLog(opts: ProcessLogOptions, sink: LogSink = stdSink(opts.to)): Logger {
  // Loaded on first use: the CLI's commands (validate, get, …) import the plugins, whose
  // helpers log through here, and most of them never write a line (see ARCHITECTURE.md).
  const { pino } = createRequire(import.meta.url)('pino') as typeof import('pino');
  const options: LoggerOptions = {
    level: PINO_LEVEL[opts.level],
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  if (opts.levelAs === 'label') options.formatters = { level: (label) => ({ level: label }) };
  return pino(options, isText(opts.format, opts.to) ? new TextDestination(sink) : sink);
}

let current: Logger | null = null;

/** This process's logger. Until setProcessLog() runs: info, JSON with level names, to stderr (a worker's defaults). */
export function processLog(): Logger {
  return (current ??= createProcessLog({ level: 'info', format: 'auto', to: 'stderr', levelAs: 'label' }));
}

/** Makes this process's logger from its settings; later processLog() calls return it. */
export function setProcessLog(opts: ProcessLogOptions): Logger {
  current = createProcessLog(opts);
  return current;
}
