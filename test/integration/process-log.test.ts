// The node's own log (src/observe/logger.ts): readable text lines when its output is a
// terminal (a pseudo-terminal made by test/helpers/pty-spawn.py), JSON when it is a pipe or
// when log_format=json is asked for, and log_level honoured by the workers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { BIN, ROOT, freePort, sleep, tmpDir } from '../helpers/gateway.js';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';

const CI = process.env.CI === 'true';
const PTY_HELPER = path.join(ROOT, 'test', 'helpers', 'pty-spawn.py');
const pythonPty = spawnSync('python3', ['-c', 'import pty, select'], { stdio: 'ignore' }).status === 0;
if (!pythonPty && !CI) {
  console.error(
    '\n!!!!!!!!\n!!! process-log: python3 (with its pty module) is missing: SKIPPING the terminal tests.\n!!! Install python3; under CI=true this fails.\n!!!!!!!!\n',
  );
}

/** /ok proxies; /acl answers 401 and its worker logs a warning (acl without authentication); /nowhere logs an error. */
function config(port: number): string {
  return [
    '_format_version: "3.0"',
    'services:',
    '  - name: svc',
    `    url: http://127.0.0.1:${port}`,
    '    routes:',
    '      - name: ok',
    '        paths: [/ok]',
    '      - name: acl',
    '        paths: [/acl]',
    '        plugins:',
    '          - name: acl',
    '            config: { allow: [team] }',
    '  - name: nowhere',
    '    url: http://no-such-host.invalid:80',
    '    routes:',
    '      - name: nowhere',
    '        paths: [/nowhere]',
    '',
  ].join('\n');
}

/** Two errors in one file: a reload of it is refused with a message of several lines. */
const TWO_ERRORS = [
  '_format_version: "3.0"',
  'services:',
  '  - name: svc',
  '    url: http://127.0.0.1:1',
  '    routes:',
  '      - name: r',
  '        paths: [/x]',
  '        methods: [FETCH!]',
  '  - name: other',
  '    url: http://127.0.0.1:70000',
  '',
].join('\n');

async function get(url: string): Promise<number> {
  const r = await request(url, { headersTimeout: 5000, bodyTimeout: 5000 });
  await r.body.text();
  return r.statusCode;
}

const ACL_WARNING = /no consumer: add an authentication plugin before acl/;
const UNRESOLVED = /name resolution failed for upstream host 'no-such-host\.invalid'/;

/** Starts the node on a pseudo-terminal (stdin, stdout and stderr); `out()` is what the terminal showed, without "\r". */
async function onTerminal(extraEnv: Record<string, string>) {
  const up = await upstream('a');
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const configPath = path.join(dir, 'kong.yml');
  fs.writeFileSync(configPath, config(up.port));
  const ports = { proxy: await freePort(), status: await freePort() };
  const proc = spawn('python3', [PTY_HELPER, process.execPath, BIN, 'start', '--config', configPath], {
    cwd: ROOT,
    env: {
      ...(process.env as Record<string, string>),
      TURNPIKE_PREFIX: path.join(dir, 'prefix'),
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${ports.proxy}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${ports.status}`,
      TURNPIKE_ADMIN_LISTEN: 'off',
      TURNPIKE_WORKERS: '1',
      TURNPIKE_PROXY_ACCESS_LOG: 'off',
      TURNPIKE_LOG_LEVEL: 'info',
      ...extraEnv,
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let raw = '';
  proc.stdout!.on('data', (d: Buffer) => (raw += d.toString()));
  let exited = false;
  proc.on('exit', () => (exited = true));
  const out = () => raw.replace(/\r/g, '');
  onCleanup(async () => {
    const pid = Number(/^pid (\d+)$/m.exec(out())?.[1]);
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    const end = Date.now() + 10_000;
    while (!exited && !/^exit \d+$/m.test(out()) && Date.now() < end) await sleep(50);
    if (!exited) proc.kill('SIGKILL');
  });
  const waitFor = async (re: RegExp, ms = 10_000): Promise<string> => {
    const end = Date.now() + ms;
    while (!re.test(out()) && Date.now() < end && !exited) await sleep(25);
    assert.match(out(), re, 'the terminal showed:\n' + out());
    return out();
  };
  await waitFor(/Turnpike .* started/, 20_000);
  const primary = Number(/^pid (\d+)$/m.exec(out())?.[1]);
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    try {
      const st = (await (await fetch(`http://127.0.0.1:${ports.status}/status`)).json()) as any;
      if (st.workers.length === 1 && st.workers[0].ready) break;
    } catch {
      /* not up yet */
    }
    await sleep(50);
  }
  return { out, waitFor, primary, configPath, proxy: `http://127.0.0.1:${ports.proxy}` };
}

const pty = { skip: !pythonPty && !CI ? 'python3 with pty is missing' : false };

test(
  "on a terminal: readable lines from the primary and the workers, and a refused reload's errors as lines",
  pty,
  async () => {
    assert.ok(pythonPty, 'python3 with its pty module is needed (CI=true)');
    const n = await onTerminal({});
    // The primary's start line: time, level, message, key fields; no JSON.
    assert.match(n.out(), /^\d\d:\d\d:\d\d\.\d{3} INFO  Turnpike \S+ started\b.*pid=\d+$/m);
    assert.doesNotMatch(n.out(), /"level":/, 'no JSON line on the terminal');

    // A worker's warning.
    assert.equal(await get(n.proxy + '/acl'), 401);
    const afterAcl = await n.waitFor(ACL_WARNING);
    const warn = afterAcl.split('\n').find((l) => ACL_WARNING.test(l))!;
    assert.match(
      warn,
      /^\d\d:\d\d:\d\d\.\d{3} WARN  no consumer: add an authentication plugin before acl .*plugin=acl/,
    );
    assert.match(warn, /request_id=\S+/);

    // A refused reload: the message's lines below its first, indented, no "\n" escapes.
    fs.writeFileSync(n.configPath, TWO_ERRORS);
    process.kill(n.primary, 'SIGHUP');
    const text = await n.waitFor(/ERROR reload refused/);
    const lines = text.split('\n');
    const at = lines.findIndex((l) => / ERROR reload refused/.test(l));
    assert.match(lines[at]!, /^\d\d:\d\d:\d\d\.\d{3} ERROR reload refused, still serving the previous configuration/);
    assert.doesNotMatch(lines[at]!, /\\n/, 'no "\\n" escape in the line');
    const more = [];
    for (let i = at + 1; i < lines.length && lines[i]!.startsWith('    '); i++) more.push(lines[i]!);
    assert.ok(more.length >= 2, 'both errors on lines of their own:\n' + lines.slice(at, at + 6).join('\n'));
    assert.ok(
      more.some((l) => /kong\.yml:8:/.test(l)),
      'the first error, with its line:\n' + more.join('\n'),
    );
    assert.ok(
      more.some((l) => /kong\.yml:10:/.test(l)),
      'the second error, with its line:\n' + more.join('\n'),
    );
    assert.equal(await get(n.proxy + '/ok'), 200, 'still serving');
  },
);

test('on a terminal with log_format=json: JSON lines, as asked', pty, async () => {
  assert.ok(pythonPty, 'python3 with its pty module is needed (CI=true)');
  const n = await onTerminal({ TURNPIKE_LOG_FORMAT: 'json' });
  assert.equal(await get(n.proxy + '/acl'), 401);
  const out = await n.waitFor(ACL_WARNING);
  const started = out.split('\n').find((l) => /Turnpike .* started/.test(l))!;
  assert.equal((JSON.parse(started) as { level: number }).level, 30, started);
  const warn = JSON.parse(out.split('\n').find((l) => ACL_WARNING.test(l))!) as Record<string, unknown>;
  assert.equal(warn.level, 'warn');
  assert.equal(warn.plugin, 'acl');
});

test('on a pipe: JSON lines; log_level=error keeps a worker warning out and lets its error through', async () => {
  const up = await upstream('b');
  const gw = await gateway({ config: config(up.port), env: { TURNPIKE_LOG_LEVEL: 'error' } });
  assert.equal(await get(gw.url + '/acl'), 401);
  assert.equal(await get(gw.url + '/nowhere'), 503);
  // One worker, one sink: lines leave in order, so once the error is out the warning would be too.
  const stderr = await gw.waitForStderr(UNRESOLVED);
  const line = stderr.split('\n').find((l) => UNRESOLVED.test(l))!;
  const rec = JSON.parse(line) as Record<string, unknown>;
  assert.equal(rec.level, 'error');
  assert.equal(typeof rec.request_id, 'string');
  assert.ok(typeof rec.pid === 'number' && rec.pid !== gw.proc.pid, 'logged by a worker');
  assert.doesNotMatch(stderr, ACL_WARNING, 'the warning is below log_level=error');
  assert.doesNotMatch(gw.stdout, /"level":30/, "the primary's info lines are below log_level=error too");
  assert.doesNotMatch(stderr, /worker 0 starting/);
});

test('log_level=debug: debug lines are logged, by the primary and the workers; info hides them', async () => {
  const up = await upstream('c');
  const gw = await gateway({ config: config(up.port), env: { TURNPIKE_LOG_LEVEL: 'debug' } });
  const stderr = await gw.waitForStderr(/worker 0 starting/);
  const rec = JSON.parse(stderr.split('\n').find((l) => /worker 0 starting/.test(l))!) as Record<string, unknown>;
  assert.equal(rec.level, 'debug');
  assert.equal(rec.worker, 0);
  assert.equal(await get(gw.url + '/acl'), 401);
  await gw.waitForStderr(ACL_WARNING);

  const quiet = await gateway({ config: config(up.port) }); // the harness's log_level=info
  assert.equal(await get(quiet.url + '/acl'), 401);
  assert.match(await quiet.waitForStderr(ACL_WARNING), ACL_WARNING);
  assert.doesNotMatch(quiet.stderr, /worker 0 starting/);
});

test("log_level takes Kong's values; a bad log_level or log_format stops the start naming the valid ones", () => {
  for (const [flag, value, valid] of [
    [
      '--log-level',
      'verbose',
      /log_level: "verbose" is not valid; use one of debug, info, notice, warn, error, crit, alert, emerg/,
    ],
    ['--log-format', 'yaml', /log_format: "yaml" is not valid; use one of auto, json, text/],
  ] as const) {
    const r = spawnSync(process.execPath, [BIN, 'start', '--config', 'nowhere.yml', flag, value], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, valid);
  }
});
