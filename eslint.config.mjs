// Lint rules that catch bugs the type checker does not: a promise nobody awaits or catches
// (its rejection would end the process), and import cycles between modules, type-only ones
// included (dependencies point one way). Formatting is not the linter's business.
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';
import noImportCycle from './scripts/eslint-no-import-cycle.mjs';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'bench/.work/**',
      'bench/results/**',
      'examples/**',
      'scripts/**',
      'eslint.config.mjs',
    ],
  },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: fileURLToPath(new URL('.', import.meta.url)) },
    },
    // turnpike/no-import-cycle replaces import-x/no-cycle, which cannot be told to follow
    // `import type` (see the rule's file); it resolves './x.js' to x.ts as tsc does.
    plugins: { '@typescript-eslint': tseslint.plugin, turnpike: { rules: { 'no-import-cycle': noImportCycle } } },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/it()/describe() return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      'turnpike/no-import-cycle': 'error',
    },
  },
);
