// The first minutes of a user: how long the `turnpike` command takes to answer (issue 11's
// targets: --help ≤ 0.3 s, validate of a small file ≤ 0.8 s, get services against a local
// node ≤ 0.6 s). Each command runs BENCH_CLI_RUNS times (default 10), the median is quoted.
// `npx turnpike` is measured beside it: npm's own start-up comes on top of the command's.
// Runs at the end of `npm run bench`, or alone: `npm run bench:cli`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startProcess, stopProcess, waitFor200 } from './lib/proc.js';
import { median } from './lib/summary.js';

export interface CliRow {
  command: string;
  medianS: number;
  minS: number;
  targetS: number | null;
}

function timeRuns(argv: string[], runs: number, cwd: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
    out.push(s);
  }
  return out;
}

export async function runCliStartupBench(
  repoRoot: string,
  runs = Number(process.env.BENCH_CLI_RUNS ?? 10),
): Promise<{ rows: CliRow[]; table: string }> {
  const bin = join(repoRoot, 'bin', 'turnpike.js');
  const dir = mkdtempSync(join(tmpdir(), 'turnpike-cli-bench-'));
  const admin = await freePort();
  const node = startProcess('turnpike', [process.execPath, bin, 'start', '--workers', '1'], join(dir, 'node.log'), {
    cwd: repoRoot,
    env: {
      ...process.env,
      TURNPIKE_PREFIX: join(dir, 'prefix'),
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
      TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
    },
  });
  try {
    await waitFor200(`http://127.0.0.1:${admin}/services`, 20_000, node);
    const adminUrl = `http://127.0.0.1:${admin}`;
    const cases: Array<[string, string[], number | null]> = [
      ['turnpike --help', [process.execPath, bin, '--help'], 0.3],
      [
        'turnpike validate examples/quickstart.yaml',
        [process.execPath, bin, 'validate', 'examples/quickstart.yaml'],
        0.8,
      ],
      [
        'turnpike validate examples/kong/kong-3.0.yml',
        [process.execPath, bin, 'validate', 'examples/kong/kong-3.0.yml'],
        0.8,
      ],
      ['turnpike get services (local node)', [process.execPath, bin, 'get', 'services', '--admin-url', adminUrl], 0.6],
      ['npx turnpike --help', ['npx', 'turnpike', '--help'], null],
      ['node -e 0 (Node itself)', [process.execPath, '-e', '0'], null],
    ];
    const rows: CliRow[] = [];
    for (const [command, argv, targetS] of cases) {
      const times = timeRuns(argv, runs, repoRoot);
      rows.push({ command, medianS: median(times)!, minS: Math.min(...times), targetS });
    }
    return { rows, table: renderCliTable(rows, runs) };
  } finally {
    await stopProcess(node);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function renderCliTable(rows: CliRow[], runs: number): string {
  const lines = [`| command (${runs} runs each) | median | fastest | target | |`, '| --- | ---: | ---: | ---: | --- |'];
  for (const r of rows) {
    const verdict = r.targetS === null ? '' : r.medianS <= r.targetS ? 'PASS' : 'FAIL';
    lines.push(
      `| ${r.command} | ${r.medianS.toFixed(2)} s | ${r.minS.toFixed(2)} s | ${r.targetS === null ? '—' : `≤ ${r.targetS} s`} | ${verdict} |`,
    );
  }
  return lines.join('\n');
}

// `npm run bench:cli`: this bench alone.
if (process.argv[1]?.endsWith('cli-startup.js')) {
  const { fileURLToPath } = await import('node:url');
  const repoRoot = join(fileURLToPath(import.meta.url), '..', '..', '..');
  const { rows, table } = await runCliStartupBench(repoRoot);
  console.log(table);
  const { writeResults } = await import('./lib/results.js');
  console.log(`bench: raw figures in ${writeResults(repoRoot, 'cli-startup', { rows })}`);
  process.exit(rows.some((r) => r.targetS !== null && r.medianS > r.targetS) ? 1 : 0);
}
