import { test } from 'node:test';
import assert from 'node:assert/strict';
import plugin from '../../../../src/plugins/bundled/file-log/index.js';
import { validatePluginConfig } from '../../../../src/plugins/registry.js';

const errorsFor = (path: unknown) => validatePluginConfig(plugin, { path }).errors;

test("file-log: the path is checked with Kong 3.x's pattern and message", () => {
  for (const ok of ['/var/log/kong.log', 'a.', 'logs/a b.log', '/tmp/x']) assert.deepEqual(errorsFor(ok), [], ok);
  for (const bad of ['/tmp/a*b', '/tmp/a&b', '/tmp/50%', '/tmp/`x`', ' /tmp/x', '/tmp/x ', 'x']) {
    const errs = errorsFor(bad);
    assert.equal(errs.length, 1, bad);
    assert.equal(errs[0]!.field, 'path');
    assert.match(errs[0]!.message, /^not a valid filename \(got /, bad);
  }
});
