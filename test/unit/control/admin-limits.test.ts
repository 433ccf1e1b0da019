// The Admin API's limits without a node: the depth scanners that run before any parser, and
// the admin_max_body_size setting's default and bounds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonTooDeep, yamlTooDeep } from '../../../src/control/admin/depth.js';
import { parseBody } from '../../../src/control/admin/body.js';
import { HttpError } from '../../../src/control/admin/http.js';
import { resolveSettings, SettingsError } from '../../../src/settings/index.js';

const nest = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

test('jsonTooDeep: counts [ and { outside strings, escapes respected', () => {
  assert.equal(jsonTooDeep(nest(64)), false);
  assert.equal(jsonTooDeep(nest(65)), true);
  assert.equal(jsonTooDeep('['.repeat(100_000) + ']'.repeat(100_000)), true);
  assert.equal(jsonTooDeep('[[[', 2), true);
  assert.equal(jsonTooDeep('[[]][[]]', 2), false, 'siblings do not add up');
  // Brackets in strings, also after an escaped quote or an escaped backslash, do not count.
  const inStrings = JSON.stringify({ a: '['.repeat(1000), b: '\\"{{{{' + '{'.repeat(100), c: '\\' });
  assert.equal(jsonTooDeep(inStrings, 1), false);
  assert.equal(jsonTooDeep('{"a\\"[[[[": "\\\\", "b": [[1]]}', 3), false);
  assert.equal(jsonTooDeep('{"a\\"[[[[": "\\\\", "b": [[[1]]]}', 3), true);
});

test('yamlTooDeep: flow collections counted on yaml tokens; quoted scalars, comments, block scalars not', () => {
  assert.equal(yamlTooDeep(nest(64)), false);
  assert.equal(yamlTooDeep(nest(65)), true);
  assert.equal(yamlTooDeep(`a: ${'['.repeat(100_000)}`), true);
  const text = `a: "[[[[[["\nb: '{{{{{{'\n# [[[[[[\nc: |\n  [[[[[[\nd: [[1]]\n`;
  assert.equal(yamlTooDeep(text, 2), false);
  assert.equal(yamlTooDeep(text + 'e: [[[1]]]\n', 2), true);
});

test('parseBody refuses a JSON body nested deeper than 64 levels with a 400', () => {
  assert.notEqual(parseBody(nest(64), 'application/json'), null);
  assert.throws(
    () => parseBody(nest(100_000), 'application/json'),
    (e: unknown) =>
      e instanceof HttpError &&
      e.status === 400 &&
      e.message === 'Cannot parse JSON body: nested deeper than 64 levels',
  );
});

test('admin_max_body_size: 10 MiB by default, 1 KiB..1 GiB, bad values named', () => {
  assert.equal(resolveSettings({ database: 'off' }).adminMaxBodySize, 10 * 1024 * 1024);
  assert.equal(resolveSettings({ database: 'off', admin_max_body_size: '2048' }).adminMaxBodySize, 2048);
  assert.equal(resolveSettings({ database: 'off', admin_max_body_size: '1073741824' }).adminMaxBodySize, 1024 ** 3);
  for (const bad of ['0', 'abc', '1023', '1073741825', '10m']) {
    assert.throws(
      () => resolveSettings({ database: 'off', admin_max_body_size: bad }),
      (e: unknown) => e instanceof SettingsError && /^admin_max_body_size: /.test(e.message),
      bad,
    );
  }
});
