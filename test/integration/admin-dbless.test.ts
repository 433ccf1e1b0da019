// The Admin API of a DB-less node: it reads what the file configures, refuses entity writes
// with Kong's 405, replaces everything with POST /config (Kong's DB-less endpoint), and serves
// its OpenAPI 3.1 document, which a real OpenAPI validator accepts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { upstream } from '../helpers/scope.js';
import { adminGateway, until } from '../helpers/admin.js';

const config = (port: number, route: string) => `_format_version: "3.0"
services:
  - name: users
    url: http://127.0.0.1:${port}
    tags: [file]
    routes:
      - name: users
        paths: [${route}]
consumers:
  - username: alice
    keyauth_credentials:
      - key: alice-key
`;

test('DB-less: reads the file, refuses writes (405), POST /config replaces it all', async () => {
  const up = await upstream('U');
  const { gw, admin } = await adminGateway({ config: config(up.port, '/one') });
  const services = await admin.get('/services');
  assert.equal(services.status, 200);
  assert.deepEqual(
    services.body.data.map((s: any) => s.name),
    ['users'],
  );
  assert.equal((await admin.get('/services/users/routes')).body.data[0].paths[0], '/one');
  assert.equal((await admin.get('/consumers/alice/key-auth')).body.data[0].key, 'alice-key');
  const refused = await admin.post('/services', { name: 'x', host: 'example.test' });
  assert.equal(refused.status, 405);
  assert.match(refused.body.message, /cannot create 'services' entities when not using a database/);
  assert.match((await admin.get('/config')).body.config, /name: users/);

  // POST /config: YAML text, the JSON object, or {"config": text}
  const posted = await admin.post('/config', config(up.port, '/two'));
  assert.equal(posted.status, 201, JSON.stringify(posted.body));
  await until(`${gw.url}/two`, 200);
  assert.equal((await fetch(`${gw.url}/one`)).status, 404);
  assert.equal(
    (await admin.get('/services/users/routes')).body.data[0].paths[0],
    '/two',
    'the Admin API reads the new configuration',
  );
  const same = await admin.call('POST', '/config?check_hash=1', { config: config(up.port, '/two') });
  assert.equal(same.status, 304);
  const invalid = await admin.post('/config', {
    _format_version: '3.0',
    services: [{ name: 'bad', url: 'not a url', routes: [{ paths: ['nope'] }] }],
  });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.body.name, 'invalid declarative configuration');
  assert.ok(invalid.body.flattened_errors.length >= 1, JSON.stringify(invalid.body));
  assert.equal((await fetch(`${gw.url}/two`)).status, 200, 'a refused configuration changes nothing');

  // A change of the file wins again over what was posted.
  gw.writeConfig(config(up.port, '/three'));
  await until(`${gw.url}/three`, 200);
});

test('GET /openapi.json is a valid OpenAPI 3.1 document derived from the entity schemas', async () => {
  const { admin } = await adminGateway({ config: '_format_version: "3.0"\n' });
  const res = await admin.get('/openapi.json');
  assert.equal(res.status, 200);
  const doc = res.body;
  assert.equal(doc.openapi, '3.1.0');
  const v = new Validator();
  const result = await v.validate(doc);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 1)?.slice(0, 3000));
  for (const p of [
    '/services',
    '/services/{service}',
    '/services/{service}/routes',
    '/consumers/{consumer}/key-auth',
    '/upstreams/{upstream}/targets',
    '/rbac/tokens',
    '/audit/requests',
    '/config',
  ]) {
    assert.ok(doc.paths[p], `documents ${p}`);
  }
  // The schemas are the entity JSON Schemas: a field the store validates is documented.
  assert.equal(doc.components.schemas.Service.properties.port.type, 'integer');
  assert.ok(doc.components.schemas.RouteInput.properties.paths);
  assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
});
