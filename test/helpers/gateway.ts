// Test harness: starts the real `turnpike` process (bin/turnpike.js) on free loopback ports
// with a given declarative config, waits until it serves, and stops it.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = path.join(ROOT, 'bin', 'turnpike.js');

/** A port that was free a moment ago (bind to 0, read, close). */
/**
 * Ports this process handed out already. The kernel may give a port that was free a moment
 * ago to the next listen(0) too, so two calls in one test (a gateway's proxy port and an extra
 * listener's) could return the same port; a port is handed out once per process.
 */
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

export function tmpDir(prefix = 'turnpike-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface GatewayOptions {
  /** Config file contents (YAML or JSON). */
  config: string;
  workers?: number;
  env?: Record<string, string>;
  args?: string[];
  /** More proxy_listen entries after the plain one the harness picks, e.g. "127.0.0.1:9443 ssl". */
  extraListen?: string;
  /** Wait for this long at most for the proxy to accept connections. */
  startTimeoutMs?: number;
  /** Database mode: start without --config (the config text is still written, unused). */
  database?: boolean;
  /** TURNPIKE_PREFIX; by default a folder in the gateway's temporary directory. */
  prefix?: string;
}

export class Gateway {
  stdout = '';
  stderr = '';
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;

  constructor(
    readonly proc: ChildProcess,
    readonly dir: string,
    readonly configPath: string,
    readonly proxyPort: number,
    readonly statusPort: number,
    readonly accessLogPath: string,
  ) {
    proc.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.proxyPort}`;
  }

  get statusUrl(): string {
    return `http://127.0.0.1:${this.statusPort}`;
  }

  /** Rewrites the config file (the gateway reloads on change). */
  writeConfig(text: string): void {
    const tmp = this.configPath + '.tmp';
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, this.configPath);
  }

  async status(): Promise<any> {
    const res = await fetch(this.statusUrl + '/status');
    return res.json();
  }

  async metrics(): Promise<string> {
    const res = await fetch(this.statusUrl + '/metrics');
    return res.text();
  }

  /** Waits until /status reports `hash` on every worker (after a reload). */
  async waitForHash(hashPredicate: (h: string | null) => boolean, timeoutMs = 5000): Promise<any> {
    const end = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < end) {
      last = await this.status();
      if (last.workers.length > 0 && last.workers.every((w: any) => w.ready && hashPredicate(w.config_hash)))
        return last;
      await sleep(50);
    }
    throw new Error('timed out waiting for the configuration to apply; last status: ' + JSON.stringify(last));
  }

  /**
   * Resolves with stderr once it matches `re`. Workers log through an asynchronous sink
   * (src/observe/log-sink.ts): a line written while a request fails can arrive after the
   * response, so a test waits for it rather than reading stderr at once.
   */
  async waitForStderr(re: RegExp, timeoutMs = 5000): Promise<string> {
    const end = Date.now() + timeoutMs;
    while (!re.test(this.stderr) && Date.now() < end) await sleep(25);
    return this.stderr;
  }

  signal(sig: NodeJS.Signals): void {
    this.proc.kill(sig);
  }

  async stop(): Promise<void> {
    if (this.exitCode === null && this.exitSignal === null) {
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 15000);
      await this.exited;
      clearTimeout(t);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Starts a gateway; resolves once every worker is ready. Throws with its output if it dies.
 * A port picked by freePort() can be taken by another process (an outgoing connection gets
 * ports from the same range) before the gateway binds it: that start is retried on new ports.
 */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startGatewayOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !/EADDRINUSE|address is already in use/.test((err as Error).message)) throw err;
    }
  }
}

async function startGatewayOnce(opts: GatewayOptions): Promise<Gateway> {
  const dir = tmpDir();
  const configPath = path.join(dir, 'kong.yml');
  fs.writeFileSync(configPath, opts.config);
  const proxyPort = await freePort();
  const statusPort = await freePort();
  const accessLogPath = path.join(dir, 'access.log');
  const proc = spawn(
    process.execPath,
    [BIN, 'start', ...(opts.database === true ? [] : ['--config', configPath]), ...(opts.args ?? [])],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        TURNPIKE_PREFIX: opts.prefix ?? path.join(dir, 'prefix'),
        TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxyPort}${opts.extraListen !== undefined ? ', ' + opts.extraListen : ''}`,
        TURNPIKE_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
        TURNPIKE_ADMIN_LISTEN: 'off',
        TURNPIKE_WORKERS: String(opts.workers ?? 1),
        TURNPIKE_PROXY_ACCESS_LOG: accessLogPath,
        TURNPIKE_LOG_LEVEL: 'info',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const gw = new Gateway(proc, dir, configPath, proxyPort, statusPort, accessLogPath);
  const end = Date.now() + (opts.startTimeoutMs ?? 15000);
  while (Date.now() < end) {
    if (gw.exitCode !== null || gw.exitSignal !== null) break;
    if (await canConnect(proxyPort)) {
      try {
        const st = await gw.status();
        if (st.workers.length > 0 && st.workers.every((w: any) => w.ready)) return gw;
      } catch {
        /* status listener not up yet */
      }
    }
    await sleep(50);
  }
  await gw.stop().catch(() => {});
  throw new Error(
    `turnpike did not start (exit ${gw.exitCode ?? gw.exitSignal}).\nstdout:\n${gw.stdout}\nstderr:\n${gw.stderr}`,
  );
}

/** Runs `turnpike ...args` to completion. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 20000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}
