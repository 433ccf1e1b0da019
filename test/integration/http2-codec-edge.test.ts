// What the gateway's own HTTP/2 codec adds at the edge, end to end on a real gateway process
// over h2c: Expect: 100-continue as an informational head before the upload; an answer given
// before the upload ended (key-auth's 401) ends the stream with RST_STREAM NO_ERROR, so such
// streams never hold a concurrency slot (more of them than http2_max_concurrent_streams on one
// connection all get their answer); a PING flood on a raw socket gets GOAWAY
// ENHANCE_YOUR_CALM with a warn line naming the client, and the process serves on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { freePort, sleep } from '../helpers/gateway.js';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';

const MAX_STREAMS = 8;

async function setUp(): Promise<{ port: number; gw: Awaited<ReturnType<typeof gateway>>; seen: () => number }> {
  const up = await upstream('h2-edge');
  const port = await freePort();
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            { name: 'open', paths: ['/open'] },
            { name: 'auth', paths: ['/auth'], plugins: [{ name: 'key-auth' }] },
          ],
        },
      ],
    }),
    extraListen: `127.0.0.1:${port} http2`,
    env: { TURNPIKE_HTTP2_MAX_CONCURRENT_STREAMS: String(MAX_STREAMS) },
  });
  return { port, gw, seen: () => up.requests.length };
}

function connect(port: number): http2.ClientHttp2Session {
  const s = http2.connect(`http://127.0.0.1:${port}`);
  s.on('error', () => {});
  onCleanup(async () => s.destroy());
  return s;
}

test('HTTP/2 edge: 100-continue, early answers free their stream, a PING flood is refused', async (t) => {
  const { port, gw, seen } = await setUp();

  await t.test('Expect: 100-continue gets a 100 before the body is sent, then the upstream answer', async () => {
    const s = connect(port);
    const answer = await new Promise<{ continued: boolean; status: number; body: string }>((resolve, reject) => {
      const req = s.request(
        { ':method': 'POST', ':path': '/open/upload', expect: '100-continue', 'content-length': '5' },
        { endStream: false },
      );
      let continued = false;
      let status = 0;
      let body = '';
      req.on('continue', () => {
        continued = true;
        req.end('hello');
      });
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => resolve({ continued, status, body }));
      req.on('error', reject);
    });
    assert.equal(answer.continued, true, 'the client saw 100 Continue before sending its body');
    assert.equal(answer.status, 200);
    assert.equal(JSON.parse(answer.body).bodyLength, 5, 'the upstream got the 5 bytes');
  });

  await t.test(
    `${MAX_STREAMS * 3} uploads answered 401 before they ended, on one connection: every one answered`,
    async () => {
      const s = connect(port);
      const before = seen();
      for (let i = 0; i < MAX_STREAMS * 3; i++) {
        const r = await new Promise<{ status: number; rst: number | undefined }>((resolve, reject) => {
          // The body never ends: only the gateway's reset can close this stream.
          const req = s.request({ ':method': 'POST', ':path': `/auth/${i}` }, { endStream: false });
          req.write(Buffer.alloc(1000, 'x'));
          let status = 0;
          req.on('response', (h) => (status = Number(h[':status'])));
          req.on('close', () => resolve({ status, rst: req.rstCode }));
          req.on('error', (err) => {
            if (status === 0) reject(err);
          });
          req.resume();
        });
        assert.equal(r.status, 401, `upload ${i}`);
        assert.equal(r.rst, http2.constants.NGHTTP2_NO_ERROR, `upload ${i}: the stream ends with RST_STREAM NO_ERROR`);
      }
      assert.equal(seen(), before, 'nothing reached the upstream');
      const ok = await new Promise<number>((resolve, reject) => {
        const req = s.request({ ':path': '/open/after' });
        req.on('response', (h) => resolve(Number(h[':status'])));
        req.on('error', reject);
        req.resume();
      });
      assert.equal(ok, 200, 'the connection serves on');
    },
  );

  await t.test('a PING flood gets GOAWAY ENHANCE_YOUR_CALM and a warn line; the worker serves on', async () => {
    const sock = net.connect(port, '127.0.0.1');
    onCleanup(async () => void sock.destroy());
    await new Promise<void>((r) => sock.once('connect', () => r()));
    let got = Buffer.alloc(0);
    let goaway = -1;
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.on('error', () => {});
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      // Walk the frames: GOAWAY is type 7, its error code the payload's second word.
      let off = 0;
      while (got.length - off >= 9) {
        const len = got.readUIntBE(off, 3);
        if (got.length - off < 9 + len) break;
        if (got[off + 3] === 7) goaway = got.readUInt32BE(off + 9 + 4);
        off += 9 + len;
      }
    });
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
    const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
    const ping = Buffer.from([0, 0, 8, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    sock.write(Buffer.concat([preface, settings]));
    // 12,000 PINGs in a burst: above the 10,000 control frames a second a connection may send.
    for (let i = 0; i < 12 && !sock.destroyed; i++) sock.write(Buffer.concat(Array.from({ length: 1000 }, () => ping)));
    await Promise.race([closed, sleep(5000)]);
    assert.equal(goaway, 0xb, 'GOAWAY with ENHANCE_YOUR_CALM');
    assert.match(
      await gw.waitForStderr(/HTTP\/2 control-flood from 127\.0\.0\.1/),
      /HTTP\/2 control-flood from 127\.0\.0\.1 \(\d+ control frames within 1 s\); connection closed with GOAWAY ENHANCE_YOUR_CALM/,
    );
    const s = connect(port);
    const ok = await new Promise<number>((resolve, reject) => {
      const req = s.request({ ':path': '/open/after-flood' });
      req.on('response', (h) => resolve(Number(h[':status'])));
      req.on('error', reject);
      req.resume();
    });
    assert.equal(ok, 200);
    assert.equal(gw.exitCode, null);
  });
});
