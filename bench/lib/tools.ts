// The benchmark's tools: Debian packages (nginx-light, haproxy, wrk, hey, nghttp2-client for h2load) installed with
// apt-get when missing, and fast-gateway 3.4.7 installed with npm into bench/.work/fast-gateway/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FAST_GATEWAY_VERSION = '3.4.7';

/** The binary each Debian package gives us. */
const DEBIAN_TOOLS: ReadonlyArray<{ bin: string; pkg: string }> = [
  { bin: 'nginx', pkg: 'nginx-light' },
  { bin: 'haproxy', pkg: 'haproxy' },
  { bin: 'wrk', pkg: 'wrk' },
  { bin: 'hey', pkg: 'hey' },
  { bin: 'h2load', pkg: 'nghttp2-client' },
  { bin: 'taskset', pkg: 'util-linux' },
];

/** Absolute path of an executable on PATH (or in the sbin folders), or undefined. */
export function which(bin: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, bin);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  process.stdout.write(`bench: $ ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/** Installs the missing Debian tools; returns the tools' paths. */
export function ensureDebianTools(): Record<string, string> {
  const missing = DEBIAN_TOOLS.filter((t) => which(t.bin) === undefined);
  if (missing.length > 0) {
    const pkgs = missing.map((t) => t.pkg);
    process.stdout.write(
      `bench: installing from Debian's packages: ${pkgs.join(', ')} (missing: ${missing.map((t) => t.bin).join(', ')})\n`,
    );
    const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const [c1, ...a1] = [...sudo, 'apt-get', 'update'];
    run(c1!, a1, env);
    const [c2, ...a2] = [...sudo, 'apt-get', 'install', '-y', '--no-install-recommends', ...pkgs];
    run(c2!, a2, env);
  }
  const paths: Record<string, string> = {};
  for (const t of DEBIAN_TOOLS) {
    const p = which(t.bin);
    if (p === undefined) throw new Error(`${t.bin} (Debian package ${t.pkg}) is still missing after apt-get install`);
    paths[t.bin] = p;
  }
  if (missing.length === 0) process.stdout.write(`bench: tools present: ${Object.values(paths).join(', ')}\n`);
  return paths;
}

/**
 * fast-gateway lives in its own npm project under bench/.work/fast-gateway/ (not a
 * dependency of Turnpike). Installs it when missing or at another version; returns the folder.
 */
export function ensureFastGateway(workDir: string): string {
  const dir = join(workDir, 'fast-gateway');
  const installed = join(dir, 'node_modules', 'fast-gateway', 'package.json');
  if (existsSync(installed)) {
    const v = (JSON.parse(readFileSync(installed, 'utf8')) as { version?: string }).version;
    if (v === FAST_GATEWAY_VERSION) return dir;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'bench-fast-gateway', private: true, type: 'commonjs' }, null, 2) + '\n',
  );
  process.stdout.write(`bench: installing fast-gateway@${FAST_GATEWAY_VERSION} with npm into ${dir}\n`);
  run('npm', [
    'install',
    '--prefix',
    dir,
    '--no-audit',
    '--no-fund',
    '--save-exact',
    `fast-gateway@${FAST_GATEWAY_VERSION}`,
  ]);
  return dir;
}

export function fastGatewayVersion(dir: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(dir, 'node_modules', 'fast-gateway', 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    return 'unknown';
  }
}
