// `npm run bench`: the HTTP/1.1 proxy benchmark of /work/shared/BENCH.md (docs/benchmarks.md).
// Contenders run in turn, A B C D … for BENCH_ROUNDS rounds; medians and ratios to nginx
// are printed, raw figures go to bench/results/<date>-http1.json.
import { existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { h2Get, httpGet, installCleanupHandlers, killAllNow, stopProcess } from './lib/proc.js';
import { ensureDebianTools, ensureFastGateway, fastGatewayVersion } from './lib/tools.js';
import { startUpstream, type BenchContext } from './lib/contenders.js';
import { lineup } from './lib/lineup.js';
import { runHey, runWrk, wrkCommand, heyCommand, type LoadSettings } from './lib/load.js';
import {
  h2loadRateCommand,
  h2loadThroughputCommand,
  runH2loadRate,
  runH2loadThroughput,
  type H2Settings,
} from './lib/h2load.js';
import { evaluateChecks, renderChecks, renderTable, summarize, type RoundRecord } from './lib/summary.js';
import { machineFacts, toolVersions, writeResults } from './lib/results.js';
import { reloadUnderLoad, type ReloadResult } from './lib/reload.js';
import { runCliStartupBench } from './cli-startup.js';

function envInt(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${v}`);
  return n;
}

/** The checkout's root, whether run from bench/ (ts) or dist/bench/ (compiled). */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'turnpike.js'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

async function routerScale(): Promise<{ status: string; output?: unknown }> {
  const here = dirname(fileURLToPath(import.meta.url));
  const file = resolve(here, '../bench/router-scale.js');
  if (!existsSync(file)) return { status: `skipped: ${file} is absent` };
  const spec = '../bench/router-scale.js';
  const mod = (await import(spec)) as { runRouterScaleBench?: () => unknown };
  if (typeof mod.runRouterScaleBench !== 'function')
    return { status: 'skipped: router-scale.js has no runRouterScaleBench()' };
  const output = await mod.runRouterScaleBench();
  return { status: 'ran', output };
}

function printRouterScale(output: unknown): void {
  if (output === undefined || output === null) return; // it printed its own table
  if (typeof output === 'string') console.log(output);
  else if (typeof output === 'object' && typeof (output as { table?: unknown }).table === 'string')
    console.log((output as { table: string }).table);
  else if (
    Array.isArray(output) &&
    output.every((r) => typeof r?.routes === 'number' && typeof r?.matchesPerSec === 'number')
  ) {
    const rows = output as Array<Record<string, unknown> & { routes: number; matchesPerSec: number }>;
    const first = rows[0]!.matchesPerSec;
    const extra = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter(
      (k) => k !== 'routes' && k !== 'matchesPerSec',
    );
    console.log(`| routes | ${extra.map((k) => `${k} | `).join('')}matches/s | ns/match | × first row |`);
    console.log(`| ---: | ${extra.map(() => '--- | ').join('')}---: | ---: | ---: |`);
    for (const r of rows) {
      const cells = extra.map((k) => `${String(r[k] ?? '')} | `).join('');
      console.log(
        `| ${r.routes.toLocaleString('en-US')} | ${cells}${Math.round(r.matchesPerSec).toLocaleString('en-US')} | ${(1e9 / r.matchesPerSec).toFixed(0)} | ${(r.matchesPerSec / first).toFixed(2)} |`,
      );
    }
  } else if (Array.isArray(output)) console.table(output);
  else console.log(JSON.stringify(output, null, 2));
}

async function main(): Promise<number> {
  installCleanupHandlers();
  const repoRoot = findRepoRoot();
  const workDir = join(repoRoot, 'bench', '.work');
  mkdirSync(workDir, { recursive: true });
  const rounds = envInt('BENCH_ROUNDS', 3);
  const durationS = envInt('BENCH_DURATION', 10);
  const warmupS = envInt('BENCH_WARMUP', 2);
  const only = process.env.BENCH_ONLY?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const load: LoadSettings = {
    cpu: 0,
    durationS,
    wrkThreads: 1,
    wrkConnections: 50,
    heyConcurrency: 10,
    heyRatePerWorker: 300,
  };
  // HTTP/2 rows (BENCH.md): h2load -n 100000 -c10 -m10 for throughput; the fixed rate as hey's.
  const h2: H2Settings = { requests: envInt('BENCH_H2_REQUESTS', 100_000), clients: 10, streams: 10 };
  const upstreamCpu = 0;
  const proxyCpu = 1;

  console.log('bench: checking tools');
  const toolPaths = ensureDebianTools();
  const fastGatewayDir = ensureFastGateway(workDir);
  const versions = toolVersions(fastGatewayVersion(fastGatewayDir));
  const machine = machineFacts(repoRoot);
  console.log(
    `bench: ${machine.cpuModel as string} × ${machine.cpuCount as number}, Node ${process.version}; ${versions.nginx}; ${versions.haproxy}; ${versions.wrk}`,
  );

  const upstream = await startUpstream(workDir, upstreamCpu);
  console.log(`bench: upstream nginx on 127.0.0.1:${upstream.port} (CPU ${upstreamCpu})`);
  const ctx: BenchContext = { repoRoot, workDir, fastGatewayDir, upstreamPort: upstream.port, proxyCpu, upstreamCpu };
  const contenders = lineup();
  const list = only ? contenders.filter((c) => only.includes(c.id)) : contenders;

  const records: RoundRecord[] = [];
  let reload: ReloadResult | undefined;
  let reloadError: string | undefined;
  const startFailed = new Map<string, string>();
  const startedAt = new Date();
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const c of list) {
        const rec: RoundRecord = {
          contender: c.id,
          round,
          startedAt: new Date().toISOString(),
          loadavg: loadavg(),
          argv: [],
        };
        records.push(rec);
        const prior = startFailed.get(c.id);
        if (prior !== undefined) {
          rec.error = `not started: it failed to start in an earlier round (${prior.split('\n')[0]})`;
          console.log(`round ${round}/${rounds}  ${c.label.padEnd(30)} skipped (failed to start before)`);
          continue;
        }
        process.stdout.write(`round ${round}/${rounds}  ${c.label.padEnd(30)} `);
        let running;
        try {
          running = await c.start(ctx);
          rec.argv = running.argv;
        } catch (err) {
          rec.error = `start: ${(err as Error).message}`;
          startFailed.set(c.id, rec.error);
          console.log(`FAILED to start: ${(err as Error).message.split('\n')[0]}`);
          continue;
        }
        try {
          const isH2 = c.protocol === 'h2';
          const get = isH2 ? h2Get : httpGet;
          const probe = await get(running.url, 2000);
          if (probe.status !== 200 || probe.body !== 'hello world\n') {
            throw new Error(
              `GET ${running.url} answered ${probe.status} ${JSON.stringify(probe.body.slice(0, 80))}, not the upstream's 200 "hello world\\n"`,
            );
          }
          if (warmupS > 0) {
            if (isH2)
              await runH2loadThroughput(running.url, load, h2, workDir, Math.max(100, Math.round(h2.requests / 10)));
            else await runWrk(running.url, load, warmupS);
          }
          rec.wrk = isH2 ? await runH2loadThroughput(running.url, load, h2, workDir) : await runWrk(running.url, load);
          const after = await get(running.url, 3000);
          if (after.status !== 200) {
            throw new Error(
              `stopped answering after the ${isH2 ? 'h2load' : 'wrk'} run: GET ${running.url} gave ${after.status === 0 ? 'no answer within 3 s' : after.status} (${isH2 ? 'h2load' : 'wrk'}: ${Math.round(rec.wrk.rps)} req/s)`,
            );
          }
          if (!c.throughputOnly)
            rec.hey = isH2 ? await runH2loadRate(running.url, load, workDir) : await runHey(running.url, load);
          if (running.facts) rec.facts = await running.facts();
          const errs = rec.wrk.errors + (rec.hey?.errors ?? 0);
          const latency = rec.hey
            ? `   p50 ${(rec.hey.latencyMs.p50 ?? NaN).toFixed(2)} ms   p99 ${(rec.hey.latencyMs.p99 ?? NaN).toFixed(2)} ms`
            : '';
          console.log(
            `${Math.round(rec.wrk.rps).toString().padStart(7)} req/s${latency}${errs ? `   errors ${errs}` : ''}`,
          );
        } catch (err) {
          rec.error = `load: ${(err as Error).message}`;
          console.log(`FAILED under load: ${(err as Error).message.split('\n')[0]}`);
        } finally {
          await running.stop();
          if (running.factsAfterStop) rec.facts = { ...rec.facts, ...running.factsAfterStop() };
        }
      }
    }
    // Reload under load: after the rounds, on the same upstream.
    if (only === undefined || only.includes('turnpike-reload')) {
      process.stdout.write('reload under load  turnpike, 10 config changes during wrk ');
      try {
        reload = await reloadUnderLoad(ctx, load);
        console.log(
          `${Math.round(reload.wrk.rps)} req/s, ${reload.reloads} reloads, ${reload.failedRequests} failed requests`,
        );
      } catch (err) {
        reloadError = (err as Error).message;
        console.log(`FAILED: ${reloadError}`);
      }
    }
  } finally {
    await stopProcess(upstream.proc);
  }

  const summary = summarize(list, records);
  const checks = evaluateChecks(summary);
  if (reload !== undefined || reloadError !== undefined) {
    checks.push({
      name: 'Reload under load: 0 failed requests during 10 reloads',
      pass: reload !== undefined && reload.reloads >= 10 && reload.failedRequests === 0,
      detail:
        reload !== undefined
          ? `${reload.failedRequests} failed (non-2xx ${reload.wrk.non2xx}, socket errors ${reload.wrk.errors - reload.wrk.non2xx}) of ${reload.wrk.requests} requests; ${reload.reloads} reloads applied in ${Math.min(...reload.reloadMs)}–${Math.max(...reload.reloadMs)} ms`
          : `did not run: ${reloadError}`,
    });
  }
  console.log('');
  console.log(renderTable(summary));
  const tp = summary.find((s) => s.id === 'turnpike');
  const tp10k = summary.find((s) => s.id === 'turnpike-10k');
  if (tp10k) {
    const r = tp?.rpsMedian && tp10k.rpsMedian !== undefined ? (tp10k.rpsMedian / tp.rpsMedian).toFixed(2) : '—';
    console.log(`turnpike 10k routes / 1 route: ${r}`);
  }
  const tpHttps = summary.find((s) => s.id === 'turnpike-https');
  const ngHttps = summary.find((s) => s.id === 'nginx-https');
  if (tpHttps && ngHttps) {
    const r =
      ngHttps.rpsMedian && tpHttps.rpsMedian !== undefined ? (tpHttps.rpsMedian / ngHttps.rpsMedian).toFixed(2) : '—';
    const p = ngHttps.p99Ms && tpHttps.p99Ms !== undefined ? (tpHttps.p99Ms / ngHttps.p99Ms).toFixed(2) : '—';
    console.log(`HTTPS (same certificate): turnpike / nginx throughput ${r}, p99 ${p}`);
  }
  const tpH2 = summary.find((s) => s.id === 'turnpike-h2');
  const ngH2 = summary.find((s) => s.id === 'nginx-h2');
  if (tpH2 && ngH2) {
    const r = ngH2.rpsMedian && tpH2.rpsMedian !== undefined ? (tpH2.rpsMedian / ngH2.rpsMedian).toFixed(2) : '—';
    const p = ngH2.p99Ms && tpH2.p99Ms !== undefined ? (tpH2.p99Ms / ngH2.p99Ms).toFixed(2) : '—';
    console.log(`HTTP/2 (h2load, same certificate): turnpike / nginx throughput ${r}, p99 ${p}`);
  }
  console.log('');
  console.log(renderChecks(checks));

  let routerScaleResult: { status: string; output?: unknown; error?: string };
  try {
    // BENCH_ROUTER_SCALE=0 skips it (smoke runs of a few contenders).
    routerScaleResult =
      process.env.BENCH_ROUTER_SCALE === '0' ? { status: 'skipped: BENCH_ROUTER_SCALE=0' } : await routerScale();
    if (routerScaleResult.status === 'ran') {
      console.log('\nrouter scale (bench/router-scale.ts):');
      printRouterScale(routerScaleResult.output);
    } else {
      console.log(`\nrouter scale: ${routerScaleResult.status}`);
    }
  } catch (err) {
    routerScaleResult = { status: 'failed', error: (err as Error).message };
    console.log(`\nrouter scale: FAILED: ${(err as Error).message}`);
  }

  let cliStartup: { rows?: unknown; table?: string; error?: string; status?: string };
  try {
    cliStartup =
      process.env.BENCH_CLI === '0' ? { status: 'skipped: BENCH_CLI=0' } : await runCliStartupBench(repoRoot);
    console.log(
      cliStartup.table !== undefined
        ? `\nthe turnpike command's start-up (bench/cli-startup.ts):\n${cliStartup.table}`
        : `\ncli start-up: ${cliStartup.status}`,
    );
  } catch (err) {
    cliStartup = { error: (err as Error).message };
    console.log(`\ncli start-up: FAILED: ${(err as Error).message}`);
  }

  // A shortened or partial run must not overwrite the day's full result.
  const full = rounds === 3 && durationS === 10 && only === undefined && h2.requests === 100_000;
  const resultName = full ? 'http1' : 'http1-smoke';
  const file = writeResults(repoRoot, resultName, {
    name: resultName,
    method: '/work/shared/BENCH.md, HTTP/1.1 proxy set-up; see docs/benchmarks.md',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    settings: {
      rounds,
      durationS,
      warmupS,
      upstreamCpu,
      proxyCpu,
      loadGeneratorCpu: load.cpu,
      wrk: wrkCommand('<url>', load),
      hey: heyCommand('<url>', load),
      h2loadThroughput: h2loadThroughputCommand('<url>', load, h2),
      h2loadRate: h2loadRateCommand('<url>', load),
      heyTotalRate: load.heyConcurrency * load.heyRatePerWorker,
      order: list.map((c) => c.id),
    },
    machine,
    versions,
    toolPaths,
    upstream: { port: upstream.port, argv: upstream.argv },
    summary,
    checks,
    routerScale: routerScaleResult,
    cliStartup: { rows: cliStartup.rows, error: cliStartup.error, status: cliStartup.status },
    reloadUnderLoad:
      reload !== undefined ? { ...reload, wrk: { ...reload.wrk, raw: undefined } } : { error: reloadError },
    rounds: records,
  });
  console.log(`\nbench: raw figures in ${file}`);

  const failed = summary.filter((s) => s.failed !== undefined);
  if (failed.length > 0)
    console.log(`bench: ${failed.length} contender(s) failed: ${failed.map((s) => s.id).join(', ')}`);
  return failed.length > 0 || checks.some((c) => !c.pass) ? 1 : 0;
}

main().then(
  (code) => {
    killAllNow();
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`bench: ${(err as Error).stack ?? String(err)}`);
    killAllNow();
    process.exitCode = 1;
  },
);
