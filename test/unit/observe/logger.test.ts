// The process logger (src/observe/logger.ts) and its text format (log-text.ts): Kong's levels
// on pino's, the JSON fields the primary's and the workers' lines carry, readable lines with
// multi-line messages as lines, and secrets redacted in both formats. Lines go through a real
// LogSink into a file, as they go to stdout or stderr in a node.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogSink } from '../../../src/observe/log-sink.js';
import { textLine } from '../../../src/observe/log-text.js';
import {
  createProcessLog,
  isText,
  PINO_LEVEL,
  REDACTED_FIELDS,
  type KongLogLevel,
  type ProcessLogOptions,
} from '../../../src/observe/logger.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'turnpike-logger-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A logger writing into a fresh file; `read()` flushes and returns what reached the file. */
function logger(opts: Partial<ProcessLogOptions>) {
  const file = path.join(dir, `log-${++files}.txt`);
  const sink = LogSink.file(file, { log: 'process' });
  const log = createProcessLog({ level: 'info', format: 'json', to: 'stderr', levelAs: 'label', ...opts }, sink);
  return {
    log,
    read: async (): Promise<string> => {
      await new Promise<void>((r) => sink.flush(() => r()));
      return fs.readFileSync(file, 'utf8');
    },
  };
}

const CLOCK = /^\d\d:\d\d:\d\d\.\d{3} /;

test('JSON lines: a worker has level names, the primary pino numbers; time, pid, msg and the call fields', async () => {
  const w = logger({ levelAs: 'label' });
  w.log.warn({ plugin: 'acl', request_id: 'r1' }, 'no consumer');
  const line = JSON.parse(await w.read()) as Record<string, unknown>;
  assert.equal(line.level, 'warn');
  assert.equal(line.pid, process.pid);
  assert.equal(line.msg, 'no consumer');
  assert.equal(line.plugin, 'acl');
  assert.equal(line.request_id, 'r1');
  assert.ok(Math.abs(Date.parse(line.time as string) - Date.now()) < 60_000, 'time is an ISO timestamp');
  assert.equal(line.hostname, undefined, 'no hostname: the fields are the ones the lines always had');

  const p = logger({ levelAs: 'number', to: 'stdout' });
  p.log.info({ trigger: 'start' }, 'started');
  const pl = JSON.parse(await p.read()) as Record<string, unknown>;
  assert.equal(pl.level, 30);
  assert.equal(pl.trigger, 'start');
});

test("Kong's log_level values: each lets through its level and above", async () => {
  const seen = async (level: KongLogLevel): Promise<string[]> => {
    const l = logger({ level });
    l.log.debug('d');
    l.log.info('i');
    l.log.warn('w');
    l.log.error('e');
    l.log.fatal('f');
    return (await l.read())
      .trim()
      .split('\n')
      .map((s) => (JSON.parse(s) as { msg: string }).msg);
  };
  assert.deepEqual(await seen('debug'), ['d', 'i', 'w', 'e', 'f']);
  assert.deepEqual(await seen('info'), ['i', 'w', 'e', 'f']);
  assert.deepEqual(
    await seen('notice'),
    ['i', 'w', 'e', 'f'],
    "notice is info: Turnpike's info lines are Kong's notice",
  );
  assert.deepEqual(await seen('warn'), ['w', 'e', 'f']);
  assert.deepEqual(await seen('error'), ['e', 'f']);
  for (const l of ['crit', 'alert', 'emerg'] as const) assert.deepEqual(await seen(l), ['f'], l);
  assert.deepEqual(Object.keys(PINO_LEVEL).sort(), [
    'alert',
    'crit',
    'debug',
    'emerg',
    'error',
    'info',
    'notice',
    'warn',
  ]);
});

test('text lines: HH:MM:SS.mmm LEVEL message key=value, level names from numbers or labels', async () => {
  const t = logger({ format: 'text', levelAs: 'label', level: 'debug' });
  t.log.debug({ worker: 0 }, 'worker 0 starting');
  t.log.warn({ client_ip: '127.0.0.1', plugin: 'acl', note: 'two words', empty: '', n: 3, ok: true }, 'careful');
  t.log.error('bad');
  const lines = (await t.read()).split('\n');
  assert.equal(lines.pop(), '', 'every record ends with a newline');
  assert.equal(lines.length, 3, lines.join('\n'));
  for (const l of lines) assert.match(l, CLOCK);
  assert.match(lines[0]!, new RegExp(`^\\S+ DEBUG worker 0 starting worker=0 pid=${process.pid}$`));
  assert.match(
    lines[1]!,
    new RegExp(
      `^\\S+ WARN  careful client_ip=127\\.0\\.0\\.1 plugin=acl note="two words" empty="" n=3 ok=true pid=${process.pid}$`,
    ),
  );
  assert.match(lines[2]!, /^\S+ ERROR bad pid=\d+$/);
  assert.doesNotMatch(lines.join('\n'), /[{}]"level"/, 'no JSON');

  const n = logger({ format: 'text', levelAs: 'number' });
  n.log.info('started');
  n.log.fatal('gone');
  assert.match(await n.read(), /^\S+ INFO  started pid=\d+\n\S+ FATAL gone pid=\d+\n$/);
});

test("text lines: a multi-line message (a refused reload's errors) is printed as its lines, indented", async () => {
  const t = logger({ format: 'text' });
  const errors =
    'reload refused: invalid configuration in kong.yml:\nkong.yml:3:5: field \'port\': must be <= 65535\nkong.yml:9:1: unknown key "servics"';
  t.log.error({ trigger: 'SIGHUP' }, errors);
  const out = await t.read();
  assert.doesNotMatch(out, /\\n/, 'no "\\n" escapes');
  const lines = out.split('\n');
  assert.match(lines[0]!, /^\S+ ERROR reload refused: invalid configuration in kong\.yml: trigger=SIGHUP pid=\d+$/);
  assert.equal(lines[1], "    kong.yml:3:5: field 'port': must be <= 65535");
  assert.equal(lines[2], '    kong.yml:9:1: unknown key "servics"');
  assert.equal(lines[3], '');
  assert.equal(lines.length, 4);
});

test('text lines: an Error field shows its message, its stack below; a multi-line field value is printed as lines', async () => {
  const t = logger({ format: 'text' });
  t.log.error({ err: new Error('kaboom'), detail: 'first\nsecond' }, 'admin API: unexpected error');
  const lines = (await t.read()).split('\n');
  assert.match(lines[0]!, /^\S+ ERROR admin API: unexpected error err=kaboom pid=\d+$/);
  assert.equal(lines[1], '    Error: kaboom');
  assert.match(lines[2]!, /^ {4}at /, 'the stack, one frame a line');
  const detail = lines.indexOf('    detail:');
  assert.ok(detail > 1, lines.join('\n'));
  assert.deepEqual(lines.slice(detail + 1, detail + 3), ['      first', '      second']);
});

test('secrets are redacted before any format: in the JSON and the text lines, at the top and one level down', async () => {
  for (const format of ['json', 'text'] as const) {
    const t = logger({ format });
    const fields: Record<string, unknown> = {};
    for (const f of REDACTED_FIELDS) fields[f] = `top-secret-${f}`;
    t.log.warn({ ...fields, headers: { ...fields }, user: 'alice' }, 'with credentials');
    const out = await t.read();
    assert.doesNotMatch(out, /top-secret/, `${format}: ${out}`);
    assert.match(out, /\[redacted\]/, format);
    assert.match(out, /alice/, `${format}: other fields are kept`);
  }
  for (const f of ['password', 'authorization', 'admin_token', 'pg_password', 'cluster_cert_key'])
    assert.ok(REDACTED_FIELDS.includes(f), f);
});

test('textLine passes what is not a JSON object through unchanged', () => {
  assert.equal(textLine('not json\n'), 'not json\n');
  assert.equal(textLine('[1,2]\n'), '[1,2]\n');
  assert.match(textLine('{"level":30,"msg":"x"}\n'), /^\S+ INFO  x\n$/);
  assert.match(textLine('{"level":"notice","time":"2026-01-02T03:04:05.006Z","msg":"y"}'), / NOTICE y\n$/);
  assert.match(textLine('{"time":"2026-01-02T03:04:05.006Z","msg":"t"}'), CLOCK);
});

test('log_format: json and text are what they say; auto is text exactly when the descriptor is a terminal', () => {
  assert.equal(isText('json', 'stderr'), false);
  assert.equal(isText('text', 'stdout'), true);
  assert.equal(isText('auto', 'stderr'), process.stderr.isTTY === true);
  assert.equal(isText('auto', 'stdout'), process.stdout.isTTY === true);
});
