// Kong files must run unchanged: for every bundled plugin, a `config` with every field of Kong
// 3.x's schema at its Kong default, as `kong config db_export` writes it
// (test/fixtures/kong-plugin-defaults.yaml), validates, keeps its values and prepares.

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../../helpers/gateway.js';
import { parseDeclarative } from '../../../src/config/load.js';
import { compilePluginChains } from '../../../src/plugins/chain/compile.js';
import { bundledNames, bundledRegistry } from '../../../src/plugins/registry.js';

type Obj = Record<string, unknown>;

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'kong-plugin-defaults.yaml');
const fixture = parse(fs.readFileSync(FIXTURE, 'utf8')) as Record<string, Obj>;

/**
 * Kong's deprecated fields that Turnpike folds into their replacements when it loads a
 * config (as Kong's shorthand fields do): they are not in the normalized config.
 */
const FOLDED: Record<string, readonly string[]> = {
  'rate-limiting': [
    'redis_host',
    'redis_port',
    'redis_password',
    'redis_username',
    'redis_ssl',
    'redis_ssl_verify',
    'redis_server_name',
    'redis_timeout',
    'redis_database',
  ],
  'http-log': ['retry_count', 'queue_size', 'flush_timeout'],
  opentelemetry: ['batch_span_count', 'batch_flush_delay'],
};

test('the fixture has an entry for every bundled plugin', () => {
  assert.deepEqual(Object.keys(fixture).sort(), bundledNames());
});

for (const name of Object.keys(fixture)) {
  test(`${name}: Kong's defaults validate, keep their values and prepare`, () => {
    const def = bundledRegistry().get(name);
    assert.ok(def, `${name} is bundled`);
    const config = structuredClone(fixture[name]!);
    const errors = def.validate(config);
    assert.deepEqual(errors, [], `${name}: ${JSON.stringify(errors)}`);
    // Every value given is kept as given (defaults may be added, nothing is rewritten).
    for (const [field, value] of Object.entries(fixture[name]!)) {
      if (FOLDED[name]?.includes(field)) {
        assert.equal(field in config, false, `${name}.${field} is folded into its replacement`);
        continue;
      }
      assert.deepEqual(config[field], value, `${name}.${field}`);
    }
    const warnings: string[] = [];
    assert.doesNotThrow(() => def.module.prepare?.(config, { warn: (m) => warnings.push(m) }));
    // Only a grpc-gateway without a .proto (Kong's default) is worth a warning.
    assert.deepEqual(warnings.length, name === 'grpc-gateway' ? 1 : 0, `${name}: ${warnings.join('; ')}`);
  });
}

test("the whole fixture as db_export's plugins section loads and compiles (one warning: grpc-gateway's missing proto)", () => {
  // The entity's own fields are the config loader's business (src/config); only `config` is
  // this test's subject, so the entity carries the fields that loader takes today.
  const plugins = Object.entries(fixture).map(([name, config], i) => ({
    id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
    name,
    config,
    enabled: true,
    protocols: ['grpc', 'grpcs', 'http', 'https'],
    instance_name: null,
  }));
  const registry = bundledRegistry();
  const r = parseDeclarative(
    JSON.stringify({
      _format_version: '3.0',
      services: [{ name: 's', url: 'http://127.0.0.1:9', routes: [{ name: 'r', paths: ['/'] }] }],
      plugins,
    }),
    'kong.yml',
    registry,
  );
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors, null, 2));
  const chains = compilePluginChains(r.config, registry);
  assert.equal(chains.warnings.length, 1);
  assert.match(chains.warnings[0]!, /^plugin 'grpc-gateway' \(global\): proto: no \.proto file is configured/);
  assert.notEqual(chains.forRoute(r.config.routes[0]!.id, r.config.services[0]!.id), null);
});

/** Paths (dotted) of the fields marked x-null-is-default in a schema, with their defaults. */
function nullableDefaults(schema: unknown, prefix = ''): { path: string; def: unknown }[] {
  const props = (schema as { properties?: Record<string, Record<string, unknown>> }).properties ?? {};
  const out: { path: string; def: unknown }[] = [];
  for (const [k, sub] of Object.entries(props)) {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    if (sub['x-null-is-default'] === true) out.push({ path: p, def: sub.default });
    out.push(...nullableDefaults(sub, p));
  }
  return out;
}

function setPath(o: Obj, dotted: string, v: unknown): void {
  const parts = dotted.split('.');
  let cur = o;
  for (const part of parts.slice(0, -1)) cur = (cur[part] ??= {}) as Obj;
  cur[parts.at(-1)!] = v;
}

const getPath = (o: Obj, dotted: string): unknown =>
  dotted.split('.').reduce<unknown>((cur, k) => (cur as Obj | undefined)?.[k], o);

test("null, which Kong accepts for the fields it does not require, means the field's default", () => {
  const registry = bundledRegistry();
  let checked = 0;
  for (const name of Object.keys(fixture)) {
    const def = registry.get(name)!;
    for (const { path: field, def: dflt } of nullableDefaults(def.module.schema)) {
      const config = structuredClone(fixture[name]!);
      if (name === 'rate-limiting') for (const k of FOLDED[name]!) delete config[k];
      setPath(config, field, null);
      assert.deepEqual(def.validate(config), [], `${name}.${field}: null`);
      assert.deepEqual(getPath(config, field), dflt, `${name}.${field}: null is the default`);
      checked++;
    }
  }
  assert.ok(checked >= 45, `${checked} fields`);
  // A sample that Kong itself lists as not required.
  const jwt = { uri_param_names: null, maximum_expiration: null };
  assert.deepEqual(registry.get('jwt')!.validate(jwt), []);
  assert.deepEqual([jwt.uri_param_names, jwt.maximum_expiration], [['jwt'], 0]);
});

test('null for a field Kong requires is still refused', () => {
  const registry = bundledRegistry();
  for (const [name, field] of [
    ['key-auth', 'hide_credentials'],
    ['key-auth', 'key_names'],
    ['acl', 'hide_groups_header'],
    ['rate-limiting', 'fault_tolerant'],
    ['cors', 'credentials'],
    ['request-termination', 'status_code'],
  ] as const) {
    const config: Obj = { ...structuredClone(fixture[name]!), [field]: null };
    if (name === 'rate-limiting') for (const k of FOLDED[name]!) delete config[k];
    const errors = registry.get(name)!.validate(config);
    assert.equal(errors.length, 1, `${name}.${field}: ${JSON.stringify(errors)}`);
    assert.equal(errors[0]!.field, field);
    assert.match(errors[0]!.message, /\(got null\)/);
  }
});
