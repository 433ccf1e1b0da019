// TLS to the upstream: services with protocol https (url https://…) reach an HTTPS server
// through the real gateway; SNI is the service host; Kong's tls_verify decides whether the
// upstream's certificate is checked; TLS connections are kept alive and reused.

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import selfsigned from 'selfsigned';
import { request } from 'undici';
import { gateway, onCleanup } from '../helpers/scope.js';

interface Seen {
  servername: string | false;
  url: string;
  proto: string | undefined;
}

async function httpsUpstream(): Promise<{ port: number; seen: Seen[]; handshakes: () => number }> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 3_600_000),
    notAfterDate: new Date(Date.now() + 86_400_000),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }],
  });
  const seen: Seen[] = [];
  let handshakes = 0;
  const server = https.createServer({ cert: pems.cert, key: pems.private, minVersion: 'TLSv1.2' }, (req, res) => {
    const sock = req.socket as import('node:tls').TLSSocket;
    seen.push({
      servername: sock.servername ?? false,
      url: req.url!,
      proto: req.headers['x-forwarded-proto'] as string | undefined,
    });
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('secure hello ' + req.url);
    });
  });
  server.on('secureConnection', () => handshakes++);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  onCleanup(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as net.AddressInfo).port, seen, handshakes: () => handshakes };
}

test('https services: TLS to the upstream with SNI, kept alive; tls_verify refuses an untrusted certificate', async () => {
  const up = await httpsUpstream();
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        { name: 'secure', url: `https://localhost:${up.port}`, routes: [{ name: 'secure', paths: ['/secure'] }] },
        { name: 'by-ip', url: `https://127.0.0.1:${up.port}`, routes: [{ name: 'by-ip', paths: ['/ip'] }] },
        {
          name: 'verified',
          url: `https://localhost:${up.port}`,
          tls_verify: true,
          routes: [{ name: 'verified', paths: ['/verified'] }],
        },
      ],
    }),
    env: { TURNPIKE_WORKERS: '1' },
  });

  for (let i = 0; i < 3; i++) {
    const r = await request(gw.url + '/secure/x' + i);
    assert.equal(r.statusCode, 200);
    assert.equal(await r.body.text(), 'secure hello /x' + i);
  }
  assert.deepEqual(
    up.seen.slice(0, 3).map((s) => s.servername),
    ['localhost', 'localhost', 'localhost'],
    'SNI is the service host',
  );
  assert.equal(up.seen[0].proto, 'http', 'X-Forwarded-Proto is what the client used');
  assert.equal(up.handshakes(), 1, 'one TLS connection, reused for the three requests');

  // An IP address gets no SNI (RFC 6066), and a connection of its own (another pool key).
  const ip = await request(gw.url + '/ip/y');
  assert.equal(ip.statusCode, 200);
  await ip.body.text();
  assert.equal(up.seen.at(-1)!.servername, false);
  assert.equal(up.handshakes(), 2);

  // tls_verify: the self-signed certificate is not trusted → 502, and the log says why.
  const before = up.seen.length;
  const v = await request(gw.url + '/verified/z');
  assert.equal(v.statusCode, 502);
  await v.body.text();
  assert.equal(up.seen.length, before, 'nothing was sent over an unverified connection');
  let log = '';
  for (let i = 0; i < 50 && !/self[- ]signed/i.test(log); i++) {
    await new Promise((r) => setTimeout(r, 100));
    log = fs.existsSync(gw.accessLogPath) ? fs.readFileSync(gw.accessLogPath, 'utf8') : '';
  }
  assert.match(log, /"status":502.*cannot connect to the upstream: .*self[- ]signed/i);
});
