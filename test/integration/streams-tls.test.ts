// TLS-terminating stream routes (protocols tls) on an ssl stream_listen address, through the
// real gateway process: the gateway's certificate is chosen by SNI from the configuration's
// certificates (the default certificate otherwise), the decrypted bytes are routed by that SNI
// to plain TCP upstreams, an unknown SNI gets no route (closed and logged), and
// tls_passthrough routes do not apply on an ssl listener.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { leaf, makeCa, type Pair } from '../helpers/certs.js';
import { freePort, sleep, type Gateway } from '../helpers/gateway.js';
import { gateway, onCleanup } from '../helpers/scope.js';

/** A plain TCP server that prefixes its echo with its name: "<name>:" then every byte back; ends when the client ends. */
async function namedEcho(name: string): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.write(name + ':');
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  onCleanup(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

interface TlsTalk {
  text: string;
  cn: string;
  authorized: boolean;
  /** The gateway ended its side cleanly after ours (half-close passed through). */
  ended: boolean;
  error: string | null;
}

/** TLS to the gateway with `servername`; sends `send`, ends its side, collects the answer until the close. */
function tlsTalk(port: number, servername: string, send: string, ca?: string): Promise<TlsTalk> {
  return new Promise((resolve) => {
    const s = tls.connect({ port, host: '127.0.0.1', servername, ca, rejectUnauthorized: ca !== undefined });
    const r: TlsTalk = { text: '', cn: '', authorized: false, ended: false, error: null };
    const t = setTimeout(() => s.destroy(new Error('client timeout')), 10000);
    s.on('secureConnect', () => {
      r.authorized = s.authorized;
      r.cn = String(s.getPeerCertificate().subject?.CN ?? '');
      s.end(send);
    });
    s.on('data', (d: Buffer) => (r.text += d.toString()));
    s.on('end', () => (r.ended = true));
    s.on('error', (e: NodeJS.ErrnoException) => (r.error ??= e.code ?? e.message));
    s.on('close', () => {
      clearTimeout(t);
      resolve(r);
    });
  });
}

let gw: Gateway;
let ca: Pair;
let sslPort = 0;

before(async () => {
  ca = await makeCa('Turnpike Stream Test CA');
  const certA = await leaf(ca, 'a.test');
  const certB = await leaf(ca, 'b.test');
  const portA = await namedEcho('A');
  const portB = await namedEcho('B');
  sslPort = await freePort();
  const config = JSON.stringify({
    _format_version: '3.0',
    services: [
      {
        name: 'up-a',
        url: `tcp://127.0.0.1:${portA}`,
        routes: [{ name: 'tls-a', protocols: ['tls'], snis: ['a.test'] }],
      },
      {
        name: 'up-b',
        url: `tcp://127.0.0.1:${portB}`,
        routes: [
          { name: 'tls-b', protocols: ['tls'], snis: ['b.test'], destinations: [{ port: sslPort }] },
          // Never applies on an ssl listener: only tls routes do there.
          { name: 'pass-c', protocols: ['tls_passthrough'], snis: ['c.test'] },
        ],
      },
    ],
    certificates: [
      { ...certA, snis: ['a.test'] },
      { ...certB, snis: ['b.test'] },
    ],
  });
  gw = await gateway({ config, workers: 1, env: { TURNPIKE_STREAM_LISTEN: `127.0.0.1:${sslPort} ssl` } });
});

test('ssl stream listener: SNI a.test gets the a.test certificate and upstream A echoes the decrypted bytes', async () => {
  const r = await tlsTalk(sslPort, 'a.test', 'hello over tls', ca.cert);
  assert.equal(r.error, null);
  assert.equal(r.authorized, true);
  assert.equal(r.cn, 'a.test');
  assert.equal(r.text, 'A:hello over tls');
  assert.equal(r.ended, true, 'the upstream FIN reaches the client as a clean end');
});

test('ssl stream listener: SNI b.test gets the b.test certificate and upstream B', async () => {
  const r = await tlsTalk(sslPort, 'b.test', 'bee', ca.cert);
  assert.equal(r.error, null);
  assert.equal(r.cn, 'b.test');
  assert.equal(r.text, 'B:bee');
});

test('ssl stream listener: unknown SNI gets the default certificate, no route, closed and logged; tls_passthrough does not apply', async () => {
  const unknown = await tlsTalk(sslPort, 'nobody.test', 'x');
  assert.notEqual(unknown.cn, 'a.test');
  assert.notEqual(unknown.cn, 'b.test');
  assert.equal(unknown.text, '');
  const pass = await tlsTalk(sslPort, 'c.test', 'x');
  assert.equal(pass.text, '');
  await sleep(400);
  const log = fs.readFileSync(gw.accessLogPath, 'utf8');
  assert.match(
    log,
    /"kind":"stream".*"sni":"nobody\.test".*"error":"no tls stream route matched \(sni nobody\.test\)"/,
  );
  assert.match(log, /"kind":"stream".*"sni":"c\.test".*"error":"no tls stream route matched \(sni c\.test\)"/);
  const served = log.split('\n').filter((l) => l.includes('"route":"tls-a"'));
  assert.ok(served.length >= 1);
  assert.match(served[0], /"protocol":"tls"/);
  assert.doesNotMatch(served[0], /"error"/);
  assert.match(served[0], /"bytes_in":14,"bytes_out":16/); // decrypted bytes
});

test('ssl stream listener: TLS 1.1 is refused (ssl_protocols applies)', async () => {
  const err = await new Promise<string | null>((resolve) => {
    const s = tls.connect({
      port: sslPort,
      host: '127.0.0.1',
      servername: 'a.test',
      rejectUnauthorized: false,
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
    });
    s.on('secureConnect', () => {
      s.destroy();
      resolve(null);
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
  assert.notEqual(err, null);
});
