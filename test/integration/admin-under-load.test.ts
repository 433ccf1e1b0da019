// Admin API writes under proxy load: while clients keep requests flowing through the proxy,
// 100 changes are made through the Admin API (routes added and removed, the service changed,
// plugins added, changed and removed). Every change reloads both workers; not one proxied
// request may fail.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Pool } from 'undici';
import { tmpDir } from '../helpers/gateway.js';
import { upstream } from '../helpers/scope.js';
import { adminGateway, until } from '../helpers/admin.js';

test('100 Admin API changes while the proxy is under load: 0 failed proxy requests', async () => {
  const up = await upstream('U');
  const { gw, admin } = await adminGateway({
    prefix: path.join(tmpDir('turnpike-load-'), 'prefix'),
    workers: 2,
    env: { TURNPIKE_DATABASE: 'sqlite', TURNPIKE_LOG_LEVEL: 'warn' },
  });
  assert.equal((await admin.post('/services', { name: 'a', url: `http://127.0.0.1:${up.port}` })).status, 201);
  assert.equal((await admin.post('/services/a/routes', { name: 'a', paths: ['/a'] })).status, 201);
  assert.equal((await admin.post('/services/a/routes', { name: 'side', paths: ['/side'] })).status, 201);
  await until(`${gw.url}/a`, 200);

  const pool = new Pool(gw.url, { connections: 16, pipelining: 1 });
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const client = async (): Promise<void> => {
    while (!stop) {
      try {
        const r = await pool.request({ method: 'GET', path: '/a' });
        await r.body.text();
        if (r.statusCode === 200) ok++;
        else failures.push(`status ${r.statusCode}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  const clients = Array.from({ length: 16 }, client);

  const changes: [string, string, unknown?][] = [];
  for (let i = 0; i < 40; i++) changes.push(['POST', '/services/a/routes', { name: `r${i}`, paths: [`/r${i}`] }]);
  for (let i = 0; i < 25; i++)
    changes.push(['PATCH', '/services/a', { retries: i % 5, read_timeout: 30_000 + i, tags: [`v${i}`] }]);
  changes.push([
    'PUT',
    '/routes/side/plugins/00000000-0000-4000-8000-000000000001',
    { name: 'response-transformer', config: { add: { headers: ['x-side:1'] } } },
  ]);
  for (let i = 0; i < 13; i++)
    changes.push([
      'PATCH',
      '/plugins/00000000-0000-4000-8000-000000000001',
      { config: { add: { headers: [`x-side:${i}`] } } },
    ]);
  changes.push(['DELETE', '/plugins/00000000-0000-4000-8000-000000000001']);
  for (let i = 0; i < 20; i++) changes.push(['DELETE', `/routes/r${i}`]);
  assert.equal(changes.length, 100);

  const started = Date.now();
  for (const [method, p, body] of changes) {
    const r = await admin.call(method, p, body);
    assert.ok(r.status < 300, `${method} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const adminMs = Date.now() - started;
  // The last changes are served: r39 is there, r0 is gone.
  await until(`${gw.url}/r39`, 200);
  await until(`${gw.url}/r0`, 404);
  // Keep the load on a little longer, through the last reloads.
  await new Promise((r) => setTimeout(r, 500));
  stop = true;
  await Promise.all(clients);
  await pool.close();
  console.log(`# ${ok} proxied requests, ${failures.length} failed, while 100 changes were made in ${adminMs} ms`);
  assert.equal(failures.length, 0, `failed proxy requests: ${failures.slice(0, 10).join('; ')}`);
  assert.ok(ok > 500, `the load ran (${ok} requests)`);
  // Both workers run the last configuration.
  const hash = (await admin.get('/status')).body.configuration_hash;
  await gw.waitForHash((h) => h === hash);
});
