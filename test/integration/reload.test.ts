// Hot reload end to end: SIGHUP and file changes under continuous load, refused invalid
// files, requests in flight and keep-alive client connections across a reload.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Pool } from 'undici';
import { sleep, tmpDir } from '../helpers/gateway.js';
import { simpleConfig } from '../helpers/upstream.js';
import { onCleanup, upstream, gateway } from '../helpers/scope.js';

function metric(text: string, series: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return NaN;
}

function cfg(i: number, port: number): string {
  return JSON.stringify({
    _format_version: '3.0',
    services: [{ name: 'svc', url: `http://127.0.0.1:${port}`, routes: [{ name: 'r', paths: ['/load', `/v${i}`] }] }],
  });
}

test('10 reloads (SIGHUP and file rewrites) under continuous keep-alive load: no failed request, each new config applies', async () => {
  const a = await upstream('a');
  const b = await upstream('b');
  // The config path is a symlink: replacing the symlink is a file change the watcher sees,
  // while rewriting the file it points at (in another directory) is invisible to the
  // watcher, so only SIGHUP can apply it — that proves SIGHUP reloads on its own.
  const real = tmpDir('turnpike-reload-real-');
  const linkDir = tmpDir('turnpike-reload-link-');
  onCleanup(async () => {
    fs.rmSync(real, { recursive: true, force: true });
    fs.rmSync(linkDir, { recursive: true, force: true });
  });
  const link = path.join(linkDir, 'kong.json');
  fs.writeFileSync(path.join(real, 'c0.json'), cfg(0, a.port));
  fs.symlinkSync(path.join(real, 'c0.json'), link);
  const gw = await gateway({ config: cfg(0, a.port), args: ['--config', link] });

  const pool = new Pool(gw.url, { connections: 4, pipelining: 1 });
  onCleanup(() => pool.close());
  let ok = 0;
  const failures: string[] = [];
  let running = true;
  const loops = Array.from({ length: 4 }, async () => {
    while (running) {
      try {
        const res = await pool.request({ path: '/load', method: 'GET' });
        const body = await res.body.text();
        if (res.statusCode === 200) ok++;
        else failures.push(`status ${res.statusCode}: ${body.slice(0, 200)}`);
      } catch (err) {
        failures.push(`error: ${(err as Error).message}`);
      }
    }
  });

  let target = path.join(real, 'c0.json');
  let hash = (await gw.status()).config_hash as string;
  try {
    for (let i = 1; i <= 10; i++) {
      const port = i % 2 === 0 ? a.port : b.port;
      const before = await gw.status();
      if (i % 2 === 1) {
        // SIGHUP: rewrite the symlink's target in place (watcher does not see it).
        fs.writeFileSync(target + '.tmp', cfg(i, port));
        fs.renameSync(target + '.tmp', target);
        await sleep(300); // longer than the watcher's debounce: nothing must have reloaded
        assert.equal((await gw.status()).config_hash, hash, `reload ${i}: the config changed without SIGHUP`);
        gw.signal('SIGHUP');
      } else {
        // File change: point the symlink at a new file.
        target = path.join(real, `c${i}.json`);
        fs.writeFileSync(target, cfg(i, port));
        fs.symlinkSync(target, link + '.tmp');
        fs.renameSync(link + '.tmp', link);
      }
      const st = await gw.waitForHash((h) => h !== null && h !== hash, 5000);
      hash = st.config_hash;
      assert.equal(st.workers[0].config_hash, hash);
      assert.equal(st.last_reload.ok, true);
      assert.equal(st.last_reload.trigger, i % 2 === 1 ? 'SIGHUP' : 'file change', `reload ${i} trigger`);
      assert.equal(
        st.reloads.success,
        before.reloads.success + 1,
        `reload ${i}: exactly one successful reload counted`,
      );
      const res = await fetch(`${gw.url}/v${i}`);
      const body = (await res.json()) as { upstream: string };
      assert.equal(res.status, 200, `the route /v${i} added by reload ${i} answers`);
      assert.equal(body.upstream, i % 2 === 0 ? 'a' : 'b', `reload ${i}: the service now points at the new upstream`);
      if (i > 1)
        assert.equal(
          (await fetch(`${gw.url}/v${i - 1}`)).status,
          404,
          `the route /v${i - 1} was removed by reload ${i}`,
        );
      await sleep(100);
    }
  } finally {
    running = false;
    await Promise.all(loops);
  }
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failed requests during reloads`);
  assert.ok(ok > 50, `the load loop made progress (${ok} requests)`);
  const m = await gw.metrics();
  assert.equal(metric(m, 'turnpike_config_reloads_total{result="success"}'), 10);
  assert.equal(metric(m, 'turnpike_config_reloads_total{result="failure"}'), 0);
});

test('an invalid file is refused: the old config keeps serving, last_reload reports the problem, the failure is counted; a fixed file then applies', async () => {
  const a = await upstream('a');
  const b = await upstream('b');
  const gw = await gateway({ config: simpleConfig(a.port) });
  const hash0 = (await gw.status()).config_hash;
  const m0 = await gw.metrics();
  assert.equal(metric(m0, 'turnpike_config_reloads_total{result="failure"}'), 0);

  gw.writeConfig(
    [
      '_format_version: "3.0"',
      'services:',
      '  - name: svc',
      `    url: http://127.0.0.1:${b.port}`,
      '    bogus_field: 1',
      '    routes:',
      '      - name: r',
      '        paths: ["/"]',
      '',
    ].join('\n'),
  );
  let st: any;
  const end = Date.now() + 5000;
  while (Date.now() < end) {
    st = await gw.status();
    if (st.last_reload.ok === false) break;
    await sleep(50);
  }
  assert.equal(st.last_reload.ok, false, 'last_reload reports the refused file: ' + JSON.stringify(st.last_reload));
  assert.match(st.last_reload.error, /bogus_field/, 'the error names the unknown field');
  assert.match(st.last_reload.error, /kong\.yml:5/, 'the error names file:line');
  assert.equal(st.config_hash, hash0, 'the running config is unchanged');
  assert.equal(st.workers[0].config_hash, hash0);
  const res = await fetch(gw.url + '/x');
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as any).upstream, 'a', 'the old config keeps serving');
  const m1 = await gw.metrics();
  assert.equal(metric(m1, 'turnpike_config_reloads_total{result="failure"}'), 1);
  assert.equal(
    metric(m1, 'turnpike_config_reloads_total{result="success"}'),
    metric(m0, 'turnpike_config_reloads_total{result="success"}'),
  );

  gw.writeConfig(simpleConfig(b.port));
  const st2 = await gw.waitForHash((h) => h !== null && h !== hash0);
  assert.equal(st2.last_reload.ok, true);
  assert.equal(st2.last_reload.error, null);
  const res2 = await fetch(gw.url + '/x');
  assert.equal(((await res2.json()) as any).upstream, 'b', 'the fixed file applies');
  assert.equal(metric(await gw.metrics(), 'turnpike_config_reloads_total{result="failure"}'), 1);
});

test('a request in flight when a reload happens completes with 200 (on the snapshot it started with)', async () => {
  const slow = await upstream('slow', (_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('slow done');
    }, 1000);
  });
  const other = await upstream('other');
  const gw = await gateway({ config: simpleConfig(slow.port) });
  const hash0 = (await gw.status()).config_hash;
  const t0 = Date.now();
  const inflight = fetch(gw.url + '/slow').then(async (r) => ({ status: r.status, body: await r.text() }));
  await sleep(200);
  assert.equal(slow.requests.length, 1, 'the request reached the upstream, which answers after 1 s');
  gw.writeConfig(simpleConfig(other.port)); // the new config does not even point at the slow upstream
  await gw.waitForHash((h) => h !== null && h !== hash0);
  assert.ok(Date.now() - t0 < 1000, 'the reload applied while the request was in flight');
  const r = await inflight;
  assert.equal(r.status, 200);
  assert.equal(r.body, 'slow done');
  const now = await fetch(gw.url + '/x');
  assert.equal(((await now.json()) as any).upstream, 'other', 'new requests use the new config');
});

test('a keep-alive client connection survives a reload', async () => {
  const a = await upstream('a');
  const b = await upstream('b');
  const gw = await gateway({ config: simpleConfig(a.port) });
  const client = new Client(gw.url, { pipelining: 1, keepAliveTimeout: 30_000 });
  onCleanup(() => client.close());
  let connects = 0;
  let disconnects = 0;
  client.on('connect', () => connects++);
  client.on('disconnect', () => disconnects++);

  const r1 = await client.request({ path: '/one', method: 'GET' });
  assert.equal(r1.statusCode, 200);
  assert.equal(((await r1.body.json()) as any).upstream, 'a');
  const hash0 = (await gw.status()).config_hash;
  gw.writeConfig(simpleConfig(b.port));
  await gw.waitForHash((h) => h !== null && h !== hash0);
  gw.signal('SIGHUP'); // an unchanged-config reload must not close connections either
  await sleep(300);
  const r2 = await client.request({ path: '/two', method: 'GET' });
  assert.equal(r2.statusCode, 200);
  assert.equal(((await r2.body.json()) as any).upstream, 'b', 'the same connection now serves the new config');
  assert.equal(connects, 1, 'one client connection for both requests');
  assert.equal(disconnects, 0, 'the connection was not closed by the reload');
});

test('--workers 2: reloads under keep-alive load reach every worker with no failed request', async () => {
  const a = await upstream('a');
  const b = await upstream('b');
  const gw = await gateway({ config: cfg(0, a.port), workers: 2 });
  // Several connections so both workers hold some (the primary hands out connections round robin).
  const pool = new Pool(gw.url, { connections: 6, pipelining: 1 });
  onCleanup(() => pool.close());
  const failures: string[] = [];
  let ok = 0;
  let running = true;
  const loops = Array.from({ length: 6 }, async () => {
    while (running) {
      try {
        const res = await pool.request({ path: '/load', method: 'GET' });
        await res.body.text();
        if (res.statusCode === 200) ok++;
        else failures.push(`status ${res.statusCode}`);
      } catch (err) {
        failures.push(`error: ${(err as Error).message}`);
      }
    }
  });
  let hash = (await gw.status()).config_hash as string;
  try {
    for (let i = 1; i <= 4; i++) {
      gw.writeConfig(cfg(i, i % 2 === 0 ? a.port : b.port));
      const st = await gw.waitForHash((h) => h !== null && h !== hash, 5000);
      assert.equal(st.workers.length, 2);
      hash = st.config_hash;
      // Every worker serves the new route: ask on fresh connections until both answered.
      for (let k = 0; k < 6; k++) {
        const r = await fetch(`${gw.url}/v${i}`, { headers: { connection: 'close' } });
        assert.equal(r.status, 200, `/v${i} on a fresh connection`);
        await r.text();
      }
    }
  } finally {
    running = false;
    await Promise.all(loops);
  }
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failed requests`);
  assert.ok(ok > 20);
});
