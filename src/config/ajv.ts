// The one place ajv instances are made (the declarative loader, the store's entity writes,
// plugin configs, request-validator's user schemas). ajv (25 modules) is loaded on the first
// one: the declarative file's own validator is generated at build time
// (declarative-validator.ts), so most processes never compile a schema at all.
import { createRequire } from 'node:module';
import type { Options, ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);

/** JSON Schema dialects ajv runs: draft-07 (and 06/04-style schemas translated to it), 2019-09, 2020-12. */
export type AjvDialect = 'draft-07' | '2019-09' | '2020-12';

export type AjvInstance = import('ajv').default;

/** A new ajv of `dialect` with `options` and the standard formats (ajv-formats). */
export function newAjv(options: Options, dialect: AjvDialect = 'draft-07'): AjvInstance {
  const Ajv = (
    dialect === '2019-09' ? require('ajv/dist/2019') : dialect === '2020-12' ? require('ajv/dist/2020') : require('ajv')
  ) as typeof import('ajv').default;
  const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
  const ajv = new Ajv(options);
  addFormats(ajv);
  return ajv;
}

/** The options every loader and store schema is compiled with (part of the generated validator's fingerprint). */
export const LOADER_AJV_OPTIONS = { allErrors: true, strict: false, useDefaults: true, verbose: true } as const;

/** A new ajv with the loader's options (plus `extra`, e.g. code generation). */
export function newLoaderAjv(extra: Options = {}): AjvInstance {
  return newAjv({ ...LOADER_AJV_OPTIONS, ...extra });
}

let shared: AjvInstance | undefined;

/** Compiles a JSON schema of the loader (once per schema: keep the result). */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  return (shared ??= newLoaderAjv()).compile(schema);
}
