// The SDK's request-body, method and body-phase APIs, end to end: custom plugins loaded from
// TURNPIKE_PLUGINS read and replace request bodies (Content-Length and chunked, with
// Expect: 100-continue), change the method, filter response bodies (synchronously and
// asynchronously, from Content-Length and chunked upstreams, to HTTP/1.1 and HTTP/1.0
// clients), and see what went upstream in the log phase. Over-limit bodies get a 413 and
// a throwing filter cuts only its own response.

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { ROOT, tmpDir } from '../helpers/gateway.js';
import net from 'node:net';
import { rawRequest } from '../helpers/upstream.js';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';

const dir = tmpDir();
onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));

function customPlugin(name: string, body: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  const sdk = path.join(ROOT, 'dist', 'src', 'plugins', 'sdk.js');
  fs.writeFileSync(
    path.join(d, 'index.mjs'),
    `import fs from 'node:fs';\nimport { definePlugin } from ${JSON.stringify(sdk)};\nexport default definePlugin(${body});\n`,
  );
  return d;
}

const logFile = path.join(dir, 'outcomes.ndjson');

// Reads the body, reports its length upstream, upper-cases it on /upper, replaces it on /replace,
// changes the method on /put.
const bodyPlugin = customPlugin(
  'body-reader',
  `{ name: 'body-reader', version: '1.0.0', priority: 1000,
  schema: { type: 'object', properties: {} },
  phases: { async access(ctx) {
    const p = ctx.request.path;
    if (p.startsWith('/replace')) { ctx.request.setBody('replaced!'); return; }
    if (!p.startsWith('/read') && !p.startsWith('/upper') && !p.startsWith('/put')) return;
    const b = await ctx.request.readBody();
    const again = await ctx.request.readBody();
    ctx.request.setHeader('X-Body-Length', String(b.length));
    ctx.request.setHeader('X-Same-Bytes', String(b === again));
    if (p.startsWith('/upper')) ctx.request.setBody(b.toString().toUpperCase());
    if (p.startsWith('/put')) ctx.request.setMethod('PUT');
  } } }`,
);

// Upper-cases the response body on /f/…; asynchronously on /f/async; throws on /f/boom.
const filterPlugin = customPlugin(
  'shouter',
  `{ name: 'shouter', version: '1.0.0', priority: 900,
  schema: { type: 'object', properties: {} },
  phases: {
    response(ctx) { if (ctx.request.path.startsWith('/f/')) ctx.response.setHeader('X-Filtered', 'yes'); },
    body(ctx) {
      const p = ctx.request.path;
      if (!p.startsWith('/f/')) return null;
      if (p.startsWith('/f/boom')) return { chunk() { throw new Error('filter exploded'); }, end() { return null; } };
      if (p.startsWith('/f/async')) return {
        chunk: (d) => new Promise((r) => setTimeout(() => r(Buffer.from(d.toString('latin1').toUpperCase(), 'latin1')), 5)),
        end: () => new Promise((r) => setTimeout(() => r(Buffer.from('<END>')), 5)),
      };
      return { chunk: (d) => Buffer.from(d.toString('latin1').toUpperCase(), 'latin1'), end: () => Buffer.from('<end>') };
    },
    log(ctx) {
      const o = ctx.outcome;
      fs.appendFileSync(${JSON.stringify(logFile)}, JSON.stringify({ path: ctx.request.path, method: ctx.request.method, status: o.status, upstreamStatus: o.upstreamStatus, upstreamUri: o.upstreamUri,
        startedAt: o.startedAt, resType: o.responseHeaders['content-type'] ?? null, reqHeader: o.requestHeaders['x-body-length'] ?? null }) + '\\n');
    },
  } }`,
);

async function start(env: Record<string, string> = {}) {
  // The upstream echoes method, body and Content-Length; /chunked answers chunked.
  const up = await upstream('b', (req, res, body) => {
    if (req.url!.includes('chunked')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('hello ');
      setTimeout(() => res.end('world'), 20);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        method: req.method,
        body: body.toString(),
        contentLength: req.headers['content-length'] ?? null,
        te: req.headers['transfer-encoding'] ?? null,
      }),
    );
  });
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [{ name: 'svc', url: `http://127.0.0.1:${up.port}`, routes: [{ name: 'r', paths: ['/'] }] }],
      plugins: [{ name: 'body-reader' }, { name: 'shouter' }],
    }),
    env: { TURNPIKE_PLUGINS: `bundled,${bodyPlugin},${filterPlugin}`, TURNPIKE_WORKERS: '1', ...env },
  });
  return { up, gw };
}

/** Sends a head with Expect: 100-continue, waits for the interim 100, then sends the body. */
function expectContinue(port: number, head: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    let sent = false;
    const t = setTimeout(() => s.destroy(), 5000);
    s.on('data', (d) => {
      out += d.toString('latin1');
      if (!sent && out.includes('100 Continue\r\n\r\n')) {
        sent = true;
        s.write(body);
      }
    });
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    s.write(head);
  });
}

type Echo = { method: string; body: string; contentLength: string | null; te: string | null };

test('a plugin reads the request body (Content-Length, chunked, 100-continue) and it still reaches the upstream', async () => {
  const { gw } = await start();
  const r1 = await request(gw.url + '/read', { method: 'POST', body: 'x'.repeat(70_000) });
  const e1 = (await r1.body.json()) as Echo;
  assert.equal(r1.statusCode, 200);
  assert.equal(e1.body.length, 70_000);
  assert.equal(e1.contentLength, '70000');

  // Chunked from the client: the plugin sees the decoded bytes, the upstream gets them with a length.
  const raw = await rawRequest(
    gw.proxyPort,
    'POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
  );
  assert.match(raw, /^HTTP\/1.1 200/);
  const e2 = JSON.parse(raw.slice(raw.indexOf('{'), raw.lastIndexOf('}') + 1)) as Echo;
  assert.equal(e2.body, 'hello world');
  assert.equal(e2.contentLength, '11');
  assert.equal(e2.te, null, 'the buffered body goes upstream with a length, not chunked');

  // Expect: 100-continue: the gateway asks for the body itself when a plugin needs it.
  const cont = await expectContinue(
    gw.proxyPort,
    'POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
    'abc',
  );
  assert.match(cont, /^HTTP\/1.1 100 Continue\r\n\r\nHTTP\/1.1 200/);
  assert.match(cont, /"body":"abc"/);
});

test('a plugin replaces the body and the method; several reads give the same bytes', async () => {
  const { gw, up } = await start();
  const r = await request(gw.url + '/upper', { method: 'POST', body: 'quiet words' });
  const e = (await r.body.json()) as Echo;
  assert.equal(e.body, 'QUIET WORDS');
  assert.equal(e.contentLength, '11');
  const seen = up.requests.at(-1)!;
  assert.equal(seen.headers['x-body-length'], '11');
  assert.equal(seen.headers['x-same-bytes'], 'true');

  // A GET without a body gets one; a client body that was replaced is read off and dropped.
  const g = (await (await request(gw.url + '/replace')).body.json()) as Echo;
  assert.equal(g.body, 'replaced!');
  assert.equal(g.contentLength, '9');
  const p = (await (
    await request(gw.url + '/replace', { method: 'POST', body: 'y'.repeat(100_000) })
  ).body.json()) as Echo;
  assert.equal(p.body, 'replaced!');

  const put = (await (await request(gw.url + '/put', { method: 'POST', body: 'm' })).body.json()) as Echo;
  assert.equal(put.method, 'PUT');
  assert.equal(put.body, 'm');
});

test('a body over client_body_buffer_limit gets a 413 and the gateway keeps serving', async () => {
  const { gw, up } = await start({ TURNPIKE_CLIENT_BODY_BUFFER_LIMIT: '4096' });
  const before = up.requests.length;
  const big = await request(gw.url + '/read', { method: 'POST', body: 'z'.repeat(100_000) }).catch((e: Error) => e);
  if (!(big instanceof Error)) {
    assert.equal(big.statusCode, 413);
    assert.match(await big.body.text(), /Request size limit exceeded/);
  }
  const chunked = await rawRequest(
    gw.proxyPort,
    'POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' +
      ('1000\r\n' + 'q'.repeat(4096) + '\r\n').repeat(3) +
      '0\r\n\r\n',
  );
  assert.match(chunked, /^HTTP\/1.1 413 /);
  assert.match(chunked, /Connection: close/i);
  assert.equal(up.requests.length, before, 'nothing reached the upstream');
  const small = await request(gw.url + '/read', { method: 'POST', body: 'fits' });
  assert.equal(((await small.body.json()) as Echo).body, 'fits');
  // The access log is written in batches: wait for the refused request's line and its reason.
  let log = '';
  for (let i = 0; i < 50 && !/client_body_buffer_limit/.test(log); i++) {
    await new Promise((r) => setTimeout(r, 100));
    log = fs.existsSync(gw.accessLogPath) ? fs.readFileSync(gw.accessLogPath, 'utf8') : '';
  }
  assert.match(log, /"status":413.*client_body_buffer_limit/);
});

test('body filters change the response body, synchronously or not, for chunked and length-framed upstreams', async () => {
  const { gw } = await start();
  const a = await request(gw.url + '/f/plain');
  assert.equal(a.headers['x-filtered'], 'yes');
  assert.equal(a.headers['content-length'], undefined, 'the length changed: no Content-Length');
  assert.equal(a.headers['transfer-encoding'], 'chunked');
  const text = await a.body.text();
  assert.match(text, /^\{"METHOD":"GET"/);
  assert.ok(text.endsWith('<end>'));

  const b = await request(gw.url + '/f/async/chunked');
  assert.equal(await b.body.text(), 'HELLO WORLD<END>');

  // An HTTP/1.0 client gets the filtered body delimited by the connection's close.
  const old = await rawRequest(gw.proxyPort, 'GET /f/chunked HTTP/1.0\r\nHost: x\r\n\r\n');
  assert.match(old, /^HTTP\/1.1 200/);
  assert.doesNotMatch(old, /Transfer-Encoding/i);
  assert.ok(old.endsWith('\r\n\r\nHELLO WORLD<end>'), old);

  // Unfiltered paths keep their framing and bytes.
  const plain = await request(gw.url + '/chunked');
  assert.equal(await plain.body.text(), 'hello world');
});

test('a throwing body filter cuts only its response; the log phase sees what went upstream', async () => {
  const { gw } = await start();
  await assert.rejects(async () => {
    const r = await request(gw.url + '/f/boom');
    await r.body.text();
  });
  assert.match(
    await gw.waitForStderr(/shouter.*filter exploded|filter exploded.*shouter/),
    /shouter.*filter exploded|filter exploded.*shouter/,
  );
  const ok = await request(gw.url + '/put/x?q=1', { method: 'POST', body: 'abc' });
  assert.equal(ok.statusCode, 200);
  await ok.body.text();
  // The log phase runs after the response: wait for its line.
  const deadline = Date.now() + 5000;
  let line: Record<string, unknown> | undefined;
  while (Date.now() < deadline) {
    const lines = fs.existsSync(logFile)
      ? fs
          .readFileSync(logFile, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>)
      : [];
    line = lines.find((l) => l.path === '/put/x');
    if (line) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(line, 'the log phase ran');
  assert.equal(line.method, 'POST');
  assert.equal(line.upstreamUri, 'PUT /put/x?q=1');
  assert.equal(line.upstreamStatus, 200);
  assert.equal(line.status, 200);
  assert.equal(line.resType, 'application/json');
  assert.equal(line.reqHeader, '3');
  assert.ok(Math.abs((line.startedAt as number) - Date.now()) < 60_000, 'startedAt is an epoch time');
});

test('the log phase reads each request as it was, also for pipelined requests on one connection', async () => {
  const { gw } = await start();
  const two =
    'POST /read/a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\naa' +
    'POST /read/b HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbbbb';
  const raw = await rawRequest(gw.proxyPort, two);
  assert.equal(raw.match(/HTTP\/1.1 200/g)?.length, 2);
  const deadline = Date.now() + 5000;
  let lines: Record<string, unknown>[] = [];
  while (Date.now() < deadline) {
    lines = fs.existsSync(logFile)
      ? fs
          .readFileSync(logFile, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>)
      : [];
    if (lines.some((l) => l.path === '/read/b')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const a = lines.find((l) => l.path === '/read/a');
  const b = lines.find((l) => l.path === '/read/b');
  assert.ok(a && b, 'both requests were logged');
  assert.equal(a.reqHeader, '2', 'the first request keeps its own headers though the second reused the connection');
  assert.equal(b.reqHeader, '4');
  assert.equal(a.upstreamUri, 'POST /read/a');
});
