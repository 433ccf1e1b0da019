// Child processes of the benchmark: spawn (optionally pinned to a CPU), wait for readiness,
// and clean up every process this harness started, also on Ctrl-C, SIGTERM or an error.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as h2connect } from 'node:http2';
import { openSync, closeSync, readFileSync } from 'node:fs';

export interface Proc {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<string>;
  /** True once the process has ended. */
  done: () => boolean;
  /** The command line, as run. */
  argv: string[];
  logFile: string;
}

const live = new Set<Proc>();

function killGroup(p: Proc, signal: NodeJS.Signals): void {
  const pid = p.child.pid;
  if (pid === undefined || p.done()) return;
  try {
    process.kill(-pid, signal); // the child leads its own process group (detached)
  } catch {
    try {
      p.child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** Kills every process still running, synchronously (for exit handlers). */
export function killAllNow(): void {
  for (const p of live) killGroup(p, 'SIGKILL');
  live.clear();
}

let handlersInstalled = false;
export function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping the processes it started\n`);
      killAllNow();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: ${err.stack ?? String(err)}\n`);
    killAllNow();
    process.exit(1);
  });
}

/** Prefixes argv with `taskset -c <cpu>` when cpu is given. */
export function pinned(cpu: number | undefined, argv: string[]): string[] {
  return cpu === undefined ? argv : ['taskset', '-c', String(cpu), ...argv];
}

/** Starts a long-running process; stdout and stderr go to logFile. */
export function startProcess(name: string, argv: string[], logFile: string, opts: SpawnOptions = {}): Proc {
  const fd = openSync(logFile, 'w');
  const [cmd, ...args] = argv;
  const child = spawn(cmd!, args, { ...opts, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let ended = false;
  const p: Proc = {
    name,
    child,
    argv,
    logFile,
    done: () => ended,
    exited: new Promise<string>((resolve) => {
      child.on('exit', (code, signal) => {
        ended = true;
        live.delete(p);
        resolve(signal ?? String(code));
      });
      child.on('error', (err) => {
        ended = true;
        live.delete(p);
        resolve(`spawn error: ${err.message}`);
      });
    }),
  };
  live.add(p);
  return p;
}

/** Stops a process group: SIGTERM, then SIGKILL after graceMs. */
export async function stopProcess(p: Proc, graceMs = 3000): Promise<void> {
  if (p.done()) return;
  killGroup(p, 'SIGTERM');
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
  if ((await Promise.race([p.exited, timer])) === 'timeout') {
    killGroup(p, 'SIGKILL');
    await p.exited;
  }
  // nginx/turnpike workers may outlive the leader for a moment: sweep the group.
  if (p.child.pid !== undefined) {
    try {
      process.kill(-p.child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Runs a command to completion, capturing its output. */
export function runCommand(
  argv: string[],
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const p: Proc = {
      name: cmd!,
      child,
      argv,
      logFile: '',
      done: () => child.exitCode !== null || child.signalCode !== null,
      exited: Promise.resolve(''),
    };
    live.add(p);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => killGroup(p, 'SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      live.delete(p);
      resolve({ code: -1, stdout, stderr: stderr + err.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      live.delete(p);
      resolve({ code, stdout, stderr });
    });
  });
}

/** First line of a short command's output (for versions); '' when it fails. */
export function quick(argv: string[]): string {
  const [cmd, ...args] = argv;
  const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: 10_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '';
}

/** A free TCP port on 127.0.0.1 (asks the kernel for an ephemeral one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One GET; resolves with the status code and body, status 0 on a connection error. */
export function httpGet(url: string, timeoutMs = 1000): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    // The HTTPS contenders serve the bench's self-signed certificate: not verified here.
    const req = (url.startsWith('https:') ? httpsRequest : request)(
      url,
      { agent: false, timeout: timeoutMs, rejectUnauthorized: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (body.length < 65536) body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve({ status: 0, body }));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

/**
 * One GET over HTTP/2 (TLS, ALPN h2; the certificate is not verified), for servers that speak
 * only HTTP/2 (the bare node:http2 and codec servers); status 0 on a connection error.
 */
export function h2Get(url: string, timeoutMs = 1000): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const session = h2connect(u.origin, { rejectUnauthorized: false });
    const done = (status: number, body: string): void => {
      clearTimeout(timer);
      session.close();
      resolve({ status, body });
    };
    const timer = setTimeout(() => {
      session.destroy();
      resolve({ status: 0, body: '' });
    }, timeoutMs);
    session.on('error', () => done(0, ''));
    const req = session.request({ ':path': u.pathname + u.search });
    let status = 0;
    let body = '';
    req.setEncoding('utf8');
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (d: string) => (body += d));
    req.on('end', () => done(status, body));
    req.on('error', () => done(0, body));
    req.end();
  });
}

/** One GET; resolves with the status code, or 0 on a connection error. */
export async function httpStatus(url: string, timeoutMs = 1000, h2 = false): Promise<number> {
  return (await (h2 ? h2Get : httpGet)(url, timeoutMs)).status;
}

/** Polls url until it answers 200; fails early when `proc` exits first. */
export async function waitFor200(url: string, timeoutMs: number, proc?: Proc, h2 = false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  for (;;) {
    if (proc?.done()) {
      await proc.exited;
      throw new Error(
        `${proc.name} exited (${await proc.exited}) before answering 200 on ${url}: ${logTail(proc.logFile)} (log: ${proc.logFile})`,
      );
    }
    last = await httpStatus(url, 1000, h2);
    if (last === 200) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${url} did not answer 200 within ${timeoutMs} ms (last status: ${last === 0 ? 'no connection' : last})`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The last non-empty lines of a log file, joined on one line. */
export function logTail(file: string, lines = 3): string {
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (!text) return '(no output)';
    return text
      .split('\n')
      .slice(-lines)
      .map((l) => l.trim())
      .join(' / ');
  } catch {
    return '(no log)';
  }
}
