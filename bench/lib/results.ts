// The raw record of a run: every round of every contender, machine facts, versions and
// command lines, written to bench/results/<YYYY-MM-DD>-<name>.json.
import { cpus, totalmem, release, hostname } from 'node:os';
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { quick } from './proc.js';

export function machineFacts(repoRoot: string): Record<string, unknown> {
  const c = cpus();
  return {
    hostname: hostname(),
    cpuModel: c[0]?.model ?? 'unknown',
    cpuCount: c.length,
    memoryBytes: totalmem(),
    kernel: release(),
    os: quick(['sh', '-c', '. /etc/os-release && echo "$PRETTY_NAME"']),
    node: process.version,
    gitCommit: quick(['git', '-C', repoRoot, 'rev-parse', 'HEAD']),
    gitDirty: quick(['git', '-C', repoRoot, 'status', '--porcelain', '--untracked-files=no']) !== '',
  };
}

export function toolVersions(fastGatewayVersion: string): Record<string, string> {
  const deb = (pkg: string): string => quick(['dpkg-query', '-W', '-f', '${Version}', pkg]);
  return {
    nginx: quick(['nginx', '-v']),
    'nginx-light (deb)': deb('nginx-light'),
    haproxy: quick(['haproxy', '-v']),
    wrk: quick(['wrk', '-v']),
    'hey (deb)': deb('hey'),
    h2load: quick(['h2load', '--version']),
    'fast-gateway': fastGatewayVersion,
    node: process.version,
  };
}

export function writeResults(repoRoot: string, name: string, data: unknown, date = new Date()): string {
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${date.toISOString().slice(0, 10)}-${name}.json`);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n');
  renameSync(tmp, file);
  return file;
}
