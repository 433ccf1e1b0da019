// The upstream and the contenders: each starts pinned to its CPU on free ports on
// 127.0.0.1, with its configuration and logs under bench/.work/, and answers `stop()`.
import { mkdirSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, httpStatus, pinned, startProcess, stopProcess, waitFor200, type Proc } from './proc.js';
import type { SpawnOptions } from 'node:child_process';

/** Starts a process and waits until `url` answers 200; stops it again if it never does. */
export async function startReady(
  url: string,
  readyMs: number,
  name: string,
  argv: string[],
  logFile: string,
  opts?: SpawnOptions,
  h2 = false,
): Promise<Proc> {
  const proc = startProcess(name, argv, logFile, opts);
  try {
    await waitFor200(url, readyMs, proc, h2);
  } catch (err) {
    await stopProcess(proc);
    throw err;
  }
  return proc;
}
import { benchCertificate } from './tls-cert.js';
import { BENCH_API_KEY, manyRoutesConfig, oneRouteConfig, pluginRouteConfig } from './turnpike-config.js';

export interface BenchContext {
  repoRoot: string;
  workDir: string; // bench/.work
  fastGatewayDir: string;
  upstreamPort: number;
  proxyCpu: number;
  upstreamCpu: number;
}

export interface Running {
  url: string;
  argv: string[];
  /** Facts gathered after the load (metrics endpoint, access log size, …). */
  facts?: () => Promise<Record<string, unknown>>;
  /** Facts gathered after the contender stopped (logs flushed on exit). */
  factsAfterStop?: () => Record<string, unknown>;
  stop: () => Promise<void>;
}

export interface Contender {
  id: string;
  label: string;
  /** 'h2': measured with h2load over HTTP/2 (TLS, ALPN h2) instead of wrk and hey. */
  protocol?: 'h2';
  /** A ceiling row (a bare server): throughput only, no fixed-rate latency run (keeps the run short). */
  throughputOnly?: boolean;
  /** The id of nginx doing the same job over the same protocol, for the "× nginx (same)" column. */
  sameAs?: string;
  /** The id of Node's bare server for this protocol, for the "× Node ceiling" column. */
  ceiling?: string;
  /** Name of the contender's config file (under bench/.work/), for the JSON record. */
  start: (ctx: BenchContext) => Promise<Running>;
}

export const READY_MS = 20_000;

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function nginxConf(workDir: string, name: string, body: string): string {
  const dir = join(workDir, name);
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const conf = [
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    ...(process.getuid?.() === 0 ? ['user root root;'] : []),
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 4096; multi_accept on; }',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${join(dir, 'tmp', 'body')};`,
    `  proxy_temp_path ${join(dir, 'tmp', 'proxy')};`,
    '  keepalive_requests 1000000;',
    '  keepalive_timeout 65s;',
    body,
    '}',
    '',
  ].join('\n');
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  return file;
}

export async function startNginx(
  workDir: string,
  name: string,
  cpu: number,
  body: string,
  port: number,
  scheme: 'http' | 'https' = 'http',
): Promise<{ proc: Proc; argv: string[] }> {
  const conf = nginxConf(workDir, name, body);
  const dir = join(workDir, name);
  const argv = pinned(cpu, ['nginx', '-p', dir, '-e', join(dir, 'error.log'), '-c', conf]);
  const proc = await startReady(`${scheme}://127.0.0.1:${port}/`, READY_MS, name, argv, join(dir, 'stdout.log'));
  return { proc, argv };
}

/** The upstream: nginx, one worker, `return 200 "hello world\n";`, pinned to CPU 0. */
export async function startUpstream(
  workDir: string,
  cpu: number,
): Promise<{ port: number; proc: Proc; argv: string[] }> {
  const port = await freePort();
  const body = [
    '  server {',
    `    listen 127.0.0.1:${port} reuseport backlog=4096;`,
    '    location / { return 200 "hello world\\n"; }',
    '  }',
  ].join('\n');
  const { proc, argv } = await startNginx(workDir, 'upstream', cpu, body, port);
  return { port, proc, argv };
}

const direct: Contender = {
  id: 'direct',
  label: 'direct to the upstream',
  start: async (ctx) => ({ url: `http://127.0.0.1:${ctx.upstreamPort}/`, argv: [], stop: async () => {} }),
};

/** The nginx proxy every nginx contender runs: a keep-alive upstream pool and one server on `listen`. */
function nginxProxyConfig(upstreamPort: number, listen: string, serverLines: string[]): string {
  return [
    '  upstream bench_upstream {',
    `    server 127.0.0.1:${upstreamPort};`,
    '    keepalive 64;',
    '    keepalive_requests 1000000;',
    '  }',
    '  server {',
    `    listen ${listen};`,
    ...serverLines.map((l) => `    ${l}`),
    '    location / {',
    '      proxy_pass http://bench_upstream;',
    '      proxy_http_version 1.1;',
    '      proxy_set_header Connection "";',
    '    }',
    '  }',
  ].join('\n');
}

const nginx: Contender = {
  id: 'nginx',
  label: 'nginx, 1 worker',
  start: async (ctx) => {
    const port = await freePort();
    const body = nginxProxyConfig(ctx.upstreamPort, `127.0.0.1:${port} backlog=4096`, []);
    const { proc, argv } = await startNginx(ctx.workDir, 'nginx-proxy', ctx.proxyCpu, body, port);
    return { url: `http://127.0.0.1:${port}/`, argv, stop: () => stopProcess(proc) };
  },
};

/**
 * nginx terminating TLS with the bench certificate, proxying plain HTTP upstream: HTTP/1.1
 * (`nginx-https`) or HTTP/2 over ALPN h2 (`nginx-h2`).
 */
function nginxTls(id: string, label: string, http2: boolean): Contender {
  return {
    id,
    label,
    ...(http2 ? { protocol: 'h2' as const } : {}),
    start: async (ctx) => {
      const port = await freePort();
      const cert = await benchCertificate(ctx.workDir);
      const body = nginxProxyConfig(ctx.upstreamPort, `127.0.0.1:${port} ssl${http2 ? ' http2' : ''} backlog=4096`, [
        `ssl_certificate ${cert.certFile};`,
        `ssl_certificate_key ${cert.keyFile};`,
        'ssl_protocols TLSv1.2 TLSv1.3;',
        'ssl_session_cache shared:SSL:10m;',
        // BENCH.md: h2 connections count requests against keepalive_requests too.
        ...(http2 ? ['keepalive_requests 1000000;'] : []),
      ]);
      const { proc, argv } = await startNginx(ctx.workDir, id, ctx.proxyCpu, body, port, 'https');
      return { url: `https://127.0.0.1:${port}/`, argv, stop: () => stopProcess(proc) };
    },
  };
}

const nginxHttps = nginxTls('nginx-https', 'nginx, 1 worker, HTTPS', false);
const nginxH2 = nginxTls('nginx-h2', 'nginx, 1 worker, HTTP/2 (h2load)', true);

const haproxy: Contender = {
  id: 'haproxy',
  label: 'haproxy, 1 thread',
  start: async (ctx) => {
    const port = await freePort();
    const dir = join(ctx.workDir, 'haproxy');
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, 'haproxy.cfg');
    writeFileSync(
      conf,
      [
        'global',
        '  nbthread 1',
        '  maxconn 4096',
        'defaults',
        '  mode http',
        '  option http-keep-alive',
        '  http-reuse always',
        '  timeout connect 5s',
        '  timeout client 60s',
        '  timeout server 60s',
        'frontend bench_in',
        `  bind 127.0.0.1:${port}`,
        '  default_backend bench_upstream',
        'backend bench_upstream',
        `  server upstream1 127.0.0.1:${ctx.upstreamPort}`,
        '',
      ].join('\n'),
    );
    const argv = pinned(ctx.proxyCpu, ['haproxy', '-db', '-f', conf]);
    const proc = await startReady(`http://127.0.0.1:${port}/`, READY_MS, 'haproxy', argv, join(dir, 'haproxy.log'));
    return { url: `http://127.0.0.1:${port}/`, argv, stop: () => stopProcess(proc) };
  },
};

const FAST_GATEWAY_SERVER = `'use strict'
// Written by bench/lib/contenders.ts: fast-gateway with one route, prefix '/'.
const gateway = require('fast-gateway')
const port = Number(process.env.BENCH_PORT)
const server = gateway({ routes: [{ prefix: '/', target: process.env.BENCH_TARGET }] })
server.start(port, '127.0.0.1').then(() => console.log('fast-gateway listening on 127.0.0.1:' + port))
`;

const fastGateway: Contender = {
  id: 'fast-gateway',
  label: 'fast-gateway 3.4.7',
  start: async (ctx) => {
    const port = await freePort();
    const script = join(ctx.fastGatewayDir, 'server.cjs');
    writeFileSync(script, FAST_GATEWAY_SERVER);
    const argv = pinned(ctx.proxyCpu, [process.execPath, script]);
    const proc = await startReady(
      `http://127.0.0.1:${port}/`,
      READY_MS,
      'fast-gateway',
      argv,
      join(ctx.fastGatewayDir, 'server.log'),
      {
        cwd: ctx.fastGatewayDir,
        env: {
          ...process.env,
          NODE_ENV: 'production',
          BENCH_PORT: String(port),
          BENCH_TARGET: `http://127.0.0.1:${ctx.upstreamPort}`,
        },
      },
    );
    return { url: `http://127.0.0.1:${port}/`, argv, stop: () => stopProcess(proc) };
  },
};

/** A running Turnpike plus what the reload scenario needs: its config file and status port. */
export interface RunningTurnpike extends Running {
  configFile: string;
  statusPort: number;
}

function turnpikeContender(
  id: string,
  label: string,
  makeConfig: (upstreamPort: number) => string,
  readyMs: number,
  query = '',
  https = false,
  http2 = false,
): Contender {
  return {
    id,
    label,
    ...(http2 ? { protocol: 'h2' as const } : {}),
    start: (ctx) => startTurnpike(ctx, id, makeConfig, readyMs, query, https, http2),
  };
}

/** Starts Turnpike as a contender: 1 worker pinned to the proxy CPU, file access log, metrics on. */
export async function startTurnpike(
  ctx: BenchContext,
  id: string,
  makeConfig: (upstreamPort: number) => string,
  readyMs: number,
  query = '',
  https = false,
  http2 = false,
  /** Node options for the primary and (inherited through cluster) the worker, e.g. --cpu-prof. */
  nodeArgs: string[] = [],
): Promise<RunningTurnpike> {
  {
    {
      const port = await freePort();
      // HTTPS: a TLS listener serving the bench certificate (the one nginx-https serves) as the default.
      const cert = https ? await benchCertificate(ctx.workDir) : null;
      const scheme = https ? 'https' : 'http';
      const statusPort = await freePort();
      const dir = join(ctx.workDir, id);
      mkdirSync(dir, { recursive: true });
      const config = join(dir, 'turnpike.yaml');
      writeFileSync(config, makeConfig(ctx.upstreamPort));
      const accessLog = join(dir, 'access.log');
      writeFileSync(accessLog, '');
      const argv = pinned(ctx.proxyCpu, [
        process.execPath,
        ...nodeArgs,
        join(ctx.repoRoot, 'bin', 'turnpike.js'),
        'start',
        '--config',
        config,
        '--workers',
        '1',
        '--proxy-listen',
        `127.0.0.1:${port}${https ? ' ssl' : ''}${http2 ? ' http2' : ''}`,
        '--status-listen',
        `127.0.0.1:${statusPort}`,
        '--admin-listen',
        'off',
      ]);
      const tlsEnv = cert !== null ? { TURNPIKE_SSL_CERT: cert.certFile, TURNPIKE_SSL_CERT_KEY: cert.keyFile } : {};
      const proc = await startReady(
        `${scheme}://127.0.0.1:${port}/${query}`,
        readyMs,
        id,
        argv,
        join(dir, 'turnpike.out.log'),
        {
          cwd: ctx.repoRoot,
          env: {
            ...process.env,
            TURNPIKE_PROXY_ACCESS_LOG: accessLog,
            TURNPIKE_PREFIX: join(dir, 'prefix'),
            ...tlsEnv,
          },
        },
      );
      return {
        url: `${scheme}://127.0.0.1:${port}/${query}`,
        configFile: config,
        statusPort,
        argv: [`TURNPIKE_PROXY_ACCESS_LOG=${accessLog}`, ...argv],
        facts: async () => ({
          metricsStatus: await httpStatus(`http://127.0.0.1:${statusPort}/metrics`),
          accessLogBytesUnderLoad: fileSize(accessLog),
        }),
        factsAfterStop: () => ({ accessLogBytesAfterStop: fileSize(accessLog) }),
        stop: () => stopProcess(proc, 5000),
      };
    }
  }
}

export const TURNPIKE_ID = 'turnpike';
export const TURNPIKE_10K_ID = 'turnpike-10k';
export const TURNPIKE_PLUGINS_ID = 'turnpike-plugins';
export const TURNPIKE_HTTPS_ID = 'turnpike-https';
export const TURNPIKE_H2_ID = 'turnpike-h2';

export const contenders: Contender[] = [
  direct,
  nginx,
  haproxy,
  fastGateway,
  turnpikeContender(TURNPIKE_ID, 'turnpike, 1 worker, 1 route', oneRouteConfig, READY_MS),
  turnpikeContender(TURNPIKE_10K_ID, 'turnpike 10k routes', (p) => manyRoutesConfig(p), 60_000),
  turnpikeContender(
    TURNPIKE_PLUGINS_ID,
    'turnpike key-auth+rate-limiting+prometheus',
    pluginRouteConfig,
    READY_MS,
    `?apikey=${BENCH_API_KEY}`,
  ),
  nginxHttps,
  turnpikeContender(TURNPIKE_HTTPS_ID, 'turnpike, 1 worker, HTTPS', oneRouteConfig, READY_MS, '', true),
  nginxH2,
  turnpikeContender(TURNPIKE_H2_ID, 'turnpike, 1 worker, HTTP/2 (h2load)', oneRouteConfig, READY_MS, '', true, true),
];
