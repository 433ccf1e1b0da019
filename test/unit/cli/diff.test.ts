// `turnpike diff`/`apply`'s change computation: matching by id and natural key, references
// rewritten to the server's ids, field changes, the order of the changes, credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDeclarative } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { bundledRegistry } from '../../../src/plugins/registry.js';
import { computeDiff, explicitIds, type Change } from '../../../src/cli/commands/diff.js';
import { formatChanges, summarize, summaryLine } from '../../../src/cli/commands/diff-text.js';
import { selectTagsOf } from '../../../src/cli/commands/apply.js';

const registry = bundledRegistry();
const yml = (...lines: string[]) => lines.join('\n') + '\n';

function load(text: string): Config {
  const r = parseDeclarative(text, 'kong.yml', registry);
  if (!r.ok) assert.fail(r.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n'));
  return r.config;
}

function diff(file: string, server: string): Change[] {
  return computeDiff(load(file), load(server), explicitIds(file));
}

const brief = (changes: Change[]) => changes.map((c) => `${c.action} ${c.label}`);

// Ids as a server gives them (random, not the loader's derived ones).
const S1 = '11111111-1111-4111-8111-111111111111';
const R1 = '22222222-2222-4222-8222-222222222222';
const P1 = '33333333-3333-4333-8333-333333333333';
const U1 = '44444444-4444-4444-8444-444444444444';
const T1 = '55555555-5555-4555-8555-555555555555';
const C1 = '66666666-6666-4666-8666-666666666666';
const K1 = '77777777-7777-4777-8777-777777777777';
const A1 = '88888888-8888-4888-8888-888888888888';

const server = yml(
  '_format_version: "3.0"',
  'services:',
  `  - { id: ${S1}, name: users, host: users.internal, port: 8080 }`,
  'routes:',
  `  - { id: ${R1}, name: users-api, paths: [/users], service: { id: ${S1} } }`,
  'plugins:',
  `  - { id: ${P1}, name: cors, service: { id: ${S1} } }`,
  'upstreams:',
  `  - { id: ${U1}, name: users-upstream }`,
  'targets:',
  `  - { id: ${T1}, target: "10.0.0.1:8080", weight: 100, upstream: { id: ${U1} } }`,
  'consumers:',
  `  - id: ${C1}`,
  '    username: alice',
  '    keyauth_credentials:',
  `      - { id: ${K1}, key: generated-by-the-server }`,
  '    acls:',
  `      - { id: ${A1}, group: admins }`,
);

// The same configuration as a user writes it: names, no ids, nested forms.
const same = yml(
  '_format_version: "3.0"',
  'services:',
  '  - name: users',
  '    url: http://users.internal:8080',
  '    routes:',
  '      - { name: users-api, paths: [/users] }',
  '    plugins:',
  '      - name: cors',
  'upstreams:',
  '  - name: users-upstream',
  '    targets: [{ target: "10.0.0.1:8080" }]',
  'consumers:',
  '  - username: alice',
  '    keyauth_credentials: [{}]',
  '    acls: [{ group: admins }]',
);

test('a file equal to the server: no changes, although every id differs (matched by name, references remapped)', () => {
  const changes = diff(same, server);
  assert.deepEqual(brief(changes), []);
  assert.equal(summaryLine(summarize(changes)), '0 to create, 0 to update, 0 to delete');
});

test('the server compared with itself: no changes', () => {
  assert.deepEqual(diff(server, server), []);
});

test('creates, updates with the changed fields, deletes; parents first, deletes children first', () => {
  const file = yml(
    '_format_version: "3.0"',
    'services:',
    '  - name: users',
    '    url: http://users-v2.internal:8080',
    '    routes:',
    '      - { name: users-api, paths: [/users, /u] }',
    '      - { name: users-admin, paths: [/admin] }',
    '  - name: orders',
    '    url: http://orders.internal',
    '    routes: [{ name: orders-api, paths: [/orders] }]',
    'consumers:',
    '  - username: alice',
    '    keyauth_credentials: [{}]',
    '    acls: [{ group: admins }]',
  );
  const changes = diff(file, server);
  assert.deepEqual(brief(changes), [
    "update service 'users'",
    "create service 'orders'",
    "update route 'users-api'",
    "create route 'users-admin'",
    "create route 'orders-api'",
    // deletes: plugins before targets before upstreams, after every create and update
    "delete plugin 'cors' on service 'users'",
    "delete target '10.0.0.1:8080' of upstream 'users-upstream'",
    "delete upstream 'users-upstream'",
  ]);
  const svc = changes[0]!;
  assert.equal(svc.id, S1, 'a matched entity keeps the server id');
  assert.equal(svc.path, `/services/${S1}`);
  assert.deepEqual(svc.fields, [{ field: 'host', from: 'users.internal', to: 'users-v2.internal' }]);
  assert.equal(svc.body!.host, 'users-v2.internal');
  assert.equal(svc.body!.id, undefined, 'the id is in the path, not the body');
  const route = changes[2]!;
  assert.deepEqual(route.fields, [{ field: 'paths', from: ['/users'], to: ['/users', '/u'] }]);
  // A new route of a matched service refers to the server's service id; of a new service, to the new id.
  assert.deepEqual(changes[3]!.body!.service, { id: S1 });
  const orders = changes[1]!;
  assert.deepEqual(changes[4]!.body!.service, { id: orders.id });
  assert.equal(orders.path, `/services/${orders.id}`);
  const target = changes[6]!;
  assert.equal(target.path, `/upstreams/${U1}/targets/${T1}`);
  assert.deepEqual(summarize(changes), { create: 3, update: 2, delete: 3 });
  assert.equal(summaryLine(summarize(changes)), '3 to create, 2 to update, 3 to delete');
});

test('the text output: +, ~ with the fields, -, in order', () => {
  const file = same
    .replace('users.internal:8080', 'users.internal:9090')
    .replace('      - name: cors\n', '      - name: cors\n        enabled: false\n');
  const text = formatChanges(diff(file.replace('    acls: [{ group: admins }]\n', ''), server));
  assert.equal(
    text,
    [
      "~ update service 'users'",
      '    port: 8080 → 9090',
      "~ update plugin 'cors' on service 'users'",
      '    enabled: true → false',
      "- delete acl 'admins' of consumer 'alice'",
      '',
    ].join('\n'),
  );
});

test('an id given in the file is matched by id only: a different entity of the same name is replaced', () => {
  const X = '99999999-9999-4999-8999-999999999999';
  const file = yml(
    '_format_version: "3.0"',
    'services:',
    `  - { id: ${X}, name: users, host: users.internal, port: 8080 }`,
  );
  const server1 = yml(
    '_format_version: "3.0"',
    'services:',
    `  - { id: ${S1}, name: users, host: users.internal, port: 8080 }`,
  );
  const changes = diff(file, server1);
  assert.deepEqual(
    changes.map((c) => [c.action, c.id]),
    [
      ['create', X],
      ['delete', S1],
    ],
  );
  // The same id on both sides is the same entity, whatever its name.
  const renamed = diff(
    file.replace('name: users', 'name: people'),
    yml('_format_version: "3.0"', 'services:', `  - { id: ${X}, name: users, host: users.internal, port: 8080 }`),
  );
  assert.deepEqual(brief(renamed), ["update service 'people'"]);
  assert.deepEqual(renamed[0]!.fields, [{ field: 'name', from: 'users', to: 'people' }]);
});

test('explicitIds: the ids a file writes, anywhere, lower-cased', () => {
  const ids = explicitIds(
    yml(
      'services:',
      `  - id: ${S1.toUpperCase()}`,
      '    routes:',
      `      - id: ${R1}`,
      '  - name: x',
      `    id: not-a-uuid`,
    ),
  );
  assert.deepEqual([...ids].sort(), [S1, R1]);
  assert.equal(explicitIds('{ not: [yaml').size, 0);
});

test('credentials: a key the file leaves out is not a change; a key it sets is; secrets are never printed', () => {
  const withKey = same.replace('keyauth_credentials: [{}]', 'keyauth_credentials: [{ key: my-own-key }]');
  const changes = diff(withKey, server);
  // A key-auth key is its identity: a new key is a new credential, the old one goes.
  assert.deepEqual(brief(changes), [
    `create key-auth credential ${changes[0]!.id} of consumer 'alice'`,
    `delete key-auth credential ${K1} of consumer 'alice'`,
  ]);
  assert.equal(changes[0]!.path, `/consumers/${C1}/key-auth/${changes[0]!.id}`);
  assert.equal(changes[0]!.body!.key, 'my-own-key');
  assert.deepEqual(changes[0]!.body!.consumer, { id: C1 });

  const basicServer = yml(
    '_format_version: "3.0"',
    'consumers:',
    `  - id: ${C1}`,
    '    username: alice',
    '    basicauth_credentials:',
    `      - { id: ${K1}, username: alice, password: old-password }`,
  );
  const basicFile = yml(
    '_format_version: "3.0"',
    'consumers:',
    '  - username: alice',
    '    basicauth_credentials: [{ username: alice, password: new-password }]',
  );
  const upd = diff(basicFile, basicServer);
  assert.deepEqual(brief(upd), ["update basic-auth credential 'alice' of consumer 'alice'"]);
  assert.equal(upd[0]!.path, `/consumers/${C1}/basic-auth/${K1}`);
  const text = formatChanges(upd);
  assert.match(text, /password: \(secret changed\)/);
  assert.doesNotMatch(text, /old-password|new-password/);
});

test('a credential whose key the server generated keeps it on update (PUT replaces the entity)', () => {
  const file = same.replace('keyauth_credentials: [{}]', 'keyauth_credentials: [{ tags: [team-a] }]');
  const changes = diff(file, server);
  assert.deepEqual(brief(changes), [`update key-auth credential ${K1} of consumer 'alice'`]);
  assert.deepEqual(changes[0]!.fields, [{ field: 'tags', from: [], to: ['team-a'] }]);
  assert.equal(changes[0]!.body!.key, 'generated-by-the-server');
});

test('targets are matched by upstream and address; plugins by name and what they apply to', () => {
  const file = same.replace(
    'targets: [{ target: "10.0.0.1:8080" }]',
    'targets: [{ target: "10.0.0.1:8080", weight: 50 }, { target: "10.0.0.2:8080" }]',
  );
  const changes = diff(file, server);
  assert.deepEqual(brief(changes), [
    "update target '10.0.0.1:8080' of upstream 'users-upstream'",
    "create target '10.0.0.2:8080' of upstream 'users-upstream'",
  ]);
  assert.equal(changes[0]!.path, `/upstreams/${U1}/targets/${T1}`);
  assert.equal(changes[1]!.path, `/upstreams/${U1}/targets/${changes[1]!.id}`);
  // cors moved from the service to the route: a different plugin.
  const moved = diff(
    same
      .replace('    plugins:\n      - name: cors\n', '')
      .replace(
        '{ name: users-api, paths: [/users] }',
        '{ name: users-api, paths: [/users], plugins: [{ name: cors }] }',
      ),
    server,
  );
  assert.deepEqual(brief(moved), [
    "create plugin 'cors' on route 'users-api'",
    "delete plugin 'cors' on service 'users'",
  ]);
  assert.deepEqual(moved[0]!.body!.route, { id: R1 });
});

test('an empty file against a server: everything deleted, children first', () => {
  const changes = diff('_format_version: "3.0"\n', server);
  assert.deepEqual(
    changes.map((c) => c.kind),
    ['plugins', 'acls', 'keyauth_credentials', 'consumers', 'targets', 'upstreams', 'routes', 'services'],
  );
  assert.ok(changes.every((c) => c.action === 'delete'));
});

test('entities without a name are matched by what they do: a route by its service and matching fields, a service by its address', () => {
  const R2 = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
  const srv = yml(
    '_format_version: "3.0"',
    'services:',
    `  - { id: ${S1}, host: users.internal, port: 8080 }`,
    'routes:',
    `  - { id: ${R1}, paths: [/users], service: { id: ${S1} } }`,
    `  - { id: ${R2}, paths: [/admin], methods: [GET], service: { id: ${S1} } }`,
  );
  const file = yml(
    '_format_version: "3.0"',
    'services:',
    '  - url: http://users.internal:8080',
    '    routes:',
    '      - { paths: [/users], strip_path: false }',
    '      - { paths: [/admin], methods: [GET, POST] }',
  );
  const changes = diff(file, srv);
  assert.deepEqual(
    changes.map((c) => [c.action, c.kind, c.action === 'create' ? 'new' : c.id]),
    [
      ['update', 'routes', R1],
      ['create', 'routes', 'new'],
      ['delete', 'routes', R2],
    ],
  );
  assert.deepEqual(changes[0]!.fields, [{ field: 'strip_path', from: true, to: false }]);
  assert.deepEqual(changes[1]!.body!.service, { id: S1 }, 'the unnamed service was matched by its address');
});

test("decK's _info.select_tags scope the sync: only server entities with every select tag may be deleted", () => {
  const serverText = yml(
    '_format_version: "3.0"',
    'services:',
    '  - { name: mine, host: a.internal, tags: [team-a] }',
    '  - { name: gone, host: b.internal, tags: [team-a, x] }',
    '  - { name: theirs, host: c.internal, tags: [team-b] }',
    '  - { name: untagged, host: d.internal }',
    'consumers:',
    '  - { username: someone, tags: [team-b], keyauth_credentials: [{ key: k }] }',
  );
  const file = yml(
    '_format_version: "3.0"',
    '_info: { select_tags: [team-a] }',
    'services:',
    '  - { name: mine, host: a.internal }',
  );
  // The loader has tagged the file's service with team-a (as decK does), so it matches the server's.
  const changes = computeDiff(load(file), load(serverText), explicitIds(file), selectTagsOf(file));
  assert.deepEqual(brief(changes), ["delete service 'gone'"]);
  // Without select_tags the file is the whole configuration: everything else goes.
  const all = computeDiff(load(file.replace('_info: { select_tags: [team-a] }\n', '')), load(serverText), new Set());
  assert.equal(all.filter((c) => c.action === 'delete').length, 5);
});
