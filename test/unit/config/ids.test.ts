import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load, ok, yml } from './helpers.js';
import { canonicalJson, uuidV5 } from '../../../src/config/ids.js';

const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const file = yml(
  '_format_version: "3.0"',
  'services:',
  '  - name: s',
  '    host: s.internal',
  '    routes:',
  '      - paths: [/a]',
  '      - name: named',
  '        paths: [/b]',
  'upstreams:',
  '  - name: u',
  '    targets: [{ target: "h:1" }]',
  'consumers: [{ username: bob }]',
);

test('generated ids are v5 UUIDs, stable across loads, distinct across entities', () => {
  const a = ok(file);
  const b = ok(file);
  const ids = [...a.services, ...a.routes, ...a.upstreams, ...a.targets, ...a.consumers].map((e) => e.id);
  for (const id of ids) assert.match(id, UUID_V5);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(
    ids,
    [...b.services, ...b.routes, ...b.upstreams, ...b.targets, ...b.consumers].map((e) => e.id),
  );
});

test('hash is stable for the same file, and for key order / formatting changes', () => {
  const r1 = load(file);
  const r2 = load(file);
  assert.ok(r1.ok && r2.ok);
  assert.match(r1.hash, /^[0-9a-f]{64}$/);
  assert.equal(r1.hash, r2.hash);
  const reordered = load(
    yml(
      '{"_format_version":"3.0","consumers":[{"username":"bob"}],',
      '"upstreams":[{"targets":[{"target":"h:1"}],"name":"u"}],',
      '"services":[{"host":"s.internal","name":"s","routes":[{"paths":["/a"]},{"paths":["/b"],"name":"named"}]}]}',
    ),
  );
  assert.ok(reordered.ok);
  assert.equal(reordered.hash, r1.hash, 'JSON with other key order gives the same config and hash');
});

test('hash changes when the config changes; named ids survive unrelated edits', () => {
  const r1 = load(file);
  const r2 = load(file.replace('host: s.internal', 'host: s2.internal'));
  assert.ok(r1.ok && r2.ok);
  assert.notEqual(r1.hash, r2.hash);
  assert.equal(r1.config.services[0]!.id, r2.config.services[0]!.id);
  assert.equal(r1.config.routes[1]!.id, r2.config.routes[1]!.id);
});

test('an id given in the file is kept (lower-cased)', () => {
  const c = ok(yml('_format_version: "3.0"', 'consumers: [{ username: a, id: 0B7E1D6A-3D2C-4E5F-8A9B-1C2D3E4F5A6B }]'));
  assert.equal(c.consumers[0]!.id, '0b7e1d6a-3d2c-4e5f-8a9b-1c2d3e4f5a6b');
});

test('uuidV5 matches the RFC 4122 test vector; canonicalJson sorts keys', () => {
  // RFC 4122 / Python uuid.uuid5(NAMESPACE_DNS, "python.org")
  assert.equal(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
  assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: null }] }), '{"a":[{"c":null,"d":2}],"b":1}');
});
