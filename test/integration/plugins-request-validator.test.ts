import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';
import { runCli, tmpDir } from '../helpers/gateway.js';
import { get, reached } from '../helpers/fetch.js';

const person = JSON.stringify({
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } },
});

const SPEC = `
openapi: 3.0.3
info: { title: t, version: "1" }
paths:
  /users/{id}:
    parameters:
      - { name: id, in: path, required: true, schema: { type: integer, minimum: 1 } }
    get:
      parameters:
        - { name: fields, in: query, schema: { type: array, items: { type: string, enum: [name, age] } }, style: form, explode: false }
    put:
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: '#/components/schemas/User' }
  /users/me:
    get: {}
components:
  schemas:
    User:
      type: object
      required: [name]
      additionalProperties: false
      properties:
        name: { type: string, minLength: 1 }
        friend: { $ref: '#/components/schemas/User' }
`;

async function send(
  url: string,
  method: string,
  body: string | Buffer | null,
  headers: Record<string, string> = {},
  chunked = false,
) {
  const res = await request(url, {
    method: method as 'POST',
    headers,
    body:
      body === null
        ? undefined
        : chunked
          ? Readable.from([Buffer.from(body).subarray(0, 5), Buffer.from(body).subarray(5)])
          : body,
  });
  const text = await res.body.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.statusCode, json, text, headers: res.headers };
}

const JSON_CT = { 'content-type': 'application/json' };

test('request-validator: body, content types, parameters and OpenAPI operations against a real gateway', async () => {
  const up = await upstream('up');
  const route = (name: string, p: string, config: Record<string, unknown>) => ({
    name,
    paths: [p],
    plugins: [{ name: 'request-validator', config }],
  });
  const gw = await gateway({
    env: { TURNPIKE_CLIENT_BODY_BUFFER_LIMIT: '2048' },
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 's',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            route('body', '/body', { body_schema: person, version: 'draft7' }),
            route('verbose', '/verbose', { body_schema: person, version: 'draft202012', verbose_response: true }),
            route('charset', '/charset', {
              body_schema: person,
              version: 'draft7',
              allowed_content_types: ['application/json; charset=utf-8'],
            }),
            route('loose', '/loose', {
              body_schema: person,
              version: 'draft7',
              allowed_content_types: ['application/json; charset=utf-8'],
              content_type_parameter_validation: false,
            }),
            route('kong', '/kong', { body_schema: JSON.stringify([{ name: { type: 'string', required: true } }]) }),
            route('params', '/params', {
              verbose_response: true,
              parameter_schema: [
                {
                  name: 'id',
                  in: 'query',
                  required: true,
                  style: 'form',
                  explode: false,
                  schema: '{"type":"integer"}',
                },
                {
                  name: 'x-n',
                  in: 'header',
                  required: false,
                  style: 'simple',
                  explode: false,
                  schema: '{"type":"array","items":{"type":"integer"}}',
                },
              ],
            }),
            route('api', '/api', { api_spec: SPEC, api_spec_base_path: '/api', verbose_response: true }),
            route('lenient', '/lenient', {
              api_spec: SPEC,
              api_spec_base_path: '/lenient',
              allow_unknown_operations: true,
            }),
          ],
        },
      ],
    }),
  });

  // A valid body passes and reaches the upstream byte for byte, with a Content-Length or chunked.
  const good = JSON.stringify({ name: 'ada', age: 36 });
  for (const chunked of [false, true]) {
    const before = up.requests.length;
    const r = await send(gw.url + '/body/x', 'POST', good, JSON_CT, chunked);
    assert.equal(r.status, 200, r.text);
    assert.equal(up.requests.length, before + 1);
    const seen = up.requests.at(-1)!;
    assert.equal(seen.body.toString(), good);
    assert.equal(seen.headers['content-length'], String(Buffer.byteLength(good)));
  }

  // Invalid → Kong's generic message; nothing upstream.
  const n0 = reached(up, '/body');
  let r = await send(gw.url + '/body', 'POST', JSON.stringify({ age: 'x' }), JSON_CT);
  assert.equal(r.status, 400);
  assert.deepEqual(r.json, { message: "request body doesn't conform to schema" });
  r = await send(gw.url + '/body', 'POST', '{"name": ', JSON_CT, true);
  assert.deepEqual([r.status, r.json], [400, { message: "request body doesn't conform to schema" }]);
  // Wrong or missing content type.
  r = await send(gw.url + '/body', 'POST', good, { 'content-type': 'text/plain' });
  assert.deepEqual([r.status, r.json], [400, { message: 'specified Content-Type is not allowed' }]);
  r = await send(gw.url + '/body', 'POST', good, {});
  assert.equal(r.status, 400);
  // A GET without a body is validated as {}: invalid when the schema requires properties.
  r = await send(gw.url + '/body', 'GET', null);
  assert.deepEqual([r.status, r.json], [400, { message: "request body doesn't conform to schema" }]);
  assert.equal(reached(up, '/body'), n0);

  // verbose_response lists the errors.
  r = await send(gw.url + '/verbose', 'POST', JSON.stringify({ age: -1 }), JSON_CT);
  assert.equal(r.status, 400);
  assert.match(r.json.message, /body: must have required property 'name'/);
  assert.match(r.json.message, /body age: must be >= 0/);
  assert.equal(r.json.errors.length, 2);
  r = await send(gw.url + '/verbose', 'POST', '{oops', JSON_CT);
  assert.match(r.json.message, /not valid JSON/);

  // Content-Type parameters: strict by default, charset case-insensitive; ignored when asked.
  assert.equal((await send(gw.url + '/charset', 'POST', good, JSON_CT)).status, 400);
  assert.equal(
    (await send(gw.url + '/charset', 'POST', good, { 'content-type': 'application/json; charset=UTF-8' })).status,
    200,
  );
  assert.equal((await send(gw.url + '/loose', 'POST', good, JSON_CT)).status, 200);

  // Kong's own schema dialect (the default version).
  assert.equal((await send(gw.url + '/kong', 'POST', good.replace(',"age":36', ''), JSON_CT)).status, 200);
  assert.equal((await send(gw.url + '/kong', 'POST', JSON.stringify({ name: 1 }), JSON_CT)).status, 400);

  // Query and header parameters: required, type.
  assert.equal((await get(gw.url + '/params?id=12', { 'x-n': '1,2' })).status, 200);
  let g = await get(gw.url + '/params');
  assert.deepEqual([g.status, (g.json as any).message], [400, "query 'id': is required"]);
  g = await get(gw.url + '/params?id=abc');
  assert.deepEqual([g.status, (g.json as any).message], [400, "query 'id': must be integer"]);
  g = await get(gw.url + '/params?id=1', { 'x-n': '1,b' });
  assert.deepEqual([g.status, (g.json as any).message], [400, "header 'x-n' 1: must be integer"]);

  // OpenAPI: path params, query, body via $ref, unknown path / method.
  assert.equal((await get(gw.url + '/api/users/7?fields=name,age')).status, 200);
  assert.equal((await get(gw.url + '/api/users/me')).status, 200);
  g = await get(gw.url + '/api/users/0');
  assert.deepEqual([g.status, (g.json as any).message], [400, "path 'id': must be >= 1"]);
  g = await get(gw.url + '/api/users/7?fields=name,email');
  assert.equal(g.status, 400);
  assert.match((g.json as any).message, /query 'fields' 1: must be one of/);
  r = await send(gw.url + '/api/users/7', 'PUT', JSON.stringify({ name: 'a', friend: { name: 'b' } }), JSON_CT, true);
  assert.equal(r.status, 200, r.text);
  r = await send(gw.url + '/api/users/7', 'PUT', JSON.stringify({ name: 'a', friend: { name: '' } }), JSON_CT);
  assert.equal(r.status, 400);
  assert.match(r.json.message, /body friend.name: must NOT have fewer than 1 characters/);
  r = await send(gw.url + '/api/users/7', 'PUT', null);
  assert.deepEqual([r.status, r.json.message], [400, 'body: is required']);
  r = await send(gw.url + '/api/users/7', 'PUT', 'name=a', { 'content-type': 'application/x-www-form-urlencoded' });
  assert.deepEqual([r.status, r.json.message], [400, 'specified Content-Type is not allowed']);
  g = await get(gw.url + '/api/nowhere');
  assert.equal(g.status, 404);
  r = await send(gw.url + '/api/users/7', 'POST', '{}', JSON_CT);
  assert.equal(r.status, 405);
  assert.equal(r.headers.allow, 'GET, PUT');
  assert.equal((await get(gw.url + '/lenient/nowhere')).status, 200);

  // Over client_body_buffer_limit → 413 (the body had to be read for validation).
  const big = JSON.stringify({ name: 'x'.repeat(4096) });
  assert.equal((await send(gw.url + '/body', 'POST', big, JSON_CT)).status, 413);
  assert.equal((await send(gw.url + '/body', 'POST', big, JSON_CT, true)).status, 413);
  // No body schema applies (GET /api/users/7): the body is not buffered, so no 413.
  assert.equal((await send(gw.url + '/params?id=1', 'POST', big, JSON_CT)).status, 200);
});

test('request-validator: an invalid schema in the config stops validation, naming the plugin and field', async () => {
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const check = async (config: Record<string, unknown>, expect: RegExp) => {
    const cfg = path.join(dir, 'kong.yml');
    fs.writeFileSync(
      cfg,
      JSON.stringify({
        _format_version: '3.0',
        services: [
          {
            name: 's',
            url: 'http://127.0.0.1:9',
            routes: [{ name: 'r', paths: ['/'], plugins: [{ name: 'request-validator', config }] }],
          },
        ],
      }),
    );
    const res = await runCli(['validate', cfg]);
    assert.equal(res.code, 1, res.stdout);
    assert.match(res.stderr + res.stdout, expect);
  };
  await check(
    { body_schema: '{"type":"objekt"}', version: 'draft7' },
    /request-validator.*body_schema.*not a valid JSON Schema draft7/s,
  );
  await check({ body_schema: '{not json' }, /request-validator.*body_schema.*not valid JSON/s);
  await check(
    {
      parameter_schema: [
        { name: 'id', in: 'path', required: true, style: 'simple', explode: false, schema: '{"type":"integer"}' },
      ],
    },
    /request-validator.*parameter_schema\.0\.in.*not supported/s,
  );
  await check(
    {
      api_spec:
        'openapi: 3.0.0\npaths:\n  /a:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: { $ref: "#/components/schemas/Missing" }\n',
    },
    /request-validator.*api_spec.*Missing/s,
  );
  await check({}, /request-validator.*at least one of/s);
});
