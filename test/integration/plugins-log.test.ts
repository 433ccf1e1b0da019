// Log plugins and redirect end to end: file-log and http-log in the real gateway write Kong's
// log-serializer entries off the request path (a dead collector or file never touches the
// proxied responses); redirect answers with Kong's status, Location and body.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { freePort, runCli, sleep, tmpDir } from '../helpers/gateway.js';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';

async function until<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(25);
  }
}

function readLines(file: string): any[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

test('file-log appends one Kong-shaped JSON line per request', async () => {
  const up = await upstream('fl');
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const logFile = path.join(dir, 'logs', 'requests.log');
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [{ name: 'logged', paths: ['/logged'], plugins: [{ name: 'file-log', config: { path: logFile } }] }],
        },
      ],
      routes: [
        {
          name: 'down',
          paths: ['/down'],
          plugins: [
            { name: 'request-termination', config: { status_code: 503 } },
            { name: 'file-log', config: { path: logFile, reopen: true } },
          ],
        },
      ],
    }),
  });

  const a = await request(gw.url + '/logged/a?x=1&x=2&flag', {
    headers: { 'user-agent': 't/1', authorization: 'Bearer secret' },
  });
  await a.body.text();
  assert.equal(a.statusCode, 200);
  const b = await request(gw.url + '/logged/b', {
    method: 'POST',
    body: 'hello',
    headers: { 'content-type': 'text/plain' },
  });
  await b.body.text();
  const c = await request(gw.url + '/down');
  await c.body.text();
  assert.equal(c.statusCode, 503);

  const lines = await until('3 log lines', () => {
    const l = readLines(logFile);
    return l.length >= 3 ? l : null;
  });
  assert.equal(lines.length, 3);
  const byUri = new Map(lines.map((l) => [l.request.uri, l]));
  const la = byUri.get('/logged/a?x=1&x=2&flag');
  assert.ok(la, 'line for GET /logged/a');
  assert.equal(la.request.method, 'GET');
  assert.deepEqual(la.request.querystring, { x: ['1', '2'], flag: true });
  assert.equal(la.request.headers['user-agent'], 't/1');
  assert.equal(la.request.headers.authorization, 'REDACTED');
  assert.equal(la.request.url, `http://127.0.0.1:${gw.proxyPort}/logged/a?x=1&x=2&flag`);
  assert.equal(la.response.status, 200);
  assert.equal(la.response.headers['content-type'], 'application/json');
  assert.ok(la.response.size > 0);
  assert.equal(la.route.name, 'logged');
  assert.equal(la.service.name, 'svc');
  assert.equal(la.client_ip, '127.0.0.1');
  assert.equal(typeof la.latencies.request, 'number');
  assert.ok(la.latencies.proxy >= 0);
  assert.ok(Math.abs(la.started_at - Date.now()) < 60_000);
  assert.deepEqual(la.tries, [{ ip: '127.0.0.1', port: up.port }]);

  const lb = byUri.get('/logged/b');
  assert.equal(lb.request.method, 'POST');
  assert.equal(lb.response.status, 200);

  const lc = byUri.get('/down');
  assert.equal(lc.response.status, 503);
  assert.equal(lc.route.name, 'down');
  assert.equal(lc.service, null);
  assert.equal(lc.latencies.proxy, -1);
});

test('file-log: an unwritable path costs log lines, never requests; Lua is refused', async () => {
  const up = await upstream('fl2');
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const blocker = path.join(dir, 'not-a-dir');
  fs.writeFileSync(blocker, 'x');
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [{ name: 'svc', url: `http://127.0.0.1:${up.port}`, routes: [{ name: 'r', paths: ['/'] }] }],
      plugins: [{ name: 'file-log', config: { path: path.join(blocker, 'x.log') } }],
    }),
  });
  for (let i = 0; i < 5; i++) {
    const r = await request(gw.url + '/x');
    await r.body.text();
    assert.equal(r.statusCode, 200);
  }
  await until('an error line naming file-log', () => /"plugin":"file-log"/.test(gw.stderr));

  const cfg = path.join(dir, 'lua.yml');
  fs.writeFileSync(
    cfg,
    JSON.stringify({
      _format_version: '3.0',
      plugins: [{ name: 'file-log', config: { path: '/tmp/x.log', custom_fields_by_lua: { a: 'return 1' } } }],
    }),
  );
  const v = await runCli(['validate', cfg]);
  assert.notEqual(v.code, 0);
  assert.match(v.stdout + v.stderr, /Lua is not supported/);
});

test("redirect answers with the status, Location and Kong's body", async () => {
  const up = await upstream('rd');
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            {
              name: 'plain',
              paths: ['/old'],
              plugins: [{ name: 'redirect', config: { location: 'https://new.example/landing?src=old' } }],
            },
            {
              name: 'keep',
              paths: ['/keep'],
              plugins: [
                {
                  name: 'redirect',
                  config: {
                    status_code: 308,
                    location: 'https://new.example:8443/ignored?q=1#top',
                    keep_incoming_path: true,
                  },
                },
              ],
            },
          ],
        },
      ],
    }),
  });
  const a = await request(gw.url + '/old/page?x=1');
  assert.equal(a.statusCode, 301);
  assert.equal(a.headers.location, 'https://new.example/landing?src=old');
  assert.equal(await a.body.text(), 'redirecting');

  const b = await request(gw.url + '/keep/a/b?x=1&y=2');
  assert.equal(b.statusCode, 308);
  assert.equal(b.headers.location, 'https://new.example:8443/keep/a/b?x=1&y=2#top');
  await b.body.text();

  const c = await request(gw.url + '/keep/z');
  assert.equal(c.headers.location, 'https://new.example:8443/keep/z#top');
  await c.body.text();
  assert.equal(up.requests.length, 0, 'nothing went upstream');

  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const cfg = path.join(dir, 'bad.yml');
  fs.writeFileSync(
    cfg,
    JSON.stringify({ _format_version: '3.0', plugins: [{ name: 'redirect', config: { location: 'not a url' } }] }),
  );
  const v = await runCli(['validate', cfg]);
  assert.notEqual(v.code, 0);
  assert.match(v.stdout + v.stderr, /not a valid URL/);
});

test('http-log delivers entries to a collector; batches are JSON arrays; a dead collector never touches requests', async () => {
  const up = await upstream('hl');
  const collector = await upstream('collector', (_req, res) => {
    res.writeHead(200);
    res.end('ok');
  });
  const deadPort = await freePort(); // nothing listens there
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            {
              name: 'single',
              paths: ['/single'],
              plugins: [
                {
                  name: 'http-log',
                  config: {
                    http_endpoint: `http://user:pw@127.0.0.1:${collector.port}/single`,
                    headers: { 'X-Token': 't1' },
                  },
                },
              ],
            },
            {
              name: 'batched',
              paths: ['/batched'],
              // Kong's older flat fields, upgraded to queue.max_batch_size / max_coalescing_delay.
              plugins: [
                {
                  name: 'http-log',
                  config: {
                    http_endpoint: `http://127.0.0.1:${collector.port}/batched`,
                    method: 'PUT',
                    queue_size: 3,
                    flush_timeout: 1,
                    retry_count: 5,
                  },
                },
              ],
            },
            {
              name: 'dead',
              paths: ['/dead'],
              plugins: [
                {
                  name: 'http-log',
                  config: {
                    http_endpoint: `http://127.0.0.1:${deadPort}/x`,
                    timeout: 500,
                    queue: { max_retry_time: 1 },
                  },
                },
              ],
            },
          ],
        },
      ],
    }),
  });

  const s = await request(gw.url + '/single/a?k=v');
  await s.body.text();
  assert.equal(s.statusCode, 200);
  const single = await until('the single entry', () => collector.requests.find((r) => r.url === '/single'));
  assert.equal(single.method, 'POST');
  assert.equal(single.headers['content-type'], 'application/json');
  assert.equal(single.headers['x-token'], 't1');
  assert.equal(single.headers.authorization, 'Basic ' + Buffer.from('user:pw').toString('base64'));
  const e = JSON.parse(single.body.toString());
  assert.ok(!Array.isArray(e), 'max_batch_size 1 sends a single object');
  assert.equal(e.request.method, 'GET');
  assert.equal(e.request.uri, '/single/a?k=v');
  assert.equal(e.response.status, 200);
  assert.equal(e.route.name, 'single');

  for (let i = 0; i < 4; i++) {
    const r = await request(gw.url + '/batched/' + i);
    await r.body.text();
  }
  const batches = await until('4 batched entries', () => {
    const b = collector.requests.filter((r) => r.url === '/batched');
    const n = b.reduce((acc, r) => acc + (JSON.parse(r.body.toString()) as unknown[]).length, 0);
    return n >= 4 ? b : null;
  });
  assert.ok(batches.every((b) => b.method === 'PUT'));
  assert.deepEqual(
    batches.map((b) => JSON.parse(b.body.toString()).length),
    [3, 1],
    'a full batch of 3, then the rest after the coalescing delay',
  );
  const uris = batches.flatMap((b) => JSON.parse(b.body.toString()).map((x: any) => x.request.uri)).sort();
  assert.deepEqual(uris, ['/batched/0', '/batched/1', '/batched/2', '/batched/3']);

  // A dead collector: requests are proxied as usual and fast; the failure is logged.
  const t0 = Date.now();
  for (let i = 0; i < 20; i++) {
    const r = await request(gw.url + '/dead/' + i);
    await r.body.text();
    assert.equal(r.statusCode, 200);
  }
  assert.ok(Date.now() - t0 < 3000, 'requests did not wait for the collector');
  await until('the http-log error line', () => /"plugin":"http-log"/.test(gw.stderr), 8000);
  const after = await request(gw.url + '/single/after');
  await after.body.text();
  assert.equal(after.statusCode, 200);
});
