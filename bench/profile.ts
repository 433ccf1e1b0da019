// `npm run bench:profile`: one Turnpike worker under `node --cpu-prof` for each proxy path
// (HTTP/1.1 one route, the plugins route, HTTPS, HTTP/2), loaded as `npm run bench` loads it
// (pinned CPUs, the same nginx upstream, wrk -c50 or h2load -c10 -m10), then the worker's
// profile summarised by self time: where the time goes, ours versus Node's (TLS, nghttp2,
// streams, libuv). Profiles stay in bench/.work/profile/<path>/; the summary is printed and
// written to bench/results/<date>-profile.md. PROFILE_DURATION (s, default 10) and
// PROFILE_ONLY (comma-separated path ids) shorten it. Profiling slows the worker (~10–20%):
// shares are what this is for, not rates.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCleanupHandlers, killAllNow, stopProcess } from './lib/proc.js';
import { ensureDebianTools } from './lib/tools.js';
import { startTurnpike, startUpstream, type BenchContext } from './lib/contenders.js';
import { runWrk, type LoadSettings } from './lib/load.js';
import { runH2loadThroughput } from './lib/h2load.js';
import { BENCH_API_KEY, oneRouteConfig, pluginRouteConfig } from './lib/turnpike-config.js';
import { renderProfile, summarizeProfile, type CpuProfile, type ProfileSummary } from './lib/cpu-profile.js';

interface ProfilePath {
  id: string;
  title: string;
  config: (upstreamPort: number) => string;
  query: string;
  https: boolean;
  http2: boolean;
}

const PATHS: ProfilePath[] = [
  { id: 'http1', title: 'HTTP/1.1, one route', config: oneRouteConfig, query: '', https: false, http2: false },
  {
    id: 'plugins',
    title: 'HTTP/1.1, key-auth + rate-limiting (local) + prometheus',
    config: pluginRouteConfig,
    query: `?apikey=${BENCH_API_KEY}`,
    https: false,
    http2: false,
  },
  { id: 'https', title: 'HTTPS/1.1, one route', config: oneRouteConfig, query: '', https: true, http2: false },
  { id: 'h2', title: 'HTTP/2 (TLS, ALPN h2), one route', config: oneRouteConfig, query: '', https: true, http2: true },
];

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'turnpike.js'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** The busiest profile in the folder: the worker's (the primary's is nearly all idle). */
function workerProfile(dir: string): CpuProfile {
  let best: { busy: number; profile: CpuProfile } | undefined;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
    const busy = summarizeProfile(profile, 1).busyMs;
    if (best === undefined || busy > best.busy) best = { busy, profile };
  }
  if (best === undefined) throw new Error(`no .cpuprofile was written in ${dir}`);
  return best.profile;
}

async function main(): Promise<number> {
  installCleanupHandlers();
  const root = repoRoot();
  const workDir = join(root, 'bench', '.work');
  const durationS = Number(process.env.PROFILE_DURATION ?? 10);
  const only = process.env.PROFILE_ONLY?.split(',').map((s) => s.trim());
  ensureDebianTools();
  const load: LoadSettings = {
    cpu: 0,
    durationS,
    wrkThreads: 1,
    wrkConnections: 50,
    heyConcurrency: 10,
    heyRatePerWorker: 300,
  };
  const upstream = await startUpstream(workDir, 0);
  const ctx: BenchContext = {
    repoRoot: root,
    workDir,
    fastGatewayDir: '',
    upstreamPort: upstream.port,
    proxyCpu: 1,
    upstreamCpu: 0,
  };
  const sections: string[] = [];
  const json: Record<string, ProfileSummary & { rps: number }> = {};
  try {
    for (const p of PATHS) {
      if (only && !only.includes(p.id)) continue;
      const dir = join(workDir, 'profile', p.id);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      process.stdout.write(`profile ${p.id.padEnd(8)} `);
      const tp = await startTurnpike(ctx, `profile-${p.id}`, p.config, 20_000, p.query, p.https, p.http2, [
        '--cpu-prof',
        `--cpu-prof-dir=${dir}`,
      ]);
      let rps: number;
      try {
        rps = p.http2
          ? (
              await runH2loadThroughput(
                tp.url,
                load,
                { requests: 4_000 * durationS, clients: 10, streams: 10 },
                workDir,
              )
            ).rps
          : (await runWrk(tp.url, load)).rps;
      } finally {
        await tp.stop(); // the worker writes its profile as it exits
      }
      const summary = summarizeProfile(workerProfile(dir));
      json[p.id] = { ...summary, rps };
      console.log(`${Math.round(rps)} req/s under the profiler; busy ${(summary.busyMs / 1000).toFixed(1)} s`);
      sections.push(
        renderProfile(`${p.title} (${Math.round(rps).toLocaleString('en-US')} req/s under the profiler)`, summary),
      );
    }
  } finally {
    await stopProcess(upstream.proc);
  }
  const text = sections.join('\n\n') + '\n';
  console.log(`\n${text}`);
  const date = new Date().toISOString().slice(0, 10);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const file = join(root, 'bench', 'results', `${date}-profile${only ? '-partial' : ''}`);
  writeFileSync(`${file}.md`, text);
  writeFileSync(`${file}.json`, JSON.stringify(json, null, 2) + '\n');
  console.log(`bench: summary in ${file}.md, profiles in ${join(workDir, 'profile')}`);
  return 0;
}

main().then(
  (code) => {
    killAllNow();
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`bench:profile: ${(err as Error).stack ?? String(err)}`);
    killAllNow();
    process.exitCode = 1;
  },
);
