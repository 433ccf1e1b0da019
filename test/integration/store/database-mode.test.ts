// `turnpike start` without --config: the gateway serves what the database holds, picks up
// changes made by another process within a second, and keeps serving when the database goes
// away (also across a restart during the outage), catching up when it returns.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, sleep, tmpDir } from '../../helpers/gateway.js';
import { gateway, upstream } from '../../helpers/scope.js';
import { dropSchema, pgAvailable, pgEnv, pgOptions, uniqueSchema } from '../../helpers/pg.js';
import { relay } from '../../helpers/relay.js';
import { until } from '../../helpers/admin.js';
import { openStore, SqlStore, type Store } from '../../../src/control/store/index.js';
import { databaseSettings } from '../../../src/control/store/open.js';
import { PostgresBackend } from '../../../src/control/store/postgres.js';

const dir = tmpDir('turnpike-dbmode-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
// Asked before any test is registered: the tests below must all be known when the file's
// tests start, or its after() hooks run too early.
const pgUp = await pgAvailable();
const schema = uniqueSchema('tp_dbmode');
if (pgUp) after(() => dropSchema(schema));

const base = (aPort: number) => `_format_version: "3.0"
services:
  - name: a
    url: http://127.0.0.1:${aPort}
    routes:
      - name: a
        paths: [/a]
`;

async function addRouteB(store: Store, bPort: number): Promise<void> {
  await store.insert('services', { name: 'b', host: '127.0.0.1', port: bPort });
  await store.insert('routes', { name: 'b', paths: ['/b'] }, { scope: { service: 'b' } });
}

test('SQLite: serves the database, and a change made by another process within 1 s', async () => {
  const a = await upstream('A');
  const b = await upstream('B');
  const prefix = path.join(dir, 'sqlite-prefix');
  const env = { TURNPIKE_DATABASE: 'sqlite', TURNPIKE_PREFIX: prefix };
  const file = path.join(dir, 'base.yml');
  fs.writeFileSync(file, base(a.port));
  const imp = await runCli(['config', 'db_import', file], env);
  assert.equal(imp.code, 0, imp.stderr);

  const gw = await gateway({ config: '', database: true, prefix, env: { TURNPIKE_DATABASE: 'sqlite' } });
  assert.match(gw.stdout + gw.stderr, /turnpike\.db/);
  const r = await fetch(`${gw.url}/a`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-upstream'), 'A');
  assert.equal((await fetch(`${gw.url}/b`)).status, 404);

  const store = await openStore(databaseSettings('sqlite', prefix, {}), { migrate: false });
  try {
    await addRouteB(store, b.port);
    const ms = await until(`${gw.url}/b`, 200, 5000);
    assert.ok(ms < 1000, `the change reached the workers in ${ms} ms`);
    await store.delete('routes', 'b');
    assert.ok((await until(`${gw.url}/b`, 404, 5000)) < 1000);
  } finally {
    await store.close();
  }
});

test('start without --config on an empty prefix: SQLite is created and migrated, the gateway serves nothing yet', async () => {
  const prefix = path.join(dir, 'empty-prefix');
  const gw = await gateway({ config: '', database: true, prefix, env: { TURNPIKE_DATABASE: '' } });
  assert.equal((await fetch(`${gw.url}/anything`)).status, 404);
  assert.ok(fs.existsSync(path.join(prefix, 'turnpike.db')));
  const st = await runCli(['migrations', 'status'], { TURNPIKE_PREFIX: prefix, TURNPIKE_DATABASE: '' });
  assert.equal(st.code, 0, st.stdout + st.stderr);
});

test(
  'PostgreSQL: serves the database; keeps serving while it is away, also across a restart; catches up when it returns',
  { skip: pgUp ? false : 'PostgreSQL unreachable (see the message above)' },
  async (t) => {
    const a = await upstream('A');
    const b = await upstream('B');
    const direct = pgOptions(schema);
    const r = await relay({ host: direct.host, port: direct.port });
    t.after(() => r.close());
    const env = { ...pgEnv(schema), TURNPIKE_PG_PORT: String(r.port) };
    const file = path.join(dir, 'pg-base.yml');
    fs.writeFileSync(file, base(a.port));
    const imp = await runCli(['config', 'db_import', file], env);
    assert.equal(imp.code, 0, imp.stderr);

    const prefix = path.join(dir, 'pg-prefix');
    const gwEnv = { ...env, TURNPIKE_LOG_LEVEL: 'info' };
    let gw = await gateway({ config: '', database: true, prefix, env: gwEnv });
    assert.equal((await fetch(`${gw.url}/a`)).status, 200);

    // Another control plane (this test, on a direct connection) changes the database.
    const store = new SqlStore(new PostgresBackend(direct));
    t.after(() => store.close());
    await addRouteB(store, b.port);
    const ms = await until(`${gw.url}/b`, 200, 5000);
    assert.ok(ms < 1000, `the change reached the workers in ${ms} ms`);

    // The database goes away: traffic goes on.
    await r.cut();
    await sleep(500);
    for (let i = 0; i < 20; i++) {
      assert.equal((await fetch(`${gw.url}/a`)).status, 200);
      assert.equal((await fetch(`${gw.url}/b`)).status, 200);
    }
    // A change made meanwhile (the database is still reachable directly) ...
    await store.insert('routes', { name: 'late', paths: ['/late'] }, { scope: { service: 'a' } });
    // ... and a restart while the database is away: the node starts from its saved configuration.
    await gw.stop();
    gw = await gateway({ config: '', database: true, prefix, env: gwEnv });
    assert.match(gw.stdout + gw.stderr, /starting from the configuration saved at/);
    assert.equal((await fetch(`${gw.url}/b`)).status, 200);
    assert.equal(
      (await fetch(`${gw.url}/late`)).status,
      404,
      'the change made during the outage is not known yet\n' + gw.stdout + gw.stderr,
    );

    // The database returns: the node catches up by itself.
    await r.restore();
    await until(`${gw.url}/late`, 200, 15000);
    assert.equal((await fetch(`${gw.url}/a`)).status, 200);
    assert.match(gw.stdout + gw.stderr, /is unavailable/);
  },
);
