// Compiles the configured plugin entities into one chain per route, once per configuration
// load: instances prepared once, Kong's precedence resolved per plugin name (consumer-scoped
// instances resolved into a per-consumer map), phases filtered, ordered by priority and then
// by the instances' dynamic `ordering`. A request only walks the arrays (see types.ts).

import type { Config, Plugin } from '../../config/types.js';
import type { PluginRegistry } from '../registry.js';
import type { Phase, PluginModule } from '../sdk.js';
import type { ChainSlot, PluginChain, PluginInstance } from './types.js';

export interface PluginChains {
  /** The chain of a route (with its service, or null for a route without one); null when no plugin applies. */
  forRoute(routeId: string, serviceId: string | null): PluginChain | null;
  /**
   * What the plugins' `prepare` reported without refusing the configuration, each line
   * prefixed with the plugin and where it is configured: for `turnpike validate` and the
   * gateway's log.
   */
  readonly warnings: readonly string[];
}

/** A configuration the chain compiler refuses (ordering cycle, duplicate instance, prepare() failure). */
export class PluginChainError extends Error {
  override readonly name = 'PluginChainError';
}

/** Kong's precedence, highest first. c = consumer, r = route, s = service, g = global. */
type Level = 'crs' | 'cr' | 'cs' | 'rs' | 'c' | 'r' | 's' | 'g';

interface Entry {
  readonly instance: PluginInstance;
  readonly level: Level;
  readonly ordering: Plugin['ordering'];
}

/** Every instance of one plugin name, indexed by scope. */
interface ByName {
  readonly name: string;
  readonly module: PluginModule;
  global: Entry | null;
  readonly service: Map<string, Entry>;
  readonly route: Map<string, Entry>;
  readonly routeService: Map<string, Entry>;
  /** Consumer-only instances: apply on every route. */
  readonly consumer: Map<string, Entry>;
  /** The `consumer` map as the slot's byConsumer, shared by every route that needs nothing more. */
  consumerShared: ReadonlyMap<string, PluginInstance> | null;
  /** service id → consumer id → entry, and likewise. */
  readonly consumerService: Map<string, Map<string, Entry>>;
  readonly consumerRoute: Map<string, Map<string, Entry>>;
  readonly consumerRouteService: Map<string, Map<string, Entry>>;
  hasOrdering: boolean;
}

/**
 * Compiles every route's chain of `config` (throws PluginChainError on a configuration the
 * loader let through but the chains cannot honour). Plugins must be in `registry`.
 */
export function compilePluginChains(config: Config, registry: PluginRegistry): PluginChains {
  const serviceNames = new Map(config.services.map((s) => [s.id, s.name ?? s.id]));
  const routeNames = new Map(config.routes.map((r) => [r.id, r.name ?? r.id]));
  const consumerNames = new Map(config.consumers.map((c) => [c.id, c.username ?? c.custom_id ?? c.id]));

  const byName = new Map<string, ByName>();
  const entryByInstance = new Map<PluginInstance, Entry>();
  const keyedRoutes = new Set<string>();
  const keyedServices = new Set<string>();
  const warnings: string[] = [];

  for (const p of config.plugins) {
    if (p.enabled === false) continue;
    const protocols: readonly string[] = p.protocols ?? ['http', 'https'];
    if (!protocols.includes('http') && !protocols.includes('https')) continue;
    const def = registry.get(p.name);
    if (!def) throw new PluginChainError(`plugin id ${p.id}: ${registry.explainUnavailable(p.name)}`);
    const module = def.module;
    const c = p.consumer?.id ?? null;
    const r = p.route?.id ?? null;
    const s = p.service?.id ?? null;
    const level = ((c ? 'c' : '') + (r ? 'r' : '') + (s ? 's' : '') || 'g') as Level;
    const scope = scopeOf(r, s, c, routeNames, serviceNames, consumerNames);
    let conf: unknown = p.config;
    if (module.prepare) {
      try {
        conf = module.prepare(p.config, {
          warn: (message) => warnings.push(`plugin '${p.name}' (${scope}): ${message}`),
        });
      } catch (err) {
        throw new PluginChainError(
          `plugin '${p.name}' (${scope}): preparing its config failed: ${(err as Error).message}`,
        );
      }
    }
    const entry: Entry = {
      instance: { id: p.id, name: p.name, module, conf, scope },
      level,
      ordering: p.ordering ?? null,
    };
    entryByInstance.set(entry.instance, entry);
    let n = byName.get(p.name);
    if (!n) {
      n = {
        name: p.name,
        module,
        global: null,
        service: new Map(),
        route: new Map(),
        routeService: new Map(),
        consumer: new Map(),
        consumerShared: null,
        consumerService: new Map(),
        consumerRoute: new Map(),
        consumerRouteService: new Map(),
        hasOrdering: false,
      };
      byName.set(p.name, n);
    }
    if (entry.ordering) n.hasOrdering = true;
    if (r) keyedRoutes.add(r);
    if (s) keyedServices.add(s);
    const put = (map: Map<string, Entry>, key: string) => {
      const prev = map.get(key);
      if (prev) throw duplicate(p.name, prev.instance, entry.instance);
      map.set(key, entry);
    };
    const put2 = (map: Map<string, Map<string, Entry>>, key: string, consumer: string) => {
      let m = map.get(key);
      if (!m) map.set(key, (m = new Map()));
      put(m, consumer);
    };
    switch (level) {
      case 'g':
        if (n.global) throw duplicate(p.name, n.global.instance, entry.instance);
        n.global = entry;
        break;
      case 's':
        put(n.service, s!);
        break;
      case 'r':
        put(n.route, r!);
        break;
      case 'rs':
        put(n.routeService, `${r}|${s}`);
        break;
      case 'c':
        put(n.consumer, c!);
        break;
      case 'cs':
        put2(n.consumerService, s!, c!);
        break;
      case 'cr':
        put2(n.consumerRoute, r!, c!);
        break;
      case 'crs':
        put2(n.consumerRouteService, `${r}|${s}`, c!);
        break;
    }
  }

  // Priority descending, then name ascending: the order before `ordering` is applied.
  const names = [...byName.values()].sort(
    (a, b) => b.module.priority - a.module.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  for (const n of names) {
    if (n.consumer.size > 0) n.consumerShared = new Map([...n.consumer].map(([k, e]) => [k, e.instance]));
  }

  // Rewrite runs before routing, as in Kong: global instances only, the same for every route.
  const rewriteSlots: Slot[] = names
    .filter((n) => n.global && n.module.phases.rewrite)
    .map((n) => ({ slot: { name: n.name, base: n.global!.instance, byConsumer: null }, entries: [n.global!] }));
  const rewrite = applyOrdering('rewrite', rewriteSlots, 'every route');

  const slotsFor = (routeId: string, serviceId: string | null): Slot[] => {
    const out: Slot[] = [];
    const rs = serviceId === null ? null : `${routeId}|${serviceId}`;
    for (const n of names) {
      const baseEntry =
        (rs !== null ? n.routeService.get(rs) : undefined) ??
        n.route.get(routeId) ??
        (serviceId !== null ? n.service.get(serviceId) : undefined) ??
        n.global;
      // Consumer-scoped instances by precedence: crs > cr > cs > rs > c; below rs a
      // consumer-only instance beats the route's, service's and global ones.
      const cs = serviceId !== null ? n.consumerService.get(serviceId) : undefined;
      const cr = n.consumerRoute.get(routeId);
      const crs = rs !== null ? n.consumerRouteService.get(rs) : undefined;
      const consumerOnlyWins = baseEntry?.level !== 'rs';
      let byConsumer: ReadonlyMap<string, PluginInstance> | null = null;
      const entries: Entry[] = baseEntry ? [baseEntry] : [];
      if (!cs && !cr && !crs) {
        if (consumerOnlyWins) byConsumer = n.consumerShared;
      } else {
        const m = new Map<string, PluginInstance>();
        if (consumerOnlyWins) for (const [k, e] of n.consumer) m.set(k, e.instance);
        for (const level of [cs, cr, crs]) if (level) for (const [k, e] of level) m.set(k, e.instance);
        byConsumer = m;
      }
      if (n.hasOrdering && byConsumer) {
        for (const inst of byConsumer.values()) entries.push(entryByInstance.get(inst)!);
      }
      if (!baseEntry && !byConsumer) continue;
      out.push({ slot: { name: n.name, base: baseEntry?.instance ?? null, byConsumer }, entries });
    }
    return out;
  };

  const memo = new Map<string, PluginChain | null>();
  const forRoute = (routeId: string, serviceId: string | null): PluginChain | null => {
    // Routes and services no instance names share one chain.
    const key = `${keyedRoutes.has(routeId) ? routeId : ''}|${serviceId !== null && keyedServices.has(serviceId) ? serviceId : ''}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    const slots = slotsFor(routeId, serviceId);
    const where = `route '${routeNames.get(routeId) ?? routeId}'`;
    const having = (phase: Phase) => slots.filter((x) => byName.get(x.slot.name)!.module.phases[phase] !== undefined);
    const chain: PluginChain = {
      rewrite,
      access: applyOrdering('access', having('access'), where),
      response: applyOrdering('response', having('response'), where),
      body: applyOrdering('body', having('body'), where),
      log: applyOrdering('log', having('log'), where),
    };
    const result =
      chain.rewrite.length + chain.access.length + chain.response.length + chain.body.length + chain.log.length === 0
        ? null
        : chain;
    memo.set(key, result);
    return result;
  };

  // Everything is compiled now, so a bad configuration fails its load, not a request.
  for (const r of config.routes) forRoute(r.id, r.service?.id ?? null);
  return { forRoute, warnings };
}

interface Slot {
  readonly slot: ChainSlot;
  /** The entries whose `ordering` applies to this slot. */
  readonly entries: readonly Entry[];
}

function duplicate(name: string, a: PluginInstance, b: PluginInstance): PluginChainError {
  return new PluginChainError(
    `plugin '${name}' is configured twice for ${a.scope} (ids ${a.id} and ${b.id}); as in Kong, configure one instance per plugin and scope`,
  );
}

function scopeOf(
  r: string | null,
  s: string | null,
  c: string | null,
  routes: Map<string, string>,
  services: Map<string, string>,
  consumers: Map<string, string>,
): string {
  const parts: string[] = [];
  if (r) parts.push(`route '${routes.get(r) ?? r}'`);
  if (s) parts.push(`service '${services.get(s) ?? s}'`);
  if (c) parts.push(`consumer '${consumers.get(c) ?? c}'`);
  return parts.length ? parts.join(' + ') : 'global';
}

function orderingList(o: Plugin['ordering'], dir: 'before' | 'after', phase: Phase): readonly string[] {
  const lists = o?.[dir] as Partial<Record<Phase, string[]>> | undefined;
  return lists?.[phase] ?? [];
}

/**
 * Priority order (already in `slots`) adjusted by the instances' `ordering`: plugins are placed
 * in priority order, and when a plugin's turn comes, every plugin that must run before it
 * (`x.before: [it]` or `it.after: [x]`) is placed first, right before it (recursively, in
 * priority order). So `before` moves the declaring plugin up to just ahead of its target, and
 * nothing moves that no ordering entry names.
 */
function applyOrdering(phase: Phase, slots: Slot[], where: string): readonly ChainSlot[] {
  if (!slots.some((x) => x.entries.some((e) => e.ordering))) return slots.map((x) => x.slot);
  const index = new Map(slots.map((x, i) => [x.slot.name, i]));
  const n = slots.length;
  const preds: Map<number, string>[] = Array.from({ length: n }, () => new Map()); // from → why
  const edge = (from: number, to: number, why: string) => {
    if (from !== to && !preds[to]!.has(from)) preds[to]!.set(from, why);
  };
  slots.forEach((x, i) => {
    for (const e of x.entries) {
      for (const other of orderingList(e.ordering, 'before', phase)) {
        const j = index.get(other);
        if (j !== undefined)
          edge(i, j, `'${x.slot.name}' (${e.instance.scope}) has ordering.before.${phase}: ${other}`);
      }
      for (const other of orderingList(e.ordering, 'after', phase)) {
        const j = index.get(other);
        if (j !== undefined) edge(j, i, `'${x.slot.name}' (${e.instance.scope}) has ordering.after.${phase}: ${other}`);
      }
    }
  });
  const done = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  const out: ChainSlot[] = [];
  const place = (i: number): void => {
    if (done[i]) return;
    const at = stack.indexOf(i);
    if (at !== -1) {
      // stack[at] … top each wait for the next one's predecessor: a cycle.
      const cycle = [...stack.slice(at), i].reverse(); // in "runs before" order
      const names = cycle.map((k) => `'${slots[k]!.slot.name}'`);
      const why = cycle.slice(0, -1).map((from, k) => preds[cycle[k + 1]!]!.get(from)!);
      throw new PluginChainError(
        `plugin ordering cycle in the ${phase} phase on ${where}: ${names.join(' runs before ')}; ${why.join('; ')}. Remove one of these ordering entries`,
      );
    }
    stack.push(i);
    for (const p of [...preds[i]!.keys()].sort((a, b) => a - b)) place(p);
    stack.pop();
    done[i] = true;
    out.push(slots[i]!.slot);
  };
  for (let i = 0; i < n; i++) place(i);
  return out;
}
