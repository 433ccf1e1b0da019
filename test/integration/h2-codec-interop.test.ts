// Turnpike's own HTTP/2 codec (src/engine/http2/codec/) against real clients: node:http2's
// client (nghttp2), curl --http2 and h2load, over TLS with ALPN h2, on a tiny echo server
// built on the codec alone (not the gateway: the codec is not wired into it yet).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { createServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { Http2ServerConnection, type ServerStream } from '../../src/engine/http2/codec/index.js';
import { leaf, makeCa, type Pair } from '../helpers/certs.js';
import { needTool } from '../helpers/tools.js';

let server: Server;
let port: number;
let ca: Pair;
let caFile: string;
const aborted: number[] = [];
/** Body bytes the server took, per path. */
const received = new Map<string, number>();

async function until(cond: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 5000; !cond(); await new Promise((r) => setTimeout(r, 10)))
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
}
// Asynchronous: the server runs in this process, a synchronous spawn would starve it.
const run = promisify(execFile);

/** Echo: the request's line and headers as response headers, the body back with backpressure. */
function echo(s: ServerStream): void {
  const seen = s.headers.filter((_, i) => i % 2 === 0 && s.headers[i]!.startsWith('x-')).length;
  s.respond(200, [
    'x-method',
    s.method,
    'x-path',
    s.path,
    'x-authority',
    s.authority,
    'x-fields',
    String(seen),
    'content-type',
    'application/octet-stream',
  ]);
  s.onData = (chunk) => {
    received.set(s.path, (received.get(s.path) ?? 0) + chunk.length);
    if (!s.write(Buffer.from(chunk))) s.pause();
  };
  s.onDrain = () => s.resume();
  // /hold: the response stays open after the request ended (until the client resets it).
  s.onEnd = () => {
    if (s.path === '/hold') return;
    s.end(undefined, s.trailers !== undefined ? ['x-trailers-seen', String(s.trailers.length / 2)] : ['x-done', '1']);
  };
  s.onAbort = (code) => aborted.push(code);
}

before(async () => {
  ca = await makeCa();
  const cert = await leaf(ca, 'localhost');
  caFile = join(mkdtempSync(join(tmpdir(), 'h2codec-')), 'ca.pem');
  writeFileSync(caFile, ca.cert);
  server = createServer({ cert: cert.cert, key: cert.key, ALPNProtocols: ['h2'] }, (socket) => {
    new Http2ServerConnection(socket, echo);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise<void>((r) => server.close(() => r())));

function session(): ClientHttp2Session {
  return connect(`https://127.0.0.1:${port}`, { ca: ca.cert, servername: 'localhost' });
}

function request(
  s: ClientHttp2Session,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ headers: Record<string, unknown>; body: Buffer; trailers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = s.request(headers, { endStream: body === undefined });
    const chunks: Buffer[] = [];
    let h: Record<string, unknown> = {};
    let t: Record<string, unknown> = {};
    req.on('response', (x) => (h = x));
    req.on('trailers', (x) => (t = x));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ headers: h, body: Buffer.concat(chunks), trailers: t }));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
  });
}

test('node:http2 client: 50 concurrent GETs on one connection', async () => {
  const s = session();
  try {
    const rs = await Promise.all(
      Array.from({ length: 50 }, (_, i) => request(s, { ':path': `/item/${i}?q=${i}`, 'x-a': 'a', 'x-b': 'b' })),
    );
    rs.forEach((r, i) => {
      assert.equal(r.headers[':status'], 200);
      assert.equal(r.headers['x-path'], `/item/${i}?q=${i}`);
      assert.equal(r.headers['x-method'], 'GET');
      assert.equal(r.headers['x-authority'], `localhost:${port}`);
      assert.equal(r.headers['x-fields'], '2');
      assert.equal(r.trailers['x-done'], '1');
    });
  } finally {
    s.close();
  }
});

test('node:http2 client: a 4 MiB body echoed back intact (flow control both ways)', async () => {
  const s = session();
  try {
    const body = randomBytes(4 << 20);
    const r = await request(s, { ':method': 'POST', ':path': '/echo' }, body);
    assert.equal(r.body.length, body.length);
    assert.equal(createHash('sha256').update(r.body).digest('hex'), createHash('sha256').update(body).digest('hex'));
  } finally {
    s.close();
  }
});

test('node:http2 client: request trailers arrive; a client reset aborts the stream, the connection serves on', async () => {
  const s = session();
  try {
    const r = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = s.request({ ':method': 'POST', ':path': '/t', te: 'trailers' }, { waitForTrailers: true });
      req.on('wantTrailers', () => req.sendTrailers({ 'x-sum': '1', 'x-len': '3' }));
      let t: Record<string, unknown> = {};
      req.on('trailers', (x) => (t = x));
      req.on('data', () => {});
      req.on('end', () => resolve(t));
      req.on('error', reject);
      req.end(Buffer.from('abc'));
    });
    assert.equal(r['x-trailers-seen'], '2');
    const before = aborted.length;
    const req = s.request({ ':method': 'POST', ':path': '/hold' }, { endStream: false });
    req.on('error', () => {});
    req.write(Buffer.alloc(1000));
    await until(() => received.get('/hold') === 1000, 'the server to read the body');
    req.close(constants.NGHTTP2_CANCEL);
    await until(() => aborted.length > before, 'the stream to be aborted');
    assert.equal(aborted.length, before + 1);
    assert.equal(aborted.at(-1), constants.NGHTTP2_CANCEL);
    const again = await request(s, { ':path': '/after' });
    assert.equal(again.headers[':status'], 200);
  } finally {
    s.close();
  }
});

test('curl --http2', async (t) => {
  if (!needTool('curl', 'curl', 'the curl interop check')) return t.skip('curl missing');
  const r = await run('curl', [
    '-sS',
    '--http2',
    '--cacert',
    caFile,
    '--resolve',
    `localhost:${port}:127.0.0.1`,
    '-D',
    '-',
    '--data-binary',
    'hello',
    `https://localhost:${port}/c`,
  ]);
  assert.match(r.stdout, /^HTTP\/2 200/);
  assert.match(r.stdout, /x-method: POST/);
  assert.match(r.stdout, /\r\n\r\nhello/);
  assert.match(r.stdout, /x-done: 1/); // the response trailers
});

test('h2load: 2,000 requests on 4 connections × 10 streams all succeed', async (t) => {
  if (!needTool('h2load', 'nghttp2-client', 'the h2load interop check')) return t.skip('h2load missing');
  const r = await run('h2load', ['-n2000', '-c4', '-m10', `https://127.0.0.1:${port}/h`]);
  assert.match(r.stdout, /requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored/);
});
