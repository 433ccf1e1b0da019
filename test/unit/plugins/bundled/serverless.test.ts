import { test } from 'node:test';
import assert from 'node:assert/strict';
import preFunction from '../../../../src/plugins/bundled/pre-function/index.js';
import postFunction from '../../../../src/plugins/bundled/post-function/index.js';
import { configure, Exchange, run } from './context.js';

test("pre-function / post-function: an instance without any function is refused with Kong's message", () => {
  for (const plugin of [preFunction, postFunction]) {
    assert.throws(
      () => configure(plugin, {}),
      /at least one of these fields must be non-empty: 'config\.certificate', 'config\.rewrite', 'config\.access', 'config\.header_filter', 'config\.body_filter', 'config\.log'/,
    );
    assert.throws(() => configure(plugin, { access: [], log: [] }), /at least one of these fields must be non-empty/);
  }
});

test("pre-function: Kong's older `functions` counts as access functions", async () => {
  const conf = configure(preFunction, { functions: ["ctx.request.setHeader('x-old', '1')"] });
  const ex = new Exchange();
  await run(preFunction, 'access', ex, conf);
  assert.equal(ex.upstreamHeaders.get('x-old'), '1');
});
