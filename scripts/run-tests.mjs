// Runs the compiled tests with Node's built-in runner. Node 20's `--test` takes no globs,
// so the files are listed here. `node scripts/run-tests.mjs unit` runs one folder only.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = 'dist/test';
const only = process.argv[2];
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
}
walk(only ? join(root, only) : root);
if (files.length === 0) {
  console.error(`no test files under ${only ? join(root, only) : root}; run \`npm run build\` first`);
  process.exit(1);
}
const args = ['--test', '--test-concurrency=1', ...files];
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
