// Opt-in upstream HTTP/2 for plain HTTP services: the tag turnpike:upstream-http2 on an http
// service speaks h2c (prior knowledge) to it, on an https service h2 over TLS (ALPN); the
// client still speaks HTTP/1.1 to the gateway. An idle session is closed after
// upstream_keepalive_idle_timeout, even when its timeout first fired under a slow request.

import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { gateway, onCleanup } from '../helpers/scope.js';
import { freePort } from '../helpers/gateway.js';
import { leaf, makeCa } from '../helpers/certs.js';

interface Seen {
  method: string;
  path: string;
  authority: string;
  xff: string;
  body: string;
  trailers: Record<string, unknown> | null;
}

async function h2Upstream(pair?: {
  cert: string;
  key: string;
}): Promise<{ port: number; seen: Seen[]; sessions: () => number }> {
  const seen: Seen[] = [];
  let sessions = 0;
  const server =
    pair === undefined
      ? http2.createServer()
      : http2.createSecureServer({ cert: pair.cert, key: pair.key, allowHTTP1: false });
  server.on('session', () => sessions++);
  server.on('stream', (stream, headers) => {
    const parts: Buffer[] = [];
    let trailers: Record<string, unknown> | null = null;
    stream.on('trailers', (t) => (trailers = { ...t }));
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(parts).toString();
      seen.push({
        method: String(headers[':method']),
        path: String(headers[':path']),
        authority: String(headers[':authority']),
        xff: String(headers['x-forwarded-for']),
        body,
        trailers,
      });
      stream.respond({ ':status': 201, 'content-type': 'text/plain', 'x-h2': 'yes' });
      stream.end(`h2 says ${body.length} bytes to ${headers[':path']}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  onCleanup(() => new Promise((r) => server.close(() => r())));
  return { port: (server.address() as net.AddressInfo).port, seen, sessions: () => sessions };
}

test('http and https services tagged turnpike:upstream-http2 go upstream over HTTP/2 on one session', async () => {
  const ca = await makeCa();
  const pair = await leaf(ca, 'localhost');
  const plain = await h2Upstream();
  const secure = await h2Upstream(pair);
  const caId = '0b6f3f8e-51c2-4f0a-9a57-3c1d2e4f5a6b';
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      ca_certificates: [{ id: caId, cert: ca.cert }],
      services: [
        {
          name: 'plain',
          url: `http://127.0.0.1:${plain.port}/base`,
          tags: ['turnpike:upstream-http2'],
          routes: [{ name: 'plain', paths: ['/plain'] }],
        },
        {
          name: 'secure',
          url: `https://localhost:${secure.port}`,
          tags: ['turnpike:upstream-http2'],
          tls_verify: true,
          ca_certificates: [caId],
          routes: [{ name: 'secure', paths: ['/secure'] }],
        },
      ],
    }),
  });
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${gw.url}/plain/items?i=${i}`, { method: 'POST', body: 'x'.repeat(100_000) });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-h2'), 'yes');
    assert.equal(await res.text(), `h2 says 100000 bytes to /base/items?i=${i}`);
  }
  assert.equal(plain.seen.length, 3);
  assert.deepEqual(plain.seen[0], {
    method: 'POST',
    path: '/base/items?i=0',
    authority: `127.0.0.1:${plain.port}`,
    xff: '127.0.0.1',
    body: 'x'.repeat(100_000),
    trailers: null,
  });
  assert.equal(plain.sessions(), 1, 'one HTTP/2 session carried every request');

  // Request trailers of a chunked HTTP/1.1 body are sent as HTTP/2 trailers.
  const withTrailers = await new Promise<number>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: gw.proxyPort, path: '/plain/t', method: 'POST', headers: { trailer: 'x-checksum' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.write('part one,');
    req.write('part two');
    req.addTrailers({ 'x-checksum': 'abc123' });
    req.end();
  });
  assert.equal(withTrailers, 201);
  const last = plain.seen[plain.seen.length - 1];
  assert.equal(last.body, 'part one,part two');
  assert.equal((last.trailers as Record<string, string>)['x-checksum'], 'abc123');

  const res = await fetch(`${gw.url}/secure/ok`);
  assert.equal(res.status, 201);
  assert.equal(await res.text(), 'h2 says 0 bytes to /ok'); // strip_path (Kong's default)
  assert.equal(secure.seen[0].authority, `localhost:${secure.port}`);
});

test('an HTTP/2 upstream session whose idle timeout first fired under a slow request is still closed once idle', async () => {
  // The first request outlasts upstream_keepalive_idle_timeout (1 s): the session's timeout
  // fires with a stream in flight and must keep it. Once idle, the session is closed.
  const server = http2.createServer();
  const closed: number[] = [];
  server.on('session', (session) => session.on('close', () => closed.push(Date.now())));
  server.on('stream', (stream) => {
    stream.on('error', () => {});
    setTimeout(() => {
      if (stream.closed) return;
      stream.respond({ ':status': 200 });
      stream.end('slow h2');
    }, 2500);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  onCleanup(() => new Promise((r) => server.close(() => r())));
  const gw = await gateway({
    env: { TURNPIKE_UPSTREAM_KEEPALIVE_IDLE_TIMEOUT: '1' },
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'slow',
          url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
          tags: ['turnpike:upstream-http2'],
          routes: [{ name: 'slow', paths: ['/slow'] }],
        },
      ],
    }),
  });
  const res = await fetch(`${gw.url}/slow`);
  assert.equal(await res.text(), 'slow h2');
  const answered = Date.now();
  assert.deepEqual(closed, [], 'the session was open while the request was in flight');
  const end = Date.now() + 5000;
  while (closed.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  assert.equal(closed.length, 1, 'the idle session was closed');
  assert.ok(closed[0] - answered < 3000, `closed ${closed[0] - answered} ms after the last response`);
});

test('HTTP/2 client to HTTP/2 upstream: the body and its trailers go up, the answer and its trailers come back', async () => {
  // No HTTP/1.1 in between: neither the request body nor the response is chunk-framed on the way.
  const seen: { body: string; trailers: Record<string, unknown> | null }[] = [];
  const server = http2.createServer();
  server.on('stream', (stream) => {
    const parts: Buffer[] = [];
    let trailers: Record<string, unknown> | null = null;
    stream.on('trailers', (t) => (trailers = { ...t }));
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', () => {
      seen.push({ body: Buffer.concat(parts).toString(), trailers });
      stream.respond({ ':status': 200, 'content-type': 'text/plain' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-done': 'yes' }));
      stream.write('one,');
      stream.end('two');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  onCleanup(() => new Promise((r) => server.close(() => r())));
  const port = (server.address() as net.AddressInfo).port;
  const h2cPort = await freePort();
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'h2',
          url: `http://127.0.0.1:${port}`,
          tags: ['turnpike:upstream-http2'],
          routes: [{ name: 'h2', paths: ['/h2'] }],
        },
      ],
    }),
    extraListen: `127.0.0.1:${h2cPort} http2`,
  });
  void gw;
  const session = http2.connect(`http://127.0.0.1:${h2cPort}`);
  session.on('error', () => {});
  onCleanup(() => new Promise<void>((r) => session.close(() => r())));
  const answer = await new Promise<{ status: number; body: string; trailers: Record<string, unknown> | null }>(
    (resolve, reject) => {
      const req = session.request({ ':method': 'POST', ':path': '/h2/up' }, { waitForTrailers: true });
      req.on('wantTrailers', () => req.sendTrailers({ 'x-checksum': 'abc123' }));
      let status = 0;
      let trailers: Record<string, unknown> | null = null;
      const chunks: Buffer[] = [];
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('trailers', (t) => (trailers = { ...t }));
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString(), trailers }));
      req.on('error', reject);
      req.write('part one,');
      req.end('part two');
    },
  );
  assert.equal(answer.status, 200);
  assert.equal(answer.body, 'one,two');
  assert.equal(answer.trailers?.['x-done'], 'yes');
  assert.equal(seen.length, 1);
  assert.equal(seen[0].body, 'part one,part two');
  assert.equal((seen[0].trailers as Record<string, string>)['x-checksum'], 'abc123');
});
