// The store's list options and error shapes, without a database.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeOffset,
  encodeOffset,
  pageSize,
  parseTags,
  tagPattern,
  tagsColumn,
} from '../../../src/control/store/paging.js';
import {
  ForeignKeyViolation,
  InvalidOffset,
  InvalidOptions,
  InvalidSize,
  luaKey,
  SchemaViolation,
  UniqueViolation,
} from '../../../src/control/store/errors.js';

test('size: default 100, 1..1000, numeric strings from a query string', () => {
  assert.equal(pageSize(undefined), 100);
  assert.equal(pageSize(''), 100);
  assert.equal(pageSize(1), 1);
  assert.equal(pageSize('1000'), 1000);
  for (const bad of [0, 1001, 2.5, '-1', 'ten', {}]) assert.throws(() => pageSize(bad), InvalidSize, String(bad));
});

test('offset: an opaque cursor that round-trips; anything else is refused', () => {
  const id = '7b3ac1f2-5a4e-4a28-9f3e-2d5c7c0d9a10';
  const o = encodeOffset(id);
  assert.match(o, /^[A-Za-z0-9_-]+$/, 'URL-safe');
  assert.equal(decodeOffset(o), id);
  for (const bad of [
    '',
    'garbage!',
    Buffer.from('{"a":1}').toString('base64url'),
    Buffer.from('[]').toString('base64url'),
  ]) {
    assert.throws(() => decodeOffset(bad), InvalidOffset, bad);
  }
});

test("tags: 'a,b' means every tag, 'a/b' any; mixing, empty tags and more than 5 are refused", () => {
  assert.equal(parseTags(undefined), null);
  assert.deepEqual(parseTags('a'), { tags: ['a'], mode: 'and' });
  assert.deepEqual(parseTags('a,b'), { tags: ['a', 'b'], mode: 'and' });
  assert.deepEqual(parseTags('a/b'), { tags: ['a', 'b'], mode: 'or' });
  assert.throws(() => parseTags('a,b/c'), InvalidOptions);
  assert.throws(() => parseTags('a,,b'), InvalidOptions);
  assert.throws(() => parseTags('a,b,c,d,e,f'), InvalidOptions);
  assert.equal(tagsColumn(['a', 'b']), ',a,b,');
  assert.equal(tagsColumn([]), ',');
  assert.equal(tagPattern('50%_off'), '%,50\\%\\_off,%');
});

test("errors carry Kong's shape, code and status", () => {
  const u = new UniqueViolation({ name: 'users' });
  assert.deepEqual(u.body, {
    code: 5,
    name: 'unique constraint violation',
    message: `UNIQUE violation detected on '{name="users"}'`,
    fields: { name: 'users' },
  });
  assert.equal(u.status, 409);
  const s = new SchemaViolation({ host: 'required field missing', '@entity': 'must set paths' });
  assert.equal(s.message, 'schema violation (host: required field missing; must set paths)');
  assert.equal(s.status, 400);
  const f = ForeignKeyViolation.referencedBy('routes', 'services');
  assert.deepEqual(f.body.fields, { '@referenced_by': 'routes' });
  assert.equal(f.body.code, 4);
  assert.equal(luaKey({ upstream: { id: 'x' }, target: 't:1' }), '{upstream={id="x"},target="t:1"}');
});
