import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorAt, errors, ok, yml } from './helpers.js';
import { convertPcre, migrateLegacyPath } from '../../../src/config/load.js';

const withPaths = (version: string, ...paths: string[]) =>
  yml(`_format_version: "${version}"`, 'routes:', '  - paths:', ...paths.map((p) => `      - '${p}'`));

test('1.1 and 2.1: paths with regex characters become regex paths (~), plain ones stay prefixes', () => {
  for (const v of ['1.1', '2.1']) {
    const c = ok(withPaths(v, '/users', '/users/\\d+$', '/a-b_c.d~e/%20', '/v[12]/x'));
    assert.deepEqual(c.routes[0]!.paths, ['/users', '~/users/\\d+$', '/a-b_c.d~e/%20', '~/v[12]/x'], v);
    assert.equal(c._format_version, '3.0', 'the normalized config is in 3.0 semantics');
  }
});

test('3.0: paths are taken literally; only ~ marks a regex', () => {
  const c = ok(withPaths('3.0', '/users/\\d+$', '~/users/\\d+$'));
  assert.deepEqual(c.routes[0]!.paths, ['/users/\\d+$', '~/users/\\d+$']);
});

test('PCRE named groups are converted to JavaScript syntax', () => {
  const c = ok(withPaths('3.0', '~/orders/(?P<id>\\d+)/(?P=id)$'));
  assert.deepEqual(c.routes[0]!.paths, ['~/orders/(?<id>\\d+)/\\k<id>$']);
  const m = new RegExp(c.routes[0]!.paths![0]!.slice(1)).exec('/orders/12/12');
  assert.equal(m?.groups?.id, '12');
  // 2.1 legacy regex with a PCRE group: prefixed AND converted
  assert.deepEqual(ok(withPaths('2.1', '/s/(?P<term>[^/]+)')).routes[0]!.paths, ['~/s/(?<term>[^/]+)']);
});

test('regex that JavaScript cannot do is refused with a reason and a line', () => {
  const errs = errors(withPaths('3.0', '/ok', '~/a(?i)b', '~/x(?>y)', '~/unclosed(', '~/a++'));
  assert.match(errorAt(errs, 'routes[0].paths[1]').message, /inline flags/);
  assert.equal(errorAt(errs, 'routes[0].paths[1]').line, 5);
  assert.match(errorAt(errs, 'routes[0].paths[2]').message, /atomic groups/);
  assert.match(errorAt(errs, 'routes[0].paths[3]').message, /not a valid regular expression/);
  assert.match(errorAt(errs, 'routes[0].paths[4]').message, /possessive/);
  assert.equal(errs.length, 4);
});

test('paths must start with / or ~', () => {
  const e = errorAt(errors(withPaths('3.0', 'users')), 'routes[0].paths[0]');
  assert.match(e.message, /must start with '\/' \(prefix match\) or '~'/);
});

test('helpers: migrateLegacyPath and convertPcre', () => {
  assert.equal(migrateLegacyPath('/plain/path-1.0'), '/plain/path-1.0');
  assert.equal(migrateLegacyPath('/a|b'), '~/a|b');
  assert.equal(migrateLegacyPath('~/already'), '~/already');
  assert.deepEqual(convertPcre('/(?P<x>a)'), { ok: true, source: '/(?<x>a)' });
  assert.equal(convertPcre('\\A/x').ok, false);
});
