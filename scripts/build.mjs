// `npm run build` (and `npm install`, through `prepare`): TypeScript into dist/, then the
// generated code of the declarative file's validator (src/config/declarative-validator.ts).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const started = Date.now();
// `npx turnpike` in the checkout links the checkout into npm's cache and runs this (the
// `prepare` script) on its first call: with nothing changed since the last build, that must
// not mean 20 silent seconds of tsc. --force builds anyway.
if (!process.argv.includes('--force') && upToDate() && (await validatorMatches())) {
  console.log('build: dist/ is up to date with src/, test/ and bench/ (npm run build -- --force rebuilds)');
  process.exit(0);
}
console.log('build: compiling TypeScript into dist/ (tsc; about 20 s on 2 cores)');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('build: error: tsc failed (the errors are above)');
  process.exit(r.status ?? 1);
}
const { writeGenerated, GENERATED_FILE } = await import('../dist/src/config/declarative-validator.js');
writeGenerated();
console.log(
  `build: wrote ${GENERATED_FILE.slice(process.cwd().length + 1)}; done in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

/** Every .ts file has its .js in dist/, newer than it and than tsconfig.json, and the validator was generated. */
function upToDate() {
  if (!existsSync('dist/src/config/declarative-validator.generated.cjs')) return false;
  const config = statSync('tsconfig.json').mtimeMs;
  const fresh = (dir) =>
    readdirSync(dir, { withFileTypes: true }).every((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'results' || fresh(p);
      if (!e.name.endsWith('.ts') || e.name.endsWith('.d.ts')) return true;
      const out = join('dist', p.replace(/\.ts$/, '.js'));
      if (!existsSync(out)) return false;
      const built = statSync(out).mtimeMs;
      return built >= statSync(p).mtimeMs && built >= config;
    });
  return ['src', 'test', 'bench'].every((d) => !existsSync(d) || fresh(d));
}

/** The generated validator was made from the schema in dist/ (a `tsc` run alone leaves it stale). */
async function validatorMatches() {
  const { GENERATED_FILE, loadGenerated } = await import('../dist/src/config/declarative-validator.js');
  return loadGenerated(GENERATED_FILE) !== undefined;
}
