// Credentials and ACL groups: nested under their consumer or at the top level naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorAt, errors, load, ok, yml } from './helpers.js';
import { ConfigConsumers } from '../../../src/snapshot/consumers.js';

const ALICE_ID = '4e3ad2e4-0bc4-4638-8e34-c84a417ba39b';
/** A credential's field (credentials are typed as open records). */
const field = (o: object, f: string): unknown => (o as Record<string, unknown>)[f];

test('a top-level credential of each kind ends up exactly where the nested one would', () => {
  const nested = load(
    yml(
      '_format_version: "3.0"',
      'consumers:',
      `  - username: alice`,
      `    id: ${ALICE_ID}`,
      '    keyauth_credentials: [{ key: k1 }]',
      '    basicauth_credentials: [{ username: alice, password: pw }]',
      '    hmacauth_credentials: [{ username: alice-hmac, secret: s }]',
      '    jwt_secrets: [{ key: alice-iss, secret: jwt-secret }]',
      '    acls: [{ group: admins }]',
      '    oauth2_credentials: [{ name: app, client_id: cid, client_secret: csec }]',
      '  - username: bob',
    ),
  );
  // Each form of consumer reference Kong takes (username, id, { id }), and Turnpike's { username }.
  const top = load(
    yml(
      '_format_version: "3.0"',
      'consumers:',
      `  - username: alice`,
      `    id: ${ALICE_ID}`,
      '  - username: bob',
      'keyauth_credentials: [{ consumer: alice, key: k1 }]',
      `basicauth_credentials: [{ consumer: ${ALICE_ID}, username: alice, password: pw }]`,
      `hmacauth_credentials: [{ consumer: { id: ${ALICE_ID} }, username: alice-hmac, secret: s }]`,
      'jwt_secrets: [{ consumer: { username: alice }, key: alice-iss, secret: jwt-secret }]',
      'acls: [{ consumer: alice, group: admins }]',
      'oauth2_credentials: [{ consumer: alice, name: app, client_id: cid, client_secret: csec }]',
    ),
  );
  assert.ok(nested.ok && top.ok, JSON.stringify([!nested.ok && nested.errors, !top.ok && top.errors]));
  assert.deepEqual(top.config, nested.config);
  assert.equal(top.hash, nested.hash);
  const creds = top.config.consumers[0]!.credentials!;
  assert.deepEqual(Object.keys(creds).sort(), [
    'acls',
    'basicauth_credentials',
    'hmacauth_credentials',
    'jwt_secrets',
    'keyauth_credentials',
    'oauth2_credentials',
  ]);
  assert.equal('consumer' in creds.keyauth_credentials![0]!, false, 'the reference is not kept on the credential');
  assert.deepEqual(top.config.consumers[1]!.credentials, {});
});

test('nested and top-level credentials of one consumer add up, nested first; auth plugins find both', () => {
  const c = ok(
    yml(
      '_format_version: "3.0"',
      'keyauth_credentials:',
      '  - { consumer: bob, key: top-key }',
      'consumers:',
      '  - username: bob',
      '    keyauth_credentials: [{ key: nested-key }]',
      '    acls: [{ group: a }]',
      'acls:',
      '  - { consumer: bob, group: b, tags: [x] }',
    ),
  );
  const creds = c.consumers[0]!.credentials!;
  assert.deepEqual(
    creds.keyauth_credentials!.map((k) => field(k, 'key')),
    ['nested-key', 'top-key'],
  );
  assert.deepEqual(
    creds.acls!.map((k) => field(k, 'group')),
    ['a', 'b'],
  );
  const store = new ConfigConsumers(c);
  assert.equal(store.findCredential('keyauth_credentials', 'key', 'top-key')?.consumer.username, 'bob');
  assert.equal(store.findCredential('keyauth_credentials', 'key', 'nested-key')?.consumer.username, 'bob');
  assert.deepEqual(
    store.credentialsOf(c.consumers[0]!.id, 'acls').map((a) => a.group),
    ['a', 'b'],
  );
});

test('an unknown consumer is an error at the reference, with its line and the consumers defined', () => {
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'consumers:',
      '  - username: alice',
      'acls:',
      '  - group: staff',
      '    consumer: mallory',
      'keyauth_credentials:',
      '  - key: k',
      `    consumer: { id: ${ALICE_ID} }`,
    ),
  );
  const acl = errorAt(errs, 'acls[0].consumer');
  assert.equal(acl.line, 6);
  assert.equal(acl.column, 15);
  assert.equal(acl.entity, "acl 'staff' (acls[0])");
  assert.equal(
    acl.message,
    "references consumer 'mallory', which is not defined in this file; defined consumers: alice",
  );
  const key = errorAt(errs, 'keyauth_credentials[0].consumer');
  assert.equal(key.line, 9);
  assert.match(key.message, new RegExp(`references consumer id '${ALICE_ID}', which is not defined`));
  assert.equal(
    key.entity,
    'keyauth_credential (keyauth_credentials[0])',
    'a key-auth key is not shown in the entity label',
  );
});

test('a top-level credential must name its consumer; fields are checked with line and column', () => {
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'consumers:',
      '  - username: alice',
      '    keyauth_credentials:',
      '      - key: 12345',
      '    basicauth_credentials:',
      '      - username: alice',
      'acls:',
      '  - group: staff',
      'jwt_secrets:',
      '  - consumer: alice',
      '    algorithm: HS999',
    ),
  );
  const key = errorAt(errs, 'consumers[0].keyauth_credentials[0].key');
  assert.deepEqual([key.line, key.column], [5, 14]);
  assert.match(key.message, /must be a string \(got 12345/);
  assert.equal(key.entity, 'keyauth_credential (consumers[0].keyauth_credentials[0])');
  assert.match(
    errorAt(errs, 'consumers[0].basicauth_credentials[0].password').message,
    /missing required field 'password'/,
  );
  const consumer = errorAt(errs, 'acls[0].consumer');
  assert.equal(consumer.message, "missing required field 'consumer'");
  assert.equal(consumer.line, 9);
  assert.match(errorAt(errs, 'jwt_secrets[0].algorithm').message, /must be one of HS256/);
});

test('the key Kong keeps unique is unique across nested and top-level credentials; the value is not echoed', () => {
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'consumers:',
      '  - username: alice',
      '    keyauth_credentials: [{ key: s3cr3t-value }]',
      '  - username: bob',
      '    acls: [{ group: g }]',
      'keyauth_credentials:',
      '  - { consumer: bob, key: s3cr3t-value }',
      'basicauth_credentials:',
      '  - { consumer: alice, username: same, password: a }',
      '  - { consumer: bob, username: same, password: b }',
      'acls:',
      '  - { consumer: bob, group: g }',
    ),
  );
  const dup = errorAt(errs, 'keyauth_credentials[0].key');
  assert.equal(dup.line, 8);
  assert.equal(
    dup.message,
    "the same key is already given to keyauth_credential (consumers[0].keyauth_credentials[0]); Kong keeps each key-auth credential's key unique across all consumers",
  );
  assert.doesNotMatch(JSON.stringify(errs), /s3cr3t-value/);
  assert.match(
    errorAt(errs, 'basicauth_credentials[1].username').message,
    /already given to basicauth_credential 'same' \(basicauth_credentials\[0\]\)/,
  );
  // Kong has no unique field for acls: the same group twice is allowed.
  assert.equal(
    errs.some((e) => e.path.startsWith('acls')),
    false,
  );
});

test('credential ids: kept as written, unique per kind', () => {
  const id = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
  const c = ok(
    yml('_format_version: "3.0"', 'consumers: [{ username: a }]', `acls: [{ consumer: a, group: g, id: ${id} }]`),
  );
  assert.equal(field(c.consumers[0]!.credentials!.acls![0]!, 'id'), id);
  const errs = errors(
    yml(
      '_format_version: "3.0"',
      'consumers:',
      `  - { username: a, acls: [{ group: g, id: ${id} }] }`,
      `acls: [{ consumer: a, group: h, id: ${id} }]`,
    ),
  );
  assert.match(errorAt(errs, 'acls[0].id').message, /is already used by acl 'g' \(consumers\[0\]\.acls\[0\]\)/);
});
