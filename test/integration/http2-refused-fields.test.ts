// Fields that HTTP/1.1 lets through but node:http2 refuses to send (a field name with a
// space, a single-value field twice). node:http2 asks for trailers in its 'wantTrailers'
// event, where a throw is uncaught: it used to end the worker. Now a response whose trailers
// cannot go out over HTTP/2 is reset (INTERNAL_ERROR) after its body, a request whose
// trailers or head cannot go to an HTTP/2 upstream fails with 502, and the worker serves on.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import { freePort, type Gateway } from '../helpers/gateway.js';
import { gateway, onCleanup } from '../helpers/scope.js';
import { withTimeout } from '../helpers/h2-abrupt.js';

let gw: Gateway;
let h2cPort: number;
/** Requests the HTTP/2 upstream answered. */
let h2Served = 0;

before(async () => {
  // An HTTP/1.1 upstream: /bad-trailer answers with a trailer HTTP/2 cannot carry (keep-alive:
  // connection-specific), /space-trailer with a trailer whose name has a space (malformed
  // HTTP/1.1 too); anything else plainly.
  const h1 = net.createServer((s) => {
    s.on('error', () => {});
    let head = '';
    s.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const bad = head.startsWith('GET /bad-trailer');
      const space = head.startsWith('GET /space-trailer');
      head = '';
      s.write(
        'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n' +
          (bad ? 'keep-alive: 1\r\n' : space ? 'x bad: 1\r\n' : '') +
          '\r\n',
      );
    });
  });
  await new Promise<void>((r) => h1.listen(0, '127.0.0.1', () => r()));
  onCleanup(() => new Promise((r) => h1.close(() => r())));
  const h2 = http2.createServer();
  h2.on('stream', (stream) => {
    stream.on('error', () => {});
    stream.resume();
    stream.on('end', () => {
      if (stream.closed || stream.destroyed) return;
      h2Served++;
      stream.respond({ ':status': 200 });
      stream.end('h2 ok');
    });
  });
  await new Promise<void>((r) => h2.listen(0, '127.0.0.1', () => r()));
  onCleanup(() => new Promise((r) => h2.close(() => r())));
  h2cPort = await freePort();
  gw = await gateway({
    extraListen: `127.0.0.1:${h2cPort} http2`,
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'h1',
          url: `http://127.0.0.1:${(h1.address() as net.AddressInfo).port}`,
          routes: [{ name: 'h1', paths: ['/bad-trailer', '/space-trailer', '/ok'], strip_path: false }],
        },
        {
          name: 'h2',
          url: `http://127.0.0.1:${(h2.address() as net.AddressInfo).port}`,
          tags: ['turnpike:upstream-http2'],
          retries: 0,
          routes: [{ name: 'h2', paths: ['/h2'] }],
        },
      ],
    }),
  });
});

async function workerPids(): Promise<number[]> {
  return (await gw.status()).workers.map((w: { pid: number }) => w.pid);
}

/** A raw HTTP/1.1 exchange on a new connection; resolves with the status line. */
function rawH1(request: string): Promise<string> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const sock = net.connect(gw.proxyPort, '127.0.0.1');
      let out = '';
      sock.on('data', (d: Buffer) => (out += d.toString('latin1')));
      sock.on('close', () => resolve(out.split('\r\n')[0]));
      sock.on('error', reject);
      sock.write(request);
    }),
    5000,
    'no answer',
  );
}

test('upstream response trailers HTTP/2 cannot carry: a connection-specific one is dropped, a name that is not a token is a malformed response (502); the worker serves on', async () => {
  const pids = await workerPids();
  const s = http2.connect(`http://127.0.0.1:${h2cPort}`);
  s.on('error', () => {});
  onCleanup(async () => s.destroy());
  const r = await withTimeout(
    new Promise<{ status: number; body: string; rstCode: number | undefined; error: string | null }>((resolve) => {
      const req = s.request({ ':path': '/bad-trailer' });
      let status = 0;
      let body = '';
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('close', () => resolve({ status, body, rstCode: req.rstCode, error: null }));
      req.on('error', () => {});
    }),
    5000,
    'the stream did not end',
  );
  assert.equal(r.status, 200);
  assert.equal(r.body, 'hello');
  assert.equal(
    r.rstCode,
    http2.constants.NGHTTP2_NO_ERROR,
    'the response ends normally, without the keep-alive trailer',
  );
  // Same connection, same worker: the next request is served whole.
  const ok = await withTimeout(
    new Promise<string>((resolve, reject) => {
      const req = s.request({ ':path': '/ok' });
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => resolve(body));
      req.on('error', reject);
    }),
    5000,
    'no answer on the same connection',
  );
  assert.equal(ok, 'hello');
  // A trailer name that is not a token is a malformed upstream response: 502, as any other.
  const space = await withTimeout(
    new Promise<number>((resolve, reject) => {
      const req = s.request({ ':path': '/space-trailer' });
      req.on('response', (h) => resolve(Number(h[':status'])));
      req.on('error', reject);
      req.resume();
    }),
    5000,
    'no answer for /space-trailer',
  );
  assert.equal(space, 502);
  assert.deepEqual(await workerPids(), pids);
  assert.doesNotMatch(gw.stdout + gw.stderr, /worker \d+ died|ERR_INVALID_HTTP_TOKEN|ERR_HTTP2_HEADER_SINGLE_VALUE/);
});

test('request trailers HTTP/2 cannot carry to an HTTP/2 upstream (etag twice): 502; a name with a space is malformed: 400; the worker serves on', async () => {
  const pids = await workerPids();
  const post = (trailers: string): Promise<string> =>
    rawH1(
      'POST /h2/x HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n3\r\nabc\r\n0\r\n' +
        trailers +
        '\r\n',
    );
  assert.equal(await post('x bad: 1\r\n'), 'HTTP/1.1 400 Bad Request');
  assert.equal(await post('etag: "a"\r\netag: "b"\r\n'), 'HTTP/1.1 502 Bad Gateway');
  const before = h2Served;
  assert.equal(await post('x-good: 1\r\n'), 'HTTP/1.1 200 OK');
  assert.equal(h2Served, before + 1);
  assert.deepEqual(await workerPids(), pids);
  assert.doesNotMatch(gw.stdout + gw.stderr, /worker \d+ died|ERR_INVALID_HTTP_TOKEN|ERR_HTTP2_HEADER_SINGLE_VALUE/);
});

test('a request head HTTP/2 cannot carry (user-agent twice) to an HTTP/2 upstream: 502 with the reason in the access log (a refused head, not a lost session)', async () => {
  const before = h2Served;
  assert.equal(
    await rawH1('GET /h2/dup HTTP/1.1\r\nhost: t\r\nuser-agent: a\r\nuser-agent: b\r\nconnection: close\r\n\r\n'),
    'HTTP/1.1 502 Bad Gateway',
  );
  assert.equal(h2Served, before);
  const end = Date.now() + 3000;
  let line: { error?: string } | undefined;
  while (line === undefined && Date.now() < end) {
    const text = fs.existsSync(gw.accessLogPath) ? fs.readFileSync(gw.accessLogPath, 'utf8') : '';
    line = text
      .trim()
      .split('\n')
      .filter((l) => l.includes('"/h2/dup"'))
      .map((l) => JSON.parse(l))[0];
    if (line === undefined) await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(String(line?.error), /^the request head cannot be sent over HTTP\/2: .*user-agent/);
  assert.equal(await rawH1('GET /h2/after HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n'), 'HTTP/1.1 200 OK');
});
