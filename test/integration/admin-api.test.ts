// The Admin API against a real node in database mode, on SQLite and on the real PostgreSQL:
// CRUD of every entity kind through Kong's paths (flat and nested), pagination and tag
// filters, Kong's error bodies, a change reaching the proxy, persistence across a restart,
// and writes refused with 503 while the database is away (the proxy keeps serving).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir, sleep } from '../helpers/gateway.js';
import { upstream } from '../helpers/scope.js';
import { adminGateway, until, type AdminClient } from '../helpers/admin.js';
import { dropSchema, pgAvailable, pgEnv, pgOptions, uniqueSchema } from '../helpers/pg.js';
import { relay } from '../helpers/relay.js';
import { leaf, makeCa } from '../helpers/certs.js';

const dir = tmpDir('turnpike-admin-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const pgUp = await pgAvailable();
const schema = uniqueSchema('tp_admin');
if (pgUp) after(() => dropSchema(schema));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Create, read (by id and by name), change and delete one entity through `base`. */
async function crud(
  admin: AdminClient,
  base: string,
  input: Record<string, unknown>,
  key: string | null,
  patch: Record<string, unknown>,
): Promise<any> {
  const created = await admin.post(base, input);
  assert.equal(created.status, 201, `POST ${base}: ${JSON.stringify(created.body)}`);
  assert.match(created.body.id, UUID);
  assert.equal(typeof created.body.created_at, 'number');
  const id = created.body.id as string;
  for (const k of key === null ? [id] : [id, key]) {
    const got = await admin.get(`${base}/${encodeURIComponent(k)}`);
    assert.equal(got.status, 200, `GET ${base}/${k}: ${JSON.stringify(got.body)}`);
    assert.equal(got.body.id, id);
  }
  const list = await admin.get(base);
  assert.equal(list.status, 200);
  assert.ok(
    list.body.data.some((e: any) => e.id === id),
    `${base} lists the new entity`,
  );
  const changed = await admin.patch(`${base}/${id}`, patch);
  assert.equal(changed.status, 200, `PATCH ${base}/${id}: ${JSON.stringify(changed.body)}`);
  for (const [k, v] of Object.entries(patch)) assert.deepEqual(changed.body[k], v, `PATCH changed ${k}`);
  assert.deepEqual((await admin.get(`${base}/${id}`)).body[Object.keys(patch)[0]!], Object.values(patch)[0]);
  return created.body;
}

async function removeAndCheck(admin: AdminClient, base: string, id: string): Promise<void> {
  const del = await admin.delete(`${base}/${id}`);
  assert.equal(del.status, 204);
  assert.equal((await admin.get(`${base}/${id}`)).status, 404);
  // Kong: deleting what is not there is still 204.
  assert.equal((await admin.delete(`${base}/${id}`)).status, 204);
}

async function everyEntity(admin: AdminClient, upstreamPort: number, proxyUrl: string): Promise<void> {
  // services and routes, flat and nested
  const svc = await crud(admin, '/services', { name: 'users', url: `http://127.0.0.1:${upstreamPort}/api` }, 'users', {
    retries: 2,
  });
  assert.equal(svc.host, '127.0.0.1');
  assert.equal(svc.path, '/api');
  const route = await crud(admin, '/services/users/routes', { name: 'users-route', paths: ['/users'] }, 'users-route', {
    strip_path: false,
  });
  assert.deepEqual(route.service, { id: svc.id });
  assert.equal((await admin.get('/routes/users-route/service')).body.id, svc.id);
  assert.equal((await admin.get(`/services/${svc.id}/routes`)).body.data.length, 1);
  // A change reaches the proxy: the route serves.
  const ms = await until(`${proxyUrl}/users/x`, 200, 5000);
  console.log(`# route created through the Admin API served after ${ms} ms`);
  assert.ok(ms < 1000, `a change through the Admin API reached the workers in ${ms} ms (the promise is 1 s)`);
  // Form fields, Kong style, with nested keys and list marks.
  const formRoute = await admin.post(
    '/routes',
    { name: 'form-route', 'paths[]': '/form', 'service.name': 'users', regex_priority: '3', strip_path: 'true' },
    { form: true },
  );
  assert.equal(formRoute.status, 201, JSON.stringify(formRoute.body));
  assert.deepEqual(formRoute.body.paths, ['/form']);
  assert.equal(formRoute.body.regex_priority, 3);
  assert.equal(formRoute.body.strip_path, true);
  assert.deepEqual(formRoute.body.service, { id: svc.id });
  // PUT creates by name, then replaces.
  const put1 = await admin.put('/services/orders', { url: `http://127.0.0.1:${upstreamPort}` });
  assert.equal(put1.status, 200, JSON.stringify(put1.body));
  const put2 = await admin.put('/services/orders', { host: 'orders.internal', port: 8080 });
  assert.equal(put2.body.id, put1.body.id);
  assert.equal(put2.body.host, 'orders.internal');
  assert.equal(put2.body.path, null, 'PUT replaces: fields left out get their defaults');

  // upstreams and targets
  const up = await crud(admin, '/upstreams', { name: 'users-up' }, 'users-up', { slots: 100 });
  const target = await admin.post('/upstreams/users-up/targets', { target: `127.0.0.1:${upstreamPort}`, weight: 50 });
  assert.equal(target.status, 201, JSON.stringify(target.body));
  assert.deepEqual(target.body.upstream, { id: up.id });
  assert.equal((await admin.get('/upstreams/users-up/targets')).body.data.length, 1);
  assert.equal((await admin.get(`/upstreams/users-up/targets/127.0.0.1:${upstreamPort}`)).body.id, target.body.id);
  // Target health as the workers see it, once the change reached them.
  let health: any = null;
  for (let i = 0; i < 100 && !(health?.data?.length > 0); i++) {
    health = (await admin.get('/upstreams/users-up/health')).body;
    if (!(health?.data?.length > 0)) await sleep(50);
  }
  assert.deepEqual(
    health.data,
    [{ target: `127.0.0.1:${upstreamPort}`, health: 'HEALTHCHECKS_OFF' }],
    JSON.stringify(health),
  );
  assert.equal((await admin.get('/upstreams/no-such-upstream/health')).status, 404);
  assert.equal((await admin.delete(`/upstreams/users-up/targets/127.0.0.1:${upstreamPort}`)).status, 204);
  assert.equal((await admin.get('/upstreams/users-up/targets')).body.data.length, 0);

  // consumers and every credential kind
  const consumer = await crud(admin, '/consumers', { username: 'alice', custom_id: 'a-1' }, 'alice', {
    tags: ['team-a'],
  });
  assert.equal((await admin.get('/consumers/a-1')).body.id, consumer.id, 'a consumer is found by custom_id too');
  const creds: [string, string, Record<string, unknown>, Record<string, unknown>][] = [
    ['key-auth', 'key-auths', { key: 'alice-key-1' }, { tags: ['k'] }],
    ['basic-auth', 'basic-auths', { username: 'alice-basic', password: 's3cret-pass' }, { tags: ['b'] }],
    ['hmac-auth', 'hmac-auths', { username: 'alice-hmac', secret: 'hmac-secret' }, { tags: ['h'] }],
    ['jwt', 'jwts', { key: 'alice-iss', secret: 'jwt-secret-long-enough' }, { algorithm: 'HS512' }],
    ['acls', 'acls', { group: 'admins' }, { tags: ['x'] }],
    [
      'oauth2',
      'oauth2',
      { name: 'alice-app', client_id: 'alice-client', client_secret: 'cs', redirect_uris: ['https://app.example/cb'] },
      { client_type: 'public' },
    ],
  ];
  for (const [nested, flat, input, patch] of creds) {
    const c = await crud(admin, `/consumers/alice/${nested}`, input, null, patch);
    assert.deepEqual(c.consumer, { id: consumer.id }, `${nested} belongs to alice`);
    assert.ok(
      (await admin.get(`/${flat}`)).body.data.some((e: any) => e.id === c.id),
      `/${flat} lists it`,
    );
    assert.equal((await admin.get(`/${flat}/${c.id}`)).body.id, c.id);
  }
  // A key generated when left out, as Kong does.
  const gen = await admin.post('/consumers/alice/key-auth', {});
  assert.equal(gen.status, 201);
  assert.match(gen.body.key, /^\S{16,}$/);
  // A credential outside its consumer's path is not found.
  await crud(admin, '/consumers', { username: 'bob' }, 'bob', { custom_id: 'b-1' });
  assert.equal((await admin.get(`/consumers/bob/key-auth/${gen.body.id}`)).status, 404);

  // plugins at every scope
  const global = await crud(admin, '/plugins', { name: 'correlation-id' }, null, { enabled: false });
  assert.equal(global.service, null);
  const onService = await crud(
    admin,
    '/services/users/plugins',
    { name: 'rate-limiting', config: { minute: 100, policy: 'local' } },
    null,
    { enabled: false },
  );
  assert.deepEqual(onService.service, { id: svc.id });
  // PATCH merges records: config.minute changes, the rest of config stays.
  const merged = await admin.patch(`/plugins/${onService.id}`, { config: { minute: 200 } });
  assert.equal(merged.status, 200, JSON.stringify(merged.body));
  assert.equal(merged.body.config.minute, 200);
  assert.equal(merged.body.config.policy, 'local');
  const onRoute = await admin.post('/routes/users-route/plugins', {
    name: 'request-termination',
    config: { status_code: 418 },
  });
  assert.equal(onRoute.status, 201, JSON.stringify(onRoute.body));
  assert.deepEqual(onRoute.body.route, { id: route.id });
  const onConsumer = await admin.post('/consumers/alice/plugins', { name: 'rate-limiting', config: { minute: 5 } });
  assert.equal(onConsumer.status, 201, JSON.stringify(onConsumer.body));
  assert.equal((await admin.get('/routes/users-route/plugins')).body.data.length, 1);
  // The plugin reaches the proxy.
  await until(`${proxyUrl}/users/x`, 418, 5000);
  // Form fields into a plugin's config are typed by the plugin's schema.
  const formPlugin = await admin.post(
    '/plugins',
    { name: 'rate-limiting', 'config.hour': '1000', 'route.name': 'form-route' },
    { form: true },
  );
  assert.equal(formPlugin.status, 201, JSON.stringify(formPlugin.body));
  assert.equal(formPlugin.body.config.hour, 1000);
  // A plugin this node does not have, and a bad config, are refused with the field.
  const unknown = await admin.post('/plugins', { name: 'no-such-plugin' });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.name, 'schema violation');
  const badConfig = await admin.post('/plugins', { name: 'rate-limiting', config: { minute: 'many' } });
  assert.equal(badConfig.status, 400, JSON.stringify(badConfig.body));
  assert.ok(
    Object.keys(badConfig.body.fields).some((f) => f.includes('minute')),
    JSON.stringify(badConfig.body),
  );
  for (const p of [global, onService, onRoute.body, onConsumer.body, formPlugin.body])
    await removeAndCheck(admin, '/plugins', p.id);
  await until(`${proxyUrl}/users/x`, 200, 5000);

  // certificates, SNIs, CA certificates
  const ca = await makeCa('Admin API Test CA');
  const pair = await leaf(ca, 'api.example.test');
  const cert = await crud(admin, '/certificates', { cert: pair.cert, key: pair.key }, null, { tags: ['edge'] });
  const sni = await crud(admin, `/certificates/${cert.id}/snis`, { name: 'api.example.test' }, 'api.example.test', {
    tags: ['s'],
  });
  assert.deepEqual(sni.certificate, { id: cert.id });
  assert.equal((await admin.get('/snis/api.example.test')).body.id, sni.id);
  const caCert = await crud(admin, '/ca_certificates', { cert: ca.cert }, null, { tags: ['ca'] });
  assert.match(caCert.cert_digest, /^[0-9a-f]{64}$/);
  // Deleting the certificate takes its SNIs with it (Kong's cascade).
  await removeAndCheck(admin, '/certificates', cert.id);
  assert.equal((await admin.get(`/snis/${sni.id}`)).status, 404);
  await removeAndCheck(admin, '/ca_certificates', caCert.id);

  // Deletes: a service still used by a route is refused; its routes first.
  const refused = await admin.delete('/services/users');
  assert.equal(refused.status, 400);
  assert.equal(refused.body.name, 'foreign key violation');
  await removeAndCheck(admin, '/routes', 'form-route');
  await removeAndCheck(admin, '/services/users/routes', route.id);
  await until(`${proxyUrl}/users/x`, 404, 5000);
  await removeAndCheck(admin, '/services', svc.id);
  await removeAndCheck(admin, '/upstreams', up.id);
  await removeAndCheck(admin, '/consumers', 'bob');
}

async function pagingAndErrors(admin: AdminClient): Promise<void> {
  // JSON sent the way `curl -d '{...}'` sends it (form content type), with real curl.
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync(
    'curl',
    [
      '-sS',
      '-X',
      'POST',
      `${admin.url}/services`,
      '-d',
      '{"name":"json-as-form","url":"http://127.0.0.1:1"}',
      '-w',
      '\n%{http_code}',
    ],
    { encoding: 'utf8' },
  );
  const [body, code] = [out.slice(0, out.lastIndexOf('\n')), out.slice(out.lastIndexOf('\n') + 1)];
  assert.equal(code, '400', out);
  assert.match(
    JSON.parse(body).message,
    /Content-Type: application\/json/,
    'the message names the content type to send',
  );
  assert.equal((await admin.get('/services/json-as-form')).status, 404, 'nothing was created');
  for (let i = 0; i < 7; i++) {
    const r = await admin.post('/services', {
      name: `page-${i}`,
      host: 'example.test',
      tags: i % 2 === 0 ? ['paging', 'even'] : ['paging', 'odd'],
    });
    assert.equal(r.status, 201);
  }
  const seen: string[] = [];
  let next: string | null = '/services?size=3&tags=paging';
  let pages = 0;
  while (next !== null) {
    const r = await admin.get(next);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.data.length <= 3);
    seen.push(...r.body.data.map((s: any) => s.name));
    if (r.body.next !== null) assert.equal(typeof r.body.offset, 'string');
    next = r.body.next;
    pages++;
  }
  assert.equal(pages, 3);
  assert.deepEqual(seen.sort(), ['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
  assert.equal((await admin.get('/services?tags=paging,even')).body.data.length, 4, 'a,b: every tag');
  assert.equal((await admin.get('/services?tags=even/odd')).body.data.length, 7, 'a/b: any tag');

  // Kong's errors
  const schemaErr = await admin.post('/services', { name: 'bad', host: 'x', port: 70000, protocol: 'gopher' });
  assert.equal(schemaErr.status, 400);
  assert.equal(schemaErr.body.code, 2);
  assert.equal(schemaErr.body.name, 'schema violation');
  assert.ok('port' in schemaErr.body.fields && 'protocol' in schemaErr.body.fields, JSON.stringify(schemaErr.body));
  const unique = await admin.post('/services', { name: 'page-0', host: 'x' });
  assert.equal(unique.status, 409);
  assert.equal(unique.body.name, 'unique constraint violation');
  assert.deepEqual(unique.body.fields, { name: 'page-0' });
  const fk = await admin.post('/routes', { paths: ['/x'], service: { id: '00000000-0000-4000-8000-000000000000' } });
  assert.equal(fk.status, 400);
  assert.equal(fk.body.name, 'foreign key violation');
  assert.equal((await admin.get('/services/nope')).status, 404);
  assert.equal((await admin.get('/services/nope/routes')).status, 404, 'a nested path under a missing parent');
  assert.equal((await admin.patch('/services/nope', { retries: 1 })).status, 404);
  assert.equal((await admin.get('/no-such-endpoint')).status, 404);
  const badSize = await admin.get('/services?size=5000');
  assert.equal(badSize.status, 400);
  assert.equal((await admin.get('/services?offset=garbage!')).status, 400);
  const notJson = await admin.call('POST', '/services', '{"name": ', { contentType: 'application/json' });
  assert.equal(notJson.status, 400);
  assert.match(notJson.body.message, /Cannot parse JSON body/);
  const method = await admin.call('PATCH', '/services', { name: 'x' });
  assert.equal(method.status, 405);
  // Schemas: the entity's and a plugin's, and validation without saving.
  assert.equal((await admin.get('/schemas/services')).body.properties.port.type, 'integer');
  assert.ok((await admin.get('/schemas/plugins/rate-limiting')).body.config.properties.minute);
  assert.equal((await admin.post('/schemas/routes/validate', { paths: ['/ok'] })).status, 200);
  assert.equal((await admin.post('/schemas/routes/validate', { paths: 'nope' })).status, 400);
  const info = await admin.get('/');
  assert.equal(info.body.tagline, 'Welcome to turnpike');
  assert.ok(info.body.plugins.available_on_server['key-auth']);
  assert.ok(!JSON.stringify(info.body).includes('password'), 'GET / shows no password');
  const st = await admin.get('/status');
  assert.equal(st.body.database.reachable, true);
  assert.match(st.body.configuration_hash, /^[0-9a-f]{8,}/);
}

test('SQLite: every entity through the Admin API, paging, errors, persistence across restart', async () => {
  const up = await upstream('U');
  const prefix = path.join(dir, 'sqlite');
  let { gw, admin } = await adminGateway({ prefix, env: { TURNPIKE_DATABASE: 'sqlite' } });
  await everyEntity(admin, up.port, gw.url);
  await pagingAndErrors(admin);
  const keep = await admin.post('/services', { name: 'kept', url: `http://127.0.0.1:${up.port}`, tags: ['persist'] });
  await admin.post('/services/kept/routes', { paths: ['/kept'] });
  await until(`${gw.url}/kept`, 200);
  await gw.stop();
  ({ gw, admin } = await adminGateway({ prefix, env: { TURNPIKE_DATABASE: 'sqlite' } }));
  assert.equal((await admin.get('/services/kept')).body.id, keep.body.id, 'the service survived the restart');
  assert.equal((await fetch(`${gw.url}/kept`)).status, 200);
});

test(
  'PostgreSQL: every entity through the Admin API, paging, errors; writes get 503 while the database is away, the proxy keeps serving, all recovers',
  { skip: pgUp ? false : 'PostgreSQL unreachable (see the message above)' },
  async (t) => {
    const up = await upstream('U');
    const direct = pgOptions(schema);
    const r = await relay({ host: direct.host, port: direct.port });
    t.after(() => r.close());
    const env = { ...pgEnv(schema), TURNPIKE_PG_PORT: String(r.port) };
    const { gw, admin } = await adminGateway({ prefix: path.join(dir, 'pg'), env });
    await everyEntity(admin, up.port, gw.url);
    await pagingAndErrors(admin);
    await admin.post('/services', { name: 'live', url: `http://127.0.0.1:${up.port}` });
    await admin.post('/services/live/routes', { paths: ['/live'] });
    await until(`${gw.url}/live`, 200);

    await r.cut();
    const write = await admin.post('/services', { name: 'during-outage', host: 'x' }).catch((err: Error) => {
      throw new Error(`${err.message}\n${gw.stdout}\n${gw.stderr}`);
    });
    assert.equal(write.status, 503, JSON.stringify(write.body));
    assert.match(write.body.message, /database|connect|unavailable/i);
    assert.match(write.body.message, /keeps serving the last configuration/);
    assert.equal((await admin.get('/status')).body.database.reachable, false);
    for (let i = 0; i < 20; i++)
      assert.equal((await fetch(`${gw.url}/live`)).status, 200, 'the proxy serves while the database is away');

    await r.restore();
    let after = 0;
    for (let i = 0; i < 50; i++) {
      after = (await admin.post('/services/during-outage/routes', { paths: ['/back'] })).status;
      if (after !== 503) break;
      await sleep(200);
    }
    assert.equal(after, 404, 'the database answers again (the service was never created)');
    const ok = await admin.put('/services/during-outage', { url: `http://127.0.0.1:${up.port}` });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await admin.post('/services/during-outage/routes', { paths: ['/back'] })).status, 201);
    await until(`${gw.url}/back`, 200);
  },
);
