// Downstream TLS end to end, on a real gateway process: certificates chosen by SNI (exact,
// wildcard, default), the self-signed default certificate made in the prefix and reused,
// certificates swapped by a reload without dropping a keep-alive connection, old protocol
// versions refused, https-only routes over plain HTTP (426 / redirect), X-Forwarded-Proto.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import http from 'node:http';
import { promisify } from 'node:util';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { leaf, makeCa, type Pair } from '../helpers/certs.js';
import { freePort, runCli, tmpDir, startGateway, type Gateway } from '../helpers/gateway.js';
import { onCleanup, upstream } from '../helpers/scope.js';

// Asynchronous: the upstream runs in this process and must keep answering while curl runs.
const run = promisify(execFile);
async function curl(args: string[]): Promise<string> {
  return (await run('curl', args, { encoding: 'utf8' })).stdout;
}

function config(upstreamPort: number, a: Pair, wild: Pair): string {
  return JSON.stringify({
    _format_version: '3.0',
    services: [
      {
        name: 'svc',
        url: `http://127.0.0.1:${upstreamPort}`,
        routes: [
          { name: 'any', paths: ['/any'] },
          { name: 'secure', paths: ['/secure'], protocols: ['https'] },
          { name: 'moved', paths: ['/moved'], protocols: ['https'], https_redirect_status_code: 301 },
        ],
      },
    ],
    certificates: [
      { ...a, snis: ['a.test'] },
      { ...wild, snis: [{ name: '*.wild.test' }] },
    ],
  });
}

function bigFile(): string {
  const f = path.join(prefix, 'big.bin');
  fs.writeFileSync(f, Buffer.alloc(1024 * 1024, 'x'));
  return f;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  cn: string;
  fingerprint: string;
  reused: boolean;
}

/** One HTTPS request to 127.0.0.1:port with `servername` as SNI (none when it is an IP). */
function get(
  port: number,
  servername: string,
  reqPath: string,
  opts: { ca?: string; agent?: https.Agent } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: reqPath,
        servername: /^\d/.test(servername) ? undefined : servername,
        headers: { host: servername },
        ca: opts.ca,
        rejectUnauthorized: opts.ca !== undefined,
        agent: opts.agent ?? false,
      },
      (res) => {
        const sock = res.socket as tls.TLSSocket;
        const peer = sock.getPeerCertificate();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body,
            cn: String(peer.subject?.CN ?? ''),
            fingerprint: peer.fingerprint256,
            reused: req.reusedSocket,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

let ca: Pair;
let up: Awaited<ReturnType<typeof upstream>>;
let gw: Gateway;
let tlsPort: number;
let prefix: string;
let defaultFingerprint = '';
let certA: Pair;
let certWild: Pair;

async function start(cfg: string): Promise<Gateway> {
  return startGateway({ config: cfg, extraListen: `127.0.0.1:${tlsPort} ssl http2`, env: { TURNPIKE_PREFIX: prefix } });
}

test('a gateway with a plain and a TLS listener starts; no ssl_cert: a self-signed default is generated in the prefix', async () => {
  ca = await makeCa();
  certA = await leaf(ca, 'a.test');
  certWild = await leaf(ca, '*.wild.test');
  up = await upstream('u');
  tlsPort = await freePort();
  prefix = tmpDir('turnpike-tls-prefix-');
  onCleanup(async () => fs.rmSync(prefix, { recursive: true, force: true }));
  gw = await start(config(up.port, certA, certWild));
  onCleanup(() => gw.stop());
  assert.match(gw.stdout, /generated a self-signed default certificate/);
  assert.match(gw.stdout, /HTTP\/2 over TLS \(ALPN h2, with http\/1\.1/);
  assert.ok(fs.existsSync(path.join(prefix, 'ssl', 'default.crt')));
  assert.equal(fs.statSync(path.join(prefix, 'ssl', 'default.key')).mode & 0o777, 0o600);
});

test('SNI picks the certificate: exact name, then wildcard, else the default; verified against the CA', async () => {
  const a = await get(tlsPort, 'a.test', '/any', { ca: ca.cert });
  assert.equal(a.status, 200);
  assert.equal(a.cn, 'a.test');
  const w = await get(tlsPort, 'x.wild.test', '/any', { ca: ca.cert });
  assert.equal(w.status, 200);
  assert.equal(w.cn, '*.wild.test');
  // One label only: a.b.wild.test is not covered by *.wild.test → the default certificate.
  const deep = await get(tlsPort, 'a.b.wild.test', '/any');
  assert.equal(deep.cn, 'localhost');
  const unknown = await get(tlsPort, 'unknown.test', '/any');
  assert.equal(unknown.status, 200);
  assert.equal(unknown.cn, 'localhost');
  const noSni = await get(tlsPort, '127.0.0.1', '/any');
  assert.equal(noSni.cn, 'localhost');
  defaultFingerprint = noSni.fingerprint;
  // Verified by the generated default certificate itself (it names localhost and 127.0.0.1).
  const trusted = await get(tlsPort, 'localhost', '/any', {
    ca: fs.readFileSync(path.join(prefix, 'ssl', 'default.crt'), 'utf8'),
  });
  assert.equal(trusted.status, 200);
});

test('curl with --cacert and SNI, and the upstream sees X-Forwarded-Proto: https', async () => {
  const caFile = path.join(prefix, 'test-ca.pem');
  fs.writeFileSync(caFile, ca.cert);
  const before = up.requests.length;
  const out = await curl([
    '-sS',
    '--http1.1',
    '--cacert',
    caFile,
    '--resolve',
    `a.test:${tlsPort}:127.0.0.1`,
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{ssl_verify_result}',
    `https://a.test:${tlsPort}/any`,
  ]);
  assert.equal(out, '200 0');
  const seen = up.requests[before]!;
  assert.equal(seen.headers['x-forwarded-proto'], 'https');
  assert.equal(seen.headers['x-forwarded-port'], String(tlsPort));
  // A request body over TLS (1 MiB, streamed through with backpressure).
  const posted = await curl([
    '-sS',
    '--cacert',
    caFile,
    '--resolve',
    `a.test:${tlsPort}:127.0.0.1`,
    '--data-binary',
    `@${bigFile()}`,
    `https://a.test:${tlsPort}/any`,
  ]);
  assert.equal(JSON.parse(posted).bodyLength, 1024 * 1024);
  const insecure = await curl(['-sSk', '-o', '/dev/null', '-w', '%{http_code}', `https://127.0.0.1:${tlsPort}/any`]);
  assert.equal(insecure, '200');
});

test("https-only routes over plain HTTP: 426 with Kong's message, or the configured redirect; fine over TLS", async () => {
  const r = await fetch(`${gw.url}/secure/x`);
  assert.equal(r.status, 426);
  assert.equal(((await r.json()) as { message: string }).message, 'Please use HTTPS protocol');
  const m = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http
      .get(
        {
          host: '127.0.0.1',
          port: gw.proxyPort,
          path: '/moved/x?q=1',
          headers: { host: 'api.test:8000' },
          agent: false,
        },
        (res) => {
          res.resume();
          resolve(res);
        },
      )
      .on('error', reject),
  );
  assert.equal(m.statusCode, 301);
  assert.equal(m.headers.location, 'https://api.test/moved/x?q=1');
  assert.equal((await get(tlsPort, 'a.test', '/secure/x', { ca: ca.cert })).status, 200);
  // A path no route has is still a 404 over plain HTTP.
  assert.equal((await fetch(`${gw.url}/nothing`)).status, 404);
});

test('TLS 1.0 and 1.1 are refused (openssl s_client and Node)', async (t) => {
  const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
  if (hasOpenssl) {
    for (const flag of ['-tls1_1', '-tls1']) {
      const r = spawnSync(
        'openssl',
        [
          's_client',
          '-connect',
          `127.0.0.1:${tlsPort}`,
          '-servername',
          'a.test',
          flag,
          '-cipher',
          'DEFAULT@SECLEVEL=0',
        ],
        { input: '', encoding: 'utf8', timeout: 10_000 },
      );
      assert.notEqual(r.status, 0, `openssl ${flag} should fail`);
      assert.match(
        r.stdout + r.stderr,
        /alert protocol version|no protocols available|unsupported protocol/i,
        `openssl ${flag}: ${r.stderr}`,
      );
    }
    const ok = spawnSync(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${tlsPort}`, '-servername', 'a.test', '-tls1_2'],
      { input: '', encoding: 'utf8', timeout: 10_000 },
    );
    assert.match(ok.stdout, /Protocol\s*:\s*TLSv1\.2/);
  } else if (process.env.CI === 'true') {
    assert.fail('openssl is required in CI for the protocol-version test');
  } else {
    t.diagnostic('SKIPPED LOUDLY: openssl not found, TLS 1.0/1.1 refusal checked with Node only');
  }
  // Node's client offering TLS 1.3 only gets it; the listener has the http2 flag, so ALPN picks h2.
  await new Promise<void>((resolve, reject) => {
    const s = tls.connect(
      {
        host: '127.0.0.1',
        port: tlsPort,
        servername: 'a.test',
        ca: ca.cert,
        minVersion: 'TLSv1.3',
        ALPNProtocols: ['h2', 'http/1.1'],
      },
      () => {
        assert.equal(s.getProtocol(), 'TLSv1.3');
        assert.equal(s.alpnProtocol, 'h2');
        s.destroy();
        resolve();
      },
    );
    s.on('error', reject);
  });
});

test('a reload swaps the certificate without a restart; an open keep-alive connection keeps working', async () => {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  onCleanup(async () => agent.destroy());
  const first = await get(tlsPort, 'a.test', '/any', { ca: ca.cert, agent });
  assert.equal(first.status, 200);
  const pid = (await gw.status()).workers[0].pid;
  const newA = await leaf(ca, 'a.test');
  const st = await gw.status();
  gw.writeConfig(config(up.port, newA, certWild));
  await gw.waitForHash((h) => h !== st.workers[0].config_hash, 10_000);
  // The established connection: same socket, still served, still the old certificate.
  const again = await get(tlsPort, 'a.test', '/any', { ca: ca.cert, agent });
  assert.equal(again.status, 200);
  assert.equal(again.reused, true);
  assert.equal(again.fingerprint, first.fingerprint);
  // A new handshake gets the new certificate.
  const fresh = await get(tlsPort, 'a.test', '/any', { ca: ca.cert });
  assert.equal(fresh.status, 200);
  assert.notEqual(fresh.fingerprint, first.fingerprint);
  assert.equal(fresh.fingerprint, new (await import('node:crypto')).X509Certificate(newA.cert).fingerprint256);
  assert.equal((await gw.status()).workers[0].pid, pid, 'no worker restart');
});

test('the generated default certificate is reused after a restart', async () => {
  await gw.stop();
  gw = await start(config(up.port, certA, certWild));
  assert.match(gw.stdout, /using the self-signed default certificate/);
  const r = await get(tlsPort, '127.0.0.1', '/any');
  assert.equal(r.fingerprint, defaultFingerprint);
});

test('ssl_cert / ssl_cert_key: the configured default certificate serves unknown names; a mismatched pair stops the start', async () => {
  const def = await leaf(ca, 'default.test');
  const other = await leaf(ca, 'other.test');
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'd.crt'), def.cert);
  fs.writeFileSync(path.join(dir, 'd.key'), def.key);
  fs.writeFileSync(path.join(dir, 'o.key'), other.key);
  await gw.stop();
  gw = await startGateway({
    config: config(up.port, certA, certWild),
    extraListen: `127.0.0.1:${tlsPort} ssl`,
    env: {
      TURNPIKE_PREFIX: dir,
      TURNPIKE_SSL_CERT: path.join(dir, 'd.crt'),
      TURNPIKE_SSL_CERT_KEY: path.join(dir, 'd.key'),
    },
  });
  assert.equal((await get(tlsPort, 'unknown.test', '/any')).cn, 'default.test');
  assert.equal((await get(tlsPort, 'a.test', '/any', { ca: ca.cert })).cn, 'a.test');
  assert.ok(!fs.existsSync(path.join(dir, 'ssl')), 'no self-signed certificate when ssl_cert is set');
  const bad = await runCli(
    [
      'start',
      '--config',
      gw.configPath,
      '--proxy-listen',
      `127.0.0.1:${await freePort()} ssl`,
      '--status-listen',
      'off',
    ],
    {
      TURNPIKE_PREFIX: dir,
      TURNPIKE_SSL_CERT: path.join(dir, 'd.crt'),
      TURNPIKE_SSL_CERT_KEY: path.join(dir, 'o.key'),
    },
  );
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /ssl_cert_key ".*o\.key": does not belong to the certificate in ssl_cert/);
});

test('turnpike validate: bad PEM and a key of another certificate → exit 1 naming the entity and the field', async () => {
  const other = await leaf(ca, 'b.test');
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'kong.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      _format_version: '3.0',
      certificates: [
        { cert: certA.cert, key: other.key, snis: ['a.test'] },
        {
          cert: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n',
          key: other.key,
          snis: ['a.test'],
        },
      ],
    }),
  );
  const r = await runCli(['validate', file]);
  assert.equal(r.code, 1);
  const out = r.stdout + r.stderr;
  assert.match(out, /certificate \(certificates\[0\]\): field 'key': does not belong to the certificate in 'cert'/);
  assert.match(out, /certificate \(certificates\[1\]\): field 'cert': is not a valid PEM certificate/);
  assert.match(out, /sni 'a\.test' \(certificates\[1\]\.snis\[0\]\): field 'name': name 'a\.test' is already used/);
});

test('ssl_protocols with TLSv1.1 is refused at start with a clear message', async () => {
  const r = await runCli(['start', '--config', path.join(prefix, 'none.yml')], {
    TURNPIKE_SSL_PROTOCOLS: 'TLSv1.1 TLSv1.2',
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ssl_protocols: TLSv1\.1 is refused/);
});
