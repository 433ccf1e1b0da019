// Admin API request bodies: Kong-style form fields and their typing by the entity's schema;
// the entity path table.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coerce, parseBody } from '../../../src/control/admin/body.js';
import { HttpError } from '../../../src/control/admin/http.js';
import { matchEntityPath } from '../../../src/control/admin/entity-paths.js';
import { ENTITIES } from '../../../src/control/store/index.js';
import { allows } from '../../../src/control/admin/roles.js';

const FORM = 'application/x-www-form-urlencoded';

test('form fields: dotted records, list marks, indexes and repeated keys', () => {
  const body = parseBody(
    'name=r&paths[]=/a&paths[]=/b&hosts[2]=y&hosts[1]=x&service.name=users&config.redis.host=h&methods=GET&methods=POST',
    FORM,
  )!;
  assert.deepEqual(body, {
    name: 'r',
    paths: ['/a', '/b'],
    hosts: ['x', 'y'],
    service: { name: 'users' },
    config: { redis: { host: 'h' } },
    methods: ['GET', 'POST'],
  });
});

test('form text is typed by the schema: integers, booleans, one value to a list, empty to null', () => {
  const route = parseBody('paths=/one&regex_priority=7&strip_path=false&hosts=', FORM)!;
  coerce(route, ENTITIES.routes.schema as never);
  assert.deepEqual(route.paths, ['/one']);
  assert.equal(route.regex_priority, 7);
  assert.equal(route.strip_path, false);
  assert.equal(route.hosts, null);
  const svc = parseBody('name=s&port=8080&retries=abc', FORM)!;
  coerce(svc, ENTITIES.services.schema as never);
  assert.equal(svc.port, 8080);
  assert.equal(svc.retries, 'abc', 'not a number: left for the schema to refuse with its message');
  assert.equal(svc.name, 's');
});

test('JSON bodies: objects only, a clear message for broken JSON; multipart refused with 415', () => {
  assert.deepEqual(parseBody('{"a":1}', 'application/json'), { a: 1 });
  assert.equal(parseBody('', 'application/json'), null);
  assert.throws(
    () => parseBody('{"a":', 'application/json'),
    (e: unknown) => e instanceof HttpError && e.status === 400 && /Cannot parse JSON body/.test(e.message),
  );
  assert.throws(
    () => parseBody('[1]', 'application/json'),
    (e: unknown) => e instanceof HttpError && e.status === 400,
  );
  assert.throws(
    () => parseBody('x', 'multipart/form-data; boundary=z'),
    (e: unknown) => e instanceof HttpError && e.status === 415,
  );
  // JSON labelled as form fields (curl -d's default) or with no content type at all: the message names the header to send.
  assert.throws(
    () => parseBody(' {"name":"a"}', FORM),
    (e: unknown) => e instanceof HttpError && e.status === 400 && /Content-Type: application\/json/.test(e.message),
  );
  assert.throws(
    () => parseBody('{"name":', ''),
    (e: unknown) => e instanceof HttpError && e.status === 400 && /no Content-Type/.test(e.message),
  );
  assert.deepEqual(parseBody('name=a', FORM), { name: 'a' }, 'form fields still parse');
});

test("entity paths: Kong's flat and nested paths name a kind, a scope and a key", () => {
  assert.deepEqual(matchEntityPath(['services']), { kind: 'services', scope: {}, key: null });
  assert.deepEqual(matchEntityPath(['services', 'users', 'routes', 'r1']), {
    kind: 'routes',
    scope: { service: 'users' },
    key: 'r1',
  });
  assert.deepEqual(matchEntityPath(['consumers', 'alice', 'key-auth']), {
    kind: 'keyauth_credentials',
    scope: { consumer: 'alice' },
    key: null,
  });
  assert.deepEqual(matchEntityPath(['key-auths', 'k']), { kind: 'keyauth_credentials', scope: {}, key: 'k' });
  assert.equal(matchEntityPath(['services', 'users', 'nothing']), null);
  assert.equal(matchEntityPath(['nothing']), null);
});

test('roles: read-only may read, admin may do everything', () => {
  assert.equal(allows('read-only', 'GET'), true);
  assert.equal(allows('read-only', 'HEAD'), true);
  for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    assert.equal(allows('read-only', m), false);
    assert.equal(allows('admin', m), true);
  }
});
