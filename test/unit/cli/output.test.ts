// The management commands' output (table, JSON, YAML), their kind names and Admin API paths,
// and the Admin API client against a local HTTP server (paging, errors, tokens).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';
import { cell, formatTable, renderEntities } from '../../../src/cli/commands/output.js';
import { collectionPath, KIND_LIST, resolveKind } from '../../../src/cli/commands/kinds.js';
import { AdminClient, AdminError, EXIT, kongMessage } from '../../../src/cli/commands/admin-client.js';
import { NESTED, TOP_LEVEL } from '../../../src/control/admin/entity-paths.js';
import { onCleanup } from '../../helpers/scope.js';

test('cells: lists comma-joined, nothing as -, one line per row', () => {
  assert.equal(cell(['/a', '/b']), '/a,/b');
  assert.equal(cell([]), '-');
  assert.equal(cell(null), '-');
  assert.equal(cell(undefined), '-');
  assert.equal(cell(8080), '8080');
  assert.equal(cell(false), 'false');
  assert.equal(cell({ id: 'x' }), '{"id":"x"}');
  assert.equal(cell('a\nb'), 'a\\nb');
});

test('tables: columns padded to the widest cell, no trailing spaces', () => {
  assert.equal(
    formatTable(
      ['NAME', 'PORT'],
      [
        ['users', '80'],
        ['a', '8080'],
      ],
    ),
    'NAME   PORT\nusers  80\na      8080\n',
  );
});

test('services as a table, JSON and YAML; routes show their service by name', () => {
  const services = KIND_LIST.find((k) => k.name === 'services')!;
  const svc = {
    id: 's1',
    name: 'users',
    host: 'users.internal',
    port: 8080,
    protocol: 'http',
    path: null,
    tags: ['a', 'b'],
  };
  const table = renderEntities('table', services.columns, [svc], (_k, id) => id);
  assert.equal(table.split('\n')[0], 'NAME   HOST            PORT  PROTOCOL  PATH  TAGS  ID');
  assert.equal(table.split('\n')[1], 'users  users.internal  8080  http      -     a,b   s1');
  assert.deepEqual(JSON.parse(renderEntities('json', services.columns, [svc], (_k, id) => id)), [svc]);
  assert.deepEqual(JSON.parse(renderEntities('json', services.columns, [svc], (_k, id) => id, true)), svc);
  assert.deepEqual(parse(renderEntities('yaml', services.columns, [svc], (_k, id) => id)), [svc]);
  const routes = resolveKind('route');
  const row = renderEntities(
    'table',
    routes.columns,
    [{ id: 'r1', name: 'api', paths: ['/a'], hosts: null, methods: ['GET', 'POST'], service: { id: 's1' } }],
    (k, id) => (k === 'services' && id === 's1' ? 'users' : '?'),
  );
  assert.match(row.split('\n')[1]!, /^api\s+\/a\s+-\s+GET,POST\s+users\s+-\s+r1$/);
});

test('kinds: singular, plural and Kong names; an unknown kind is a usage error', () => {
  assert.equal(resolveKind('service').name, 'services');
  assert.equal(resolveKind('Services').name, 'services');
  assert.equal(resolveKind('keyauth_credentials').name, 'key-auth');
  assert.equal(resolveKind('ca-certificate').name, 'ca_certificates');
  assert.throws(
    () => resolveKind('widgets'),
    (e: AdminError) => e.exitCode === EXIT.usage && /kinds: services, routes/.test(e.message),
  );
});

test('kinds: collection paths, nested under a parent; targets need --upstream', () => {
  assert.equal(collectionPath(resolveKind('routes'), {}), '/routes');
  assert.equal(collectionPath(resolveKind('routes'), { service: 'my svc' }), '/services/my%20svc/routes');
  assert.equal(collectionPath(resolveKind('key-auth'), {}), '/key-auths');
  assert.equal(collectionPath(resolveKind('jwt'), { consumer: 'alice' }), '/consumers/alice/jwt');
  assert.equal(collectionPath(resolveKind('targets'), { upstream: 'u' }), '/upstreams/u/targets');
  assert.throws(
    () => collectionPath(resolveKind('targets'), {}),
    (e: AdminError) => e.exitCode === EXIT.usage && /--upstream/.test(e.message),
  );
  assert.throws(
    () => collectionPath(resolveKind('services'), { consumer: 'x' }),
    (e: AdminError) => e.exitCode === EXIT.usage,
  );
  assert.throws(
    () => collectionPath(resolveKind('plugins'), { service: 'a', route: 'b' }),
    (e: AdminError) => e.exitCode === EXIT.usage,
  );
});

test("kinds: every path the CLI builds is one the Admin API's path table has", () => {
  const top = new Set(TOP_LEVEL.map(([seg]) => seg));
  const parentSeg = { service: 'services', route: 'routes', upstream: 'upstreams', consumer: 'consumers' } as const;
  for (const k of KIND_LIST) {
    if (!k.requires) assert.ok(top.has(k.top ?? k.name), `top-level /${k.top ?? k.name}`);
    for (const p of k.under)
      assert.ok(
        NESTED.some(([ps, , child]) => ps === parentSeg[p] && child === k.name),
        `/${parentSeg[p]}/{x}/${k.name}`,
      );
  }
});

test('Kong error bodies: the message, with the field errors it does not already say', () => {
  assert.equal(
    kongMessage(
      { message: 'schema violation (host: required field missing)', fields: { host: 'required field missing' } },
      'x',
    ),
    'schema violation (host: required field missing)',
  );
  assert.equal(
    kongMessage({ message: 'UNIQUE violation detected', fields: { name: 'users' } }, 'x'),
    'UNIQUE violation detected (name: users)',
  );
  assert.equal(kongMessage(null, 'fallback'), 'fallback');
  assert.equal(kongMessage('<html>bad gateway</html>', 'fallback'), '<html>bad gateway</html>');
});

/** A local server answering with `handler`; its base URL. */
async function server(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  onCleanup(() => new Promise<void>((r) => s.close(() => r())));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

test('client: follows next links to the last page; one page with onePage', async () => {
  const seen: string[] = [];
  const url = await server((req, res) => {
    seen.push(`${req.url} ${req.headers.authorization ?? ''}`);
    const u = new URL(req.url!, 'http://x');
    const offset = u.searchParams.get('offset');
    res.setHeader('content-type', 'application/json');
    if (offset === null)
      res.end(JSON.stringify({ data: [{ id: 1 }, { id: 2 }], next: '/services?size=2&offset=p2', offset: 'p2' }));
    else if (offset === 'p2') res.end(JSON.stringify({ data: [{ id: 3 }], next: null }));
  });
  const client = new AdminClient(url + '/', 'tok');
  const all = await client.list('/services', { size: 2, tags: 'a,b' });
  assert.deepEqual(
    all.data.map((e) => e.id),
    [1, 2, 3],
  );
  assert.equal(all.offset, null);
  assert.deepEqual(seen, ['/services?size=2&tags=a%2Cb Bearer tok', '/services?size=2&offset=p2 Bearer tok']);
  const one = await client.list('/services', { size: 2, onePage: true });
  assert.deepEqual(
    one.data.map((e) => e.id),
    [1, 2],
  );
  assert.equal(one.offset, 'p2');
});

test('client: 401 and 403 say what to do; 404 is exit 4; 5xx and a refused connection name the URL', async () => {
  const url = await server((req, res) => {
    res.setHeader('content-type', 'application/json');
    const status = Number(req.url!.slice(1, 4));
    res.statusCode = status;
    res.end(
      status === 503
        ? JSON.stringify({ message: 'the database is unavailable' })
        : JSON.stringify({ message: `status ${status}` }),
    );
  });
  const noToken = new AdminClient(url);
  await assert.rejects(
    noToken.call('GET', '/401'),
    (e: AdminError) =>
      e.exitCode === 1 &&
      e.message.includes(url) &&
      /needs a token; set --token, --token-file or TURNPIKE_ADMIN_TOKEN/.test(e.message),
  );
  await assert.rejects(new AdminClient(url, 'bad').call('GET', '/401'), (e: AdminError) =>
    /token was not accepted/.test(e.message),
  );
  await assert.rejects(
    noToken.call('PUT', '/403', {}),
    (e: AdminError) => e.status === 403 && /403 Forbidden to PUT \/403.*read-only/.test(e.message),
  );
  await assert.rejects(noToken.call('GET', '/404'), (e: AdminError) => e.exitCode === EXIT.notFound);
  assert.equal(await noToken.find('/404'), null);
  await assert.rejects(
    noToken.call('GET', '/409'),
    (e: AdminError) => e.exitCode === 1 && /409 status 409/.test(e.message),
  );
  await assert.rejects(
    noToken.call('GET', '/503'),
    (e: AdminError) => e.exitCode === 1 && e.message.includes('the database is unavailable') && e.message.includes(url),
  );
  const closed = new AdminClient('http://127.0.0.1:1');
  await assert.rejects(closed.call('GET', '/services'), (e: AdminError) =>
    /cannot reach the Admin API at http:\/\/127\.0\.0\.1:1 .*--admin-url or TURNPIKE_ADMIN_URL/.test(e.message),
  );
});
