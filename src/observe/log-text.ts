// The process log as a person reads it on a terminal: one line per record,
// `HH:MM:SS.mmm LEVEL message key=value ...`, and what spans several lines (a refused
// reload's list of errors, a stack) printed as its lines, indented, instead of "\n" escapes.
//
// Why our own few lines rather than pino-pretty: pino-pretty runs as a transport in a worker
// thread (a thread per process, and lines that can be lost at exit) or, through
// prettyFactory, brings colorette, dateformat and a dozen more modules into every worker for
// what is a string join. Formatting here is synchronous, allocation-light, and writes into
// the same non-blocking LogSink as the JSON lines (see log-sink.ts): a slow or dead terminal
// costs counted lines, never the event loop. Its cost (a JSON.parse per line) is paid only
// when a person is watching, or when text is asked for.

import type { LogSink } from './log-sink.js';

/** pino's level numbers → the names printed (5 wide, so messages line up). */
const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

/** Fields every record has, printed in their own place (time, level, message) or not at all. */
const OWN = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** Continuation lines of a multi-line message or value. */
const INDENT = '    ';

/** A value printed bare when it has no blank, quote, "=" or control character; else as a JSON string. */
const BARE = /^[^\s"=\\\u0000-\u001f\u007f]+$/;

function two(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** Local wall-clock time of an ISO timestamp (or epoch ms), HH:MM:SS.mmm: a terminal is read by a person, in their zone. */
function clock(time: unknown): string {
  const d = typeof time === 'string' || typeof time === 'number' ? new Date(time) : new Date();
  if (Number.isNaN(d.getTime())) return String(time);
  const ms = d.getMilliseconds();
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}`;
}

function levelName(level: unknown): string {
  if (typeof level === 'number') return LEVEL_NAMES[level] ?? String(level).padEnd(5);
  if (typeof level === 'string') return level.toUpperCase().padEnd(5);
  return '?    ';
}

function indented(lines: string[]): string {
  let out = '';
  for (const l of lines) out += '\n' + INDENT + l;
  return out;
}

/**
 * One record (a JSON line as pino writes it) as text, ending in "\n". A line that is not a
 * JSON object is passed through unchanged: nothing is ever lost to formatting.
 */
export function textLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return json;
    rec = parsed as Record<string, unknown>;
  } catch {
    return json;
  }
  const msgLines = (typeof rec.msg === 'string' ? rec.msg : rec.msg === undefined ? '' : JSON.stringify(rec.msg))
    .replace(/\r\n/g, '\n')
    .split('\n');
  let head = clock(rec.time) + ' ' + levelName(rec.level) + ' ' + msgLines[0];
  let tail = msgLines.length > 1 ? indented(msgLines.slice(1)) : '';
  for (const key of Object.keys(rec)) {
    if (OWN.has(key)) continue;
    const v = rec[key];
    if (v === undefined) continue;
    // A serialized Error ({type, message, stack}): its message as the value, its stack below.
    if (v !== null && typeof v === 'object' && typeof (v as { stack?: unknown }).stack === 'string') {
      const e = v as { message?: unknown; stack: string };
      head += ' ' + key + '=' + value(typeof e.message === 'string' ? e.message : 'error');
      tail += indented(e.stack.split('\n').map((l) => l.trim()));
      continue;
    }
    if (typeof v === 'string' && v.includes('\n')) {
      const lines = v.replace(/\r\n/g, '\n').split('\n');
      tail += '\n' + INDENT + key + ':' + indented(lines.map((l) => INDENT.slice(2) + l));
      continue;
    }
    head += ' ' + key + '=' + value(v);
  }
  if (typeof rec.pid === 'number') head += ' pid=' + rec.pid;
  return head + tail + '\n';
}

function value(v: unknown): string {
  if (typeof v === 'string') return v !== '' && BARE.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v) ?? String(v);
}

/**
 * A pino destination writing text into a LogSink: pino hands it each record as a JSON line,
 * it writes the record's text in one sink write, so a multi-line record stays in one piece
 * (one write(2) up to PIPE_BUF, never interleaved with another process's lines).
 */
export class TextDestination {
  constructor(private readonly sink: LogSink) {}

  write(json: string): boolean {
    return this.sink.write(textLine(json));
  }

  flush(cb?: (err?: Error) => void): void {
    this.sink.flush(cb);
  }

  flushSync(): void {
    this.sink.flushSync();
  }
}
