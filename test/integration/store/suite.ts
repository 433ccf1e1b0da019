// The store's behaviour, the same for every backend: store-sqlite.test.ts and
// store-postgres.test.ts run this suite against a real SQLite file and a real PostgreSQL.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Store } from '../../../src/control/store/index.js';
import {
  ForeignKeyViolation,
  InvalidOffset,
  InvalidOptions,
  InvalidSize,
  NotFound,
  PrimaryKeyViolation,
  SchemaViolation,
  UniqueViolation,
} from '../../../src/control/store/index.js';
import { leaf, makeCa } from '../../helpers/certs.js';

export interface Harness {
  /** Opens (migrating) a store on the file's database; the same database every time. */
  open(): Promise<Store>;
}

async function rejects<T extends Error>(
  p: Promise<unknown>,
  cls: new (...a: never[]) => T,
  check?: (e: T) => void,
): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${(e as Error).constructor.name}: ${(e as Error).message}`);
    check?.(e as T);
    return;
  }
  assert.fail(`expected ${cls.name}, but it succeeded`);
}

export function storeSuite(h: Harness): void {
  let store: Store;

  test('open migrates; an empty store exports an empty configuration', async () => {
    store = await h.open();
    assert.deepEqual(await store.toDeclarative(), { _format_version: '3.0', _transform: true });
    assert.equal(await store.configVersion(), 0);
  });

  test('services: insert fills defaults, id and timestamps; get by name or id; PATCH merges; PUT replaces', async () => {
    const s = await store.insert('services', { name: 'users', host: 'users.internal', port: 8080, tags: ['a'] });
    assert.match(s.id, /^[0-9a-f-]{36}$/);
    assert.equal(s.protocol, 'http');
    assert.equal(s.retries, 5);
    assert.equal(s.connect_timeout, 60000);
    assert.equal(typeof s.created_at, 'number');
    assert.ok(Math.abs(s.created_at - Date.now() / 1000) < 5);
    assert.deepEqual(await store.get('services', 'users'), s);
    assert.deepEqual(await store.get('services', s.id), s);
    assert.deepEqual(await store.get('services', s.id.toUpperCase()), s);
    const p = await store.update('services', 'users', { retries: 2 });
    assert.equal(p.retries, 2);
    assert.equal(p.port, 8080, 'PATCH keeps the other fields');
    assert.equal(p.created_at, s.created_at);
    const put = await store.upsert('services', 'users', { host: 'other.internal' });
    assert.equal(put.id, s.id, 'PUT on an existing name keeps the id');
    assert.equal(put.port, 80, 'PUT resets what it leaves out to the default');
    assert.equal(put.retries, 5);
    const created = await store.upsert('services', 'billing', { host: 'billing.internal' });
    assert.equal(created.name, 'billing');
    const byId = randomUUID();
    const c2 = await store.upsert('services', byId, { name: 'by-id', host: 'x.internal' });
    assert.equal(c2.id, byId);
    assert.equal(await store.delete('services', 'by-id').then((e) => e?.id), byId);
    assert.equal(await store.get('services', 'by-id'), null);
    assert.equal(
      await store.delete('services', 'by-id'),
      null,
      'deleting what is not there is not an error (Kong answers 204)',
    );
  });

  test('schema violations name every bad field', async () => {
    await rejects(store.insert('services', { name: 'bad', host: 5, port: 'x', bogus: 1 }), SchemaViolation, (e) => {
      assert.equal(e.status, 400);
      assert.equal(e.body.code, 2);
      assert.equal(e.body.name, 'schema violation');
      assert.match(String(e.fields.host), /string/);
      assert.match(String(e.fields.port), /integer/);
      assert.match(String(e.fields.bogus), /unknown field/);
      assert.match(e.message, /^schema violation \(/);
    });
    await rejects(store.insert('routes', { name: 'r', paths: ['no-slash'] }), SchemaViolation, (e) =>
      assert.ok('paths.0' in e.fields, JSON.stringify(e.fields)),
    );
    await rejects(store.insert('services', { name: 'no-host' }), SchemaViolation, (e) =>
      assert.match(e.message, /host/),
    );
    // Kong's rules beyond the schema, as the declarative loader applies them to a file.
    await rejects(store.insert('routes', { name: 'nothing-to-match' }), SchemaViolation, (e) =>
      assert.match(String(e.fields['@entity']), /at least one of 'methods', 'hosts', 'headers', 'paths'/),
    );
    await rejects(store.insert('upstreams', { name: 'h.up', hash_on: 'header' }), SchemaViolation, (e) =>
      assert.match(String(e.fields.hash_on_header), /required when 'hash_on' is 'header'/),
    );
    await rejects(store.insert('consumers', { tags: ['x'] }), SchemaViolation, (e) =>
      assert.match(e.message, /username.*custom_id/),
    );
    await rejects(
      store.insert('certificates', {
        cert: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----',
        key: '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----',
      }),
      SchemaViolation,
      (e) => assert.ok('cert' in e.fields, JSON.stringify(e.fields)),
    );
    // The Admin API's url shorthand, expanded as the loader does.
    const viaUrl = await store.insert('services', { name: 'via-url', url: 'https://u.internal:8443/base' });
    assert.deepEqual([viaUrl.protocol, viaUrl.host, viaUrl.port, viaUrl.path], ['https', 'u.internal', 8443, '/base']);
    assert.equal('url' in viaUrl, false);
    const moved = await store.update('services', 'via-url', { url: 'http://v.internal' });
    assert.deepEqual(
      [moved.protocol, moved.host, moved.port, moved.path],
      ['http', 'v.internal', 80, null],
      'PATCH with url replaces protocol, host, port and path',
    );
    await store.delete('services', 'via-url');
    await rejects(store.update('upstreams', 'missing', { slots: 10 }), NotFound, (e) => assert.equal(e.status, 404));
  });

  test('unique keys: 409 naming the field and value; primary key', async () => {
    await rejects(store.insert('services', { name: 'billing', host: 'b.internal' }), UniqueViolation, (e) => {
      assert.equal(e.status, 409);
      assert.equal(e.body.code, 5);
      assert.deepEqual(e.fields, { name: 'billing' });
      assert.equal(e.message, `UNIQUE violation detected on '{name="billing"}'`);
    });
    const svc = (await store.get('services', 'billing'))!;
    await rejects(store.insert('services', { id: svc.id, name: 'another', host: 'b.internal' }), PrimaryKeyViolation);
    await rejects(store.update('services', 'users', { name: 'billing' }), UniqueViolation);
    await store.insert('consumers', { username: 'alice', custom_id: 'c-1' });
    await rejects(store.insert('consumers', { username: 'bob', custom_id: 'c-1' }), UniqueViolation, (e) =>
      assert.deepEqual(e.fields, { custom_id: 'c-1' }),
    );
  });

  test('routes reference services; foreign key errors; deleting a referenced service is refused', async () => {
    const r = await store.insert('routes', { name: 'users-r', paths: ['/users'], service: { name: 'users' } });
    const users = (await store.get('services', 'users'))!;
    assert.deepEqual(r.service, { id: users.id });
    const missing = randomUUID();
    await rejects(
      store.insert('routes', { name: 'x', paths: ['/x'], service: { id: missing } }),
      ForeignKeyViolation,
      (e) => {
        assert.equal(e.status, 400);
        assert.equal(e.body.code, 4);
        assert.deepEqual(e.fields, { service: { id: missing } });
        assert.equal(
          e.message,
          `the foreign key '{id="${missing}"}' does not reference an existing 'services' entity.`,
        );
      },
    );
    await rejects(store.insert('routes', { name: 'x', paths: ['/x'], service: { name: 'nope' } }), ForeignKeyViolation);
    await rejects(store.delete('services', 'users'), ForeignKeyViolation, (e) => {
      assert.deepEqual(e.fields, { '@referenced_by': 'routes' });
      assert.equal(e.message, "an existing 'routes' entity references this 'services' entity");
    });
    assert.ok(await store.get('services', 'users'), 'still there');
    // Nested under the service (/services/users/routes).
    const nested = await store.insert('routes', { name: 'users-2', paths: ['/u2'] }, { scope: { service: 'users' } });
    assert.deepEqual(nested.service, { id: users.id });
    const list = await store.list('routes', { scope: { service: 'users' } });
    assert.deepEqual(list.data.map((x) => x.name).sort(), ['users-2', 'users-r']);
    assert.equal(
      await store.get('routes', 'users-2', { scope: { service: 'billing' } }),
      null,
      'outside its scope a route is not found',
    );
    await rejects(store.list('routes', { scope: { service: 'nope' } }), NotFound);
  });

  test('upstreams and targets: PATCH merges nested records; targets unique per upstream; cascade on delete', async () => {
    const u = await store.insert('upstreams', { name: 'orders.up' });
    assert.equal((u.healthchecks as any).active.http_path, '/');
    const p = await store.update('upstreams', 'orders.up', {
      healthchecks: { active: { http_path: '/healthz', healthy: { interval: 5 } } },
    });
    assert.equal((p.healthchecks as any).active.http_path, '/healthz');
    assert.equal((p.healthchecks as any).active.healthy.interval, 5);
    assert.deepEqual(
      (p.healthchecks as any).active.healthy.http_statuses,
      [200, 302],
      'the rest of the record is kept',
    );
    await store.insert('upstreams', { name: 'other.up' });
    const t = await store.insert('targets', { target: '10.0.0.1' }, { scope: { upstream: 'orders.up' } });
    assert.equal(t.target, '10.0.0.1:8000');
    assert.equal(t.weight, 100);
    await store.insert('targets', { target: '10.0.0.1:8000', upstream: { name: 'other.up' } });
    await rejects(
      store.insert('targets', { target: '10.0.0.1:8000' }, { scope: { upstream: 'orders.up' } }),
      UniqueViolation,
      (e) => assert.deepEqual(e.fields, { upstream: { id: u.id }, target: '10.0.0.1:8000' }),
    );
    assert.equal((await store.get('targets', '10.0.0.1:8000', { scope: { upstream: 'orders.up' } }))?.id, t.id);
    const w = await store.update('targets', '10.0.0.1', { weight: 5 }, { scope: { upstream: 'orders.up' } });
    assert.equal(w.weight, 5);
    await store.delete('upstreams', 'orders.up');
    assert.equal(await store.get('targets', t.id), null, 'targets go with their upstream');
    assert.equal((await store.list('targets')).data.length, 1);
  });

  test('consumers, every credential kind, plugins; deleting a consumer cascades', async () => {
    const c = await store.insert('consumers', { username: 'carol', tags: ['mobile'] });
    assert.equal((await store.get('consumers', 'c-1'))?.username, 'alice', 'found by custom_id');
    const scope = { consumer: 'carol' };
    const ka = await store.insert('keyauth_credentials', {}, { scope });
    assert.match(String(ka.key), /^[0-9a-f]{32}$/, 'a key is generated when none is given');
    await store.insert('keyauth_credentials', { key: 'k-1' }, { scope });
    await rejects(
      store.insert('keyauth_credentials', { key: 'k-1' }, { scope: { consumer: 'alice' } }),
      UniqueViolation,
      (e) => assert.deepEqual(e.fields, { key: 'k-1' }),
    );
    assert.equal(
      (await store.get('keyauth_credentials', 'k-1'))?.consumer &&
        ((await store.get('keyauth_credentials', 'k-1'))!.consumer as any).id,
      c.id,
    );
    await store.insert('basicauth_credentials', { username: 'carol', password: 'pw' }, { scope });
    await rejects(store.insert('basicauth_credentials', { username: 'x' }, { scope }), SchemaViolation, (e) =>
      assert.equal(e.fields.password, 'required field missing'),
    );
    const hm = await store.insert('hmacauth_credentials', { username: 'carol-h' }, { scope });
    assert.ok(hm.secret);
    const jw = await store.insert('jwt_secrets', {}, { scope });
    assert.equal(jw.algorithm, 'HS256');
    assert.ok(jw.key && jw.secret);
    await store.insert('acls', { group: 'admins' }, { scope });
    await store.insert('acls', { group: 'admins' }, { scope: { consumer: 'alice' } });
    await rejects(store.insert('acls', { group: 'admins' }, { scope }), UniqueViolation);
    assert.equal((await store.get('acls', 'admins', { scope }))?.group, 'admins');
    await store.insert('oauth2_credentials', { name: 'app' }, { scope });
    const svcPlugin = await store.insert('plugins', {
      name: 'rate-limiting',
      service: { name: 'users' },
      config: { minute: 5 },
    });
    assert.equal(svcPlugin.enabled, true);
    assert.deepEqual(svcPlugin.protocols, ['grpc', 'grpcs', 'http', 'https']);
    const pc = await store.insert('plugins', {
      name: 'rate-limiting',
      consumer: { username: 'carol' },
      config: { minute: 1 },
    });
    await rejects(
      store.insert('plugins', { name: 'rate-limiting', service: { name: 'users' }, config: { minute: 1 } }),
      UniqueViolation,
    );
    // With the node's plugins known, a plugin's config is checked as in a file.
    await rejects(
      store.insert('plugins', { name: 'rate-limiting', route: { name: 'users-r' }, config: { minute: 'lots' } }),
      SchemaViolation,
      (e) => assert.ok('config.minute' in e.fields, JSON.stringify(e.fields)),
    );
    await rejects(store.insert('plugins', { name: 'no-such-plugin' }), SchemaViolation, (e) =>
      assert.match(String(e.fields.name), /not available/),
    );
    const patched = await store.update('plugins', pc.id, { config: { hour: 10 } });
    const conf = patched.config as Record<string, unknown>;
    assert.deepEqual([conf.minute, conf.hour], [1, 10], 'plugin config is merged by PATCH');
    assert.equal(conf.policy, 'local', "the plugin's defaults are filled in, as Kong stores them");
    const credKinds = [
      'keyauth_credentials',
      'basicauth_credentials',
      'hmacauth_credentials',
      'jwt_secrets',
      'acls',
      'oauth2_credentials',
    ] as const;
    for (const k of credKinds) assert.ok((await store.list(k, { scope })).data.length > 0, k);
    await store.delete('consumers', 'carol');
    for (const k of credKinds)
      assert.equal((await store.list(k, { scope: { consumer: 'alice' } })).data.length, k === 'acls' ? 1 : 0, k);
    for (const k of credKinds)
      assert.equal(
        (await store.list(k)).data.filter((x) => (x.consumer as any).id === c.id).length,
        0,
        `${k} of carol are gone`,
      );
    assert.equal(await store.get('plugins', pc.id), null, "the consumer's plugin is gone");
    assert.ok(await store.get('plugins', svcPlugin.id), "the service's plugin stays");
  });

  test('deleting a route cascades its plugins', async () => {
    const r = await store.insert('routes', { name: 'with-plugin', paths: ['/wp'], service: { name: 'billing' } });
    const p = await store.insert('plugins', { name: 'cors', route: { id: r.id } });
    await store.delete('routes', r.id);
    assert.equal(await store.get('plugins', p.id), null);
  });

  test('certificates, snis and ca_certificates: cascade and restrict', async () => {
    const ca = await makeCa();
    const pair = await leaf(ca, 'api.example.com');
    const cert = await store.insert('certificates', { ...pair, tags: ['tls'] });
    const sni = await store.insert('snis', { name: 'API.example.com', certificate: { id: cert.id } });
    assert.equal(sni.name, 'api.example.com');
    assert.equal((await store.get('snis', 'api.example.com'))?.id, sni.id);
    await rejects(store.insert('snis', { name: 'api.example.com', certificate: { id: cert.id } }), UniqueViolation);
    const cac = await store.insert('ca_certificates', { cert: ca.cert });
    assert.match(String(cac.cert_digest), /^[0-9a-f]{64}$/);
    await rejects(store.insert('ca_certificates', { cert: ca.cert }), UniqueViolation, (e) =>
      assert.ok('cert_digest' in e.fields),
    );
    const svc = await store.insert('services', {
      name: 'tls-svc',
      protocol: 'https',
      host: 'secure.internal',
      port: 443,
      ca_certificates: [cac.id],
      client_certificate: { id: cert.id },
    });
    await rejects(
      store.insert('services', { name: 'tls-2', protocol: 'https', host: 's', ca_certificates: [randomUUID()] }),
      ForeignKeyViolation,
    );
    await rejects(store.delete('ca_certificates', cac.id), ForeignKeyViolation, (e) =>
      assert.deepEqual(e.fields, { '@referenced_by': 'services' }),
    );
    await rejects(store.delete('certificates', cert.id), ForeignKeyViolation, (e) =>
      assert.deepEqual(e.fields, { '@referenced_by': 'services' }),
    );
    await store.update('services', svc.id, { ca_certificates: null, client_certificate: null });
    await store.delete('ca_certificates', cac.id);
    await store.delete('certificates', cert.id);
    assert.equal(await store.get('snis', sni.id), null, 'snis go with their certificate');
  });

  test('pagination: size, offset cursor, every entity once; bad size and offset', async () => {
    for (let i = 0; i < 25; i++)
      await store.insert('consumers', {
        username: `page-${String(i).padStart(2, '0')}`,
        tags: i % 2 === 0 ? ['even', 'paged'] : ['odd', 'paged'],
      });
    const seen: string[] = [];
    let offset: string | null = null;
    let pages = 0;
    do {
      const page: { data: { id: string }[]; offset: string | null } = await store.list('consumers', {
        size: 10,
        offset,
        tags: 'paged',
      });
      assert.ok(page.data.length <= 10);
      seen.push(...page.data.map((x) => x.id));
      offset = page.offset;
      pages++;
    } while (offset !== null);
    assert.equal(pages, 3);
    assert.equal(seen.length, 25);
    assert.equal(new Set(seen).size, 25);
    assert.deepEqual([...seen].sort(), seen, 'ordered by id');
    assert.equal(
      (await store.list('consumers', { size: 25, tags: 'paged' })).offset,
      null,
      'a page that holds the rest has no offset',
    );
    assert.equal((await store.list('consumers')).data.length, 26, 'default size 100 (alice and the 25)');
    await rejects(store.list('consumers', { size: 0 }), InvalidSize, (e) => assert.equal(e.status, 400));
    await rejects(store.list('consumers', { size: 1001 }), InvalidSize);
    await rejects(store.list('consumers', { offset: 'garbage!' }), InvalidOffset);
  });

  test("tags: 'a,b' needs every tag, 'a/b' any of them", async () => {
    assert.equal((await store.list('consumers', { tags: 'even' })).data.length, 13);
    assert.equal((await store.list('consumers', { tags: 'even,paged' })).data.length, 13);
    assert.equal((await store.list('consumers', { tags: 'even,odd' })).data.length, 0);
    assert.equal((await store.list('consumers', { tags: 'even/odd' })).data.length, 25);
    assert.equal(
      (await store.list('consumers', { tags: 'ev%' })).data.length,
      0,
      'LIKE wildcards in a tag are literal',
    );
    await rejects(store.list('consumers', { tags: 'a,b/c' }), InvalidOptions);
  });

  test('every write bumps the configuration version and notifies in-process', async () => {
    const before = await store.configVersion();
    const events: number[] = [];
    const off = store.onChange((e) => events.push(e.version));
    await new Promise((r) => setTimeout(r, 50));
    await store.insert('consumers', { username: 'feed-1' });
    await store.update('consumers', 'feed-1', { tags: ['x'] });
    await store.delete('consumers', 'feed-1');
    await store.delete('consumers', 'feed-1'); // nothing deleted: no new version
    await rejects(store.insert('services', { name: 'users', host: 'dup' }), UniqueViolation); // refused: no new version
    assert.equal(await store.configVersion(), before + 3);
    assert.deepEqual(events, [before + 1, before + 2, before + 3]);
    off();
  });

  test('persistence across reopen', async () => {
    const before = await store.toDeclarative();
    const version = await store.configVersion();
    await store.close();
    store = await h.open();
    assert.deepEqual(await store.toDeclarative(), before);
    assert.equal(await store.configVersion(), version);
    assert.equal((await store.get('services', 'users'))?.host, 'other.internal');
    await store.close();
  });
}
