// External programs some tests use (promtool, zsh, …). Without one, a test skips its check
// with a loud message, except under CI=true, where .ci/run installs them: there a missing
// tool fails the test, so that a green CI cannot hide a skipped check.

import { spawnSync } from 'node:child_process';

const found = new Map<string, boolean>();

/** Whether `name` runs here (looked up on PATH once per process). */
export function hasTool(name: string): boolean {
  let ok = found.get(name);
  if (ok === undefined) {
    ok = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { stdio: 'ignore' }).status === 0;
    found.set(name, ok);
  }
  return ok;
}

/**
 * True when `name` is installed. Otherwise: under CI=true throws (the test fails); else prints
 * a loud SKIPPING line naming the Debian package and returns false, and the caller skips the
 * check that needs it.
 */
export function needTool(name: string, debianPackage: string, what: string): boolean {
  if (hasTool(name)) return true;
  const msg = `${name} is not installed: ${what} needs it (apt-get install ${debianPackage})`;
  if (process.env.CI === 'true') throw new Error(`${msg}; under CI=true .ci/run must install it`);
  console.error(`\n!!!!!!!! SKIPPING: ${msg} !!!!!!!!\n`);
  return false;
}

/** `promtool check metrics` on a text exposition; returns its exit status and output, or null when skipped. */
export function promtoolCheck(text: string, what: string): { status: number | null; output: string } | null {
  if (!needTool('promtool', 'prometheus', what)) return null;
  const p = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: p.status, output: `${p.stdout}${p.stderr}` };
}
