// Stopping what a user started, and start-up failures of what a user starts:
// - `npm start` (npm → quickstart → two demo upstreams and the gateway's primary → workers)
//   and `npx turnpike start`: SIGTERM to npm stops every process below it, no orphans;
// - SIGKILL of the primary: its workers notice and exit, quickstart stops the rest;
// - ports in use: one "turnpike: error:" line naming the port and the fix, no stack trace,
//   exit non-zero, and nothing left running.
// Every process is found by walking /proc from npm's pid before the signal.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT, freePort, runCli, sleep, tmpDir } from '../helpers/gateway.js';
import { onCleanup } from '../helpers/scope.js';
import { isRunning, killAll, processTree, procRef, waitGone, type ProcRef } from '../helpers/procs.js';

interface Launched {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<{ code: number | null; signal: string | null }>;
  ports: { proxy: number; status: number; admin: number; demo: [number, number] };
}

async function ports(): Promise<Launched['ports']> {
  return {
    proxy: await freePort(),
    status: await freePort(),
    admin: await freePort(),
    demo: [await freePort(), await freePort()],
  };
}

/** Runs `npm ARGS` in the checkout with the gateway (and demo upstreams) on free ports. */
async function npm(
  args: string[],
  p?: Launched['ports'],
  extraEnv: Record<string, string> = {},
  cwd = ROOT,
): Promise<Launched> {
  p ??= await ports();
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const proc = spawn('npm', args, {
    cwd,
    env: {
      ...process.env,
      TURNPIKE_PREFIX: path.join(dir, 'prefix'),
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${p.proxy}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${p.status}`,
      TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${p.admin}`,
      TURNPIKE_DEMO_PORTS: p.demo.join(','),
      TURNPIKE_WORKERS: '2',
      npm_config_update_notifier: 'false',
      // npx keeps what it links in its cache: a folder of this test's, not the user's.
      npm_config_cache: path.join(dir, 'npm-cache'),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { proc, out: () => out, err: () => err, exit, ports: p };
}

async function waitReady(l: Launched, path = '/demo/hello'): Promise<void> {
  const end = Date.now() + 30_000;
  let exited = false;
  void l.exit.then(() => (exited = true));
  while (Date.now() < end && !exited) {
    try {
      const ready = await fetch(`http://127.0.0.1:${l.ports.status}/status/ready`);
      if (ready.status === 200 && (await fetch(`http://127.0.0.1:${l.ports.proxy}${path}`)).status === 200) return;
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  throw new Error(`not ready (exited: ${exited});\nstdout:\n${l.out()}\nstderr:\n${l.err()}`);
}

/** The process tree below npm, with the commands expected in it. */
function tree(l: Launched, expect: RegExp[]): ProcRef[] {
  const procs = processTree(l.proc.pid!);
  onCleanup(async () => killAll(procs));
  for (const re of expect)
    assert.ok(
      procs.some((p) => re.test(p.cmd)),
      `a process matching ${re} runs: ${procs.map((p) => p.cmd).join(' | ')}`,
    );
  return procs;
}

async function assertAllGone(procs: ProcRef[], ms: number, what: string): Promise<void> {
  const left = await waitGone(procs, ms);
  killAll(left);
  assert.deepEqual(
    left.map((p) => `${p.pid} ${p.cmd}`),
    [],
    `${what}: every process is gone within ${ms / 1000} s`,
  );
}

const QUICKSTART = [
  /^npm start/,
  /scripts\/quickstart\.mjs/,
  /demo-upstream\.mjs \d+ demo-a/,
  /demo-upstream\.mjs \d+ demo-b/,
  /bin\/turnpike\.js start/,
  /worker-main\.js/,
];

test('npm start, then SIGTERM to npm: the demo upstreams, the primary and its workers all exit', async () => {
  const l = await npm(['start']);
  await waitReady(l);
  const procs = tree(l, QUICKSTART);
  assert.ok(
    procs.length >= 7,
    'npm, quickstart, two demo upstreams, the primary and two workers: ' + procs.map((p) => p.cmd).join(' | '),
  );
  assert.ok(
    !procs.some((p) => /^sh -c/.test(p.cmd)),
    'no shell between npm and quickstart (it would swallow the signal)',
  );
  l.proc.kill('SIGTERM');
  await assertAllGone(procs, 8000, 'after SIGTERM to npm');
  assert.match(l.out(), /received SIGTERM/, 'the gateway drained on SIGTERM');
});

test('npm start, then SIGKILL to the primary: its workers exit, quickstart stops the demo upstreams, npm exits non-zero', async () => {
  const l = await npm(['start']);
  await waitReady(l);
  const procs = tree(l, QUICKSTART);
  const primary = procs.find((p) => /bin\/turnpike\.js start/.test(p.cmd))!;
  process.kill(primary.pid, 'SIGKILL');
  await assertAllGone(procs, 8000, 'after SIGKILL to the primary');
  const { code } = await l.exit;
  assert.notEqual(code, 0, 'npm start reports the failure');
});

test("npm exec turnpike start (what npx runs), then SIGTERM to npm: the primary (behind npm's sh) and its workers exit", async () => {
  const p = await ports();
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const config = path.join(dir, 'kong.yml');
  fs.writeFileSync(config, '_format_version: "3.0"\n');
  // A project that depends on turnpike, as a user's would: npx finds node_modules/.bin/turnpike.
  // (npx in this checkout would instead "install" it into npm's cache, which runs the build.)
  const project = path.join(dir, 'project');
  fs.mkdirSync(path.join(project, 'node_modules', '.bin'), { recursive: true });
  fs.writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'uses-turnpike', private: true, dependencies: { turnpike: '*' } }),
  );
  fs.symlinkSync(ROOT, path.join(project, 'node_modules', 'turnpike'));
  fs.symlinkSync('../turnpike/bin/turnpike.js', path.join(project, 'node_modules', '.bin', 'turnpike'));
  const l = await npm(['exec', '--offline', '--', 'turnpike', 'start', '--config', config], p, {}, project);
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    const r = await fetch(`http://127.0.0.1:${p.status}/status/ready`).catch(() => null);
    if (r?.status === 200) break;
    await sleep(100);
  }
  const procs = tree(l, [/^sh -c/, /\.bin\/turnpike start/, /worker-main\.js/]);
  l.proc.kill('SIGTERM');
  await assertAllGone(procs, 8000, 'after SIGTERM to npm exec');
});

// --- start-up failures ------------------------------------------------------------------

async function blockPort(): Promise<number> {
  const blocker = net.createServer();
  await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', () => res()));
  onCleanup(() => new Promise((res) => blocker.close(() => res())));
  return (blocker.address() as net.AddressInfo).port;
}

/** Exactly one error line, "turnpike: error: ...", no stack trace; nothing of npm start left running. */
async function failsWithOneLine(l: Launched): Promise<string> {
  const exit = await Promise.race([l.exit, sleep(30_000).then(() => null)]);
  assert.ok(exit !== null, 'exited by itself');
  assert.notEqual(exit.code, 0, 'exit code non-zero');
  const text = l.out() + l.err();
  assert.doesNotMatch(text, /^\s+at /m, 'no stack trace:\n' + text);
  assert.doesNotMatch(text, /Unhandled 'error' event/);
  const errors = text.split('\n').filter((s) => /error/i.test(s));
  assert.equal(errors.length, 1, 'one error line:\n' + text);
  assert.match(errors[0], /^turnpike: error: /);
  return errors[0];
}

test('npm start with a demo upstream port in use: one line naming the port and TURNPIKE_DEMO_PORTS, exit non-zero, nothing left running', async () => {
  const p = await ports();
  p.demo[1] = await blockPort();
  const l = await npm(['start'], p);
  const line = await failsWithOneLine(l);
  assert.match(line, new RegExp(`port ${p.demo[1]} is in use by another process`));
  assert.match(line, /TURNPIKE_DEMO_PORTS=/);
  await sleep(300);
  assert.deepEqual(
    processTree(l.proc.pid!).filter((x) => isRunning(x)),
    [],
    'nothing was started',
  );
});

test('npm start with the proxy port in use: one line naming proxy_listen and TURNPIKE_PROXY_LISTEN, the demo upstreams are stopped', async () => {
  const p = await ports();
  p.proxy = await blockPort();
  const l = await npm(['start'], p);
  // The demo upstreams start before the gateway fails: record them to see them go.
  const seen = new Map<number, ProcRef>();
  const watch = setInterval(() => {
    for (const x of processTree(l.proc.pid!)) seen.set(x.pid, x);
  }, 20);
  const line = await failsWithOneLine(l).finally(() => clearInterval(watch));
  assert.match(line, new RegExp(`proxy_listen "127\\.0\\.0\\.1:${p.proxy}": the address is already in use`));
  assert.match(line, /TURNPIKE_PROXY_LISTEN/);
  await assertAllGone([...seen.values()], 5000, 'after the gateway failed to start');
});

test('turnpike start with the admin port in use, or sharing the status port: one line each, exit 1', async () => {
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const config = path.join(dir, 'kong.yml');
  fs.writeFileSync(config, '_format_version: "3.0"\n');
  const base = {
    TURNPIKE_PREFIX: path.join(dir, 'prefix'),
    TURNPIKE_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
    TURNPIKE_WORKERS: '1',
  };
  const busy = await blockPort();
  const status = await freePort();
  for (const [env, re] of [
    [
      { TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${busy}`, TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}` },
      new RegExp(
        `^turnpike: error: admin_listen "127\\.0\\.0\\.1:${busy}": the address is already in use.*TURNPIKE_ADMIN_LISTEN`,
      ),
    ],
    [
      { TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${status}`, TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}` },
      /^turnpike: error: status_listen .* and admin_listen .*: one port cannot serve both/,
    ],
  ] as const) {
    const r = await runCli(['start', '--config', config], { ...base, ...env });
    assert.equal(r.code, 1, 'exit 1: ' + r.stderr);
    assert.equal(r.stdout, '', 'nothing on stdout');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, 'one line:\n' + r.stderr);
    assert.match(lines[0], re);
  }
});

test('turnpike start with a prefix that cannot be created: one line naming the prefix and TURNPIKE_PREFIX', async () => {
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'a-file');
  fs.writeFileSync(file, '');
  const config = path.join(dir, 'kong.yml');
  fs.writeFileSync(config, '_format_version: "3.0"\n');
  const r = await runCli(['start', '--config', config], {
    TURNPIKE_PREFIX: path.join(file, 'prefix'),
    TURNPIKE_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
    TURNPIKE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
    TURNPIKE_ADMIN_LISTEN: 'off',
  });
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(
    r.stderr,
    /^turnpike: error: prefix ".*a-file\/prefix": cannot create it \(ENOTDIR: a part of the path is a file, not a folder\); .*TURNPIKE_PREFIX/,
  );
  assert.ok(procRef(process.pid) !== null);
});
