// The declarative file's validator is generated at build time (ajv standalone code) and
// compiled at run time only as a fallback: both must behave the same, and a build must
// leave a generated file that matches the schema it was built from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  declarativeValidator,
  GENERATED_FILE,
  loadGenerated,
  validatorSource,
  writeGenerated,
} from '../../../src/config/declarative-validator.js';
import { DeclarativeFileSchema } from '../../../src/config/entities/file-schema.js';

const require = createRequire(import.meta.url);

test('the build leaves a generated validator made from the current schema, and processes use it', () => {
  assert.ok(fs.existsSync(GENERATED_FILE), `${GENERATED_FILE} is missing: npm run build must write it`);
  assert.notEqual(
    loadGenerated(GENERATED_FILE),
    undefined,
    'the generated validator does not match the schema: npm run build must regenerate it',
  );
  declarativeValidator();
  assert.equal(validatorSource, 'generated');
});

test('generated and run-time compiled validators give the same errors and fill the same defaults', () => {
  const Ajv = require('ajv') as typeof import('ajv').default;
  const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, verbose: true });
  addFormats(ajv);
  const compiled = ajv.compile(DeclarativeFileSchema);
  const generated = declarativeValidator();
  const inputs = [
    { _format_version: '3.0', services: [{ name: 'a', url: 'http://127.0.0.1:1', routes: [{ paths: ['/a'] }] }] },
    {
      _format_version: '3.0',
      services: [{ name: 'b', host: 'x', port: 'eighty', retries: -1, bogus: 1, routes: [{ methods: 42 }] }],
    },
    {
      _format_version: '2.1',
      consumers: [{ username: 'u', keyauth_credentials: [{ key: 1 }] }],
      upstreams: [{ name: 'u', targets: [{ target: 7 }] }],
    },
  ];
  for (const input of inputs) {
    const a = structuredClone(input);
    const b = structuredClone(input);
    const okA = compiled(a);
    const okB = generated(b);
    assert.equal(okB, okA);
    const strip = (errs: typeof compiled.errors) =>
      (errs ?? []).map((e) => ({
        instancePath: e.instancePath,
        keyword: e.keyword,
        params: e.params,
        message: e.message,
      }));
    assert.deepEqual(strip(generated.errors), strip(compiled.errors));
    assert.deepEqual(b, a, 'the same defaults are filled in');
  }
});

test('a generated file made from another schema is not used', () => {
  // Beside the real one: the generated code requires ajv's runtime from node_modules.
  const dir = fs.mkdtempSync(path.join(path.dirname(GENERATED_FILE), 'validator-test-'));
  try {
    const file = path.join(dir, 'v.cjs');
    writeGenerated(file);
    assert.notEqual(loadGenerated(file), undefined);
    fs.appendFileSync(file, 'module.exports.fingerprint = "another schema";\n');
    delete require.cache[file];
    assert.equal(loadGenerated(file), undefined);
    assert.equal(loadGenerated(path.join(dir, 'absent.cjs')), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
