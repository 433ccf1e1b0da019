// The registry a node runs with: the bundled plugins plus the custom ones named in the
// `plugins` setting (TURNPIKE_PLUGINS, Kong's `plugins` in kong.conf). Every process (the
// primary, each worker, `turnpike validate`) builds its own: modules cannot cross processes.

import { bundledRegistry, type PluginRegistry } from './registry.js';
import { loadCustomPlugins } from './loader.js';

export async function nodeRegistry(spec: string, baseDir: string = process.cwd()): Promise<PluginRegistry> {
  const registry = bundledRegistry();
  await loadCustomPlugins(spec, registry, baseDir);
  return registry;
}
