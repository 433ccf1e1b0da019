// grpc-gateway's transcoding pieces: path templates, bindings read from a .proto with
// google.api.http annotations, the request message built from body, path and query, and the
// JSON mapping of messages.

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tmpDir } from '../../../helpers/gateway.js';
import { compileTemplate, matchTemplate } from '../../../../src/plugins/bundled/grpc-gateway/template.js';
import { compileBindings, findBinding } from '../../../../src/plugins/bundled/grpc-gateway/bindings.js';
import { buildRequest } from '../../../../src/plugins/bundled/grpc-gateway/request.js';
import { loadProto } from '../../../../src/plugins/bundled/shared/grpc/proto.js';
import { decodeMessage, encodeMessage, messageObject } from '../../../../src/plugins/bundled/shared/grpc/json.js';

const PROTO = path.join(ROOT, 'test', 'fixtures', 'grpc', 'users.proto');

test('path templates: variables, nested fields, * and ** and a verb', () => {
  const t = compileTemplate('/v1/{name=shelves/*/books/*}:publish');
  assert.deepEqual(matchTemplate(t, '/v1/shelves/s1/books/b%202:publish'), { name: 'shelves/s1/books/b 2' });
  assert.equal(matchTemplate(t, '/v1/shelves/s1/books/b2'), null);
  assert.equal(matchTemplate(t, '/v1/shelves/s1/cds/b2:publish'), null);
  const u = compileTemplate('/v1/orgs/{org.name}/users/{user_id}');
  assert.deepEqual(matchTemplate(u, '/v1/orgs/acme/users/42'), { 'org.name': 'acme', user_id: '42' });
  assert.equal(matchTemplate(u, '/v1/orgs/acme/users/'), null, 'an empty segment is not a value');
  assert.equal(matchTemplate(u, '/v1/orgs/acme/users/42/x'), null);
  const f = compileTemplate('/files/{path=**}');
  assert.deepEqual(matchTemplate(f, '/files/a/b/c.txt'), { path: 'a/b/c.txt' });
  assert.deepEqual(matchTemplate(f, '/files'), { path: '' });
  const star = compileTemplate('/v1/*/x');
  assert.deepEqual(matchTemplate(star, '/v1/anything/x'), {});
});

test('path templates: malformed ones are refused with the reason', () => {
  assert.throws(() => compileTemplate('v1/x'), /must start with "\/"/);
  assert.throws(() => compileTemplate('/v1/{a/b'), /unbalanced/);
  assert.throws(() => compileTemplate('/v1/**/x'), /"\*\*" may only be the last segment/);
  assert.throws(() => compileTemplate('/v1/{1bad}'), /not a field path/);
  assert.throws(() => compileTemplate('/v1/{a}/{a}'), /appears twice/);
  assert.throws(() => compileTemplate('/v1/x{a}'), /invalid segment|whole segment/);
});

test('bindings: read from the annotations (additional_bindings too), matched by method and path', () => {
  const { methods } = loadProto('grpc-gateway', PROTO);
  const bindings = compileBindings(methods);
  const find = (m: string, p: string): string | null => findBinding(bindings, m, p).match?.binding.rpc.grpcPath ?? null;
  assert.equal(find('GET', '/v1/users/7'), '/demo.v1.Users/GetUser');
  assert.equal(find('GET', '/v1/orgs/acme/users/7'), '/demo.v1.Users/GetUser');
  assert.equal(find('POST', '/v1/users'), '/demo.v1.Users/CreateUser');
  assert.equal(find('GET', '/v1/users'), '/demo.v1.Users/ListUsers');
  assert.equal(find('DELETE', '/v1/users/7'), '/demo.v1.Users/DeleteUser');
  assert.equal(find('PATCH', '/v1/users/7'), '/demo.v1.Users/UpdateUser');
  assert.equal(find('GET', '/v1/files/a/b'), '/demo.v1.Users/GetFile');
  assert.equal(find('GET', '/v2/users/7'), null);
  assert.equal(findBinding(bindings, 'PUT', '/v1/users/7').pathKnown, true, 'known path, wrong method');
  assert.equal(findBinding(bindings, 'PUT', '/nope').pathKnown, false);
  // Methods without an http option are not reachable over REST.
  assert.ok(!bindings.some((b) => b.rpc.grpcPath.endsWith('/Ping')));
});

test('bindings: a field path that does not exist refuses the file, naming the rpc and the field', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'bad.proto');
  fs.writeFileSync(
    file,
    `syntax = "proto3"; package p; import "google/api/annotations.proto";
service S { rpc M(Req) returns (Req) { option (google.api.http) = { get: "/m/{nope}" }; } }
message Req { string id = 1; }`,
  );
  assert.throws(
    () => compileBindings(loadProto('grpc-gateway', file).methods),
    /rpc p\.S\/M: path variable \{nope\}: p\.Req has no field "nope"/,
  );
  assert.throws(() => loadProto('grpc-gateway', path.join(dir, 'missing.proto')), /cannot load the proto file/);
});

test('request message: path variables, typed query parameters, body "*" and a body field', () => {
  const { methods } = loadProto('grpc-gateway', PROTO);
  const bindings = compileBindings(methods);
  const get = findBinding(bindings, 'GET', '/v1/orgs/acme/users/u%2F1').match!;
  const obj = buildRequest(
    get.binding,
    get.vars,
    '?verbose=true&fields=a&fields=b&user_id=ignored&apikey=x',
    Buffer.alloc(0),
  );
  assert.deepEqual(obj, { org: { name: 'acme' }, userId: 'u/1', verbose: true, fields: ['a', 'b'] });
  const type = get.binding.rpc.requestType;
  const back = decodeMessage(type, encodeMessage(type, obj));
  assert.deepEqual(back, { userId: 'u/1', verbose: true, org: { name: 'acme' }, fields: ['a', 'b'] });
  assert.throws(
    () => buildRequest(get.binding, get.vars, '?verbose=maybe', Buffer.alloc(0)),
    /query parameter verbose: "maybe" is not a boolean/,
  );

  const post = findBinding(bindings, 'POST', '/v1/users').match!;
  const created = buildRequest(
    post.binding,
    post.vars,
    '?age=3',
    Buffer.from('{"display_name":"Ada","role":"ROLE_ADMIN","tags":["x"],"age":36}'),
  );
  assert.deepEqual(
    created,
    { displayName: 'Ada', role: 'ROLE_ADMIN', tags: ['x'], age: 36 },
    'body "*": the query is ignored',
  );
  assert.throws(
    () => buildRequest(post.binding, post.vars, '', Buffer.from('{"age":"old"}')),
    /age: "old" is not a int32/,
  );
  assert.throws(
    () => buildRequest(post.binding, post.vars, '', Buffer.from('{"nope":1}')),
    /nope: unknown field of demo\.v1\.CreateUserRequest/,
  );
  assert.throws(() => buildRequest(post.binding, post.vars, '', Buffer.from('{oops')), /not JSON/);

  const patch = findBinding(bindings, 'PATCH', '/v1/users/u9').match!;
  const upd = buildRequest(
    patch.binding,
    patch.vars,
    '?reason=typo',
    Buffer.from('{"displayName":"Bob","karma":"9007199254740993"}'),
  );
  assert.deepEqual(upd, { user: { displayName: 'Bob', karma: '9007199254740993', userId: 'u9' }, reason: 'typo' });
});

test('JSON mapping: lowerCamelCase names, int64 as strings, enums by name, bytes base64, defaults present', () => {
  const { methods } = loadProto('grpc-gateway', PROTO);
  const user = methods.find((m) => m.grpcPath.endsWith('/GetUser'))!.responseType;
  const bin = encodeMessage(
    user,
    messageObject(user, { user_id: 'u1', karma: '9007199254740993', role: 2, avatar: 'AAEC' }, ''),
  );
  assert.deepEqual(
    Object.keys(decodeMessage(user, bin)),
    ['userId', 'displayName', 'karma', 'role', 'tags', 'avatar', 'score'],
    'the .proto field order',
  );
  assert.deepEqual(decodeMessage(user, bin), {
    userId: 'u1',
    displayName: '',
    karma: '9007199254740993',
    role: 'ROLE_MEMBER',
    tags: [],
    avatar: 'AAEC',
    score: 0,
  });
});
