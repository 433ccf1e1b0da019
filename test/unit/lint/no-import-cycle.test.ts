// The lint's import-cycle rule (scripts/eslint-no-import-cycle.mjs) on a small project of its
// own: a cycle made of type-only imports is reported on both sides, with its path; an import
// that only points into a cycle is not.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

// dist/test/unit/lint/ → the checkout
const RULE = fileURLToPath(new URL('../../../../scripts/eslint-no-import-cycle.mjs', import.meta.url));

test('type-only cycles are reported with their path; imports into a cycle are not', async () => {
  const rule = ((await import(pathToFileURL(RULE).href)) as { default: unknown }).default;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'turnpike-cycle-'));
  try {
    const files: Record<string, string> = {
      'tsconfig.json': JSON.stringify({
        compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true },
        include: ['*.ts'],
      }),
      'a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
      'b.ts': "import type { A } from './a.js';\nexport interface B { a?: A }\n",
      'c.ts': "import type { A } from './a.js';\nexport type C = A;\n",
    };
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    const eslint = new ESLint({
      cwd: dir,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ['**/*.ts'],
          languageOptions: {
            parser: tseslint.parser,
            parserOptions: { project: './tsconfig.json', tsconfigRootDir: dir },
          },
          plugins: { t: { rules: { 'no-import-cycle': rule } } } as unknown as ESLint.Plugin,
          rules: { 't/no-import-cycle': 'error' },
        },
      ] as unknown as ESLint.Options['overrideConfig'],
    });
    const results = await eslint.lintFiles(['a.ts', 'b.ts', 'c.ts']);
    const byFile = new Map(results.map((r) => [path.basename(r.filePath), r.messages]));
    assert.equal(byFile.get('a.ts')?.length, 1, JSON.stringify(byFile.get('a.ts')));
    assert.match(byFile.get('a.ts')![0].message, /a\.ts → .*b\.ts → .*a\.ts/);
    assert.equal(byFile.get('b.ts')?.length, 1);
    assert.match(byFile.get('b.ts')![0].message, /b\.ts → .*a\.ts → .*b\.ts/);
    assert.deepEqual(byFile.get('c.ts'), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
