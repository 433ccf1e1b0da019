// Admin API security: with TURNPIKE_ADMIN_TOKEN set every request needs a bearer token; tokens
// made through the API carry a role (admin or read-only); a revoked token stops working; and
// every change (also a refused one) is in the audit log with who made it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from '../helpers/gateway.js';
import { adminGateway } from '../helpers/admin.js';

const BOOTSTRAP = 'bootstrap-token-0123456789abcdef';

test('RBAC: no token 401, read-only token cannot write (403), tokens through the API, revocation, the audit log', async () => {
  const prefix = path.join(tmpDir('turnpike-rbac-'), 'prefix');
  const { gw, admin } = await adminGateway({
    prefix,
    env: { TURNPIKE_DATABASE: 'sqlite', TURNPIKE_ADMIN_TOKEN: BOOTSTRAP },
  });

  const none = await admin.get('/services', { token: null });
  assert.equal(none.status, 401);
  assert.match(none.body.message, /Bearer/);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.equal((await admin.get('/', { token: null })).status, 401, 'every endpoint, GET / too');
  const wrong = await admin.get('/services', { token: 'not-a-valid-token-at-all' });
  assert.equal(wrong.status, 401);
  assert.match(wrong.body.message, /invalid token/);

  admin.token = BOOTSTRAP;
  assert.equal((await admin.get('/services')).status, 200);
  // The token stays in the primary: a worker's environment does not hold it.
  const worker = (await gw.status()).workers[0];
  const environ = fs.readFileSync(`/proc/${worker.pid}/environ`, 'utf8');
  assert.ok(environ.includes('TURNPIKE_WORKER_INDEX='), "read the worker's environment");
  assert.ok(!environ.includes(BOOTSTRAP), "the admin token is not in a worker's environment");
  assert.equal(
    (fs.statSync(path.join(prefix, 'turnpike.db')).mode & 0o777).toString(8),
    '600',
    'the database file is owner-only',
  );
  // Kong Enterprise's header works too.
  assert.equal(
    (await admin.call('GET', '/services', undefined, { token: null, headers: { 'Kong-Admin-Token': BOOTSTRAP } }))
      .status,
    200,
  );

  const ro = await admin.post('/rbac/tokens', { name: 'viewer', role: 'read-only' });
  assert.equal(ro.status, 201, JSON.stringify(ro.body));
  assert.match(ro.body.token, /^tpk_/);
  const rw = await admin.post('/rbac/tokens', { name: 'deployer', role: 'admin', comment: 'CI pipeline' });
  assert.equal(rw.status, 201);
  assert.equal((await admin.post('/rbac/tokens', { name: 'viewer', role: 'admin' })).status, 409);
  const badRole = await admin.post('/rbac/tokens', { name: 'x', role: 'root' });
  assert.equal(badRole.status, 400);
  assert.ok('role' in badRole.body.fields);
  const listed = await admin.get('/rbac/tokens');
  assert.deepEqual(listed.body.data.map((t: any) => t.name).sort(), ['deployer', 'viewer']);
  assert.ok(!JSON.stringify(listed.body).includes(ro.body.token), 'a secret is never listed');
  assert.ok(!JSON.stringify(listed.body).includes('token_hash'));
  assert.equal((await admin.get('/rbac/roles')).body.data.length, 2);

  // read-only: reads everything, changes nothing
  assert.equal((await admin.get('/services', { token: ro.body.token })).status, 200);
  assert.equal((await admin.get('/audit/requests', { token: ro.body.token })).status, 200);
  const denied = await admin.post('/services', { name: 'nope', host: 'example.test' }, { token: ro.body.token });
  assert.equal(denied.status, 403);
  assert.match(denied.body.message, /read-only/);
  assert.equal((await admin.delete('/rbac/tokens/deployer', { token: ro.body.token })).status, 403);
  assert.equal((await admin.get('/services/nope')).status, 404, 'the refused write did not happen');

  // admin token made through the API
  const made = await admin.post('/services', { name: 'by-deployer', host: 'example.test' }, { token: rw.body.token });
  assert.equal(made.status, 201);
  // A role change takes effect at once on this node.
  assert.equal((await admin.patch('/rbac/tokens/deployer', { role: 'read-only' })).status, 200);
  assert.equal((await admin.delete('/services/by-deployer', { token: rw.body.token })).status, 403);
  // Revoked: 401.
  assert.equal((await admin.delete('/rbac/tokens/viewer')).status, 204);
  assert.equal((await admin.get('/services', { token: ro.body.token })).status, 401);

  // The audit log: who, what, when, newest first, refusals included.
  let log: any[] = [];
  for (let i = 0; i < 20 && log.length < 6; i++) {
    log = (await admin.get('/audit/requests?size=50')).body.data;
    await new Promise((r) => setTimeout(r, 50));
  }
  const created = log.find((e) => e.method === 'POST' && e.path === '/services' && e.status === 201);
  assert.ok(created, JSON.stringify(log, null, 1));
  assert.equal(created.actor, 'deployer');
  assert.equal(created.role, 'admin');
  assert.equal(created.entity.kind, 'services');
  assert.equal(created.entity.name, 'by-deployer');
  assert.equal(created.entity.id, made.body.id);
  assert.ok(Date.now() - Date.parse(created.at) < 60_000);
  const refused = log.find((e) => e.method === 'POST' && e.path === '/services' && e.status === 403);
  assert.equal(refused?.actor, 'viewer');
  assert.match(refused.error, /read-only/);
  const tokenMade = log.find((e) => e.path === '/rbac/tokens' && e.status === 201);
  assert.equal(tokenMade?.actor, 'bootstrap');
  assert.ok(!JSON.stringify(log).includes(ro.body.token), 'the audit log holds no secret');
  const times = log.map((e) => Date.parse(e.at));
  assert.deepEqual(
    [...times].sort((a, b) => b - a),
    times,
    'newest first',
  );
  // Paging through the log.
  const p1 = await admin.get('/audit/requests?size=2');
  assert.equal(p1.body.data.length, 2);
  const p2 = await admin.get(p1.body.next);
  assert.equal(p2.status, 200);
  assert.notEqual(p2.body.data[0].id, p1.body.data[0].id);
});

test('tokens kept in the database require a token even without TURNPIKE_ADMIN_TOKEN; admin_token_file works', async () => {
  const d = tmpDir('turnpike-rbac2-');
  const prefix = path.join(d, 'prefix');
  let { gw, admin } = await adminGateway({ prefix, env: { TURNPIKE_DATABASE: 'sqlite' } });
  assert.equal((await admin.get('/services')).status, 200, 'open while no token exists (loopback only)');
  const t = await admin.post('/rbac/tokens', { name: 'first-admin', role: 'admin', token: 'my-own-long-secret-token' });
  assert.equal(t.status, 201);
  assert.equal((await admin.get('/services', { token: null })).status, 401, 'once a token exists, one is needed');
  assert.equal((await admin.get('/services', { token: 'my-own-long-secret-token' })).status, 200);
  await gw.stop();
  const file = path.join(d, 'token.txt');
  fs.writeFileSync(file, 'file-token-0123456789abcdef\n');
  ({ gw, admin } = await adminGateway({
    prefix,
    env: { TURNPIKE_DATABASE: 'sqlite', TURNPIKE_ADMIN_TOKEN_FILE: file },
  }));
  assert.equal((await admin.get('/services', { token: 'file-token-0123456789abcdef' })).status, 200);
  assert.equal(
    (await admin.get('/services', { token: 'my-own-long-secret-token' })).status,
    200,
    'the stored token survived the restart',
  );
  assert.equal((await admin.get('/services', { token: null })).status, 401);
});
