// Plugins end to end: bundled plugins configured in a Kong file run in the real gateway,
// with Kong's scopes and precedence; custom plugins load from TURNPIKE_PLUGINS; a plugin
// that throws or hangs costs its request a 500, never the process.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { ROOT, runCli, tmpDir } from '../helpers/gateway.js';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';

function file(upPort: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    _format_version: '3.0',
    services: [
      {
        name: 'svc',
        url: `http://127.0.0.1:${upPort}`,
        routes: [
          { name: 'open', paths: ['/open'] },
          {
            name: 'cors',
            paths: ['/cors'],
            plugins: [{ name: 'cors', config: { origins: ['https://app.example'], credentials: true } }],
          },
          {
            name: 'blocked',
            paths: ['/blocked'],
            plugins: [{ name: 'ip-restriction', config: { deny: ['127.0.0.0/8'] } }],
          },
        ],
        plugins: [{ name: 'correlation-id', config: { echo_downstream: true } }],
      },
    ],
    routes: [
      // A route without a service still answers through request-termination, as in Kong.
      {
        name: 'down',
        paths: ['/down'],
        plugins: [{ name: 'request-termination', config: { status_code: 418, message: 'short and stout' } }],
      },
    ],
    ...extra,
  });
}

test('bundled plugins run per route with Kong semantics', async () => {
  const up = await upstream('a');
  const gw = await gateway({ config: file(up.port) });

  const down = await request(gw.url + '/down');
  assert.equal(down.statusCode, 418);
  assert.deepEqual(await down.body.json(), { message: 'short and stout' });

  // correlation-id on the service: the upstream gets the id, the client gets it back.
  const open = await request(gw.url + '/open/x');
  assert.equal(open.statusCode, 200);
  const seen = (await open.body.json()) as { headers: Record<string, string> };
  const id = seen.headers['kong-request-id'];
  assert.ok(id, 'upstream saw Kong-Request-ID');
  assert.equal(open.headers['kong-request-id'], id);

  // cors: a preflight is answered by the gateway, a normal request gets the CORS headers.
  const before = up.requests.length;
  const pre = await request(gw.url + '/cors/x', {
    method: 'OPTIONS',
    headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT' },
  });
  await pre.body.text();
  assert.equal(pre.statusCode, 200);
  assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
  assert.equal(pre.headers['access-control-allow-credentials'], 'true');
  assert.equal(up.requests.length, before, 'the preflight did not reach the upstream');
  const get = await request(gw.url + '/cors/x', { headers: { origin: 'https://app.example' } });
  await get.body.text();
  assert.equal(get.statusCode, 200);
  assert.equal(get.headers['access-control-allow-origin'], 'https://app.example');

  // ip-restriction on one route only.
  const blocked = await request(gw.url + '/blocked');
  assert.equal(blocked.statusCode, 403);
  assert.match(JSON.stringify(await blocked.body.json()), /not allowed/i);
  assert.equal(up.requests.filter((r) => r.url.startsWith('/blocked')).length, 0);
});

test('a route-level instance beats a global one (Kong precedence)', async () => {
  const up = await upstream('b');
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            { name: 'a', paths: ['/a'] },
            {
              name: 'b',
              paths: ['/b'],
              plugins: [{ name: 'request-termination', config: { status_code: 404, message: 'route level' } }],
            },
          ],
        },
      ],
      plugins: [{ name: 'request-termination', config: { status_code: 503, message: 'global' } }],
    }),
  });
  const a = await request(gw.url + '/a');
  assert.equal(a.statusCode, 503);
  assert.deepEqual(await a.body.json(), { message: 'global' });
  const b = await request(gw.url + '/b');
  assert.equal(b.statusCode, 404);
  assert.deepEqual(await b.body.json(), { message: 'route level' });
  assert.equal(up.requests.length, 0);
});

function customPlugin(dir: string, name: string, body: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  const sdk = path.join(ROOT, 'dist', 'src', 'plugins', 'sdk.js');
  fs.writeFileSync(
    path.join(d, 'index.mjs'),
    `import { definePlugin } from ${JSON.stringify(sdk)};\nexport default definePlugin(${body});\n`,
  );
  return d;
}

test('custom plugins load from TURNPIKE_PLUGINS; throwing and hanging plugins cost one request a 500', async () => {
  const up = await upstream('c');
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const asyncHeader = customPlugin(
    dir,
    'async-header',
    `{ name: 'async-header', version: '1.0.0', priority: 900,
    schema: { type: 'object', properties: { value: { type: 'string', default: 'v' } }, additionalProperties: false },
    phases: { async access(ctx, conf) { await new Promise((r) => setTimeout(r, 30)); ctx.request.setHeader('X-Async', conf.value); } } }`,
  );
  const thrower = customPlugin(
    dir,
    'thrower',
    `{ name: 'thrower', version: '1.0.0', priority: 800, schema: { type: 'object', properties: {} },
    phases: { access(ctx) { if (ctx.request.path.startsWith('/boom')) throw new Error('kaboom'); } } }`,
  );
  const hello = path.join(ROOT, 'examples', 'plugins', 'hello-header');
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [{ name: 'svc', url: `http://127.0.0.1:${up.port}`, routes: [{ name: 'r', paths: ['/'] }] }],
      plugins: [
        { name: 'async-header', config: { value: 'yes' } },
        { name: 'thrower' },
        { name: 'hello-header', config: { greeting: 'there' } },
      ],
    }),
    env: { TURNPIKE_PLUGINS: `bundled,${asyncHeader},${thrower},${hello}` },
  });
  const ok = await request(gw.url + '/fine');
  const seen = (await ok.body.json()) as { headers: Record<string, string> };
  assert.equal(ok.statusCode, 200);
  assert.equal(seen.headers['x-async'], 'yes', 'the async access handler ran before proxying');
  assert.equal(ok.headers['x-hello'], 'there', 'the example plugin set its response header');

  const boom = await request(gw.url + '/boom');
  assert.equal(boom.statusCode, 500);
  assert.equal(((await boom.body.json()) as { message: string }).message, 'An unexpected error occurred');
  assert.match(
    await gw.waitForStderr(/thrower.*kaboom|kaboom.*thrower/),
    /thrower.*kaboom|kaboom.*thrower/,
    'a log line names the plugin and the error',
  );

  const after = await request(gw.url + '/fine-again');
  await after.body.text();
  assert.equal(after.statusCode, 200, 'the worker kept serving');
});

test('bad plugin configuration and unknown custom plugins stop the start with a clear message', async () => {
  const up = await upstream('d');
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const cfg = path.join(dir, 'kong.yml');
  fs.writeFileSync(
    cfg,
    JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [{ name: 'r', paths: ['/'], plugins: [{ name: 'ip-restriction', config: { deny: ['not-an-ip'] } }] }],
        },
      ],
    }),
  );
  const bad = await runCli(['validate', cfg]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /ip-restriction/);
  assert.match(bad.stderr, /not-an-ip/);
  const missing = await runCli(['validate', cfg], { TURNPIKE_PLUGINS: 'bundled,./no/such/plugin' });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no\/such\/plugin/);
});
