// Unit test of the example plugin: node --test examples/plugins/hello-header/test.mjs
// (after `npm run build`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PluginRegistry } from '../../../dist/src/plugins/registry.js';
import plugin from './index.mjs';

test('hello-header sets X-Hello from config, with its default', async () => {
  const reg = new PluginRegistry();
  reg.register(plugin);
  const config = {};
  assert.deepEqual(reg.get('hello-header').validate(config), []);
  assert.deepEqual(config, { greeting: 'world' });

  const headers = new Map();
  const ctx = { response: { status: 200, setHeader: (n, v) => headers.set(n.toLowerCase(), v) } };
  await plugin.phases.response(ctx, config);
  assert.equal(headers.get('x-hello'), 'world');
});

test('hello-header refuses unknown fields', () => {
  const reg = new PluginRegistry();
  reg.register(plugin);
  assert.deepEqual(reg.get('hello-header').validate({ greting: 'x' }), [
    { field: 'greting', message: "unknown field; did you mean 'greeting'? (known fields: greeting)" },
  ]);
});
