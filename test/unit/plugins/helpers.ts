import assert from 'node:assert/strict';
import { Type, type TSchema } from '@sinclair/typebox';
import { parseDeclarative } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { PluginRegistry } from '../../../src/plugins/registry.js';
import { definePlugin, type Phase, type PluginModule } from '../../../src/plugins/sdk.js';

export const yml = (...lines: string[]) => lines.join('\n') + '\n';

const noop = () => {};

/** A plugin with the given phases (handlers do nothing) and an open schema. */
export function plugin(
  name: string,
  priority: number,
  phases: Phase[] = ['access'],
  schema: TSchema = Type.Object({}, { additionalProperties: true }),
): PluginModule {
  return definePlugin({
    name,
    version: '1.0.0',
    priority,
    schema,
    phases: Object.fromEntries(phases.map((p) => [p, noop])),
  });
}

export function registryOf(...mods: PluginModule[]): PluginRegistry {
  const reg = new PluginRegistry();
  for (const m of mods) reg.register(m);
  return reg;
}

export function load(text: string, reg: PluginRegistry): Config {
  const r = parseDeclarative(text, 'kong.yml', reg);
  if (!r.ok) assert.fail(r.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n'));
  return r.config;
}
