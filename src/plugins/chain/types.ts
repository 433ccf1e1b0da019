// Contract between the plugin chain compiler and the engine. Chains are compiled per route
// when a configuration loads; a request only walks arrays.

import type { PluginModule } from '../sdk.js';

/** One configured plugin entity (a row of `plugins`), validated and prepared. */
export interface PluginInstance {
  readonly id: string;
  readonly name: string;
  readonly module: PluginModule;
  /** The config after defaults and `prepare()`: what the handlers receive. */
  readonly conf: unknown;
  /** Where it was configured, for logs: "global", "service 'x'", "route 'y' + consumer 'z'"… */
  readonly scope: string;
}

/**
 * One plugin name on one route. Which instance runs follows Kong's precedence:
 * consumer+route+service > consumer+route > consumer+service > route+service > consumer >
 * route > service > global.
 */
export interface ChainSlot {
  readonly name: string;
  /** The instance that runs when no consumer is known, or none for that consumer applies; null = none. */
  readonly base: PluginInstance | null;
  /** consumer id → the instance that runs for that consumer (already resolved by precedence); null when no consumer-scoped instance exists. */
  readonly byConsumer: ReadonlyMap<string, PluginInstance> | null;
}

export interface PluginChain {
  /** Slots in execution order for each phase (priority descending, then `ordering`). Only slots whose plugin has that phase. */
  readonly rewrite: readonly ChainSlot[];
  readonly access: readonly ChainSlot[];
  readonly response: readonly ChainSlot[];
  /** Plugins with a body filter; asked in this order right after the response phase. */
  readonly body: readonly ChainSlot[];
  readonly log: readonly ChainSlot[];
}
