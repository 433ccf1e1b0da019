// `npm run build` (and `npm install`, through `prepare`): TypeScript into dist/, then the
// generated code of the declarative file's validator (src/config/declarative-validator.ts).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const started = Date.now();
console.log('build: compiling TypeScript into dist/ (tsc; about 20 s on 2 cores)');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('build: error: tsc failed (the errors are above)');
  process.exit(r.status ?? 1);
}
const { writeGenerated, GENERATED_FILE } = await import('../dist/src/config/declarative-validator.js');
writeGenerated();
console.log(`build: wrote ${GENERATED_FILE.slice(process.cwd().length + 1)}; done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
