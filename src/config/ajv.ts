// The one ajv set-up of the declarative loader: every error collected, Kong's defaults filled
// in. ajv (25 modules) is loaded on the first compile: the declarative file's own validator is
// generated at build time (declarative-validator.ts), so most processes never compile at all.
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);

/** The options every loader schema is compiled with (part of the generated validator's fingerprint). */
export const LOADER_AJV_OPTIONS = { allErrors: true, strict: false, useDefaults: true, verbose: true } as const;

/** A new ajv with the loader's options (plus `extra`, e.g. code generation) and the formats. */
export function newLoaderAjv(extra: Record<string, unknown> = {}): import('ajv').default {
  const Ajv = require('ajv') as typeof import('ajv').default;
  const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
  const ajv = new Ajv({ ...LOADER_AJV_OPTIONS, ...extra });
  addFormats(ajv);
  return ajv;
}

let shared: import('ajv').default | undefined;

/** Compiles a JSON schema (once per schema: keep the result). */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  return (shared ??= newLoaderAjv()).compile(schema);
}
