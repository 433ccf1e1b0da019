// Plugins Turnpike does not have are refused by what they are: Kong Enterprise plugins (with
// the nearest Turnpike plugin when there is one), Kong open-source plugins not bundled yet,
// and unknown names (with a guess at a typo).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDeclarative, type ConfigError } from '../../../src/config/load.js';
import { compilePluginChains } from '../../../src/plugins/chain/compile.js';
import { KONG_PLUGINS } from '../../../src/plugins/kong-catalog.js';
import { bundledNames, bundledRegistry, PluginRegistry } from '../../../src/plugins/registry.js';
import type { Config } from '../../../src/config/types.js';
import { yml } from './helpers.js';

function errorsOf(text: string, registry = bundledRegistry()): ConfigError[] {
  const r = parseDeclarative(text, 'kong.yml', registry);
  assert.equal(r.ok, false);
  return (r as { errors: ConfigError[] }).errors;
}

const onePlugin = (name: string) => yml('_format_version: "3.0"', 'plugins:', `  - name: ${name}`, '    config: {}');

test('a Kong Enterprise plugin: said so, with the nearest Turnpike plugin, at the name field', () => {
  const [e] = errorsOf(onePlugin('rate-limiting-advanced'));
  assert.equal(e!.path, 'plugins[0].name');
  assert.equal(e!.line, 3);
  assert.equal(
    e!.message,
    "plugin 'rate-limiting-advanced' is a Kong Enterprise plugin; Turnpike does not have it; the nearest Turnpike plugin is 'rate-limiting' (its fields differ: see its documentation); remove it, or load a custom plugin of that name (TURNPIKE_PLUGINS)",
  );
  assert.equal(
    errorsOf(onePlugin('opa'))[0]!.message,
    "plugin 'opa' is a Kong Enterprise plugin; Turnpike does not have it; remove it, or load a custom plugin of that name (TURNPIKE_PLUGINS)",
  );
  for (const [name, nearest] of [
    ['key-auth-enc', 'key-auth'],
    ['oas-validation', 'request-validator'],
    ['proxy-cache-advanced', 'proxy-cache'],
    ['request-transformer-advanced', 'request-transformer'],
  ]) {
    assert.match(
      errorsOf(onePlugin(name!))[0]!.message,
      new RegExp(`^plugin '${name}' is a Kong Enterprise plugin; .*the nearest Turnpike plugin is '${nearest}'`),
    );
  }
  for (const name of [
    'canary',
    'degraphql',
    'graphql-rate-limiting-advanced',
    'jwt-signer',
    'mtls-auth',
    'forward-proxy',
    'route-by-header',
    'route-transformer-advanced',
    'vault-auth',
    'kafka-log',
    'kafka-upstream',
    'ldap-auth-advanced',
    'exit-transformer',
    'jq',
    'xml-threat-protection',
    'ai-proxy-advanced',
    'ai-semantic-cache',
  ]) {
    assert.match(
      errorsOf(onePlugin(name))[0]!.message,
      new RegExp(`^plugin '${name}' is a Kong Enterprise plugin; Turnpike does not have it`),
      name,
    );
  }
});

test('an open-source Kong plugin not bundled yet: "not available in Turnpike yet"', () => {
  assert.equal(
    errorsOf(onePlugin('oauth2'))[0]!.message,
    "Kong plugin 'oauth2' is not available in Turnpike yet; remove it, or load a custom plugin of that name (TURNPIKE_PLUGINS)",
  );
  assert.match(
    errorsOf(onePlugin('zipkin'))[0]!.message,
    /^Kong plugin 'zipkin' is not available in Turnpike yet; the nearest Turnpike plugin is 'opentelemetry'/,
  );
  for (const name of [
    'acme',
    'session',
    'aws-lambda',
    'response-ratelimiting',
    'ai-proxy',
    'ldap-auth',
    'standard-webhooks',
  ]) {
    assert.match(
      errorsOf(onePlugin(name))[0]!.message,
      new RegExp(`^Kong plugin '${name}' is not available in Turnpike yet`),
      name,
    );
  }
});

test('an unknown name keeps the "not available in this build" message and its guess', () => {
  const [e] = errorsOf(onePlugin('key-auht'));
  assert.match(
    e!.message,
    /^plugin 'key-auht' is not available in this build \(available: acl, .*\); did you mean 'key-auth'\?; remove it or load a custom plugin$/,
  );
  // A bundled plugin left out of TURNPIKE_PLUGINS is not a Kong plugin "Turnpike lacks".
  assert.match(
    errorsOf(onePlugin('rate-limiting'), new PluginRegistry())[0]!.message,
    /^plugin 'rate-limiting' is not available in this build \(available: none yet\)/,
  );
});

test('a custom plugin registered under a catalogued name is used, not refused', () => {
  const reg = new PluginRegistry();
  reg.register({ name: 'rate-limiting-advanced', version: '1', priority: 910, validate: () => [] });
  const r = parseDeclarative(onePlugin('rate-limiting-advanced'), 'kong.yml', reg);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
});

test('the chain compiler gives the same reason for a configuration loaded with another registry', () => {
  const config = {
    services: [],
    routes: [],
    consumers: [],
    plugins: [{ id: 'p1', name: 'opa', config: {}, enabled: true, protocols: ['http'] }],
  } as unknown as Config;
  assert.throws(
    () => compilePluginChains(config, bundledRegistry()),
    /^PluginChainError: plugin id p1: plugin 'opa' is a Kong Enterprise plugin; Turnpike does not have it/,
  );
});

test('the table: never a bundled name, and every nearest plugin is bundled', () => {
  const names = new Set(bundledNames());
  for (const [name, info] of Object.entries(KONG_PLUGINS)) {
    assert.ok(!names.has(name), `${name} is bundled: it must not be in the table`);
    if (info.nearest !== undefined)
      assert.ok(names.has(info.nearest), `${name}: nearest '${info.nearest}' is not bundled`);
  }
});
