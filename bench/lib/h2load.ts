// HTTP/2 load generator: h2load (Debian's nghttp2-client), reported in the wrk and hey result
// shapes so the summary, table and JSON record treat HTTP/2 rows like the others.
// Throughput: a fixed request count, `h2load -n N -c10 -m10` (BENCH.md: with -D, nginx closes
// h2 connections at keepalive_requests and h2load counts errors). Latency: a fixed rate,
// 10 clients × 300 req/s for the run's duration, as hey does for HTTP/1.1. h2load prints only
// min/max/mean/sd of request times, so both runs write --log-file (one line per request:
// start µs, status, µs to the end of the response) and the percentiles come from it.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pinned, runCommand } from './proc.js';
import type { HeyResult, LoadSettings, WrkResult } from './load.js';

export interface H2Settings {
  /** Requests of the throughput run (h2load -n). */
  requests: number;
  clients: number;
  streams: number;
}

interface H2Parsed {
  rps: number;
  durationS: number;
  done: number;
  succeeded: number;
  errored: number;
  timeout: number;
  statusClasses: Record<string, number>;
  meanMs?: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

/** Parses h2load's summary ("finished in …, N req/s", "requests: …", "status codes: …", "time for request: …"). */
export function parseH2load(raw: string): H2Parsed {
  const fin = /finished in ([\d.]+)(us|ms|s), ([\d.]+) req\/s/.exec(raw);
  const req =
    /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      raw,
    );
  const st = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(raw);
  const t = /time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)/.exec(raw);
  return {
    rps: fin ? Number(fin[3]) : Number.NaN,
    durationS: fin ? (Number(fin[1]) * UNIT_MS[fin[2]!]!) / 1000 : Number.NaN,
    done: req ? Number(req[3]) : 0,
    succeeded: req ? Number(req[4]) : 0,
    errored: req ? Number(req[6]) : 0,
    timeout: req ? Number(req[7]) : 0,
    statusClasses: st ? { '2xx': Number(st[1]), '3xx': Number(st[2]), '4xx': Number(st[3]), '5xx': Number(st[4]) } : {},
    meanMs: t ? Number(t[5]) * UNIT_MS[t[6]!]! : undefined,
  };
}

/** Percentiles (ms) of the per-request times in an h2load --log-file; status codes counted. */
export function logPercentiles(
  text: string,
  ps: number[],
): { percentiles: Record<number, number>; statusCodes: Record<string, number> } {
  const times: number[] = [];
  const statusCodes: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f.length < 3) continue;
    statusCodes[f[1]!] = (statusCodes[f[1]!] ?? 0) + 1;
    const us = Number(f[2]);
    if (Number.isFinite(us)) times.push(us / 1000);
  }
  times.sort((a, b) => a - b);
  const percentiles: Record<number, number> = {};
  if (times.length > 0)
    for (const p of ps) percentiles[p] = times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]!;
  return { percentiles, statusCodes };
}

export function h2loadThroughputCommand(
  url: string,
  load: LoadSettings,
  h2: H2Settings,
  requests = h2.requests,
  logFile?: string,
): string[] {
  return pinned(load.cpu, [
    'h2load',
    `-n${requests}`,
    `-c${h2.clients}`,
    `-m${h2.streams}`,
    '-t1',
    ...(logFile ? [`--log-file=${logFile}`] : []),
    url,
  ]);
}

export function h2loadRateCommand(url: string, load: LoadSettings, logFile?: string): string[] {
  return pinned(load.cpu, [
    'h2load',
    `-c${load.heyConcurrency}`,
    '-m1',
    '-t1',
    `--rps=${load.heyRatePerWorker}`,
    `-D${load.durationS}`,
    ...(logFile ? [`--log-file=${logFile}`] : []),
    url,
  ]);
}

async function runH2load(
  command: string[],
  timeoutMs: number,
  logFile: string,
): Promise<{ raw: string; parsed: H2Parsed; log: string }> {
  const r = await runCommand(command, timeoutMs);
  const raw = r.stdout + (r.stderr ? `\n[stderr]\n${r.stderr}` : '');
  if (r.code !== 0) throw new Error(`h2load exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  const parsed = parseH2load(r.stdout);
  if (!Number.isFinite(parsed.rps)) throw new Error(`could not read h2load's output:\n${raw}`);
  let log = '';
  try {
    log = readFileSync(logFile, 'utf8');
  } catch {
    /* no log: percentiles stay missing (shown as —) */
  }
  rmSync(logFile, { force: true });
  return { raw, parsed, log };
}

/** The throughput run, in wrk's result shape (percentiles under saturation from the log). */
export async function runH2loadThroughput(
  url: string,
  load: LoadSettings,
  h2: H2Settings,
  workDir: string,
  requests = h2.requests,
): Promise<WrkResult> {
  const logFile = join(workDir, 'h2load-throughput.log');
  const command = h2loadThroughputCommand(url, load, h2, requests, logFile);
  const { raw, parsed, log } = await runH2load(command, 300_000, logFile);
  const { percentiles } = logPercentiles(log, [50, 75, 90, 99]);
  const non2xx = (parsed.statusClasses['4xx'] ?? 0) + (parsed.statusClasses['5xx'] ?? 0);
  return {
    command,
    raw,
    requests: parsed.done,
    durationS: parsed.durationS,
    rps: parsed.rps,
    latencyMs: {
      p50: percentiles[50],
      p75: percentiles[75],
      p90: percentiles[90],
      p99: percentiles[99],
      avg: parsed.meanMs,
    },
    non2xx,
    socketErrors: { connect: 0, read: parsed.errored, write: 0, timeout: parsed.timeout },
    errors: non2xx + parsed.errored + parsed.timeout,
  };
}

/** The fixed-rate run, in hey's result shape. */
export async function runH2loadRate(url: string, load: LoadSettings, workDir: string): Promise<HeyResult> {
  const logFile = join(workDir, 'h2load-rate.log');
  const command = h2loadRateCommand(url, load, logFile);
  const { raw, parsed, log } = await runH2load(command, (load.durationS + 60) * 1000, logFile);
  const { percentiles, statusCodes } = logPercentiles(log, [10, 25, 50, 75, 90, 95, 99]);
  let non2xx = 0;
  for (const [code, n] of Object.entries(statusCodes)) if (!code.startsWith('2')) non2xx += n;
  const socketErrors = parsed.errored + parsed.timeout;
  return {
    command,
    raw,
    rps: parsed.rps,
    total: parsed.done,
    latencyMs: {
      p10: percentiles[10],
      p25: percentiles[25],
      p50: percentiles[50],
      p75: percentiles[75],
      p90: percentiles[90],
      p95: percentiles[95],
      p99: percentiles[99],
      avg: parsed.meanMs,
    },
    statusCodes,
    non2xx,
    socketErrors,
    errors: non2xx + socketErrors,
  };
}
