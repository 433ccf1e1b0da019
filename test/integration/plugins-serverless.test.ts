// pre-function and post-function end to end, through the real gateway: JavaScript function
// bodies that edit the request, answer it, fail, or loop (stopped by the time limit while the
// worker keeps serving), the run order around other plugins, and Lua refused by `validate`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, tmpDir } from '../helpers/gateway.js';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';
import { get, reached, type Seen } from '../helpers/fetch.js';

test('pre-function / post-function: JavaScript per phase, short-circuit, failures and loops cost one request a 500', async () => {
  const up = await upstream('fn');
  const route = (name: string, plugins: Record<string, unknown>[]) => ({
    name,
    paths: ['/' + name],
    strip_path: false,
    plugins,
  });
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            route('hdr', [
              {
                name: 'pre-function',
                config: {
                  access: [
                    "ctx.request.setHeader('X-From-Pre', 'pre:' + ctx.request.method + ' ' + ctx.request.path);",
                    "await null; ctx.shared.n = (ctx.shared.n ?? 0) + 1; ctx.request.setHeader('X-Second', String(ctx.shared.n));",
                  ],
                  header_filter: ["ctx.response.setHeader('X-Upstream-Status', String(ctx.response.status));"],
                  log: ["if (ctx.outcome.status !== 200) throw new Error('unexpected')"],
                },
              },
            ]),
            route('deny', [
              {
                name: 'pre-function',
                config: {
                  access: [
                    "if (ctx.request.getHeader('x-let-me-in') !== 'yes') ctx.respond(403, { message: 'nope' });",
                  ],
                },
              },
            ]),
            route('throw', [{ name: 'pre-function', config: { access: ["throw new Error('kaput')"] } }]),
            route('loop', [{ name: 'pre-function', config: { access: ['for (;;) {}'] } }]),
            route('aloop', [
              {
                name: 'post-function',
                config: { access: ['await Promise.resolve(); while (true) {}'], timeout_ms: 100 },
              },
            ]),
            route('order', [
              { name: 'key-auth' },
              {
                name: 'post-function',
                config: {
                  access: ["ctx.request.setHeader('X-Post-Saw', ctx.consumer ? ctx.consumer.username : 'nobody');"],
                },
              },
              {
                name: 'pre-function',
                config: {
                  access: ["ctx.request.setHeader('X-Pre-Saw', ctx.consumer ? ctx.consumer.username : 'nobody');"],
                },
              },
            ]),
            route('sandbox', [
              {
                name: 'pre-function',
                config: {
                  access: [
                    "ctx.request.setHeader('X-Globals', [typeof require, typeof process, typeof setTimeout, typeof globalThis.Buffer].join(','));" +
                      "let ev; try { eval('1'); ev = 'allowed'; } catch { ev = 'refused'; } ctx.request.setHeader('X-Eval', ev);",
                  ],
                },
              },
            ]),
          ],
        },
      ],
      consumers: [{ username: 'alice', keyauth_credentials: [{ key: 'alice-key' }] }],
    }),
  });

  // A function sets request headers the upstream sees; a header_filter function edits the response.
  const h = await get(gw.url + '/hdr/x');
  assert.equal(h.status, 200, h.text);
  assert.equal((h.json as Seen).headers['x-from-pre'], 'pre:GET /hdr/x');
  assert.equal((h.json as Seen).headers['x-second'], '1', 'functions of a phase run in order, with await');
  assert.equal(h.headers['x-upstream-status'], '200');

  // ctx.respond short-circuits: nothing goes upstream.
  const d = await get(gw.url + '/deny/x');
  assert.equal(d.status, 403);
  assert.deepEqual(d.json, { message: 'nope' });
  assert.equal(reached(up, '/deny'), 0);
  assert.equal((await get(gw.url + '/deny/x', { 'x-let-me-in': 'yes' })).status, 200);

  // A throwing function: 500 and a log line naming the plugin.
  const t = await get(gw.url + '/throw/x');
  assert.equal(t.status, 500);
  assert.equal(reached(up, '/throw'), 0);

  // An infinite loop is stopped by the time limit: 500, fast, and the worker keeps serving.
  for (const p of ['/loop/x', '/aloop/x']) {
    const started = Date.now();
    const l = await get(gw.url + p);
    assert.equal(l.status, 500, p);
    assert.ok(Date.now() - started < 3000, `${p} answered within the limit (${Date.now() - started} ms)`);
    const after = await get(gw.url + '/hdr/y');
    assert.equal(after.status, 200, 'the gateway keeps serving after a looping function');
  }
  assert.equal(reached(up, '/loop') + reached(up, '/aloop'), 0);

  // Order: pre-function (1000000) runs before key-auth (1250), post-function (-1000) after it.
  const o = await get(gw.url + '/order/x', { apikey: 'alice-key' });
  assert.equal(o.status, 200, o.text);
  assert.equal((o.json as Seen).headers['x-pre-saw'], 'nobody');
  assert.equal((o.json as Seen).headers['x-post-saw'], 'alice');

  // The sandbox has no require, process, timers, Buffer or eval.
  const s = await get(gw.url + '/sandbox/x');
  assert.equal((s.json as Seen).headers['x-globals'], 'undefined,undefined,undefined,undefined');
  assert.equal((s.json as Seen).headers['x-eval'], 'refused');

  const out = gw.stderr + gw.stdout;
  assert.match(out, /pre-function.*kaput/);
  assert.match(out, /pre-function.*longer than 1000 ms/);
  assert.match(out, /post-function.*longer than 100 ms/);
});

test('pre-function: Lua source, unsupported phases and broken JavaScript are refused by `turnpike validate`', async () => {
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'pre-function',
      {
        access: [
          "local h = kong.request.get_header('x-token')\nif not h then\n  return kong.response.exit(401, { message = 'no token' })\nend",
        ],
      },
      /pre-function.*access\[0\]: Lua is not supported.*JavaScript/s,
    ],
    ['post-function', { log: ["kong.log.err('done')"] }, /post-function.*log\[0\]: Lua is not supported.*JavaScript/s],
    ['pre-function', { functions: ["ngx.say('hi')"] }, /pre-function.*access\[0\]: Lua is not supported/s],
    ['pre-function', { body_filter: ['ctx.x = 1'] }, /pre-function.*body_filter.*not supported/s],
    ['pre-function', { certificate: ['ctx.x = 1'] }, /pre-function.*certificate.*not supported/s],
    [
      'post-function',
      { access: ['ctx.request.setHeader(('] },
      /post-function.*access\[0\]: not a valid JavaScript function body/s,
    ],
  ];
  for (const [name, config, msg] of cases) {
    const cfg = path.join(dir, 'kong.yml');
    fs.writeFileSync(
      cfg,
      JSON.stringify({
        _format_version: '3.0',
        services: [
          { name: 's', url: 'http://127.0.0.1:9', routes: [{ name: 'r', paths: ['/'], plugins: [{ name, config }] }] },
        ],
      }),
    );
    const res = await runCli(['validate', cfg]);
    assert.equal(res.code, 1, JSON.stringify(config));
    assert.match(res.stderr + res.stdout, msg);
  }
  // A Kong dump with every phase present but empty, and JavaScript in access, is valid.
  const cfg = path.join(dir, 'ok.yml');
  const empty = {
    certificate: [],
    rewrite: [],
    header_filter: [],
    body_filter: [],
    log: [],
    ws_handshake: [],
    ws_client_frame: [],
    ws_upstream_frame: [],
    ws_close: [],
  };
  fs.writeFileSync(
    cfg,
    JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 's',
          url: 'http://127.0.0.1:9',
          routes: [
            {
              name: 'r',
              paths: ['/'],
              plugins: [{ name: 'pre-function', config: { ...empty, access: ["ctx.request.setHeader('x', '1')"] } }],
            },
          ],
        },
      ],
    }),
  );
  const ok = await runCli(['validate', cfg]);
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
});
