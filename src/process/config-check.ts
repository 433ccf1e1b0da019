// What the primary does with a configuration before any worker sees it: read it from its
// source, validate it and test-compile it, so that a bad file or row is refused whole, at
// start and at each reload, with every problem listed.

import type { Logger } from 'pino';
import type { TlsOptions } from '../settings/index.js';
import { formatConfigErrors, formatConfigWarnings } from '../config/load.js';
import type { Config } from '../config/types.js';
import { compilePluginChains } from '../plugins/chain/compile.js';
import type { PluginRegistry } from '../plugins/registry.js';
import { compileSnapshot, stopSnapshot } from '../snapshot/compile.js';
import { MetricsRegistry } from '../observe/metrics.js';
import type { ConfigSource } from './config-source.js';
import { StartupError } from './startup-checks.js';

/** A configuration that loaded and compiled, with what deserves a word about it. */
export interface CheckedConfig {
  config: Config;
  hash: string;
  warnings: readonly string[];
}

/**
 * Loads, validates and test-compiles the configuration of a source (a file or the database);
 * throws StartupError with every problem listed, SourceUnavailable when it cannot be read now.
 */
export async function loadAndCheck(
  source: ConfigSource,
  registry: PluginRegistry,
  tls: TlsOptions,
): Promise<CheckedConfig> {
  const file = source.label;
  const res = await source.read();
  if (!res.ok) {
    // An unreadable file is one problem with its own message; a bad file lists every error.
    const only = res.errors.length === 1 ? res.errors[0] : null;
    if (only !== null && only.entity === '' && only.path === '' && only.line === null)
      throw new StartupError(`${file}: ${only.message}`);
    throw new StartupError(`invalid configuration in ${file}:\n${formatConfigErrors(res.errors, file)}`);
  }
  let warnings: readonly string[];
  try {
    // Compile once here so problems the schema cannot see (e.g. a bad target) are caught
    // before any worker gets the config. Nothing is started by compiling.
    const plugins = compilePluginChains(res.config, registry);
    warnings = plugins.warnings;
    stopSnapshot(
      compileSnapshot(res.config, res.hash, { metrics: new MetricsRegistry(), previous: null, plugins, tls }),
    );
  } catch (err) {
    throw new StartupError(`invalid configuration in ${file}: ${(err as Error).message}`);
  }
  // The file's own warnings (an expired certificate…), then the plugins' (a missing .proto…).
  const configWarnings = formatConfigWarnings(res.warnings ?? [], file)
    .split('\n')
    .filter((l) => l !== '');
  return { config: res.config, hash: res.hash, warnings: [...configWarnings, ...warnings] };
}

/** What loads but deserves a word: one log line each, at start and at each reload (the problem is still there). */
export function logWarnings(log: Logger, label: string, warnings: readonly string[], trigger: string): void {
  for (const w of warnings) log.warn({ trigger, config: label }, w);
}
