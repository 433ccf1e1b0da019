// response-compression end to end: a real gateway process in front of a real upstream; what
// the client gets is decompressed with node:zlib (and by curl --compressed) and compared with
// the upstream's bytes exactly.
//
// curl is installed by .ci/run; without it the curl test is skipped loudly, except under
// CI=true where it fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { request } from 'undici';
import { runCli, tmpDir } from '../helpers/gateway.js';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';

const CI = process.env.CI === 'true';
const hasCurl = spawnSync('curl', ['--version']).status === 0;
if (!hasCurl && !CI) console.error('\n*** plugins-compression: curl not installed; the curl test is SKIPPED ***\n');

/** Deterministic text that compresses, but not to nothing (so zlib emits output as it goes). */
function text(bytes: number, seed = 1): Buffer {
  let x = seed;
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
  let s = '';
  while (s.length < bytes) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += words[x % words.length] + (x % 7 === 0 ? '\n' : ' ') + (x % 1000).toString(16) + ' ';
  }
  return Buffer.from(s.slice(0, bytes));
}

const BODY = text(8000);
const SMALL = text(300);
const BIG = text(1024 * 1024, 7);
const STREAMED = [text(3000, 2), text(5000, 3), text(10, 4), text(20000, 5)];
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), text(6000, 9)]);

/** Lets the /held response finish once the client has received compressed bytes. */
let release: () => void = () => {};

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = req.url!;
  if (url.startsWith('/cl')) {
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': BODY.length,
      etag: '"v1"',
      'accept-ranges': 'bytes',
    });
    res.end(BODY);
  } else if (url.startsWith('/chunked')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    let i = 0;
    const next = () => {
      if (i === STREAMED.length) return res.end();
      res.write(STREAMED[i++]);
      setTimeout(next, 5);
    };
    next();
  } else if (url.startsWith('/big')) {
    res.writeHead(200, { 'content-type': 'text/html' });
    let o = 0;
    const write = () => {
      while (o < BIG.length) {
        const piece = BIG.subarray(o, o + 65536);
        o += piece.length;
        if (!res.write(piece)) return void res.once('drain', write);
      }
      res.end();
    };
    write();
  } else if (url.startsWith('/held/')) {
    // /held/<type>/<n>: the first n bytes of BIG, then nothing until the test calls release().
    const [, , type, sub, n] = url.split('/');
    res.writeHead(200, { 'content-type': `${type}/${sub}` });
    res.write(BIG.subarray(0, Number(n)));
    release = () => res.end(BIG.subarray(Number(n)));
  } else if (url.startsWith('/small')) {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': SMALL.length });
    res.end(SMALL);
  } else if (url.startsWith('/encoded')) {
    const gz = zlib.gzipSync(BODY);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': gz.length });
    res.end(gz);
  } else if (url.startsWith('/png')) {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length });
    res.end(PNG);
  } else if (url.startsWith('/no-transform')) {
    res.writeHead(200, {
      'content-type': 'text/plain',
      'cache-control': 'public, no-transform',
      'content-length': BODY.length,
    });
    res.end(BODY);
  } else if (url.startsWith('/not-modified')) {
    res.writeHead(304, { etag: '"v1"' });
    res.end();
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('no such test path');
  }
}

async function fetchRaw(url: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await request(url, { method, headers });
  const body = Buffer.from(await res.body.arrayBuffer());
  const h = res.headers;
  const one = (n: string) => (Array.isArray(h[n]) ? (h[n] as string[]).join(', ') : (h[n] as string | undefined));
  return { status: res.statusCode, header: one, body };
}

function decode(encoding: string | undefined, body: Buffer): Buffer {
  if (encoding === 'gzip') return zlib.gunzipSync(body);
  if (encoding === 'br') return zlib.brotliDecompressSync(body);
  assert.equal(encoding, undefined, 'unexpected Content-Encoding ' + encoding);
  return body;
}

async function setup() {
  const up = await upstream('compress', handler);
  const plugin = (config: Record<string, unknown> = {}) => [{ name: 'response-compression', config }];
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            { name: 'default', paths: ['/d'], strip_path: true, plugins: plugin() },
            {
              name: 'gzip-first',
              paths: ['/g'],
              strip_path: true,
              plugins: plugin({ algorithms: ['gzip', 'br'], level: { gzip: 9, br: 11 } }),
            },
            { name: 'flush', paths: ['/f'], strip_path: true, plugins: plugin({ flush: true }) },
            {
              name: 'no-vary',
              paths: ['/nv'],
              strip_path: true,
              plugins: plugin({ vary: false, min_length: 0, content_types: ['*'] }),
            },
          ],
        },
      ],
    }),
  });
  return { up, gw };
}

const ctx = setup();
ctx.catch(() => {}); // reported by the tests that await it

test('gzip and br: Content-Length and streamed upstreams decompress to exactly the upstream body, with Vary', async () => {
  const { gw } = await ctx;
  for (const enc of ['gzip', 'br']) {
    for (const [p, want, type] of [
      ['/d/cl', BODY, 'text/plain; charset=utf-8'],
      ['/d/chunked', Buffer.concat(STREAMED), 'application/json'],
      ['/d/big', BIG, 'text/html'],
    ] as const) {
      const r = await fetchRaw(gw.url + p, { 'accept-encoding': enc });
      const what = `${enc} ${p}`;
      assert.equal(r.status, 200, what);
      assert.equal(r.header('content-encoding'), enc, what);
      assert.equal(r.header('content-length'), undefined, what);
      assert.equal(r.header('transfer-encoding'), 'chunked', what);
      assert.equal(r.header('content-type'), type, what);
      assert.match(r.header('vary') ?? '', /accept-encoding/i, what);
      assert.ok(r.body.length < want.length, `${what}: ${r.body.length} compressed bytes for ${want.length}`);
      assert.ok(decode(enc, r.body).equals(want), what + ': decompressed body differs');
    }
  }
});

test('compressed: a strong ETag is weakened and Accept-Ranges dropped; uncompressed they stay', async () => {
  const { gw } = await ctx;
  const z = await fetchRaw(gw.url + '/d/cl', { 'accept-encoding': 'gzip' });
  assert.equal(z.header('etag'), 'W/"v1"');
  assert.equal(z.header('accept-ranges'), undefined);
  const plain = await fetchRaw(gw.url + '/d/cl');
  assert.equal(plain.header('content-encoding'), undefined);
  assert.equal(plain.header('etag'), '"v1"');
  assert.equal(plain.header('accept-ranges'), 'bytes');
  assert.equal(plain.header('content-length'), String(BODY.length));
  assert.match(plain.header('vary') ?? '', /accept-encoding/i, 'Vary is also on the plain variant, for caches');
  assert.ok(plain.body.equals(BODY));
});

/** Partial decode of what arrived so far (a flushed stream is decodable up to the flush). */
function decodeSoFar(enc: string, body: Buffer): Buffer {
  return enc === 'gzip'
    ? zlib.gunzipSync(body, { finishFlush: zlib.constants.Z_SYNC_FLUSH })
    : zlib.brotliDecompressSync(body, { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
}

/**
 * Requests a /held/... path; once `ready(bytes so far)` says so, lets the upstream finish. A
 * gateway that held the body back would hang here (until the upstream read timeout).
 */
async function streamHeld(url: string, enc: string, ready: (soFar: Buffer) => boolean): Promise<Buffer> {
  release = () => {};
  const res = await request(url, { headers: { 'accept-encoding': enc } });
  assert.equal(res.headers['content-encoding'], enc, url);
  const parts: Buffer[] = [];
  let released = false;
  for await (const c of res.body) {
    parts.push(c as Buffer);
    if (!released && ready(Buffer.concat(parts))) {
      released = true;
      release();
    }
  }
  assert.ok(released, `${enc} ${url}: the condition was never met`);
  return Buffer.concat(parts);
}

test('a long response streams: compressed bytes reach the client before the upstream has finished', async () => {
  const { gw } = await ctx;
  // 768 KiB, more than brotli's 512 KiB window: both compressors must have emitted by then.
  for (const enc of ['gzip', 'br']) {
    const body = await streamHeld(gw.url + '/d/held/text/plain/' + 768 * 1024, enc, () => true);
    assert.ok(decode(enc, body).equals(BIG), enc + ': decompressed body differs');
  }
});

test('flush: true, and text/event-stream always, send each upstream piece through at once', async () => {
  const { gw } = await ctx;
  for (const enc of ['gzip', 'br']) {
    for (const p of ['/f/held/text/plain/200', '/d/held/text/event-stream/200']) {
      const first = BIG.subarray(0, 200);
      const body = await streamHeld(gw.url + p, enc, (soFar) => {
        try {
          return decodeSoFar(enc, soFar).equals(first);
        } catch {
          return false;
        }
      });
      assert.ok(decode(enc, body).equals(BIG), `${enc} ${p}: decompressed body differs`);
    }
  }
});

test('negotiation: configured preference breaks ties, q-values decide, q=0 refuses, identity only means plain', async () => {
  const { gw } = await ctx;
  const cases: [string, string, string | undefined][] = [
    ['/d/cl', 'gzip, deflate, br', 'br'],
    ['/g/cl', 'gzip, deflate, br', 'gzip'],
    ['/g/cl', 'br, gzip', 'gzip'],
    ['/d/cl', 'br;q=0, gzip', 'gzip'],
    ['/d/cl', 'gzip;q=1.0, br;q=0.5', 'gzip'],
    ['/g/cl', 'gzip;q=0.2, br;q=0.8', 'br'],
    ['/d/cl', 'identity', undefined],
    ['/d/cl', 'br;q=0, gzip;q=0', undefined],
    ['/d/cl', '*', 'br'],
    ['/d/cl', '*;q=0.5, br;q=0', 'gzip'],
    ['/d/cl', 'x-gzip', 'gzip'],
    ['/d/cl', 'deflate, compress', undefined],
    ['/d/cl', 'gzip;q=0.5, identity;q=1', undefined],
    ['/d/cl', '', undefined],
  ];
  for (const [p, accept, want] of cases) {
    const r = await fetchRaw(gw.url + p, { 'accept-encoding': accept });
    assert.equal(r.header('content-encoding'), want, `${p} Accept-Encoding: ${accept}`);
    assert.ok(decode(want, r.body).equals(BODY), `${p} Accept-Encoding: ${accept}: body differs`);
  }
  // No Accept-Encoding at all: plain.
  const r = await fetchRaw(gw.url + '/d/cl');
  assert.equal(r.header('content-encoding'), undefined);
});

test('left alone: small bodies, already-encoded responses, image/png, no-transform, HEAD and 304', async () => {
  const { gw } = await ctx;
  const ae = { 'accept-encoding': 'br, gzip' };
  const small = await fetchRaw(gw.url + '/d/small', ae);
  assert.equal(small.header('content-encoding'), undefined);
  assert.equal(small.header('content-length'), String(SMALL.length));
  assert.ok(small.body.equals(SMALL));

  const encoded = await fetchRaw(gw.url + '/d/encoded', ae);
  assert.equal(encoded.header('content-encoding'), 'gzip');
  assert.ok(zlib.gunzipSync(encoded.body).equals(BODY), 'compressed once, by the upstream only');

  const png = await fetchRaw(gw.url + '/d/png', ae);
  assert.equal(png.header('content-encoding'), undefined);
  assert.equal(png.header('vary'), undefined, 'not a compressible type: no Vary');
  assert.ok(png.body.equals(PNG));

  const nt = await fetchRaw(gw.url + '/d/no-transform', ae);
  assert.equal(nt.header('content-encoding'), undefined);
  assert.ok(nt.body.equals(BODY));

  const head = await fetchRaw(gw.url + '/d/cl', ae, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.header('content-encoding'), undefined);
  assert.equal(head.header('content-length'), String(BODY.length));
  assert.equal(head.body.length, 0);

  const nm = await fetchRaw(gw.url + '/d/not-modified', ae);
  assert.equal(nm.status, 304);
  assert.equal(nm.header('content-encoding'), undefined);
  assert.equal(nm.header('etag'), '"v1"');
  assert.equal(nm.body.length, 0);

  // min_length 0, content_types ['*'] and vary false: the png is compressed, without Vary.
  const any = await fetchRaw(gw.url + '/nv/png', { 'accept-encoding': 'gzip' });
  assert.equal(any.header('content-encoding'), 'gzip');
  assert.equal(any.header('vary'), undefined);
  assert.ok(zlib.gunzipSync(any.body).equals(PNG));
});

test('curl --compressed gets the upstream body', { skip: !hasCurl && !CI ? 'curl not installed' : false }, async () => {
  const { gw } = await ctx;
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [p, want, extra] of [
    ['/d/big', BIG, []],
    ['/d/chunked', Buffer.concat(STREAMED), ['-H', 'Accept-Encoding: gzip']],
  ] as const) {
    const out = path.join(dir, 'body');
    const { stderr } = await new Promise<{ stderr: string }>((resolve, reject) =>
      execFile(
        'curl',
        ['-sS', '-v', '--compressed', ...extra, '-o', out, gw.url + p],
        { timeout: 20000 },
        (err, _stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve({ stderr })),
      ),
    );
    const enc = /< content-encoding: (\S+)/i.exec(stderr)?.[1];
    assert.ok(enc === 'br' || enc === 'gzip', `${p}: curl saw Content-Encoding ${enc}\n${stderr}`);
    assert.ok(fs.readFileSync(out).equals(want), `${p}: curl's body differs from the upstream's`);
  }
});

test('bad config: a level out of range stops the configuration, naming the plugin and the field', async () => {
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [config, msg] of [
    [{ level: { gzip: 42 } }, /response-compression.*config\.level\.gzip/s],
    [{ level: { br: 12 } }, /response-compression.*config\.level\.br/s],
    [{ algorithms: ['deflate'] }, /response-compression.*config\.algorithms/s],
  ] as const) {
    const cfg = path.join(dir, 'kong.yml');
    fs.writeFileSync(
      cfg,
      JSON.stringify({
        _format_version: '3.0',
        services: [
          {
            name: 's',
            url: 'http://127.0.0.1:9',
            routes: [{ name: 'r', paths: ['/'], plugins: [{ name: 'response-compression', config }] }],
          },
        ],
      }),
    );
    const res = await runCli(['validate', cfg]);
    assert.equal(res.code, 1, JSON.stringify(config));
    assert.match(res.stderr + res.stdout, msg);
  }
});
