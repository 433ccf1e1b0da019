// The JSON-Schema validator of a declarative file (schema errors, defaults filled in).
// For this schema ajv generates about 450 KB of code, which took 0.3–0.7 s at every process
// start: more than everything else `turnpike validate` does. `npm run build` therefore writes
// that code once (scripts/build.mjs → GENERATED_FILE, ajv's "standalone" code),
// and a process loads it (≈ 15 ms) when it was generated from the same schema and options.
// Otherwise (a build that skipped that step, a schema edited since) it compiles as before.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { DeclarativeFileSchema, fileSchemaOf } from './entities/file-schema.js';
import { ENTITY_TABLE, type EntityTable } from './entities/index.js';
import { compileSchema, LOADER_AJV_OPTIONS, newLoaderAjv } from './ajv.js';

const require = createRequire(import.meta.url);

/** Beside this module in dist/: the generated code of the validator. */
export const GENERATED_FILE = fileURLToPath(new URL('./declarative-validator.generated.cjs', import.meta.url));

type Generated = ValidateFunction & { fingerprint?: string };

/** Identifies the schema and options the code was generated from. */
export function fingerprint(): string {
  return createHash('sha256')
    .update(JSON.stringify(LOADER_AJV_OPTIONS))
    .update(JSON.stringify(DeclarativeFileSchema))
    .digest('hex');
}

let validator: ValidateFunction | undefined;
/** How the validator in use was obtained (for tests and diagnostics). */
export let validatorSource: 'generated' | 'compiled' | 'none' = 'none';

export function declarativeValidator(): ValidateFunction {
  if (validator === undefined) {
    validator = loadGenerated(GENERATED_FILE);
    if (validator !== undefined) validatorSource = 'generated';
    else {
      validator = compileSchema(DeclarativeFileSchema);
      validatorSource = 'compiled';
    }
  }
  return validator;
}

const others = new WeakMap<EntityTable, ValidateFunction>();

/** The validator of a file whose entities are `table`'s: the generated one for the entity table, else compiled (tests). */
export function fileValidator(table: EntityTable): ValidateFunction {
  if (table === ENTITY_TABLE) return declarativeValidator();
  let v = others.get(table);
  if (v === undefined) others.set(table, (v = compileSchema(fileSchemaOf(table))));
  return v;
}

/** The generated validator at `file`, or undefined when absent or made from another schema. */
export function loadGenerated(file: string): ValidateFunction | undefined {
  let v: Generated;
  try {
    v = require(file) as Generated;
  } catch {
    return undefined;
  }
  return typeof v === 'function' && v.fingerprint === fingerprint() ? v : undefined;
}

/** Writes the validator's standalone code to `file` (the build's step). */
export function writeGenerated(file: string = GENERATED_FILE): void {
  const { _ } = require('ajv') as typeof import('ajv');
  const standalone = (require('ajv/dist/standalone') as { default: (ajv: unknown, v: unknown) => string }).default;
  const ajv = newLoaderAjv({ code: { source: true, formats: _`require("ajv-formats/dist/formats").fullFormats` } });
  const code = standalone(ajv, ajv.compile(DeclarativeFileSchema));
  writeFileSync(file, `${code}\nmodule.exports.fingerprint = ${JSON.stringify(fingerprint())};\n`);
}
