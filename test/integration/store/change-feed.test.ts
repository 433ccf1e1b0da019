// Several writers on one database: migrations started at the same moment by two processes,
// and a change made through one connection reaching a store on another within a second
// (PostgreSQL: LISTEN/NOTIFY between two Store instances; SQLite: another process writing
// the same file, seen through PRAGMA data_version).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { runCli, tmpDir } from '../../helpers/gateway.js';
import { dropSchema, pgAvailable, pgEnv, pgOptions, uniqueSchema } from '../../helpers/pg.js';
import { openStore, SqlStore, UniqueViolation, type Store } from '../../../src/control/store/index.js';
import { databaseSettings } from '../../../src/control/store/open.js';
import { PostgresBackend } from '../../../src/control/store/postgres.js';

const dir = tmpDir('turnpike-feed-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
// Asked before any test is registered: the tests below must all be known when the file's
// tests start, or its after() hooks run too early.
const pgUp = await pgAvailable();
const schema = uniqueSchema('tp_feed');
if (pgUp) after(() => dropSchema(schema));

/** Resolves with the first change event's version and the milliseconds it took, or rejects after `ms`. */
function nextChange(store: Store, ms = 1000): Promise<{ version: number; elapsed: number }> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      off();
      reject(new Error(`no change event within ${ms} ms`));
    }, ms);
    const off = store.onChange((e) => {
      clearTimeout(t);
      off();
      resolve({ version: e.version, elapsed: Date.now() - start });
    });
  });
}

async function concurrentMigrations(env: Record<string, string>): Promise<void> {
  const [a, b] = await Promise.all([runCli(['migrations', 'up'], env), runCli(['migrations', 'up'], env)]);
  assert.equal(a.code, 0, a.stdout + a.stderr);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const ran = [a, b].filter((r) => /ran 001_entities/.test(r.stdout));
  const nothing = [a, b].filter((r) => /up to date/.test(r.stdout));
  assert.equal(ran.length, 1, `exactly one process ran the migration:\n${a.stdout}\n${b.stdout}`);
  assert.equal(nothing.length, 1);
  const st = await runCli(['migrations', 'status'], env);
  assert.equal(st.code, 0, st.stdout + st.stderr);
}

test('SQLite: two processes migrating one file at once; a write by another process is seen within 1 s', async () => {
  const prefix = path.join(dir, 'sqlite');
  const env = { TURNPIKE_DATABASE: 'sqlite', TURNPIKE_PREFIX: prefix };
  await concurrentMigrations(env);

  const store = await openStore(databaseSettings('sqlite', prefix, {}), { migrate: false });
  try {
    const before = await store.configVersion();
    const file = path.join(dir, 'one.yml');
    fs.writeFileSync(file, '_format_version: "3.0"\nservices:\n  - name: from-another-process\n    host: a.internal\n');
    // Listen first, then let another process write the same file.
    const seen = nextChange(store, 15000);
    const imp = await runCli(['config', 'db_import', file], env);
    assert.equal(imp.code, 0, imp.stderr);
    const doneAt = Date.now();
    const ev = await seen;
    assert.equal(ev.version, before + 1);
    assert.ok(Date.now() - doneAt < 1000, `seen ${Date.now() - doneAt} ms after the other process finished`);
    assert.equal((await store.get('services', 'from-another-process'))?.host, 'a.internal');
  } finally {
    await store.close();
  }
});

test(
  'PostgreSQL: two processes migrating at once; two stores hear each other within 1 s',
  { skip: pgUp ? false : 'PostgreSQL unreachable (see the message above)' },
  async () => {
    await concurrentMigrations(pgEnv(schema));
    const a = new SqlStore(new PostgresBackend(pgOptions(schema)));
    const b = new SqlStore(new PostgresBackend(pgOptions(schema)));
    try {
      // A listens, then B writes; and the other way round. A write that lands while A's LISTEN
      // connection is still being set up is caught by the version check that follows it.
      const seenByA = nextChange(a);
      const svc = await b.insert('services', { name: 'from-b', host: 'b.internal' });
      const ev = await seenByA;
      assert.equal(ev.version, await b.configVersion());
      assert.ok(ev.elapsed < 1000, `${ev.elapsed} ms`);
      assert.equal((await a.get('services', svc.id))?.name, 'from-b');

      const seenByB = nextChange(b);
      await a.update('services', 'from-b', { port: 81 });
      const ev2 = await seenByB;
      assert.equal(ev2.version, ev.version + 1);

      // Two control planes creating the same name at the same moment: the database's UNIQUE
      // constraint decides, and the loser gets the same typed error as a sequential clash.
      for (let i = 0; i < 5; i++) {
        const results = await Promise.allSettled(
          [a, b].map((s) => s.insert('services', { name: `race-${i}`, host: 'r.internal' })),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(results));
        const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        assert.ok(lost.reason instanceof UniqueViolation, String(lost.reason));
        assert.equal(lost.reason.status, 409);
      }
    } finally {
      await a.close();
      await b.close();
    }
  },
);

test('SQLite: two processes opening one new file at once both switch it to WAL (30 pairs; SQLITE_BUSY on the switch is retried)', async () => {
  const dir = tmpDir('tp-sqlite-open');
  const backend = new URL('../../../src/control/store/sqlite.js', import.meta.url).href;
  const script = `import(${JSON.stringify(backend)}).then(({ SqliteBackend }) => {
    try { new SqliteBackend({ file: process.argv[1] }); process.stdout.write('ok'); }
    catch (e) { process.stdout.write('FAIL ' + e.code + ' ' + e.message); }
  });`;
  const open = (file: string): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(process.execPath, ['-e', script, file], (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
  const failures: string[] = [];
  for (let i = 0; i < 30; i++) {
    const file = path.join(dir, `pair${i}.sqlite`);
    for (const out of await Promise.all([open(file), open(file)])) if (out !== 'ok') failures.push(`pair ${i}: ${out}`);
  }
  assert.deepEqual(failures, []);
});
