// HTTP/2 connections that vanish with hundreds of streams in flight (issue 11). Downstream: a
// client opens 250 streams (more than http2_max_resets) to a slow upstream over h2c, over TLS
// (ALPN h2) and as gRPC calls, then drops its socket without a GOAWAY, several times over.
// The worker must live on (same pid, no crash in its output), another client on its own
// connection must be served all along, the abandoned upstream requests must be cancelled, and
// none of it is taken for a rapid reset, which is still caught when it is one. Upstream: an
// HTTP/2 upstream (h2c, and gRPC) that drops its connection under 250 streams gives each
// client a 502 (gRPC: UNAVAILABLE), and the next requests are served.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { freePort, sleep, type Gateway } from '../helpers/gateway.js';
import { gateway, onCleanup } from '../helpers/scope.js';
import { EchoClient, frameRequest, startEchoServer, type EchoReply, type EchoServer } from '../helpers/grpc.js';
import { killerUpstream, Steady, withTimeout, type KillerUpstream } from '../helpers/h2-abrupt.js';

/** Streams per connection: well over http2_max_resets (100). */
const N = 250;
const ROUNDS = 3;
const GRPC_HEADERS = { ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers' };
/** What a crashed or restarted worker leaves in the gateway's output. */
const CRASH = /worker \d+ died|ERR_HTTP2|Uncaught|uncaughtException/;

/** Held requests the slow HTTP/1.1 upstream has received, and those the gateway gave up (closed). */
const slow = { seen: 0, closed: 0 };
let echo: EchoServer;
let killer: KillerUpstream;
let gw: Gateway;
let h2cPort: number;
let tlsPort: number;

before(async () => {
  // /slow is never answered: it is held until the gateway closes it. /fast answers at once.
  const up = http.createServer((req, res) => {
    req.resume();
    if (req.url!.startsWith('/slow')) {
      slow.seen++;
      res.on('close', () => slow.closed++);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('fast');
  });
  await new Promise<void>((r) => up.listen(0, '127.0.0.1', () => r()));
  onCleanup(
    () =>
      new Promise((r) => {
        up.closeAllConnections();
        up.close(() => r());
      }),
  );
  echo = await startEchoServer();
  onCleanup(() => echo.close());
  killer = await killerUpstream();
  onCleanup(() => killer.close());
  h2cPort = await freePort();
  tlsPort = await freePort();
  gw = await gateway({
    extraListen: `127.0.0.1:${h2cPort} http2, 127.0.0.1:${tlsPort} ssl http2`,
    env: { TURNPIKE_HTTP2_MAX_CONCURRENT_STREAMS: '500', TURNPIKE_HTTP2_MAX_RESETS: '100' },
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'web',
          url: `http://127.0.0.1:${(up.address() as net.AddressInfo).port}`,
          routes: [{ name: 'web', paths: ['/slow', '/fast'], strip_path: false }],
        },
        {
          name: 'echo',
          protocol: 'grpc',
          host: '127.0.0.1',
          port: echo.port,
          routes: [{ name: 'echo', protocols: ['grpc'], paths: ['/turnpike.test.Echo/'] }],
        },
        // retries 0: a request the upstream dropped is answered 502, not tried again on a new session.
        {
          name: 'h2up',
          url: `http://127.0.0.1:${killer.port}`,
          tags: ['turnpike:upstream-http2'],
          retries: 0,
          routes: [{ name: 'h2up', paths: ['/h2up'], strip_path: false }],
        },
        {
          name: 'grpcup',
          protocol: 'grpc',
          host: '127.0.0.1',
          port: killer.port,
          retries: 0,
          routes: [{ name: 'grpcup', protocols: ['grpc'], paths: ['/turnpike.test.Kill/'] }],
        },
      ],
    }),
  });
});

async function workerPids(): Promise<number[]> {
  return (await gw.status()).workers.map((w: { pid: number }) => w.pid);
}

/** Polls until `cond` holds; fails with `what` after `ms`. */
async function until(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(what());
    await sleep(20);
  }
}

/** An HTTP/2 client session whose underlying socket the test holds, to destroy it abruptly. */
async function rawSession(
  port: number,
  useTls: boolean,
): Promise<{ session: http2.ClientHttp2Session; socket: net.Socket }> {
  let socket!: net.Socket;
  const session = http2.connect(`${useTls ? 'https' : 'http'}://127.0.0.1:${port}`, {
    createConnection: () =>
      (socket = useTls
        ? tls.connect({ host: '127.0.0.1', port, ALPNProtocols: ['h2'], rejectUnauthorized: false })
        : net.connect(port, '127.0.0.1')),
  });
  session.on('error', () => {});
  // Its SETTINGS lift node's default of 100 streams for a peer it has not heard from yet.
  await withTimeout(
    new Promise<void>((r) => session.once('remoteSettings', () => r())),
    5000,
    'no SETTINGS from the gateway',
  );
  return { session, socket };
}

interface Answer {
  status: number;
  grpcStatus: string | undefined;
  body: string;
}

/** One request on `session`; resolves with the response, rejects on a stream error. */
function request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers, { endStream: body === undefined });
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const parts: Buffer[] = [];
    req.on('response', (h) => (head = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () =>
      resolve({
        status: Number(head[':status']),
        grpcStatus: (trailers['grpc-status'] ?? head['grpc-status']) as string | undefined,
        body: Buffer.concat(parts).toString(),
      }),
    );
    req.on('error', reject);
    if (body !== undefined) req.end(body);
  });
}

/** Opens N streams that will not be answered; returns once they all reached the upstream, then destroys the socket. */
async function floodAndDrop(
  port: number,
  useTls: boolean,
  open: (s: http2.ClientHttp2Session, i: number) => void,
  arrived: () => number,
  label: string,
): Promise<void> {
  const { session, socket } = await rawSession(port, useTls);
  const before = arrived();
  for (let i = 0; i < N; i++) open(session, i);
  await until(
    () => arrived() - before >= N,
    15_000,
    () => `${label}: only ${arrived() - before} of ${N} streams reached the upstream`,
  );
  socket.destroy(); // no GOAWAY, no RST_STREAM: the connection is just gone
  await withTimeout(
    new Promise<void>((r) => (session.destroyed ? r() : session.once('close', () => r()))),
    5000,
    'client session did not close',
  );
}

/** ROUNDS abrupt closes while `steady` runs on its own connection; then the checks every case shares. */
async function abruptRounds(
  label: string,
  steady: Steady,
  flood: () => Promise<void>,
  cancelled: () => number,
): Promise<void> {
  const pids = await workerPids();
  const resetWarnings = countResetWarnings();
  const cancelledBefore = cancelled();
  try {
    await steady.more(3, 5000); // served before the first drop
    for (let round = 0; round < ROUNDS; round++) {
      await flood();
      await sleep(200);
      assert.deepEqual(await workerPids(), pids, `${label} round ${round}: the worker was replaced`);
      await steady.more(1, 5000);
    }
    // The gateway let go of every upstream request the dropped connections had made.
    await until(
      () => cancelled() - cancelledBefore >= N * ROUNDS,
      10_000,
      () => `${label}: ${cancelled() - cancelledBefore} of ${N * ROUNDS} upstream requests cancelled`,
    );
    await steady.more(3, 5000); // and after the last one
  } finally {
    await steady.stop();
  }
  assert.equal(steady.failed, 0, `${label}: the other client's requests failed: ${steady.failures.join('; ')}`);
  assert.deepEqual(await workerPids(), pids);
  assert.doesNotMatch(gw.stdout + gw.stderr, CRASH);
  assert.equal(gw.exitCode, null);
  assert.equal(countResetWarnings(), resetWarnings, `${label}: a dropped connection was taken for a rapid reset`);
}

function countResetWarnings(): number {
  return (gw.stderr.match(/HTTP\/2 rapid reset from/g) ?? []).length;
}

/** A second HTTP/2 client on its own connection, GETting /fast back to back. */
async function steadyH2(port: number, useTls: boolean): Promise<Steady> {
  const { session } = await rawSession(port, useTls);
  onCleanup(async () => session.destroy());
  return new Steady(async () => {
    const r = await request(session, { ':path': '/fast' });
    if (r.status !== 200 || r.body !== 'fast') throw new Error(`status ${r.status}: ${r.body}`);
  });
}

for (const useTls of [false, true]) {
  const name = useTls ? 'TLS (ALPN h2)' : 'h2c (prior knowledge)';
  test(`${name}: ${N} streams in flight, socket destroyed, ${ROUNDS} times: the worker lives, another client is served throughout`, async () => {
    const port = useTls ? tlsPort : h2cPort;
    const steady = await steadyH2(port, useTls);
    await abruptRounds(
      name,
      steady,
      () =>
        floodAndDrop(
          port,
          useTls,
          (s, i) => {
            const req = s.request({ ':path': `/slow/${i}` });
            req.on('error', () => {});
          },
          () => slow.seen,
          name,
        ),
      () => slow.closed,
    );
  });
}

test(`gRPC: ${N} calls in flight to a grpc service, socket destroyed, ${ROUNDS} times: the worker lives, a grpc-js client is served throughout`, async () => {
  const client = new EchoClient(`127.0.0.1:${h2cPort}`, grpc.credentials.createInsecure());
  onCleanup(async () => client.close());
  // ServerStream for the steady client, Unary (held for a minute) for the flood: the upstream's counts tell them apart.
  const steady = new Steady(
    () =>
      new Promise<void>((resolve, reject) => {
        const got: string[] = [];
        const call = client.ServerStream({ text: 'steady', count: 2 });
        call.on('data', (r: EchoReply) => got.push(r.text));
        call.on('error', reject);
        call.on('end', () => (got.join() === 'steady-0,steady-1' ? resolve() : reject(new Error('got ' + got.join()))));
      }),
  );
  const unaryCalls = (): number => echo.calls.filter((c) => c === 'Unary').length;
  const message = frameRequest({ text: 'held', delay_ms: 60_000 });
  await abruptRounds(
    'gRPC',
    steady,
    () =>
      floodAndDrop(
        h2cPort,
        false,
        (s) => {
          const req = s.request({ ...GRPC_HEADERS, ':path': '/turnpike.test.Echo/Unary' });
          req.on('error', () => {});
          req.end(message);
        },
        unaryCalls,
        'gRPC',
      ),
    () => echo.unaryCancelled(),
  );
});

test('a real rapid reset is still answered with GOAWAY ENHANCE_YOUR_CALM, and the worker lives', async () => {
  const pids = await workerPids();
  const warnings = countResetWarnings();
  const { session } = await rawSession(h2cPort, false);
  onCleanup(async () => session.destroy());
  let code = -1;
  const goaway = new Promise<number>((resolve) => session.once('goaway', (c: number) => resolve((code = c))));
  // Open and cancel at once, as the attack does, until the gateway says stop.
  for (let i = 0; i < 3000 && code === -1 && !session.closed && !session.destroyed; i++) {
    try {
      const req = session.request({ ':path': `/slow/reset-${i}` });
      req.on('error', () => {});
      req.close(http2.constants.NGHTTP2_CANCEL);
    } catch {
      break; // the session is going away
    }
    if (i % 10 === 9) await sleep(2);
  }
  assert.equal(await withTimeout(goaway, 5000, 'no GOAWAY'), http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
  await until(
    () => countResetWarnings() > warnings,
    2000,
    () => 'no rapid reset warning',
  );
  const fresh = await rawSession(h2cPort, false);
  onCleanup(async () => fresh.session.destroy());
  assert.equal((await request(fresh.session, { ':path': '/fast' })).status, 200);
  assert.deepEqual(await workerPids(), pids);
  assert.doesNotMatch(gw.stdout + gw.stderr, CRASH);
});

for (const kind of ['h2c', 'gRPC'] as const) {
  test(`an HTTP/2 upstream (${kind}) that drops its connection under ${N} streams: every client gets an error, the next requests are served`, async () => {
    const pids = await workerPids();
    const { session } = await rawSession(h2cPort, false);
    onCleanup(async () => session.destroy());
    const steady = await steadyH2(h2cPort, false);
    const call = (i: number): Promise<Answer> =>
      kind === 'h2c'
        ? request(session, { ':path': `/h2up/${i}` })
        : request(session, { ...GRPC_HEADERS, ':path': '/turnpike.test.Kill/Call' }, frameRequest({ text: String(i) }));
    const served = (a: Answer): boolean =>
      kind === 'h2c' ? a.status === 200 && a.body === 'h2 ok' : a.status === 200 && a.grpcStatus === '0';
    try {
      await steady.more(3, 5000);
      for (let round = 0; round < ROUNDS; round++) {
        // A served request first: the gateway's upstream session is up and knows its stream limit.
        const first = await call(-1);
        assert.ok(served(first), JSON.stringify(first));
        const kills = killer.kills;
        killer.dropAt(N);
        const answers = await withTimeout(
          Promise.all(Array.from({ length: N }, (_, i) => call(i))),
          20_000,
          `round ${round}: not every client was answered`,
        );
        assert.equal(killer.kills, kills + 1, 'the upstream dropped its connection');
        for (const a of answers) {
          if (kind === 'h2c') assert.equal(a.status, 502, JSON.stringify(a));
          else assert.deepEqual([a.status, a.grpcStatus], [200, String(grpc.status.UNAVAILABLE)], JSON.stringify(a));
        }
        const next = await call(N);
        assert.ok(served(next), JSON.stringify(next));
        await steady.more(1, 5000);
      }
      await steady.more(3, 5000);
    } finally {
      await steady.stop();
    }
    assert.equal(steady.failed, 0, steady.failures.join('; '));
    assert.deepEqual(await workerPids(), pids);
    assert.doesNotMatch(gw.stdout + gw.stderr, CRASH);
  });
}
