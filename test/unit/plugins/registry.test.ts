import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { parseDeclarative, type ConfigError } from '../../../src/config/load.js';
import { bundledNames, bundledRegistry, PluginRegistry, validatePluginConfig } from '../../../src/plugins/registry.js';
import { definePlugin } from '../../../src/plugins/sdk.js';
import { load, registryOf, yml } from './helpers.js';

// A rate-limiting-like schema: numbers, an enum, a nested object with defaults, a nullable.
const limiter = definePlugin({
  name: 'limiter',
  version: '1.0.0',
  priority: 910,
  schema: Type.Object(
    {
      minute: Type.Optional(Type.Integer({ minimum: 1 })),
      policy: Type.Union([Type.Literal('local'), Type.Literal('redis')], { default: 'local' }),
      limit_by: Type.String({ enum: ['consumer', 'ip', 'service'], default: 'consumer' }),
      fault_tolerant: Type.Boolean({ default: true }),
      header_name: Type.Union([Type.String(), Type.Null()], { default: null }),
      redis: Type.Object(
        {
          host: Type.Union([Type.String(), Type.Null()], { default: null }),
          port: Type.Integer({ default: 6379, minimum: 0, maximum: 65535 }),
        },
        { default: {}, additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
  upgrade(c) {
    // Kong's classic flat fields → nested.
    if ('redis_host' in c || 'redis_port' in c) {
      const { redis_host, redis_port, ...rest } = c;
      const redis = { ...(rest.redis as object | undefined) } as Record<string, unknown>;
      if (redis_host !== undefined) redis.host = redis_host;
      if (redis_port !== undefined) redis.port = redis_port;
      return { ...rest, redis };
    }
    return c;
  },
  phases: { access() {} },
});

function errs(text: string): ConfigError[] {
  const r = parseDeclarative(text, 'kong.yml', registryOf(limiter));
  assert.equal(r.ok, false, 'expected errors');
  return (r as { errors: ConfigError[] }).errors;
}

test('defaults are filled (nested too) and end up in the loaded Config', () => {
  const c = load(
    yml('_format_version: "3.0"', 'plugins:', '  - name: limiter', '    config: { minute: 5 }'),
    registryOf(limiter),
  );
  assert.deepEqual(c.plugins[0]!.config, {
    minute: 5,
    policy: 'local',
    limit_by: 'consumer',
    fault_tolerant: true,
    header_name: null,
    redis: { host: null, port: 6379 },
  });
  const empty = load(yml('_format_version: "3.0"', 'plugins: [{ name: limiter }]'), registryOf(limiter));
  assert.equal(empty.plugins[0]!.config.policy, 'local');
});

test('upgrade runs before validation: flat redis_host/redis_port become redis.{host,port}', () => {
  const c = load(
    yml(
      '_format_version: "3.0"',
      'plugins:',
      '  - name: limiter',
      '    config: { minute: 5, policy: redis, redis_host: r1, redis_port: 6380 }',
    ),
    registryOf(limiter),
  );
  assert.deepEqual(c.plugins[0]!.config.redis, { host: 'r1', port: 6380 });
  assert.equal('redis_host' in c.plugins[0]!.config, false);
});

test('errors name the field under config, with line numbers', () => {
  const e = errs(
    yml(
      '_format_version: "3.0"',
      'plugins:',
      '  - name: limiter',
      '    config:',
      '      minute: 0',
      '      policy: cluster',
      '      limit_by: user',
      '      minutes: 3',
      '      redis: { port: "x" }',
      '      fault_tolerant: 1',
    ),
  );
  const by = Object.fromEntries(e.map((x) => [x.path, x]));
  assert.match(by['plugins[0].config.minute']!.message, /must be >= 1 \(got 0/);
  assert.equal(by['plugins[0].config.minute']!.line, 5);
  assert.equal(by['plugins[0].config.policy']!.message, 'must be one of: local, redis (got "cluster")');
  assert.equal(by['plugins[0].config.limit_by']!.message, 'must be one of: consumer, ip, service (got "user")');
  assert.match(
    by['plugins[0].config.minutes']!.message,
    /^unknown field; did you mean 'minute'\? \(known fields: minute, policy/,
  );
  assert.equal(by['plugins[0].config.minutes']!.line, 8);
  assert.equal(by['plugins[0].config.redis.port']!.message, 'must be an integer (got "x")');
  assert.equal(by['plugins[0].config.fault_tolerant']!.message, 'must be true or false (got 1 (an integer))');
  assert.equal(e.length, 6, JSON.stringify(e, null, 1));
});

test('a union that matched the shape reports the inner error; otherwise lists what is accepted', () => {
  const m = definePlugin({
    name: 'u',
    version: '1',
    priority: 1,
    schema: Type.Object({
      v: Type.Optional(
        Type.Union([Type.String(), Type.Object({ n: Type.Integer() }, { additionalProperties: false })]),
      ),
    }),
    phases: {},
  });
  assert.deepEqual(validatePluginConfig(m, { v: 5 }).errors, [
    { field: 'v', message: 'must be a string or a mapping of field: value (got 5 (an integer))' },
  ]);
  assert.deepEqual(validatePluginConfig(m, { v: { n: 'x' } }).errors, [
    { field: 'v.n', message: 'must be an integer (got "x")' },
  ]);
});

test('validatePluginConfig returns a copy; registry validate mutates the given object', () => {
  const input = { minute: 1 };
  const r = validatePluginConfig(limiter, input);
  assert.deepEqual(input, { minute: 1 });
  assert.equal(r.config.policy, 'local');
  const reg = registryOf(limiter);
  const cfg: Record<string, unknown> = { minute: 2, redis_host: 'h' };
  assert.deepEqual(reg.get('limiter')!.validate(cfg), []);
  assert.deepEqual(cfg.redis, { host: 'h', port: 6379 });
  assert.equal(reg.get('limiter')!.module, limiter);
});

test('registry: names sorted, has/get/delete, validator-only definitions still register', () => {
  const reg = new PluginRegistry();
  reg.register(limiter);
  reg.register({
    name: 'legacy',
    version: '1',
    priority: 5,
    validate: (c) => (c.x ? [] : [{ field: 'x', message: 'needed' }]),
  });
  assert.deepEqual(reg.names(), ['legacy', 'limiter']);
  assert.equal(reg.has('legacy'), true);
  assert.deepEqual(reg.get('legacy')!.validate({}), [{ field: 'x', message: 'needed' }]);
  assert.deepEqual(reg.get('legacy')!.module.phases, {});
  assert.equal(reg.delete('legacy'), true);
  assert.equal(reg.has('legacy'), false);
});

test('bundledRegistry registers every bundled module', () => {
  assert.deepEqual(bundledRegistry().names(), bundledNames());
});
