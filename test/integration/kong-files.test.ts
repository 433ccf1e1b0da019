// Kong and decK files served by a real gateway: credentials and ACL groups at the top level,
// a db_export file (nulls, timestamps, parameters, hashed basic-auth passwords), a decK dump
// through the Admin API's POST /config, an expired certificate (served, with a warning logged
// at start and at reload), and the same files through db_import/db_export and apply/diff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { freePort, ROOT, runCli, sleep, tmpDir } from '../helpers/gateway.js';
import { gateway, upstream } from '../helpers/scope.js';
import { adminGateway } from '../helpers/admin.js';
import { get, reached, type Seen } from '../helpers/fetch.js';
import { parseDeclarative } from '../../src/config/load.js';
import { bundledRegistry } from '../../src/plugins/registry.js';
import type { Config } from '../../src/config/types.js';

const fixture = (name: string) => path.join(ROOT, 'test', 'fixtures', 'kong-files', name);
/** A fixture with its placeholder upstream (127.0.0.1:19999) pointed at a test upstream. */
const served = (name: string, port: number) =>
  fs.readFileSync(fixture(name), 'utf8').replaceAll('127.0.0.1:19999', `127.0.0.1:${port}`);
const dir = tmpDir('turnpike-kong-files-');
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

test('credentials and ACL groups at the top level authenticate and authorize like nested ones', async () => {
  const up = await upstream('U');
  const gw = await gateway({ config: served('top-level-credentials.yml', up.port) });

  // Each key: by username, by id, by { id }, and a nested one; the upstream learns the consumer.
  for (const [key, user] of [
    ['erin-key', 'erin'],
    ['erin-second-key', 'erin'],
    ['erin-third-key', 'erin'],
    ['frank-key', 'frank'],
    ['grace-key', 'grace'],
  ]) {
    const r = await get(gw.url + '/keyed', { apikey: key! });
    assert.equal(r.status, 200, key);
    assert.equal((r.json as Seen).headers['x-consumer-username'], user);
  }
  const wrong = await get(gw.url + '/keyed', { apikey: 'nobody-key' });
  assert.equal(wrong.status, 401);
  assert.deepEqual(wrong.json, { message: 'Unauthorized' });

  // acl allow [staff]: erin's group is a top-level acl, grace's too (her key is nested); frank has none.
  const erin = await get(gw.url + '/staff', { apikey: 'erin-key' });
  assert.equal(erin.status, 200);
  assert.equal((erin.json as Seen).headers['x-consumer-groups'], 'staff');
  assert.equal((await get(gw.url + '/staff', { apikey: 'grace-key' })).status, 200);
  const frank = await get(gw.url + '/staff', { apikey: 'frank-key' });
  assert.equal(frank.status, 403);
  assert.deepEqual(frank.json, { message: 'You cannot consume this service' });
  assert.equal(reached(up, '/staff'), 2, 'only the allowed requests reach the upstream');
});

test('a db_export file is served as exported; a decK dump replaces it through POST /config', async () => {
  const up = await upstream('U');
  const { gw, admin } = await adminGateway({ config: served('db-export.yml', up.port) });

  // key-auth on the service, acl on one route, basic-auth with Kong's stored digest (_transform: false).
  assert.equal((await get(gw.url + '/public')).status, 401);
  const pub = await get(gw.url + '/public', { apikey: 'bob-secret-key' });
  assert.equal(pub.status, 200);
  assert.equal((pub.json as Seen).headers['x-consumer-custom-id'], 'bob-0042');
  assert.equal((await get(gw.url + '/admin', { apikey: 'alice-secret-key' })).status, 200);
  assert.equal((await get(gw.url + '/admin', { apikey: 'bob-secret-key' })).status, 403);
  const b = await get(gw.url + '/basic', basic('alice', 'alice-password'));
  assert.equal(b.status, 200);
  assert.equal((b.json as Seen).headers['x-consumer-username'], 'alice');
  assert.equal(
    (await get(gw.url + '/basic', basic('alice', '353123dd21c61435898fc5798087b814398ba0e5'))).status,
    401,
    'the digest is not a password',
  );
  // The Admin API shows the top-level credentials under their consumer, and the ids of the file.
  const keys = await admin.get('/consumers/alice/key-auth');
  assert.equal(keys.status, 200);
  assert.deepEqual(
    keys.body.data.map((k: { id: string }) => k.id),
    ['1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8b'],
  );

  // POST /config takes the same loader: the decK dump (nested form, _info, _workspace) is served.
  const posted = await admin.post('/config', served('deck-dump.yaml', up.port));
  assert.equal(posted.status, 201, JSON.stringify(posted.body));
  assert.equal(
    (await get(gw.url + '/public', { apikey: 'bob-secret-key' })).status,
    404,
    'the db_export configuration is gone',
  );
  assert.equal((await get(gw.url + '/orders', { apikey: 'dave-key' })).status, 200);
  assert.equal((await get(gw.url + '/gold', { apikey: 'carol-key' })).status, 200);
  assert.equal((await get(gw.url + '/gold', { apikey: 'dave-key' })).status, 403);
  assert.deepEqual((await admin.get('/services/orders')).body.tags, ['team-a']);
  assert.equal('warnings' in posted.body, false);
  // A file that loads with a warning: applied, and the warning comes back with Kong's reply.
  const expired = await admin.post('/config', served('expired-certificate.yml', up.port));
  assert.equal(expired.status, 201, JSON.stringify(expired.body));
  assert.equal(expired.body.warnings.length, 1);
  assert.match(
    expired.body.warnings[0],
    /^POST \/config:\d+:\d+: certificate \(certificates\[0\]\): field 'cert': warning: certificate 2a4c6e80-1b3d-4f57-9a8c-0e2f4a6c8e0a \(snis: legacy\.example\.test\) expired on 2021-01-01/,
  );
  // And a refused file says why, at its line, as `turnpike validate` does.
  const refused = await admin.post('/config', '_format_version: "3.0"\nconsumer_groups:\n  - name: gold\n');
  assert.equal(refused.status, 400);
  assert.match(
    refused.body.message,
    /POST \/config:2:1: field 'consumer_groups': 'consumer_groups' are a Kong Enterprise feature that Turnpike does not have/,
  );
});

test('an expired certificate is served with a warning logged at start and at each reload', async () => {
  const up = await upstream('U');
  const tlsPort = await freePort();
  const config = served('expired-certificate.yml', up.port);
  const gw = await gateway({ config, extraListen: `127.0.0.1:${tlsPort} ssl` });
  const warning =
    /certificate 2a4c6e80-1b3d-4f57-9a8c-0e2f4a6c8e0a \(snis: legacy\.example\.test\) expired on 2021-01-01T00:00:00\.000Z/;
  const logged = () => (gw.stdout + gw.stderr).split('\n').filter((l) => warning.test(l));
  assert.equal(logged().length, 1, gw.stdout + gw.stderr);
  assert.match(logged()[0]!, /"trigger":"start"/);
  assert.match(logged()[0]!, /"level":40/, 'logged as a warning');

  // The handshake for its SNI presents it, as Kong would.
  const validTo = await new Promise<string>((resolve, reject) => {
    const s = tls.connect(
      { host: '127.0.0.1', port: tlsPort, servername: 'legacy.example.test', rejectUnauthorized: false },
      () => {
        resolve(s.getPeerCertificate().valid_to);
        s.end();
      },
    );
    s.on('error', reject);
  });
  assert.equal(validTo, 'Jan  1 00:00:00 2021 GMT');

  gw.writeConfig(config.replace('name: legacy\n  url', 'name: legacy-renamed\n  url'));
  const end = Date.now() + 5000;
  while (logged().length < 2 && Date.now() < end) await sleep(50);
  assert.equal(logged().length, 2, gw.stdout + gw.stderr);
  assert.match(logged()[1]!, /"trigger":"file change"/);
});

test('db_import then db_export of a db_export file and of top-level credentials; the export loads back the same', async () => {
  // Each into a database of its own (both fixtures name their service 'echo', with other ids).
  const exported = async (name: string) => {
    const env = { TURNPIKE_DATABASE: 'sqlite', TURNPIKE_PREFIX: path.join(dir, `import-${name}`) };
    const imp = await runCli(['config', 'db_import', fixture(name)], env);
    assert.equal(imp.code, 0, imp.stdout + imp.stderr);
    const exp = await runCli(['config', 'db_export', '-'], env);
    assert.equal(exp.code, 0, exp.stderr);
    const back = parseDeclarative(exp.stdout, 'export', bundledRegistry());
    assert.ok(back.ok, JSON.stringify(!back.ok && back.errors));
    return { text: exp.stdout, config: back.config };
  };
  const values = (c: Config, username: string, kind: string) =>
    ((c.consumers.find((x) => x.username === username)!.credentials ?? {})[kind] ?? []).map((k) => {
      const o = k as Record<string, unknown>;
      return o.key ?? o.group;
    });
  const top = await exported('top-level-credentials.yml');
  assert.deepEqual(values(top.config, 'erin', 'keyauth_credentials').sort(), [
    'erin-key',
    'erin-second-key',
    'erin-third-key',
  ]);
  assert.deepEqual(values(top.config, 'erin', 'acls'), ['staff']);
  assert.deepEqual(values(top.config, 'grace', 'keyauth_credentials'), ['grace-key']);
  assert.deepEqual(values(top.config, 'grace', 'acls'), ['staff']);
  assert.deepEqual(values(top.config, 'frank', 'acls'), []);

  const dbx = await exported('db-export.yml');
  assert.deepEqual(values(dbx.config, 'alice', 'acls'), ['admins']);
  const alice = dbx.config.consumers.find((c) => c.username === 'alice')!;
  assert.equal(alice.id, '3f5a1c2e-8b4d-4e6f-9a0b-1c2d3e4f5a6b', 'ids from the db_export file are kept');
  const pw = (alice.credentials!.basicauth_credentials![0] as Record<string, unknown>).password;
  assert.equal(pw, '353123dd21c61435898fc5798087b814398ba0e5', 'the digest is kept as is (_transform: false)');
  assert.equal(dbx.config._transform, false);

  // Into a second database and out again: the same file.
  const env2 = { TURNPIKE_DATABASE: 'sqlite', TURNPIKE_PREFIX: path.join(dir, 'import-second') };
  const file1 = path.join(dir, 'export1.yml');
  fs.writeFileSync(file1, dbx.text);
  assert.equal((await runCli(['config', 'db_import', file1], env2)).code, 0);
  const exp2 = await runCli(['config', 'db_export', '-'], env2);
  const body = (t: string) => t.replace(/^# exported by .*\n/, '');
  assert.equal(body(exp2.stdout), body(dbx.text));
});

test('apply then diff: a db_export file and a decK dump with select_tags leave no differences', async () => {
  const up = await upstream('U');
  const { gw, adminPort } = await adminGateway({
    prefix: path.join(dir, 'apply-prefix'),
    env: { TURNPIKE_DATABASE: 'sqlite' },
  });
  const env = { TURNPIKE_ADMIN_URL: `http://127.0.0.1:${adminPort}` };
  const files = { export: path.join(dir, 'db-export.yml'), deck: path.join(dir, 'deck-dump.yaml') };
  fs.writeFileSync(files.export, served('db-export.yml', up.port));
  fs.writeFileSync(files.deck, served('deck-dump.yaml', up.port));

  const a1 = await runCli(['apply', '-f', files.export], env);
  assert.equal(a1.code, 0, a1.stdout + a1.stderr);
  const d1 = await runCli(['diff', '-f', files.export], env);
  assert.equal(d1.code, 0, d1.stdout + d1.stderr);
  assert.match(d1.stdout, /no differences/);
  const until = Date.now() + 5000;
  while ((await get(gw.url + '/admin', { apikey: 'alice-secret-key' })).status !== 200 && Date.now() < until)
    await sleep(50);
  assert.equal((await get(gw.url + '/admin', { apikey: 'alice-secret-key' })).status, 200);

  // The decK dump is scoped by its select tag: applying it adds its entities and deletes none of the others.
  const a2 = await runCli(['apply', '-f', files.deck], env);
  assert.equal(a2.code, 0, a2.stdout + a2.stderr);
  assert.match(a2.stdout, /created, 0 updated, 0 deleted/);
  for (const f of [files.deck, files.export]) {
    const d = await runCli(['diff', '-f', f], env);
    if (f === files.deck) assert.equal(d.code, 0, d.stdout + d.stderr);
    // The whole-configuration file now sees the decK dump's entities as extra.
    else assert.match(d.stdout, /- delete service 'orders'/);
  }
});
