import assert from 'node:assert/strict';
import { parseDeclarative, type ConfigError, type LoadResult } from '../../../src/config/load.js';
import { PluginRegistry, type PluginConfigError } from '../../../src/plugins/registry.js';
import type { Config } from '../../../src/config/types.js';

export const empty = new PluginRegistry();

/** Joins lines so YAML fixtures keep exact, countable line numbers. */
export const yml = (...lines: string[]) => lines.join('\n') + '\n';

export function load(text: string, registry = empty): LoadResult {
  return parseDeclarative(text, 'kong.yml', registry);
}

export function ok(text: string, registry = empty): Config {
  const r = load(text, registry);
  if (!r.ok)
    assert.fail(
      `expected the file to load, got:\n${r.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n')}`,
    );
  return r.config;
}

export function errors(text: string, registry = empty): ConfigError[] {
  const r = load(text, registry);
  assert.equal(r.ok, false, 'expected the file to be rejected');
  return (r as { errors: ConfigError[] }).errors;
}

/** The single error at `path`. */
export function errorAt(errs: ConfigError[], path: string): ConfigError {
  const found = errs.filter((e) => e.path === path);
  assert.equal(found.length, 1, `expected one error at ${path}, got: ${JSON.stringify(errs, null, 1)}`);
  return found[0]!;
}

export function registryWith(
  name: string,
  validate: (config: Record<string, unknown>) => PluginConfigError[],
): PluginRegistry {
  const reg = new PluginRegistry();
  reg.register({ name, version: '1.0.0', priority: 1000, validate });
  return reg;
}
