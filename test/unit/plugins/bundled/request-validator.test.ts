import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileTemplate,
  matchTemplate,
  sortTemplates,
} from '../../../../src/plugins/bundled/request-validator/path-template.js';
import { mediaTypeMatches, parseMediaType } from '../../../../src/plugins/bundled/request-validator/content-type.js';
import { compileSpec, findOperation } from '../../../../src/plugins/bundled/request-validator/openapi.js';
import { fromDraft4, fromKongSchema } from '../../../../src/plugins/bundled/request-validator/schemas.js';

test('request-validator: path templates match whole segments and decode variables', () => {
  const t = compileTemplate('/users/{id}/posts/{postId}');
  assert.deepEqual(t.names, ['id', 'postId']);
  assert.deepEqual(matchTemplate(t, '/users/42/posts/a%20b'), { id: '42', postId: 'a b' });
  assert.deepEqual(matchTemplate(t, '/users/42/posts/7/'), { id: '42', postId: '7' });
  assert.equal(matchTemplate(t, '/users/42/posts'), null);
  assert.equal(matchTemplate(t, '/users/4/2/posts/7'), null);
  assert.equal(matchTemplate(t, '/users//posts/7'), null);
  assert.deepEqual(matchTemplate(compileTemplate('/files/{name}.json'), '/files/a.b.json'), { name: 'a.b' });
  assert.deepEqual(matchTemplate(compileTemplate('/'), '/'), {});
  assert.deepEqual(matchTemplate(compileTemplate('/a.b'), '/a.b'), {});
  assert.equal(matchTemplate(compileTemplate('/a.b'), '/axb'), null);
  assert.throws(() => compileTemplate('/users/{id'), /unbalanced/);
  assert.throws(() => compileTemplate('/users/{id}/{id}'), /repeats/);
  assert.throws(() => compileTemplate('users'), /must start/);
});

test('request-validator: concrete paths sort before templated ones', () => {
  const list = ['/users/{id}', '/users/me', '/{a}/{b}', '/users/{id}/x'].map((p) => ({ path: compileTemplate(p) }));
  assert.deepEqual(
    sortTemplates(list).map((e) => e.path.template),
    ['/users/me', '/users/{id}/x', '/users/{id}', '/{a}/{b}'],
  );
});

test('request-validator: media types compare as Kong does', () => {
  const json = parseMediaType('application/json')!;
  const utf8 = parseMediaType('application/json; charset=UTF-8')!;
  assert.equal(mediaTypeMatches(json, parseMediaType('Application/JSON')!, true), true);
  assert.equal(mediaTypeMatches(json, utf8, true), false);
  assert.equal(mediaTypeMatches(json, utf8, false), true);
  assert.equal(mediaTypeMatches(utf8, parseMediaType('application/json;charset="utf-8"')!, true), true);
  assert.equal(mediaTypeMatches(parseMediaType('application/*')!, parseMediaType('application/xml')!, true), true);
  assert.equal(mediaTypeMatches(json, parseMediaType('text/json')!, true), false);
  assert.equal(parseMediaType('json'), null);
});

test('request-validator: draft 4 and kong dialects translate', () => {
  assert.deepEqual(
    fromDraft4({ type: 'object', properties: { id: { type: 'integer', minimum: 1, exclusiveMinimum: true } } }),
    {
      type: 'object',
      properties: { id: { type: 'integer', exclusiveMinimum: 1 } },
    },
  );
  const s = fromKongSchema([
    { name: { type: 'string', required: true, len_min: 2 } },
    { age: { type: 'integer', between: [0, 150] } },
  ]);
  assert.deepEqual(s.required, ['name']);
  assert.equal(s.additionalProperties, false);
  assert.throws(() => fromKongSchema([{ x: { type: 'string', match: '%a+' } }]), /'match' is not supported/);
});

test('request-validator: OpenAPI operations by method and template, 405 vs 404', () => {
  const spec = compileSpec(
    JSON.stringify({
      openapi: '3.0.3',
      paths: {
        '/users/{id}': {
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
          get: {},
          delete: {},
        },
        '/users/me': { get: {} },
      },
    }),
    'api_spec',
  );
  const me = findOperation(spec, 'GET', '/users/me');
  assert.equal(me.kind === 'found' && me.op.label, 'GET /users/me');
  const del = findOperation(spec, 'DELETE', '/users/me');
  assert.equal(del.kind === 'found' && del.op.label, 'DELETE /users/{id}');
  assert.deepEqual(findOperation(spec, 'POST', '/users/7'), { kind: 'no-method', allow: ['GET', 'DELETE'] });
  assert.deepEqual(findOperation(spec, 'GET', '/nope'), { kind: 'no-path' });
  assert.throws(
    () =>
      compileSpec(
        'openapi: "3.0.0"\npaths:\n  /a/{x}:\n    get:\n      parameters: [{name: y, in: path, required: true}]\n',
        'api_spec',
      ),
    /api_spec: .*'y' is not in the template/,
  );
  assert.throws(() => compileSpec('swagger: "2.0"', 'api_spec'), /OpenAPI 3/);
  assert.throws(
    () =>
      compileSpec(
        JSON.stringify({
          openapi: '3.1.0',
          paths: {
            '/a': { post: { requestBody: { content: { 'application/json': { schema: { $ref: 'other.yaml#/X' } } } } } },
          },
        }),
        'api_spec',
      ),
    /api_spec: .*other\.yaml/,
  );
});
