// Upstream TLS with Kong's ca_certificates and client_certificate: a service trusts only the
// CAs it lists (with tls_verify on) and presents a `certificates` entity to an upstream that
// asks for client certificates (mutual TLS). Bad PEMs and unknown ids are load errors.

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import type tls from 'node:tls';
import { leaf, makeCa, type Pair } from '../helpers/certs.js';
import { request } from 'undici';
import { gateway, onCleanup } from '../helpers/scope.js';
import { runCli, tmpDir } from '../helpers/gateway.js';

/** An HTTPS upstream; with `clientCa`, it requires a client certificate signed by that CA. */
async function httpsUpstream(server: Pair, clientCa?: Pair): Promise<{ port: number; subjects: (string | null)[] }> {
  const subjects: (string | null)[] = [];
  const opts: https.ServerOptions = { cert: server.cert, key: server.key, minVersion: 'TLSv1.2' };
  if (clientCa !== undefined) Object.assign(opts, { requestCert: true, rejectUnauthorized: true, ca: clientCa.cert });
  const srv = https.createServer(opts, (req, res) => {
    const peer = (req.socket as tls.TLSSocket).getPeerCertificate();
    subjects.push(peer && peer.subject ? String(peer.subject.CN) : null);
    req.resume();
    req.on('end', () => res.end('ok ' + req.url));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  onCleanup(
    () =>
      new Promise((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  );
  return { port: (srv.address() as net.AddressInfo).port, subjects };
}

const CA_ID = '0b4c5e38-6a0e-4c6b-9a43-3b1d1c2f0a01';
const OTHER_CA_ID = '0b4c5e38-6a0e-4c6b-9a43-3b1d1c2f0a02';
const CLIENT_ID = '0b4c5e38-6a0e-4c6b-9a43-3b1d1c2f0a03';

async function status(url: string): Promise<number> {
  const r = await request(url);
  await r.body.text();
  return r.statusCode;
}

test('ca_certificates: only the listed CAs are trusted; client_certificate gives mutual TLS', async () => {
  const ca = await makeCa('Upstream Test CA');
  const otherCa = await makeCa('Other Test CA');
  const clientCa = await makeCa('Client Test CA');
  const serverCert = await leaf(ca, 'localhost', 'serverAuth');
  const clientCert = await leaf(clientCa, 'turnpike-client', 'clientAuth');
  const plain = await httpsUpstream(serverCert);
  const mutual = await httpsUpstream(serverCert, clientCa);

  const svc = (name: string, port: number, extra: Record<string, unknown>) => ({
    name,
    url: `https://localhost:${port}`,
    ...extra,
    routes: [{ name, paths: ['/' + name] }],
  });
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      ca_certificates: [
        { id: CA_ID, cert: ca.cert, tags: ['upstream'] },
        { id: OTHER_CA_ID, cert: otherCa.cert },
      ],
      certificates: [{ id: CLIENT_ID, cert: clientCert.cert, key: clientCert.key }],
      services: [
        svc('trusted', plain.port, { tls_verify: true, ca_certificates: [CA_ID] }),
        svc('both', plain.port, { tls_verify: true, ca_certificates: [OTHER_CA_ID, CA_ID] }),
        svc('other', plain.port, { tls_verify: true, ca_certificates: [OTHER_CA_ID] }),
        svc('system', plain.port, { tls_verify: true }),
        svc('mtls', mutual.port, { tls_verify: true, ca_certificates: [CA_ID], client_certificate: { id: CLIENT_ID } }),
        svc('mtls-string', mutual.port, { client_certificate: CLIENT_ID }),
        svc('no-client-cert', mutual.port, { tls_verify: true, ca_certificates: [CA_ID] }),
      ],
    }),
    env: { TURNPIKE_WORKERS: '1' },
  });

  // Same host and port throughout: a connection verified against one CA set must not serve another.
  assert.equal(await status(gw.url + '/trusted/a'), 200);
  assert.equal(await status(gw.url + '/both/b'), 200);
  assert.equal(await status(gw.url + '/other/c'), 502, 'signed by a CA the service does not list');
  assert.equal(await status(gw.url + '/system/d'), 502, 'the system CAs do not know the test CA');
  assert.equal(await status(gw.url + '/trusted/e'), 200);

  assert.equal(await status(gw.url + '/mtls/f'), 200);
  assert.equal(await status(gw.url + '/mtls-string/g'), 200);
  assert.deepEqual(mutual.subjects, ['turnpike-client', 'turnpike-client'], 'the upstream sees the client certificate');
  assert.equal(
    await status(gw.url + '/no-client-cert/h'),
    502,
    'no client certificate, and no pooled mTLS connection reused',
  );
  assert.equal(mutual.subjects.length, 2);
});

test('turnpike validate: ca_certificates must be CA certificates; service references must exist', async () => {
  const ca = await makeCa('Validate CA');
  const notCa = await leaf(ca, 'leaf.test', 'serverAuth');
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const cfg = path.join(dir, 'kong.yml');
  const write = (conf: Record<string, unknown>) =>
    fs.writeFileSync(cfg, JSON.stringify({ _format_version: '3.0', ...conf }));
  const service = (extra: Record<string, unknown>) => [
    { name: 'svc', url: 'https://localhost:9443', tls_verify: true, ...extra },
  ];

  write({ ca_certificates: [{ id: CA_ID, cert: ca.cert }], services: service({ ca_certificates: [CA_ID] }) });
  const ok = await runCli(['validate', cfg]);
  assert.equal(ok.code, 0, ok.stderr);

  write({ ca_certificates: [{ cert: notCa.cert }] });
  const leafCa = await runCli(['validate', cfg]);
  assert.equal(leafCa.code, 1);
  assert.match(leafCa.stderr, /ca_certificate \(ca_certificates\[0\]\): field 'cert'/);
  assert.match(leafCa.stderr, /not a CA certificate/);

  write({ ca_certificates: [{ id: CA_ID, cert: ca.cert }], services: service({ ca_certificates: [OTHER_CA_ID] }) });
  const unknownCa = await runCli(['validate', cfg]);
  assert.equal(unknownCa.code, 1);
  assert.match(unknownCa.stderr, /service 'svc'/);
  assert.match(
    unknownCa.stderr,
    new RegExp(`ca_certificates.*references ca_certificate '${OTHER_CA_ID}', which is not defined`, 's'),
  );

  write({ services: service({ client_certificate: { id: CLIENT_ID } }) });
  const unknownClient = await runCli(['validate', cfg]);
  assert.equal(unknownClient.code, 1);
  assert.match(unknownClient.stderr, /service 'svc'/);
  assert.match(
    unknownClient.stderr,
    /client_certificate.*references certificate id '0b4c5e38-6a0e-4c6b-9a43-3b1d1c2f0a03'/s,
  );

  write({
    ca_certificates: [{ id: CA_ID, cert: ca.cert }],
    services: [{ name: 'svc', url: 'http://localhost:9080', ca_certificates: [CA_ID] }],
  });
  const plainHttp = await runCli(['validate', cfg]);
  assert.equal(plainHttp.code, 1);
  assert.match(plainHttp.stderr, /ca_certificates.*only applies to TLS protocols/);
});

test('upstream client_certificate: active https health checks present it to targets that require mutual TLS', async () => {
  const ca = await makeCa('Health Server CA');
  const clientCa = await makeCa('Health Client CA');
  const serverCert = await leaf(ca, 'localhost', 'serverAuth');
  const clientCert = await leaf(clientCa, 'turnpike-health', 'clientAuth');
  const mutual = await httpsUpstream(serverCert, clientCa);
  const active = (over: Record<string, unknown>) => ({
    active: {
      type: 'https',
      http_path: '/health',
      https_verify_certificate: false,
      timeout: 1,
      healthy: { interval: 0.2, successes: 1 },
      unhealthy: { interval: 0.2, tcp_failures: 1, http_failures: 1, timeouts: 1 },
      ...over,
    },
  });
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      certificates: [{ id: CLIENT_ID, cert: clientCert.cert, key: clientCert.key }],
      upstreams: [
        {
          name: 'with-cert',
          client_certificate: { id: CLIENT_ID },
          healthchecks: active({}),
          targets: [{ target: `127.0.0.1:${mutual.port}` }],
        },
        { name: 'without-cert', healthchecks: active({}), targets: [{ target: `127.0.0.1:${mutual.port}` }] },
      ],
    }),
    env: { TURNPIKE_WORKERS: '1' },
  });
  const health = async (name: string): Promise<string> => {
    const r = await fetch(`${gw.statusUrl}/upstreams/${name}/health`);
    const body = (await r.json()) as { data: { health: string }[] };
    return body.data[0]?.health ?? 'none';
  };
  let withCert = '';
  let withoutCert = '';
  for (let i = 0; i < 60; i++) {
    withCert = await health('with-cert');
    withoutCert = await health('without-cert');
    if (withCert === 'HEALTHY' && withoutCert === 'UNHEALTHY' && mutual.subjects.length > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(withoutCert, 'UNHEALTHY', 'the target refuses a handshake without a client certificate');
  assert.equal(withCert, 'HEALTHY');
  assert.ok(
    mutual.subjects.includes('turnpike-health'),
    `the target saw the upstream's client certificate (saw ${JSON.stringify(mutual.subjects)})`,
  );
});
