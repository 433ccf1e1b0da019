// Stream (L4) routing through the real gateway process: TCP proxying on stream_listen
// addresses, routing by destination port, source CIDR and (peeked, never decrypted) TLS SNI,
// balancing and retries across targets, failures, metrics, validation and reload.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { freePort, runCli, sleep, tmpDir, type Gateway } from '../helpers/gateway.js';
import { gateway, onCleanup } from '../helpers/scope.js';
import { promtoolCheck } from '../helpers/tools.js';

// ── upstreams ──────────────────────────────────────────────────────────────

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  onCleanup(
    () =>
      new Promise<void>((r) => {
        server.close(() => r());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

/** Echoes every byte; ends its side when the client ends its own (half-close both ways). */
async function echoServer(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  onCleanup(async () => {
    for (const s of sockets) s.destroy();
  });
  return listen(server);
}

/** Answers the first bytes it receives with its name, then echoes. */
async function namedServer(name: string): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.once('data', () => {
      s.write(name + '\n');
      s.pipe(s);
    });
  });
  onCleanup(async () => {
    for (const s of sockets) s.destroy();
  });
  return listen(server);
}

/** Sends its greeting, ends its side at once (FIN first), and records what it receives after. */
async function finFirstServer(received: Buffer[]): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    s.on('data', (d: Buffer) => received.push(d));
    s.end('bye\n');
  });
  return listen(server);
}

// ── clients ────────────────────────────────────────────────────────────────

interface Talk {
  data: Buffer;
  /** The connection ended cleanly (FIN) rather than being reset. */
  ended: boolean;
  error: string | null;
}

/** Connects, sends `send` (then FIN unless keepOpen), collects everything until the close. */
function talk(
  port: number,
  send: Buffer | string,
  opts: { localAddress?: string; timeoutMs?: number } = {},
): Promise<Talk> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: opts.localAddress, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let ended = false;
    let error: string | null = null;
    const t = setTimeout(() => s.destroy(new Error('client timeout')), opts.timeoutMs ?? 10000);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => {
      ended = true;
      s.end();
    });
    s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    s.on('close', () => {
      clearTimeout(t);
      resolve({ data: Buffer.concat(chunks), ended, error });
    });
    s.on('connect', () => s.end(send));
  });
}

/** Sends one line, returns the first line answered (a named server's name). */
async function whoAnswers(port: number, localAddress?: string): Promise<string> {
  const r = await talk(port, 'hi\n', { localAddress });
  return r.data.toString().split('\n')[0];
}

// ── certificates for the TLS upstreams ─────────────────────────────────────

const certDir = tmpDir('turnpike-stream-certs-');
function makeCert(name: string): { key: string; cert: string } {
  const key = path.join(certDir, name + '.key');
  const cert = path.join(certDir, name + '.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=DNS:${name}`,
    ],
    { stdio: 'ignore' },
  );
  return { key: fs.readFileSync(key, 'utf8'), cert: fs.readFileSync(cert, 'utf8') };
}

async function tlsServer(name: string, creds: { key: string; cert: string }): Promise<number> {
  const server = tls.createServer({ key: creds.key, cert: creds.cert }, (s) => {
    s.on('error', () => {});
    s.end(`hello from ${name}\n`);
  });
  return listen(server);
}

function tlsTalk(
  port: number,
  servername: string,
  ca: string,
): Promise<{ text: string; authorized: boolean; error: string | null }> {
  return new Promise((resolve) => {
    const s = tls.connect({ port, host: '127.0.0.1', servername, ca });
    let text = '';
    let error: string | null = null;
    let authorized = false;
    s.on('secureConnect', () => (authorized = s.authorized));
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    s.on('close', () => resolve({ text, authorized, error }));
  });
}

// ── the gateway ────────────────────────────────────────────────────────────

let gw: Gateway;
const P: Record<string, number> = {};
let echoPort = 0;
const finReceived: Buffer[] = [];
let certA: { key: string; cert: string };
let certB: { key: string; cert: string };
let deadPort = 0;

function configText(echoRouteService = 'echo'): string {
  const dst = (p: number) => [{ port: p }];
  return JSON.stringify({
    _format_version: '3.0',
    services: [
      { name: 'echo', url: `tcp://127.0.0.1:${echoPort}`, routes: [] },
      {
        name: 'named-b',
        url: `tcp://127.0.0.1:${P.namedB}`,
        routes: [{ name: 'by-port-b', protocols: ['tcp'], destinations: dst(P.l2) }],
      },
      {
        name: 'loopback',
        url: `tcp://127.0.0.1:${P.namedLoop}`,
        routes: [
          { name: 'src-loopback', protocols: ['tcp'], sources: [{ ip: '127.0.0.0/8' }], destinations: dst(P.l3) },
        ],
      },
      {
        name: 'two',
        url: `tcp://127.0.0.1:${P.namedTwo}`,
        routes: [{ name: 'src-two', protocols: ['tcp'], sources: [{ ip: '127.0.0.2/32' }], destinations: dst(P.l3) }],
      },
      {
        name: 'tls-a',
        url: `tcp://127.0.0.1:${P.tlsA}`,
        routes: [{ name: 'sni-a', protocols: ['tls_passthrough'], snis: ['a.test'] }],
      },
      {
        name: 'tls-b',
        url: `tcp://127.0.0.1:${P.tlsB}`,
        routes: [{ name: 'sni-b', protocols: ['tls_passthrough'], snis: ['b.test'] }],
      },
      {
        name: 'rr',
        url: 'tcp://rr-pool:1',
        routes: [{ name: 'rr-route', protocols: ['tcp'], destinations: dst(P.l5) }],
      },
      {
        name: 'retrying',
        url: 'tcp://retry-pool:1',
        retries: 3,
        routes: [{ name: 'retry-route', protocols: ['tcp'], destinations: dst(P.l6) }],
      },
      {
        name: 'dead',
        url: `tcp://127.0.0.1:${deadPort}`,
        retries: 1,
        routes: [{ name: 'dead-route', protocols: ['tcp'], destinations: dst(P.l7) }],
      },
      {
        name: 'fin-first',
        url: `tcp://127.0.0.1:${P.finFirst}`,
        routes: [{ name: 'fin-route', protocols: ['tcp'], destinations: dst(P.l8) }],
      },
      { name: 'named-a', url: `tcp://127.0.0.1:${P.namedA}`, routes: [] },
    ].map((s) =>
      s.name === echoRouteService
        ? { ...s, routes: [{ name: 'echo-route', protocols: ['tcp'], destinations: dst(P.l1) }] }
        : s,
    ),
    upstreams: [
      {
        name: 'rr-pool',
        algorithm: 'round-robin',
        targets: [{ target: `127.0.0.1:${P.namedA}` }, { target: `127.0.0.1:${P.namedB}` }],
      },
      {
        name: 'retry-pool',
        algorithm: 'round-robin',
        targets: [{ target: `127.0.0.1:${deadPort}` }, { target: `127.0.0.1:${P.namedC}` }],
      },
    ],
  });
}

before(async () => {
  certA = makeCert('a.test');
  certB = makeCert('b.test');
  onCleanup(async () => fs.rmSync(certDir, { recursive: true, force: true }));
  echoPort = await echoServer();
  P.namedA = await namedServer('a');
  P.namedB = await namedServer('b');
  P.namedC = await namedServer('c');
  P.namedLoop = await namedServer('loopback');
  P.namedTwo = await namedServer('two');
  P.tlsA = await tlsServer('a', certA);
  P.tlsB = await tlsServer('b', certB);
  P.finFirst = await finFirstServer(finReceived);
  deadPort = await freePort();
  for (const l of ['l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7', 'l8']) P[l] = await freePort();
  const listeners = ['l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7', 'l8'].map((l) => `127.0.0.1:${P[l]}`).join(', ');
  gw = await gateway({ config: configText(), workers: 2, env: { TURNPIKE_STREAM_LISTEN: listeners } });
});

test('TCP echo through a stream listener: bytes both ways, a 5 MB transfer, half-close', async () => {
  const small = await talk(P.l1, 'hello stream');
  assert.equal(small.data.toString(), 'hello stream');
  assert.equal(small.ended, true);

  const big = randomBytes(5 * 1024 * 1024);
  const r = await talk(P.l1, big, { timeoutMs: 30000 });
  assert.equal(r.error, null);
  assert.equal(r.data.length, big.length);
  assert.equal(createHash('sha256').update(r.data).digest('hex'), createHash('sha256').update(big).digest('hex'));
});

test('half-close from the upstream: its FIN reaches the client, which can still send', async () => {
  const s = net.connect({ port: P.l8, host: '127.0.0.1', allowHalfOpen: true });
  let got = '';
  s.on('data', (d: Buffer) => (got += d.toString()));
  await new Promise<void>((resolve) => s.once('connect', () => resolve()));
  s.write('x'); // the gateway routes tcp at once; the write only proves the path
  await new Promise<void>((resolve) => s.once('end', () => resolve()));
  assert.equal(got, 'bye\n');
  s.end('after-fin');
  await new Promise<void>((resolve) => s.once('close', () => resolve()));
  await sleep(100);
  assert.equal(Buffer.concat(finReceived).toString(), 'xafter-fin');
});

test('routing by destination: two stream listeners reach two services', async () => {
  assert.equal((await talk(P.l1, 'ping')).data.toString(), 'ping');
  assert.equal(await whoAnswers(P.l2), 'b');
});

test('routing by source CIDR: the /32 route wins over the /8 one', async () => {
  assert.equal(await whoAnswers(P.l3, '127.0.0.2'), 'two');
  assert.equal(await whoAnswers(P.l3, '127.0.0.1'), 'loopback');
});

test('tls_passthrough by SNI to two TLS upstreams; the client verifies the upstream certificate', async () => {
  const a = await tlsTalk(P.l4, 'a.test', certA.cert);
  assert.equal(a.error, null);
  assert.equal(a.authorized, true);
  assert.equal(a.text, 'hello from a\n');
  const b = await tlsTalk(P.l4, 'b.test', certB.cert);
  assert.equal(b.error, null);
  assert.equal(b.text, 'hello from b\n');
  // The gateway did not terminate TLS: b's certificate does not verify against a's CA.
  const wrong = await tlsTalk(P.l4, 'b.test', certA.cert);
  assert.notEqual(wrong.error, null);
});

test('no matching route: unknown SNI, plain bytes on the passthrough-only listener, both closed and logged', async () => {
  const unknown = await tlsTalk(P.l4, 'c.test', certA.cert);
  assert.notEqual(unknown.error, null);
  assert.equal(unknown.text, '');
  const plain = await talk(P.l4, 'GET / HTTP/1.0\r\n\r\n');
  assert.equal(plain.data.length, 0);
  await sleep(400);
  const log = fs.readFileSync(gw.accessLogPath, 'utf8');
  assert.match(log, /"kind":"stream".*"sni":"c\.test".*"error":"no stream route matched \(sni c\.test\)"/);
  assert.match(log, /"kind":"stream".*"sni":null.*"error":"no stream route matched"/);
});

test('dead upstream: the connection is closed, the failure logged', async () => {
  const r = await talk(P.l7, 'anyone?');
  assert.equal(r.data.length, 0);
  await sleep(400);
  assert.match(
    fs.readFileSync(gw.accessLogPath, 'utf8'),
    /"route":"dead-route","error":"connect to 127\.0\.0\.1:\d+ failed: ECONNREFUSED"/,
  );
});

test('retries: a connect failure moves on to the next target', async () => {
  for (let i = 0; i < 6; i++) assert.equal(await whoAnswers(P.l6), 'c');
});

test('round-robin across two targets', async () => {
  const seen: string[] = [];
  // Two workers each keep their own round-robin position; the kernel spreads connections.
  for (let i = 0; i < 12; i++) seen.push(await whoAnswers(P.l5));
  assert.ok(seen.includes('a') && seen.includes('b'), seen.join(','));
  assert.ok(Math.abs(seen.filter((s) => s === 'a').length - 6) <= 3, seen.join(','));
});

test('metrics: stream connection and byte counters summed over the workers, promtool-valid', async () => {
  await sleep(100);
  const text = await gw.metrics();
  const val = (re: RegExp): number => Number(re.exec(text)?.[1] ?? NaN);
  assert.ok(val(/^turnpike_stream_connections_total\{service="echo",route="echo-route"\} (\d+)$/m) >= 3, text);
  assert.ok(
    val(/^turnpike_stream_bytes_total\{service="echo",route="echo-route",direction="ingress"\} (\d+)$/m) >=
      5 * 1024 * 1024,
  );
  assert.ok(
    val(/^turnpike_stream_bytes_total\{service="echo",route="echo-route",direction="egress"\} (\d+)$/m) >=
      5 * 1024 * 1024,
  );
  assert.ok(val(/^turnpike_stream_connections_total\{service="tls-a",route="sni-a"\} (\d+)$/m) >= 1);
  assert.ok(val(/^turnpike_stream_connections_total\{service="",route=""\} (\d+)$/m) >= 2);
  const file = path.join(certDir, 'metrics.txt');
  fs.writeFileSync(file, text);
  const p = promtoolCheck(text, 'checking the stream metrics');
  if (p !== null) assert.equal(p.status, 0, `promtool check metrics failed:\n${p.output}`);
});

test('turnpike validate: stream routes without sources/destinations/snis; tls routes accepted', async () => {
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'bad.yml');
  fs.writeFileSync(
    file,
    [
      '_format_version: "3.0"',
      'services:',
      '- name: db',
      '  url: tcp://127.0.0.1:5432',
      '  routes:',
      '  - name: no-fields',
      '    protocols: [tcp]',
      '  - name: no-sni',
      '    protocols: [tls_passthrough]',
      '  - name: terminate',
      '    protocols: [tls]',
      '    snis: [db.test]',
      '  - name: bad-cidr',
      '    protocols: [tcp]',
      '    sources: [{ ip: 10.0.0.0/40 }]',
      '',
    ].join('\n'),
  );
  const r = await runCli(['validate', file]);
  assert.equal(r.code, 1);
  const out = r.stdout + r.stderr;
  assert.match(out, /must set at least one of 'sources', 'destinations' when 'protocols' includes 'tcp'/);
  assert.match(out, /must set at least one of 'snis' when 'protocols' includes 'tls_passthrough'/);
  assert.doesNotMatch(out, /not available yet/); // protocols [tls] with snis is accepted now
  assert.match(out, /prefix length must be 0\.\.32/);
});

test('reload changes stream routes; an open stream connection finishes on the old snapshot', async () => {
  const before = (await gw.status()).workers[0].config_hash;
  // Open a connection to the echo route and leave it open.
  const s = net.connect({ port: P.l1, host: '127.0.0.1', allowHalfOpen: true });
  let got = '';
  s.on('data', (d: Buffer) => (got += d.toString()));
  await new Promise<void>((resolve) => s.once('connect', () => resolve()));
  s.write('one ');
  while (got !== 'one ') await sleep(10);

  gw.writeConfig(configText('named-a')); // listener 1 now routes to the named server "a"
  await gw.waitForHash((h) => h !== before);
  assert.equal(await whoAnswers(P.l1), 'a');

  s.end('two');
  await new Promise<void>((resolve) => s.once('close', () => resolve()));
  assert.equal(got, 'one two'); // still the echo service
});
