// Stream routes whose service has protocol `tls` (Kong): the gateway opens TLS to the upstream
// itself. A plain TCP client on a stream listener reaches a TLS-only echo server through the
// real gateway process; the upstream's certificate is verified against the service's
// ca_certificates when tls_verify is on, SNI comes from the service host, a client certificate
// gives mutual TLS, and an untrusted upstream is refused with a log line that says why.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { leaf, makeCa, type Pair } from '../helpers/certs.js';
import { freePort, sleep, type Gateway } from '../helpers/gateway.js';
import { gateway, onCleanup } from '../helpers/scope.js';

interface TlsEcho {
  port: number;
  /** Server names the clients asked for, and the subjects of their client certificates. */
  servernames: string[];
  clientSubjects: string[];
}

/** A TLS server that answers "tls:" then echoes; asks for (but does not require) a client certificate signed by `clientCa`. */
async function tlsEcho(cert: Pair, clientCa: Pair): Promise<TlsEcho> {
  const out: TlsEcho = { port: 0, servernames: [], clientSubjects: [] };
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer(
    { ...cert, ca: [clientCa.cert], requestCert: true, rejectUnauthorized: false, allowHalfOpen: true },
    (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
      out.servernames.push(typeof s.servername === 'string' ? s.servername : '');
      const peer = s.getPeerCertificate();
      if (s.authorized && peer.subject !== undefined) out.clientSubjects.push(String(peer.subject.CN));
      s.write('tls:');
      s.pipe(s);
    },
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  onCleanup(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  out.port = (server.address() as net.AddressInfo).port;
  return out;
}

/** Plain TCP to the gateway: sends `send`, ends, collects everything until the close. */
function tcpTalk(port: number, send: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let text = '';
    const t = setTimeout(() => s.destroy(new Error('client timeout')), 10000);
    s.on('connect', () => s.end(send));
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.on('error', (e) => {
      clearTimeout(t);
      if (e.message === 'client timeout') reject(e);
    });
    s.on('close', () => {
      clearTimeout(t);
      resolve(text);
    });
  });
}

let gw: Gateway;
let upstream: TlsEcho;
const ports: Record<string, number> = {};

before(async () => {
  const ca = await makeCa('Stream Upstream CA');
  const otherCa = await makeCa('Some Other CA');
  const clientCa = await makeCa('Gateway Client CA');
  const serverCert = await leaf(ca, 'localhost');
  const clientCert = await leaf(clientCa, 'turnpike-stream-client', 'clientAuth');
  upstream = await tlsEcho(serverCert, clientCa);
  for (const name of ['verified', 'untrusted', 'mtls', 'noverify']) ports[name] = await freePort();
  const svc = (name: string, extra: Record<string, unknown>) => ({
    name,
    url: `tls://localhost:${upstream.port}`,
    ...extra,
    routes: [{ name, protocols: ['tcp'], destinations: [{ port: ports[name] }] }],
  });
  const config = JSON.stringify({
    _format_version: '3.0',
    ca_certificates: [
      { id: '7a4b8c1e-0000-4000-8000-000000000001', cert: ca.cert },
      { id: '7a4b8c1e-0000-4000-8000-000000000002', cert: otherCa.cert },
    ],
    certificates: [{ id: '7a4b8c1e-0000-4000-8000-000000000003', ...clientCert }],
    services: [
      svc('verified', { tls_verify: true, ca_certificates: ['7a4b8c1e-0000-4000-8000-000000000001'] }),
      svc('untrusted', { tls_verify: true, ca_certificates: ['7a4b8c1e-0000-4000-8000-000000000002'], retries: 0 }),
      svc('mtls', {
        tls_verify: true,
        ca_certificates: ['7a4b8c1e-0000-4000-8000-000000000001'],
        client_certificate: { id: '7a4b8c1e-0000-4000-8000-000000000003' },
      }),
      svc('noverify', {}),
    ],
  });
  const listen = Object.values(ports)
    .map((p) => `127.0.0.1:${p}`)
    .join(', ');
  gw = await gateway({ config, workers: 1, env: { TURNPIKE_STREAM_LISTEN: listen } });
});

test('service protocol tls: plain TCP in, TLS to the upstream verified against ca_certificates, SNI from the host', async () => {
  assert.equal(await tcpTalk(ports.verified, 'hello'), 'tls:hello');
  assert.ok(
    upstream.servernames.includes('localhost'),
    `the gateway sent SNI localhost (saw ${JSON.stringify(upstream.servernames)})`,
  );
  assert.equal(upstream.clientSubjects.length, 0, 'no client certificate unless the service has one');
});

test('service protocol tls: client_certificate gives mutual TLS to the upstream', async () => {
  assert.equal(await tcpTalk(ports.mtls, 'who am i'), 'tls:who am i');
  assert.deepEqual(upstream.clientSubjects, ['turnpike-stream-client']);
});

test('service protocol tls: tls_verify off accepts any certificate (Kong default)', async () => {
  assert.equal(await tcpTalk(ports.noverify, 'x'), 'tls:x');
});

test('service protocol tls: an upstream signed by a CA the service does not list is refused, logged, and the gateway serves on', async () => {
  assert.equal(await tcpTalk(ports.untrusted, 'secret'), '', 'nothing relayed to or from an untrusted upstream');
  let line = '';
  for (let i = 0; i < 50 && line === ''; i++) {
    line =
      fs
        .readFileSync(gw.accessLogPath, 'utf8')
        .split('\n')
        .find((l) => l.includes('"route":"untrusted"')) ?? '';
    if (line === '') await sleep(50);
  }
  assert.match(
    line,
    /TLS connect to localhost:\d+ failed: [A-Z_]+ \(the upstream's certificate is not trusted: check the service's ca_certificates, tls_verify and host\)/,
  );
  assert.equal(await tcpTalk(ports.verified, 'still here'), 'tls:still here');
});
