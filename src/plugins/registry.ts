// The plugin registry: which plugins this node can run and how to validate their config.
// The engine and the config loader only ever talk to this registry; no plugin is named
// anywhere else. Plugins are `PluginModule`s (see sdk.ts); their `config` is checked against
// the module's TypeBox schema (JSON Schema) with ajv, Kong's defaults filled in.

import type { ErrorObject, ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { describeValue, didYouMean, typeWords } from '../config/errors.js';
import type { PluginModule } from './sdk.js';
import { newAjv } from '../config/ajv.js';
import { bundled } from './bundled/index.js';
import { unavailablePluginMessage } from './kong-catalog.js';

export interface PluginConfigError {
  field: string;
  message: string;
}

/** What `registry.get(name)` returns. The config loader calls `validate`. */
export interface PluginDefinition {
  readonly name: string;
  readonly version: string;
  readonly priority: number;
  /** The plugin itself. */
  readonly module: PluginModule;
  /**
   * Upgrades (Kong's older field shapes), fills defaults into and validates a plugin's
   * `config`. MUTATES `config` into that upgraded, defaulted form; returns the errors, empty
   * when valid. `field` is a dotted path relative to `config` ("" for config itself).
   */
  validate(config: Record<string, unknown>): PluginConfigError[];
}

/** A plain definition without a module (tests, tools): validation only, no phases. */
export interface ValidatorOnlyDefinition {
  name: string;
  version: string;
  priority: number;
  validate(config: Record<string, unknown>): PluginConfigError[];
}

function isModule(x: PluginModule | ValidatorOnlyDefinition): x is PluginModule {
  return typeof (x as PluginModule).phases === 'object' && (x as PluginModule).phases !== null && 'schema' in x;
}

export class PluginRegistry {
  private readonly plugins = new Map<string, PluginDefinition>();

  /** Registers a plugin; a later registration under the same name replaces the earlier one. */
  register(plugin: PluginModule | ValidatorOnlyDefinition): void {
    if (isModule(plugin)) {
      const module = plugin;
      this.plugins.set(module.name, {
        name: module.name,
        version: module.version,
        priority: module.priority,
        module,
        validate(config) {
          const r = validatePluginConfig(module, config);
          replaceContents(config, r.config);
          return r.errors;
        },
      });
    } else {
      const { name, version, priority } = plugin;
      const validate = plugin.validate.bind(plugin);
      const module: PluginModule = {
        name,
        version,
        priority,
        schema: {} as TSchema,
        prepare: null,
        upgrade: null,
        phases: {},
      };
      this.plugins.set(name, { name, version, priority, module, validate });
    }
  }

  get(name: string): PluginDefinition | undefined {
    return this.plugins.get(name);
  }

  /** Removes a plugin (the loader drops the bundled set when TURNPIKE_PLUGINS does not name it). */
  delete(name: string): boolean {
    return this.plugins.delete(name);
  }

  has(name: string): boolean {
    return this.plugins.has(name);
  }

  names(): string[] {
    return [...this.plugins.keys()].sort();
  }

  /**
   * Why a plugin entity naming `name` cannot load here (the registry does not have it): a
   * Kong Enterprise plugin, a Kong plugin not in Turnpike yet, or an unknown name.
   */
  explainUnavailable(name: string): string {
    return unavailablePluginMessage(name, this.names());
  }
}

/** The registry with every plugin bundled in this build (`src/plugins/bundled/index.ts`). */
export function bundledRegistry(): PluginRegistry {
  const reg = new PluginRegistry();
  for (const m of bundled) reg.register(m);
  return reg;
}

/** The names of the plugins bundled in this build. */
export function bundledNames(): string[] {
  return bundled.map((m) => m.name).sort();
}

function replaceContents(target: Record<string, unknown>, source: Record<string, unknown>): void {
  if (target === source) return;
  for (const k of Object.keys(target)) delete target[k];
  Object.assign(target, source);
}

// ---------------------------------------------------------------------------------------
// Validation

const compiled = new WeakMap<PluginModule, ValidateFunction>();

function validatorFor(module: PluginModule): ValidateFunction {
  let v = compiled.get(module);
  if (!v) {
    // One ajv per module: schemas with the same $id in two plugins must not collide.
    v = newAjv({
      useDefaults: true,
      allErrors: true,
      removeAdditional: false,
      strict: false,
      coerceTypes: false,
    }).compile(module.schema);
    compiled.set(module, v);
  }
  return v;
}

/**
 * Applies `module.upgrade`, then validates against the module's schema, filling defaults.
 * Returns the upgraded, defaulted config (a copy; the input is not modified) and the errors.
 */
export function validatePluginConfig(
  module: PluginModule,
  input: Record<string, unknown>,
): { config: Record<string, unknown>; errors: PluginConfigError[] } {
  let config: Record<string, unknown> = structuredClone(input);
  if (module.upgrade) {
    try {
      config = module.upgrade(config);
    } catch (err) {
      return {
        config: input,
        errors: [
          { field: '', message: `plugin '${module.name}' could not upgrade this config: ${(err as Error).message}` },
        ],
      };
    }
  }
  dropNullDefaults(module.schema, config);
  const validate = validatorFor(module);
  if (validate(config)) return { config, errors: [] };
  return { config, errors: explainErrors(validate.errors ?? [], module.schema, config) };
}

/**
 * Removes a `null` given for a field marked `x-null-is-default` (nested objects too), so that
 * its default is filled in: Kong accepts null for fields it does not require, defaults or not.
 */
function dropNullDefaults(schema: unknown, value: unknown): void {
  if (
    schema === null ||
    typeof schema !== 'object' ||
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value)
  )
    return;
  const props = (schema as { properties?: Record<string, unknown> }).properties;
  if (props === undefined) return;
  const obj = value as Record<string, unknown>;
  for (const [key, sub] of Object.entries(props)) {
    if (!Object.hasOwn(obj, key)) continue;
    if (obj[key] === null && (sub as Record<string, unknown>)['x-null-is-default'] === true) delete obj[key];
    else dropNullDefaults(sub, obj[key]);
  }
}

const fieldOf = (instancePath: string): string =>
  instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');

const join = (a: string, b: string) => (a === '' ? b : `${a}.${b}`);

/** The sub-schema at a JSON pointer (ajv's schemaPath, "#/properties/x/anyOf/0"). */
function schemaAt(root: unknown, schemaPath: string): Record<string, unknown> | undefined {
  let cur: unknown = root;
  for (const seg of schemaPath.replace(/^#\/?/, '').split('/')) {
    if (seg === '') continue;
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>) : undefined;
}

function valueAt(root: unknown, instancePath: string): unknown {
  let cur: unknown = root;
  for (const seg of instancePath.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

/** Short words for what a schema accepts: "a number", "one of: local, redis", "a string or null". */
function describeSchema(s: Record<string, unknown> | undefined): string {
  if (!s) return 'a valid value';
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum))
    return `one of: ${s.enum.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}`;
  const alts = (s.anyOf ?? s.oneOf) as Record<string, unknown>[] | undefined;
  if (Array.isArray(alts)) {
    if (alts.every((a) => 'const' in a))
      return `one of: ${alts.map((a) => (typeof a.const === 'string' ? a.const : JSON.stringify(a.const))).join(', ')}`;
    return alts.map((a) => describeSchema(a)).join(' or ');
  }
  if (s.type !== undefined) return typeWords(s.type as string | string[]);
  return 'a valid value';
}

function explainErrors(errors: ErrorObject[], schema: unknown, data: unknown): PluginConfigError[] {
  // Errors from inside an anyOf/oneOf are folded into one message for that field, unless one
  // branch matched the value's shape and failed deeper (then its own errors say more).
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const dropped = new Set<ErrorObject>();
  const out: PluginConfigError[] = [];
  const add = (field: string, message: string) => {
    if (!out.some((e) => e.field === field && e.message === message)) out.push({ field, message });
  };
  for (const u of unions) {
    const prefix = `${u.schemaPath}/`;
    const inside = errors.filter((e) => e !== u && e.schemaPath.startsWith(prefix));
    const byBranch = new Map<string, ErrorObject[]>();
    for (const e of inside) {
      const branch = e.schemaPath.slice(prefix.length).split('/')[0]!;
      const list = byBranch.get(branch) ?? [];
      list.push(e);
      byBranch.set(branch, list);
    }
    const deep = [...byBranch.values()].find((list) =>
      list.every((e) => e.instancePath.length > u.instancePath.length),
    );
    for (const e of inside) if (!deep || !deep.includes(e)) dropped.add(e);
    if (deep) dropped.add(u);
  }
  for (const e of errors) {
    if (dropped.has(e)) continue;
    const field = fieldOf(e.instancePath);
    const got = valueAt(data, e.instancePath);
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'additionalProperties': {
        const extra = String(p.additionalProperty);
        const parent = schemaAt(schema, e.schemaPath.replace(/\/additionalProperties$/, ''));
        const known = Object.keys((parent?.properties as Record<string, unknown> | undefined) ?? {});
        const guess = didYouMean(extra, known);
        add(
          join(field, extra),
          `unknown field${guess ? `; did you mean '${guess}'?` : ''}${known.length ? ` (known fields: ${known.join(', ')})` : ''}`,
        );
        break;
      }
      case 'required':
        add(join(field, String(p.missingProperty)), 'is required');
        break;
      case 'enum':
        add(
          field,
          `must be one of: ${(p.allowedValues as unknown[]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')} (got ${describeValue(got)})`,
        );
        break;
      case 'const':
        add(field, `must be ${JSON.stringify(p.allowedValue)} (got ${describeValue(got)})`);
        break;
      case 'type':
        add(field, `must be ${typeWords(p.type as string | string[])} (got ${describeValue(got)})`);
        break;
      case 'anyOf':
      case 'oneOf':
        add(
          field,
          `must be ${describeSchema(schemaAt(schema, e.schemaPath.replace(/\/(anyOf|oneOf)$/, '')))} (got ${describeValue(got)})`,
        );
        break;
      default: {
        const own = schemaAt(schema, e.schemaPath.slice(0, e.schemaPath.lastIndexOf('/')));
        if ((e.keyword === 'pattern' || e.keyword === 'format') && typeof own?.['x-error'] === 'string') {
          add(field, `${own['x-error']} (got ${describeValue(got)})`);
          break;
        }
        add(
          field,
          `${e.message ?? 'is not valid'}${got !== undefined && typeof got !== 'object' ? ` (got ${describeValue(got)})` : ''}`,
        );
      }
    }
  }
  return out;
}
