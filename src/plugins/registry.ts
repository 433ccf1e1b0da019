// The plugin registry: which plugins this node can run and how to validate their config.
// The engine and the config loader only ever talk to this registry; no plugin is named
// anywhere else. The bundled plugins arrive in a later issue; until then it starts empty.

export interface PluginConfigError { field: string; message: string }

export interface PluginDefinition {
  name: string;
  version: string;
  priority: number;
  /** Validates (and fills defaults into) a plugin's `config`; returns errors, empty when valid. */
  validate(config: Record<string, unknown>): PluginConfigError[];
}

export class PluginRegistry {
  private readonly plugins = new Map<string, PluginDefinition>();

  register(def: PluginDefinition): void {
    this.plugins.set(def.name, def);
  }

  get(name: string): PluginDefinition | undefined {
    return this.plugins.get(name);
  }

  has(name: string): boolean {
    return this.plugins.has(name);
  }

  names(): string[] {
    return [...this.plugins.keys()].sort();
  }
}

/** The registry with every plugin bundled in this build. */
export function bundledRegistry(): PluginRegistry {
  return new PluginRegistry();
}
