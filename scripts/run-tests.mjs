// Runs the compiled tests with Node's built-in runner (Node 20's `--test` takes no globs, so
// the files are listed here). `npm test -- --help` says how to pick files and tests.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const USAGE = `Usage: npm test [-- [options] [filter ...]]

Runs the test files under dist/test (built from test/ by \`npm run build\`), one at a time.

Filters pick test files; a file runs when its path contains any filter:
  npm test -- unit                        every unit test (also: npm run test:unit)
  npm test -- integration                 every integration test
  npm test -- streams                     files whose path contains "streams"
  npm test -- test/integration/cli.test.ts   one file, by its source path

Options:
  -t, --name <pattern>   run only the tests whose name matches the regular expression
                         (node --test-name-pattern), e.g. npm test -- cli --name "unknown command"
  -l, --list             list the test files the filters select, and exit
  -h, --help             this help

Tests that need PostgreSQL, Redis or a tool such as promtool skip with a loud message when
it is missing, and fail instead under CI=true.`;

const root = 'dist/test';
const filters = [];
const names = [];
let list = false;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '-h' || a === '--help') {
    console.log(USAGE);
    process.exit(0);
  } else if (a === '-l' || a === '--list') list = true;
  else if (a === '-t' || a === '--name' || a === '--test-name-pattern') {
    if (args[i + 1] === undefined) usageError(`${a} needs a pattern`);
    names.push(args[++i]);
  } else if (a.startsWith('--name=') || a.startsWith('--test-name-pattern=')) names.push(a.slice(a.indexOf('=') + 1));
  else if (a.startsWith('-')) usageError(`unknown option '${a}'`);
  else filters.push(toDistFilter(a));
}

function usageError(message) {
  console.error(`run-tests: error: ${message}\n\n${USAGE}`);
  process.exit(2);
}

/** "test/integration/cli.test.ts" → "integration/cli.test.js"; other filters are kept. */
function toDistFilter(f) {
  return f.replace(/^(\.\/)?(dist\/)?test\//, '').replace(/\.ts$/, '.js');
}

if (!existsSync(root)) {
  console.error(`run-tests: error: ${root} does not exist; run \`npm run build\` first`);
  process.exit(1);
}
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
})(root);
// A filter naming a folder (unit, integration/store) selects that folder; any other, paths containing it.
const matches = (rel, x) =>
  existsSync(join(root, x)) && statSync(join(root, x)).isDirectory()
    ? rel.startsWith(x.replace(/\/$/, '') + '/')
    : rel.includes(x);
const chosen = filters.length === 0 ? files : files.filter((f) => filters.some((x) => matches(relative(root, f), x)));
if (chosen.length === 0) {
  console.error(
    `run-tests: error: no test file under ${root} matches ${filters.map((f) => `'${f}'`).join(', ')}; \`npm test -- --list\` shows them, --name picks tests by name`,
  );
  process.exit(1);
}
if (list) {
  for (const f of chosen) console.log(f);
  process.exit(0);
}
warnIfStale();
const nodeArgs = ['--test', '--test-concurrency=1', ...names.map((n) => `--test-name-pattern=${n}`), ...chosen];
const r = spawnSync(process.execPath, nodeArgs, { stdio: 'inherit' });
process.exit(r.status ?? 1);

/** A source or test file edited after the last build runs as it was built: say so. */
function warnIfStale() {
  let stale = null;
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      if (stale !== null) return;
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
        const out = join('dist', p.replace(/\.ts$/, '.js'));
        if (!existsSync(out) || statSync(out).mtimeMs < st.mtimeMs) stale = p;
      }
    }
  };
  for (const dir of ['src', 'test']) if (existsSync(dir)) walk(dir);
  if (stale !== null)
    console.error(
      `run-tests: warning: ${stale} changed after the last build; run \`npm run build\` to test it as it is now`,
    );
}
