// The management commands against a real node in database mode with its Admin API: diff and
// apply of a declarative file (the change reaching the proxy), get in every format, dump,
// delete, exit codes, tokens (none, wrong, read-only, from a file), an apply refused midway,
// and an unreachable Admin API.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { runCli, sleep, tmpDir } from '../helpers/gateway.js';
import { upstream } from '../helpers/scope.js';
import { adminGateway } from '../helpers/admin.js';
import { leaf, makeCa } from '../helpers/certs.js';

const dir = tmpDir('turnpike-cli-admin-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'cli-admin-test-bootstrap-token-0123456789';

const fileV1 = (a: number) => `_format_version: "3.0"
services:
  - name: users
    url: http://127.0.0.1:${a}
    routes:
      - name: users-api
        paths: [/users]
  - name: orders
    url: http://127.0.0.1:${a}
    routes:
      - name: orders-api
        paths: [/orders]
        plugins:
          - name: key-auth
upstreams:
  - name: pool
    targets: [{ target: "127.0.0.1:${a}" }]
consumers:
  - username: alice
    keyauth_credentials: [{ key: alice-secret-key }]
    acls: [{ group: admins }]
`;

// users moves to upstream B, orders (with its route and plugin) goes, a target is added.
const fileV2 = (a: number, b: number) => `_format_version: "3.0"
services:
  - name: users
    url: http://127.0.0.1:${b}
    routes:
      - name: users-api
        paths: [/users]
upstreams:
  - name: pool
    targets: [{ target: "127.0.0.1:${a}" }, { target: "127.0.0.1:${b}", weight: 50 }]
consumers:
  - username: alice
    keyauth_credentials: [{ key: alice-secret-key }]
    acls: [{ group: admins }]
`;

/** Polls the proxy until `path` answers `status` (and, when given, a body from upstream `from`). */
async function proxied(
  proxy: string,
  urlPath: string,
  status: number,
  from?: string,
  headers: Record<string, string> = {},
): Promise<void> {
  const start = Date.now();
  let last = '';
  while (Date.now() - start < 8000) {
    try {
      const res = await fetch(proxy + urlPath, { headers });
      const body = await res.text();
      last = `${res.status} ${body.slice(0, 200)}`;
      if (
        res.status === status &&
        (from === undefined || (JSON.parse(body) as { upstream?: string }).upstream === from)
      )
        return;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(50);
  }
  assert.fail(`${urlPath}: expected ${status}${from ? ` from ${from}` : ''}, last answer: ${last}`);
}

test('diff, apply, get, dump and delete against a running control plane', async () => {
  const a = await upstream('A');
  const b = await upstream('B');
  const { gw, admin, adminPort } = await adminGateway({
    prefix: path.join(dir, 'prefix'),
    env: { TURNPIKE_DATABASE: 'sqlite', TURNPIKE_ADMIN_TOKEN: TOKEN },
  });
  admin.token = TOKEN;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const env = { TURNPIKE_ADMIN_URL: adminUrl, TURNPIKE_ADMIN_TOKEN: TOKEN };
  const cli = (...args: string[]) => runCli(args, env);
  const proxy = `http://127.0.0.1:${gw.proxyPort}`;
  const v1 = path.join(dir, 'v1.yml');
  const v2 = path.join(dir, 'v2.yml');
  fs.writeFileSync(v1, fileV1(a.port));
  fs.writeFileSync(v2, fileV2(a.port, b.port));

  // diff against the empty database: everything to create, exit 3.
  const d0 = await cli('diff', '-f', v1);
  assert.equal(d0.code, 3, d0.stdout + d0.stderr);
  assert.match(d0.stdout, /^\+ create service 'users'$/m);
  assert.match(d0.stdout, /^\+ create plugin 'key-auth' on route 'orders-api'$/m);
  assert.match(d0.stdout, /^\+ create key-auth credential .* of consumer 'alice'$/m);
  assert.match(d0.stdout, /^10 to create, 0 to update, 0 to delete$/m);
  assert.doesNotMatch(d0.stdout, /alice-secret-key/, 'secrets are not printed');

  // apply: creates everything; the proxy serves it, key-auth included.
  const a1 = await cli('apply', '-f', v1);
  assert.equal(a1.code, 0, a1.stdout + a1.stderr);
  assert.match(a1.stdout, /applied to .*: 10 created, 0 updated, 0 deleted/);
  await proxied(proxy, '/users/x', 200, 'A');
  await proxied(proxy, '/orders/x', 401);
  await proxied(proxy, '/orders/x', 200, 'A', { apikey: 'alice-secret-key' });

  // The same file again: no differences (ids, defaults and references compare equal).
  const d1 = await cli('diff', '-f', v1);
  assert.equal(d1.code, 0, d1.stdout + d1.stderr);
  assert.match(d1.stdout, /no differences/);
  assert.match(d1.stdout, /^0 to create, 0 to update, 0 to delete$/m);
  const again = await cli('apply', '-f', v1);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /nothing to apply/);

  // get: tables with the useful columns, references by name; JSON and YAML are the raw entities.
  const services = await cli('get', 'services');
  assert.equal(services.code, 0, services.stderr);
  assert.match(services.stdout, /^NAME\s+HOST\s+PORT\s+PROTOCOL\s+PATH\s+TAGS\s+ID$/m);
  assert.match(services.stdout, new RegExp(`^users\\s+127\\.0\\.0\\.1\\s+${a.port}\\s+http\\s`, 'm'));
  const routes = await cli('get', 'routes');
  assert.match(routes.stdout, /^orders-api\s+\/orders\s+-\s+-\s+orders\s/m);
  const json = await cli('get', 'service', 'users', '-o', 'json');
  assert.equal(json.code, 0);
  const users = JSON.parse(json.stdout);
  assert.equal(users.name, 'users');
  assert.equal(users.port, a.port);
  const yamlList = parse((await cli('get', 'routes', '-o', 'yaml')).stdout) as { name: string }[];
  assert.deepEqual(yamlList.map((r) => r.name).sort(), ['orders-api', 'users-api']);
  const targets = await cli('get', 'targets', '--upstream', 'pool');
  assert.match(targets.stdout, new RegExp(`^127\\.0\\.0\\.1:${a.port}\\s+100\\s`, 'm'));
  const keys = await cli('get', 'key-auth', '--consumer', 'alice');
  assert.match(keys.stdout, /^alice-secret-key\s+alice\s/m);
  const acls = await cli('get', 'acls');
  assert.match(acls.stdout, /^admins\s+alice\s/m, 'credentials of every consumer, with their consumer');
  const plugins = await cli('get', 'plugins', '--route', 'orders-api');
  assert.match(plugins.stdout, /^key-auth\s+-\s+true\s+-\s+orders-api\s+-\s/m);
  const page = await cli('get', 'routes', '--size', '1');
  assert.equal(page.code, 0);
  assert.equal(page.stdout.trim().split('\n').length, 2, 'header and one route');
  assert.match(page.stderr, /more routes follow: add --offset \S+/);
  const missing = await cli('get', 'service', 'nope');
  assert.equal(missing.code, 4);
  assert.match(missing.stderr, /service 'nope' not found at http:\/\/127\.0\.0\.1:\d+\/services/);

  // diff to v2: the changed fields, the deletes children first; apply; the proxy follows.
  const d2 = await cli('diff', '-f', v2);
  assert.equal(d2.code, 3, d2.stdout + d2.stderr);
  assert.match(d2.stdout, new RegExp(`^~ update service 'users'\\n    port: ${a.port} → ${b.port}$`, 'm'));
  assert.match(d2.stdout, /^\+ create target '127\.0\.0\.1:\d+' of upstream 'pool'$/m);
  const deletes = d2.stdout.split('\n').filter((l) => l.startsWith('- '));
  assert.deepEqual(deletes, [
    "- delete plugin 'key-auth' on route 'orders-api'",
    "- delete route 'orders-api'",
    "- delete service 'orders'",
  ]);
  assert.match(d2.stdout, /^1 to create, 1 to update, 3 to delete$/m);
  const dj = await cli('diff', '-f', v2, '-o', 'json');
  assert.equal(dj.code, 3);
  assert.deepEqual(JSON.parse(dj.stdout).summary, { create: 1, update: 1, delete: 3 });
  const a2 = await cli('apply', '-f', v2);
  assert.equal(a2.code, 0, a2.stdout + a2.stderr);
  assert.match(a2.stdout, /1 created, 1 updated, 3 deleted/);
  await proxied(proxy, '/users/x', 200, 'B');
  await proxied(proxy, '/orders/x', 404);
  const d3 = await cli('diff', '-f', v2);
  assert.equal(d3.code, 0, d3.stdout);
  // --dry-run changes nothing.
  const dry = await cli('apply', '-f', v1, '--dry-run');
  assert.equal(dry.code, 3);
  assert.match(dry.stdout, /^~ update service 'users'$/m);
  assert.equal((await cli('diff', '-f', v2)).code, 0, 'the dry run changed nothing');

  // dump: YAML (the file format: diff of a dump is clean), JSON, to a file.
  const dump = await cli('dump');
  assert.equal(dump.code, 0, dump.stderr);
  const dumped = parse(dump.stdout) as { _format_version: string; services: { name: string }[] };
  assert.equal(dumped._format_version, '3.0');
  assert.deepEqual(
    dumped.services.map((s) => s.name),
    ['users'],
  );
  assert.deepEqual(
    (JSON.parse((await cli('dump', '-o', 'json')).stdout) as typeof dumped).services.map((s) => s.name),
    ['users'],
  );
  const dumpFile = path.join(dir, 'dump.yml');
  assert.equal((await cli('dump', '-f', dumpFile)).code, 0);
  const dd = await cli('diff', '-f', dumpFile);
  assert.equal(dd.code, 0, dd.stdout + dd.stderr);
  const exists = await cli('dump', '-f', dumpFile);
  assert.equal(exists.code, 1);
  assert.match(exists.stderr, /already exists.*--force/);
  assert.equal((await cli('dump', '-f', dumpFile, '--force')).code, 0);

  // delete: exit 4 for what is not there (0 with --ignore-not-found); then diff sees it.
  const del = await cli('delete', 'route', 'users-api');
  assert.equal(del.code, 0, del.stderr);
  assert.match(del.stdout, /^deleted route 'users-api' \([0-9a-f-]{36}\)$/m);
  assert.equal((await admin.get('/routes/users-api')).status, 404);
  await proxied(proxy, '/users/x', 404);
  const delAgain = await cli('delete', 'route', 'users-api');
  assert.equal(delAgain.code, 4);
  assert.match(delAgain.stderr, /route 'users-api' not found/);
  assert.equal((await cli('delete', 'route', 'users-api', '--ignore-not-found')).code, 0);
  const noUpstream = await cli('delete', 'upstream', 'nope');
  assert.equal(noUpstream.code, 4);
  const d4 = await cli('diff', '-f', v2);
  assert.equal(d4.code, 3);
  assert.match(d4.stdout, /^\+ create route 'users-api'$/m);
  assert.equal((await cli('delete', 'acls', 'admins', '--consumer', 'alice')).code, 0);
  assert.equal((await admin.get('/consumers/alice/acls')).body.data.length, 0);

  // An apply the server refuses midway: it stops there, says which change and why, and
  // leaves the changes after it undone.
  const other = await admin.post('/services', { name: 'dup', host: 'dup.internal' });
  assert.equal(other.status, 201);
  const v3 = path.join(dir, 'v3.yml');
  fs.writeFileSync(
    v3,
    `${fileV2(a.port, b.port).replace('services:\n', 'services:\n  - { id: 0b4f5f0c-3c5e-4c1a-9a57-6a1a3c1f1c77, name: dup, host: dup2.internal }\n')}`,
  );
  const bad = await cli('apply', '-f', v3);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(
    bad.stderr,
    /change \d+ of \d+ failed \(\+ create service 'dup'\): PUT \/services\/0b4f5f0c-3c5e-4c1a-9a57-6a1a3c1f1c77: 409 /,
  );
  assert.match(bad.stderr, /fix the cause and run apply again/);
  assert.doesNotMatch(bad.stderr, /^\s+at /m);
  assert.equal((await admin.get('/services/dup')).body.id, other.body.id, 'the delete after the failure was not made');

  // Tokens: none, wrong, read-only (reads yes, writes 403), from a file.
  const noToken = await runCli(['get', 'services'], { TURNPIKE_ADMIN_URL: adminUrl, TURNPIKE_ADMIN_TOKEN: '' });
  assert.equal(noToken.code, 1);
  assert.match(noToken.stderr, /401 Unauthorized.*set --token, --token-file or TURNPIKE_ADMIN_TOKEN/);
  assert.ok(noToken.stderr.includes(adminUrl));
  const wrong = await runCli(['get', 'services', '--token', 'wrong-token'], { TURNPIKE_ADMIN_URL: adminUrl });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /token was not accepted/);
  const ro = await admin.post('/rbac/tokens', { name: 'viewer', role: 'read-only' });
  assert.equal(ro.status, 201);
  const tokenFile = path.join(dir, 'ro.token');
  fs.writeFileSync(tokenFile, `${ro.body.token as string}\n`);
  const roEnv = { TURNPIKE_ADMIN_URL: adminUrl, TURNPIKE_ADMIN_TOKEN: '' };
  assert.equal((await runCli(['get', 'services', '--token-file', tokenFile], roEnv)).code, 0);
  const roApply = await runCli(['apply', '-f', v2, '--token-file', tokenFile], roEnv);
  assert.equal(roApply.code, 1);
  assert.match(roApply.stderr, /403 Forbidden to PUT .*read-only.*use a token with write access/);

  // Nothing listening.
  const down = await runCli(['dump', '--admin-url', 'http://127.0.0.1:9'], {});
  assert.equal(down.code, 1);
  assert.match(
    down.stderr,
    /cannot reach the Admin API at http:\/\/127\.0\.0\.1:9 .*--admin-url or TURNPIKE_ADMIN_URL/,
  );

  // An invalid file: the loader's errors with lines, nothing changed.
  const broken = path.join(dir, 'broken.yml');
  fs.writeFileSync(broken, '_format_version: "3.0"\nservices:\n  - name: x\n    hots: a\n');
  const inv = await cli('apply', '-f', broken);
  assert.equal(inv.code, 1);
  assert.match(inv.stderr, /broken\.yml:4:\d+/);
  assert.match(inv.stderr, /nothing was compared or changed/);
});

test('apply and diff with certificates, snis, ca_certificates, every credential kind and scoped plugins: idempotent', async () => {
  const ca = await makeCa('CLI Test CA');
  const site = await leaf(ca, 'api.example.test');
  const pem = (s: string) =>
    `|\n${s
      .trim()
      .split('\n')
      .map((l) => `      ${l}`)
      .join('\n')}`;
  const file = (sni: string, jwtAlgorithm: string) => `_format_version: "3.0"
certificates:
  - cert: ${pem(site.cert)}
    key: ${pem(site.key)}
    snis: [${sni}]
ca_certificates:
  - id: 2f0e8a4e-6d0c-4b8f-9a31-5c1d2e3f4a5b
    cert: ${pem(ca.cert)}
services:
  - name: secure
    url: https://api.example.test:8443
    tls_verify: true
    ca_certificates: [2f0e8a4e-6d0c-4b8f-9a31-5c1d2e3f4a5b]
    routes: [{ name: secure-api, paths: [/secure] }]
consumers:
  - username: bob
    basicauth_credentials: [{ username: bob, password: bob-password }]
    hmacauth_credentials: [{ username: bob-hmac, secret: bob-hmac-secret }]
    jwt_secrets: [{ key: bob-issuer, algorithm: ${jwtAlgorithm}, secret: bob-jwt-secret-0123456789abcdef }]
    oauth2_credentials: [{ name: bob-app, client_id: bob-client, client_secret: bob-client-secret, redirect_uris: [https://app.example.test/cb] }]
    acls: [{ group: readers }]
    plugins:
      - name: rate-limiting
        config: { minute: 10, policy: local }
  - custom_id: carol-42
plugins:
  - name: correlation-id
`;
  const { adminPort, admin } = await adminGateway({
    prefix: path.join(dir, 'prefix2'),
    env: { TURNPIKE_DATABASE: 'sqlite' },
  });
  const env = { TURNPIKE_ADMIN_URL: `http://127.0.0.1:${adminPort}`, TURNPIKE_ADMIN_TOKEN: '' };
  const cli = (...args: string[]) => runCli(args, env);
  const f1 = path.join(dir, 'tls1.yml');
  fs.writeFileSync(f1, file('api.example.test', 'HS256'));
  const v = await runCli(['validate', f1]);
  assert.equal(v.code, 0, v.stdout + v.stderr);

  const ap = await cli('apply', '-f', f1);
  assert.equal(ap.code, 0, ap.stdout + ap.stderr);
  for (const line of [
    /^\+ create certificate [0-9a-f-]{36}$/m,
    /^\+ create ca_certificate [0-9a-f-]{36}$/m,
    /^\+ create sni 'api\.example\.test'$/m,
    /^\+ create basic-auth credential 'bob' of consumer 'bob'$/m,
    /^\+ create hmac-auth credential 'bob-hmac' of consumer 'bob'$/m,
    /^\+ create jwt secret [0-9a-f-]{36} of consumer 'bob'$/m,
    /^\+ create oauth2 credential [0-9a-f-]{36} of consumer 'bob'$/m,
    /^\+ create acl 'readers' of consumer 'bob'$/m,
    /^\+ create plugin 'rate-limiting' on consumer 'bob'$/m,
    /^\+ create global plugin 'correlation-id'$/m,
    /^\+ create consumer 'carol-42'$/m,
  ]) {
    assert.match(ap.stdout, line);
  }
  assert.doesNotMatch(ap.stdout, /bob-password|bob-hmac-secret|bob-jwt-secret|bob-client-secret|PRIVATE KEY/);
  const again = await cli('diff', '-f', f1);
  assert.equal(again.code, 0, `applied, the same file has no differences:\n${again.stdout}${again.stderr}`);
  assert.equal((await admin.get('/snis/api.example.test')).status, 200);
  const certs = await cli('get', 'certificates');
  assert.match(certs.stdout, /^[0-9a-f-]{36}\s+api\.example\.test\s+\d{4}-\d\d-\d\d\s/m);
  const jwts = await cli('get', 'jwt', '--consumer', 'bob', '-o', 'json');
  assert.equal(JSON.parse(jwts.stdout)[0].algorithm, 'HS256');

  // A changed sni and jwt algorithm: updates (the sni is a new name, so create + delete).
  const f2 = path.join(dir, 'tls2.yml');
  fs.writeFileSync(f2, file('www.example.test', 'HS512'));
  const d = await cli('diff', '-f', f2);
  assert.equal(d.code, 3, d.stdout + d.stderr);
  assert.match(d.stdout, /^~ update jwt secret [0-9a-f-]{36} of consumer 'bob'\n {4}algorithm: "HS256" → "HS512"$/m);
  assert.match(d.stdout, /^\+ create sni 'www\.example\.test'$/m);
  assert.match(d.stdout, /^- delete sni 'api\.example\.test'$/m);
  assert.match(d.stdout, /^1 to create, 1 to update, 1 to delete$/m);
  assert.equal((await cli('apply', '-f', f2)).code, 0);
  assert.equal((await cli('diff', '-f', f2)).code, 0);
  assert.equal((await admin.get('/snis/www.example.test')).status, 200);
  assert.equal((await admin.get('/snis/api.example.test')).status, 404);

  // Everything removed by an empty file, children first (the server would refuse otherwise).
  const empty = path.join(dir, 'empty.yml');
  fs.writeFileSync(empty, '_format_version: "3.0"\n');
  const wipe = await cli('apply', '-f', empty);
  assert.equal(wipe.code, 0, wipe.stdout + wipe.stderr);
  const dumped = parse((await cli('dump')).stdout) as Record<string, unknown>;
  assert.deepEqual(
    Object.keys(dumped).filter((k) => !k.startsWith('_')),
    [],
    'nothing left',
  );
});

test('a DB-less node: diff works, apply replaces the whole configuration through POST /config', async () => {
  const a = await upstream('A');
  const b = await upstream('B');
  const first = `_format_version: "3.0"
services:
  - name: users
    url: http://127.0.0.1:${a.port}
    routes: [{ name: users-api, paths: [/users] }]
`;
  const { gw, adminPort } = await adminGateway({ config: first });
  const env = { TURNPIKE_ADMIN_URL: `http://127.0.0.1:${adminPort}`, TURNPIKE_ADMIN_TOKEN: '' };
  const cli = (...args: string[]) => runCli(args, env);
  const proxy = `http://127.0.0.1:${gw.proxyPort}`;
  await proxied(proxy, '/users/x', 200, 'A');
  const next = path.join(dir, 'dbless-next.yml');
  fs.writeFileSync(next, first.replace(`${a.port}`, `${b.port}`).replace('[/users]', '[/users, /people]'));
  const d = await cli('diff', '-f', next);
  assert.equal(d.code, 3, d.stdout + d.stderr);
  assert.match(d.stdout, /^~ update service 'users'\n {4}port: \d+ → \d+$/m);
  assert.match(d.stdout, /^0 to create, 2 to update, 0 to delete$/m);
  const ap = await cli('apply', '-f', next);
  assert.equal(ap.code, 0, ap.stdout + ap.stderr);
  assert.match(
    ap.stdout,
    /a DB-less node: the file replaced its whole configuration through POST \/config\): 0 created, 2 updated, 0 deleted/,
  );
  assert.match(ap.stderr, /the file the node was started with is unchanged/);
  await proxied(proxy, '/people/x', 200, 'B');
  const after = await cli('diff', '-f', next);
  assert.equal(after.code, 0, after.stdout + after.stderr);
  assert.match((await cli('get', 'routes')).stdout, /^users-api\s+\/users,\/people\s/m);
  // One entity cannot be deleted on a DB-less node: the server's 405 says what to do.
  const del = await cli('delete', 'route', 'users-api');
  assert.equal(del.code, 1);
  assert.match(del.stderr, /405 .*DB-less/);
});
