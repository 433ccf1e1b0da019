// "Reload under load" (BENCH.md, other benches): wrk runs against Turnpike while its
// configuration file is rewritten 10 times, each change waited for until every worker runs
// it. Every failed request counts: non-2xx answers and socket errors must both be 0.
import { renameSync, writeFileSync } from 'node:fs';
import { oneRouteConfig } from './turnpike-config.js';
import { startTurnpike, type BenchContext } from './contenders.js';
import { runWrk, type LoadSettings, type WrkResult } from './load.js';
import { httpGet } from './proc.js';

export interface ReloadResult {
  reloads: number;
  wrk: WrkResult;
  failedRequests: number;
  reloadMs: number[];
}

/** The one-route config with a variant-specific route name, so each rewrite changes the hash. */
function variant(upstreamPort: number, i: number): string {
  return oneRouteConfig(upstreamPort).replace('- name: bench\n', `- name: bench-${i}\n`);
}

async function configHashes(statusPort: number): Promise<(string | null)[]> {
  const r = await httpGet(`http://127.0.0.1:${statusPort}/status`, 2000);
  if (r.status !== 200) return [];
  return (JSON.parse(r.body) as { workers: { config_hash: string | null }[] }).workers.map((w) => w.config_hash);
}

export async function reloadUnderLoad(ctx: BenchContext, load: LoadSettings, reloads = 10): Promise<ReloadResult> {
  const tp = await startTurnpike(ctx, 'turnpike-reload', (p) => variant(p, 0), 15_000);
  try {
    const durationS = Math.max(load.durationS, reloads + 2);
    const wrk = runWrk(tp.url, load, durationS);
    const reloadMs: number[] = [];
    await new Promise((r) => setTimeout(r, 1000));
    for (let i = 1; i <= reloads; i++) {
      const before = (await configHashes(tp.statusPort))[0];
      const t0 = Date.now();
      const tmp = tp.configFile + '.tmp';
      writeFileSync(tmp, variant(ctx.upstreamPort, i));
      renameSync(tmp, tp.configFile); // atomic replace, as editors and config managers do
      for (;;) {
        const hashes = await configHashes(tp.statusPort);
        if (hashes.length > 0 && hashes.every((h) => h !== null && h !== before)) break;
        if (Date.now() - t0 > 10_000) throw new Error(`reload ${i} did not apply within 10 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
      reloadMs.push(Date.now() - t0);
      await new Promise((r) => setTimeout(r, 600));
    }
    const result = await wrk;
    return { reloads: reloadMs.length, wrk: result, failedRequests: result.errors, reloadMs };
  } finally {
    await tp.stop();
  }
}
