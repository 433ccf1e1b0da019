// `turnpike config db_import` / `db_export` and `turnpike migrations`: a rich kong.yml goes
// into the database, comes out as YAML, goes into a second database, and nothing is lost.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, tmpDir } from '../../helpers/gateway.js';
import { leaf, makeCa } from '../../helpers/certs.js';
import { dropSchema, pgAvailable, pgEnv, uniqueSchema } from '../../helpers/pg.js';
import { parseDeclarative } from '../../../src/config/load.js';
import { bundledRegistry } from '../../../src/plugins/registry.js';
import type { Config } from '../../../src/config/types.js';
import { validateEntity } from '../../../src/control/store/validate.js';
import type { Kind } from '../../../src/control/store/entities.js';

const dir = tmpDir('turnpike-import-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
// Asked before any test is registered: the tests below must all be known when the file's
// tests start, or its after() hooks run too early.
const pgUp = await pgAvailable();
const schema = uniqueSchema('tp_import');
if (pgUp)
  after(async () => {
    await dropSchema(schema);
    await dropSchema(`${schema}_2`);
  });

const indent = (pem: string, n: number) =>
  pem
    .trim()
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');

async function richFile(): Promise<string> {
  const ca = await makeCa();
  const server = await leaf(ca, 'api.example.com');
  const client = await leaf(ca, 'gateway.client', 'clientAuth');
  const caId = '11111111-2222-4333-8444-555555555555';
  return [
    '_format_version: "3.0"',
    '_transform: true',
    'ca_certificates:',
    `  - id: ${caId}`,
    '    tags: [pki]',
    '    cert: |',
    indent(ca.cert, 6),
    'certificates:',
    '  - cert: |',
    indent(server.cert, 6),
    '    key: |',
    indent(server.key, 6),
    '    snis: [api.example.com, "*.api.example.com"]',
    '  - id: 22222222-3333-4444-8555-666666666666',
    '    cert: |',
    indent(client.cert, 6),
    '    key: |',
    indent(client.key, 6),
    'services:',
    '  - name: users-api',
    '    url: http://users.internal:8080/v1',
    '    retries: 3',
    '    tags: [team-a, public]',
    '    routes:',
    '      - name: users-list',
    '        paths: [/users]',
    '        methods: [GET, POST]',
    '        strip_path: false',
    '        plugins:',
    '          - name: rate-limiting',
    '            config: { minute: 100, policy: local }',
    '      - name: user-by-id',
    '        paths: ["~/users/(?<id>\\\\d+)$"]',
    '        headers: { x-region: [eu] }',
    '    plugins:',
    '      - name: key-auth',
    '        config: { key_names: [apikey] }',
    '  - name: secure-api',
    '    url: https://secure.internal:8443',
    '    tls_verify: true',
    `    ca_certificates: [${caId}]`,
    '    client_certificate: 22222222-3333-4444-8555-666666666666',
    '    routes:',
    '      - name: secure',
    '        hosts: [api.example.com]',
    '        protocols: [https]',
    'routes:',
    '  - name: top-level',
    '    service: users-api',
    '    paths: [/top]',
    'upstreams:',
    '  - name: orders.upstream',
    '    algorithm: least-connections',
    '    healthchecks:',
    '      active: { http_path: /healthz, healthy: { interval: 5, successes: 2 } }',
    '      threshold: 25',
    '    targets:',
    '      - target: 10.0.1.11:8080',
    '      - target: orders-canary.internal',
    '        weight: 5',
    '  - name: sessions.upstream',
    '    algorithm: consistent-hashing',
    '    hash_on: header',
    '    hash_on_header: X-Session-Id',
    'targets:',
    '  - target: "[fd00::10]:9000"',
    '    upstream: sessions.upstream',
    'consumers:',
    '  - username: mobile-app',
    '    custom_id: app-0001',
    '    tags: [mobile]',
    '    keyauth_credentials:',
    '      - key: 9c1f2b2a0f6e4d1f8d1b0b6d6e1b4c2a',
    '    basicauth_credentials:',
    '      - username: mobile',
    '        password: s3cret',
    '    jwt_secrets:',
    '      - key: mobile-iss',
    '        secret: jwt-secret',
    '    hmacauth_credentials:',
    '      - username: mobile-hmac',
    '        secret: hmac-secret',
    '    acls:',
    '      - group: apps',
    '    plugins:',
    '      - name: rate-limiting',
    '        config: { minute: 5 }',
    '  - username: partner',
    '    acls:',
    '      - group: partners',
    '      - group: apps',
    'plugins:',
    '  - name: correlation-id',
    '    config: { header_name: X-Request-Id }',
    '  - name: cors',
    '    service: users-api',
    '    tags: [edge]',
    '',
  ].join('\n');
}

function load(text: string): Config {
  const r = parseDeclarative(text, 'kong.yml', bundledRegistry());
  if (!r.ok) assert.fail(r.errors.map((e) => `${e.line}:${e.column} ${e.path} ${e.message}`).join('\n'));
  return r.config;
}

/**
 * A Config in a stable order; credentials without the ids the store gave them, and with their
 * schema's defaults filled in (the store keeps them normalized, as every other entity).
 */
function comparable(c: Config): unknown {
  const byId = <T extends { id: string }>(l: readonly T[] | undefined) =>
    [...(l ?? [])].sort((a, b) => a.id.localeCompare(b.id));
  const consumers = byId(c.consumers).map((x) => {
    const creds: Record<string, unknown[]> = {};
    for (const [k, list] of Object.entries(x.credentials ?? {})) {
      creds[k] = list
        .map((cred) => {
          const e: Record<string, unknown> = {
            ...cred,
            id: '00000000-0000-4000-8000-000000000000',
            consumer: { id: x.id },
          };
          validateEntity(k as Kind, e);
          return Object.fromEntries(Object.entries(e).filter(([f]) => f !== 'id' && f !== 'consumer'));
        })
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    }
    return { ...x, credentials: creds };
  });
  return {
    services: byId(c.services),
    routes: byId(c.routes),
    upstreams: byId(c.upstreams),
    targets: byId(c.targets),
    consumers,
    plugins: byId(c.plugins),
    certificates: byId(c.certificates),
    snis: byId(c.snis),
    ca_certificates: byId(c.ca_certificates),
  };
}

async function roundTrip(env: Record<string, string>, label: string): Promise<void> {
  const src = path.join(dir, `${label}-kong.yml`);
  fs.writeFileSync(src, await richFile());
  const original = load(fs.readFileSync(src, 'utf8'));

  const status0 = await runCli(['migrations', 'status'], env);
  assert.equal(status0.code, 3, `pending migrations: exit 3\n${status0.stdout}${status0.stderr}`);
  assert.match(status0.stdout, /pending\s+001_entities/);
  const up = await runCli(['migrations', 'up'], env);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stdout, /ran 001_entities/);
  const status1 = await runCli(['migrations', 'status'], env);
  assert.equal(status1.code, 0, status1.stderr);
  assert.match(status1.stdout, /executed\s+001_entities/);

  const imp = await runCli(['config', 'db_import', src], env);
  assert.equal(imp.code, 0, imp.stdout + imp.stderr);
  assert.match(imp.stdout, /2 services, 4 routes, 2 upstreams, 3 targets, 2 consumers/);
  const again = await runCli(['config', 'db_import', src], env);
  assert.equal(again.code, 0, 'importing the same file twice is fine (entities matched by id)\n' + again.stderr);

  const out1 = path.join(dir, `${label}-export1.yml`);
  const exp = await runCli(['config', 'db_export', out1], env);
  assert.equal(exp.code, 0, exp.stderr);
  const text1 = fs.readFileSync(out1, 'utf8');
  assert.match(text1, /^_format_version: "3\.0"$/m);
  const refused = await runCli(['config', 'db_export', out1], env);
  assert.equal(refused.code, 1, 'an existing file is not overwritten without --force');
  assert.match(refused.stderr, /already exists/);

  // The export loads, and holds exactly what the original file held.
  const exported = load(text1);
  assert.deepEqual(comparable(exported), comparable(original));

  // Into a second database and out again: the same file.
  const env2 =
    label === 'sqlite'
      ? { ...env, TURNPIKE_PREFIX: path.join(dir, `${label}-second`) }
      : { ...env, TURNPIKE_PG_SCHEMA: `${env.TURNPIKE_PG_SCHEMA}_2` };
  const imp2 = await runCli(['config', 'db_import', out1], env2);
  assert.equal(imp2.code, 0, imp2.stderr);
  const exp2 = await runCli(['config', 'db_export', '-'], env2);
  assert.equal(exp2.code, 0, exp2.stderr);
  const body = (t: string) => t.replace(/^# exported by .*\n/, '');
  assert.equal(body(exp2.stdout), body(text1), 'export → import → export gives the same file');
}

async function allOrNothing(env: Record<string, string>, label: string): Promise<void> {
  // A file the loader refuses: nothing written, every error listed with its line.
  const bad = path.join(dir, `${label}-bad.yml`);
  fs.writeFileSync(
    bad,
    '_format_version: "3.0"\nservices:\n  - name: new-one\n    host: a.internal\n  - name: broken\n    port: 99999\n',
  );
  const r = await runCli(['config', 'db_import', bad], env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.yml:6:/);
  assert.match(r.stderr, /nothing was imported/);
  // A file that is valid but clashes with the database (a name taken by another id): the
  // whole import is rolled back, including the entities before the clash.
  const clash = path.join(dir, `${label}-clash.yml`);
  fs.writeFileSync(
    clash,
    '_format_version: "3.0"\nservices:\n  - name: aaa-new\n    host: a.internal\n  - id: 99999999-9999-4999-8999-999999999999\n    name: users-api\n    host: b.internal\n',
  );
  const c = await runCli(['config', 'db_import', clash], env);
  assert.equal(c.code, 1, c.stdout);
  assert.match(c.stderr, /service 'users-api': UNIQUE violation detected on '\{name="users-api"\}'/);
  const exp = await runCli(['config', 'db_export', '-'], env);
  assert.doesNotMatch(exp.stdout, /aaa-new/, 'nothing of the failed import was kept');
}

test('SQLite: migrations, db_import, db_export round trip', async () => {
  const env = { TURNPIKE_DATABASE: 'sqlite', TURNPIKE_PREFIX: path.join(dir, 'sqlite-prefix') };
  await roundTrip(env, 'sqlite');
  await allOrNothing(env, 'sqlite');
});

test(
  'PostgreSQL: migrations, db_import, db_export round trip',
  { skip: pgUp ? false : 'PostgreSQL unreachable (see the message above)' },
  async () => {
    const env = pgEnv(schema);
    await roundTrip(env, 'postgres');
    await allOrNothing(env, 'postgres');
  },
);
