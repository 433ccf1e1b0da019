// gRPC through the gateway: services with protocol grpc (h2c) and grpcs (h2 over TLS) reached
// over one shared HTTP/2 session per endpoint; trailers (grpc-status, grpc-message, metadata)
// carried back; gateway-made errors answered in gRPC form. These calls are made by hand over
// HTTP/1.1 (a gRPC message framed on the wire, trailers as chunked trailers), which proves
// the upstream bridge on its own.

import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import { gateway, onCleanup } from '../helpers/scope.js';
import { freePort } from '../helpers/gateway.js';
import { leaf, makeCa } from '../helpers/certs.js';
import {
  EchoClient,
  frameRequest,
  parseReplies,
  startEchoServer,
  type EchoReply,
  type EchoServer,
} from '../helpers/grpc.js';

interface H1Result {
  status: number;
  headers: http.IncomingHttpHeaders;
  trailers: NodeJS.Dict<string>;
  body: Buffer;
}

/** A gRPC call over HTTP/1.1: POST with the framed messages, each in its own write (chunked). */
function h1Call(
  port: number,
  path: string,
  messages: Buffer[],
  headers: Record<string, string> = {},
  gapMs = 0,
): Promise<H1Result> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/grpc', te: 'trailers', ...headers },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            trailers: res.trailers,
            body: Buffer.concat(parts),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    void (async () => {
      for (const m of messages) {
        req.write(m);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
      req.end();
    })();
  });
}

/** The access log once it has a line matching `want` (it is written in batches). */
async function readLog(file: string, want: RegExp): Promise<string> {
  const end = Date.now() + 3000;
  let text = '';
  while (Date.now() < end) {
    text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (want.test(text)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return text;
}

async function echo(tlsPair?: { cert: string; key: string }): Promise<EchoServer> {
  const s = await startEchoServer(tlsPair);
  onCleanup(() => s.close());
  return s;
}

test('grpc services over HTTP/1.1 clients: unary, server and client streaming, trailers and metadata kept', async () => {
  const up = await echo();
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'echo',
          protocol: 'grpc',
          host: '127.0.0.1',
          port: up.port,
          routes: [{ name: 'echo', protocols: ['grpc'], paths: ['/turnpike.test.Echo/'] }],
        },
      ],
    }),
  });

  const unary = await h1Call(gw.proxyPort, '/turnpike.test.Echo/Unary', [frameRequest({ text: 'hello' })], {
    'x-client-md': 'abc',
  });
  assert.equal(unary.status, 200);
  assert.match(String(unary.headers['content-type']), /^application\/grpc/);
  assert.equal(unary.headers['x-echo-header'], 'from-server');
  assert.equal(unary.headers['transfer-encoding'], 'chunked');
  assert.equal(unary.trailers['grpc-status'], '0', JSON.stringify(unary.trailers));
  assert.equal(unary.trailers['x-echo-trailer'], 'done');
  const [reply] = parseReplies(unary.body);
  assert.equal(reply.text, 'hello');
  assert.ok(reply.metadata.includes('x-client-md=abc'), reply.metadata.join(' '));
  assert.ok(reply.metadata.includes('x-forwarded-proto=http'), 'the usual proxy headers go upstream as metadata');

  const ss = await h1Call(gw.proxyPort, '/turnpike.test.Echo/ServerStream', [frameRequest({ text: 'tick', count: 5 })]);
  assert.equal(ss.trailers['grpc-status'], '0');
  assert.deepEqual(
    parseReplies(ss.body).map((r) => r.text),
    ['tick-0', 'tick-1', 'tick-2', 'tick-3', 'tick-4'],
  );

  const cs = await h1Call(
    gw.proxyPort,
    '/turnpike.test.Echo/ClientStream',
    ['a', 'b', 'c'].map((text) => frameRequest({ text })),
    {},
    20,
  );
  assert.equal(cs.trailers['grpc-status'], '0');
  const [joined] = parseReplies(cs.body);
  assert.equal(joined.text, 'a,b,c');
  assert.equal(joined.index, 3);

  // A failing call: the upstream's status, message (percent-encoded) and trailing metadata.
  const fail = await h1Call(gw.proxyPort, '/turnpike.test.Echo/Fail', [
    frameRequest({ text: 'no such thing: ü 100%', count: grpc.status.NOT_FOUND }),
  ]);
  assert.equal(fail.status, 200);
  const st = fail.trailers['grpc-status'] ?? fail.headers['grpc-status'];
  assert.equal(st, String(grpc.status.NOT_FOUND));
  const msg = fail.trailers['grpc-message'] ?? fail.headers['grpc-message'];
  assert.equal(decodeURIComponent(String(msg)), 'no such thing: ü 100%');
  const failReason = fail.trailers['x-fail-reason'] ?? fail.headers['x-fail-reason'];
  assert.equal(failReason, 'asked to fail');
  assert.deepEqual(up.calls, ['Unary', 'ServerStream', 'ClientStream', 'Fail']);

  // One HTTP/2 session served every call.
  const metrics = await gw.metrics();
  assert.match(
    metrics,
    new RegExp(`turnpike_upstream_connections\\{endpoint="h2:127\\.0\\.0\\.1:${up.port}",state="open"\\} 1\n`),
  );
});

test('gateway-made errors to gRPC calls in gRPC form; a plain request to a gRPC route gets 415', async () => {
  const up = await echo();
  const dead = await freePort();
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'echo',
          protocol: 'grpc',
          host: '127.0.0.1',
          port: up.port,
          routes: [{ name: 'echo', protocols: ['grpc'], paths: ['/turnpike.test.Echo/'] }],
        },
        {
          name: 'slow',
          protocol: 'grpc',
          host: '127.0.0.1',
          port: up.port,
          read_timeout: 300,
          routes: [
            { name: 'slow', protocols: ['grpc'], paths: ['/turnpike.test.Echo/'], headers: { 'x-route': ['slow'] } },
          ],
        },
        {
          name: 'locked',
          protocol: 'grpc',
          host: '127.0.0.1',
          port: up.port,
          routes: [
            {
              name: 'locked',
              protocols: ['grpc'],
              paths: ['/turnpike.test.Echo/'],
              headers: { 'x-route': ['locked'] },
              plugins: [{ name: 'key-auth' }],
            },
          ],
        },
        {
          name: 'dead',
          protocol: 'grpc',
          host: '127.0.0.1',
          port: dead,
          retries: 0,
          routes: [{ name: 'dead', protocols: ['grpc'], paths: ['/dead.Service/'] }],
        },
      ],
    }),
  });
  const call = (path: string, headers: Record<string, string> = {}, req = { text: 'x' }) =>
    h1Call(gw.proxyPort, path, [frameRequest(req)], headers);

  const noRoute = await call('/other.Service/Method');
  assert.equal(noRoute.status, 200);
  assert.equal(noRoute.headers['content-type'], 'application/grpc');
  assert.equal(noRoute.headers['grpc-status'], String(grpc.status.UNIMPLEMENTED));
  assert.equal(noRoute.headers['grpc-message'], 'no Route matched with those values');
  assert.equal(noRoute.body.length, 0);

  const noKey = await call('/turnpike.test.Echo/Unary', { 'x-route': 'locked' });
  assert.equal(noKey.headers['grpc-status'], String(grpc.status.UNAUTHENTICATED));
  assert.equal(noKey.headers['grpc-message'], 'No API key found in request');

  const down = await call('/dead.Service/Method');
  assert.equal(down.headers['grpc-status'], String(grpc.status.UNAVAILABLE));

  // The upstream sent its headers at once, then nothing within read_timeout: the body ends
  // with the status as trailers (the connection is not cut).
  const late = await call('/turnpike.test.Echo/Unary', { 'x-route': 'slow' }, {
    text: 'late',
    delay_ms: 2000,
  } as never);
  assert.equal(late.status, 200);
  assert.equal(late.headers['x-echo-header'], 'from-server');
  assert.equal(late.trailers['grpc-status'], String(grpc.status.DEADLINE_EXCEEDED));
  assert.equal(late.trailers['grpc-message'], 'The upstream server is timed out');

  // Not a gRPC call: a clear JSON error, not a gRPC one.
  const res = await fetch(gw.url + '/turnpike.test.Echo/Unary', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(res.status, 415);
  assert.match(((await res.json()) as { message: string }).message, /gRPC calls only/);

  // The gateway kept serving a real call after all that.
  const ok = await call('/turnpike.test.Echo/Unary');
  assert.equal(ok.trailers['grpc-status'], '0');
  const log = await readLog(gw.accessLogPath, /"status":415/);
  assert.match(
    log,
    /"path":"\/dead.Service\/Method",(?:"protocol":"HTTP\/1.1",)?"status":502,.*"error":"cannot connect to the upstream: ECONNREFUSED"/,
    'the access log keeps the HTTP status a gRPC error stands for',
  );
  assert.match(log, /"route":"slow","error":"the upstream did not answer within the timeout"/);
});

test('grpc: a client that stops reading holds the upstream back (HTTP/2 flow control), then gets every message', async () => {
  const up = await echo();
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'echo',
          protocol: 'grpc',
          host: '127.0.0.1',
          port: up.port,
          routes: [{ name: 'echo', protocols: ['grpc'], paths: ['/turnpike.test.Echo/'] }],
        },
      ],
    }),
  });
  const count = 600;
  const text = 'y'.repeat(64 * 1024); // 600 × 64 KiB ≈ 39 MB: far more than socket buffers and HTTP/2 windows hold
  const result = await new Promise<{ body: Buffer; trailers: NodeJS.Dict<string>; sentWhilePaused: number }>(
    (resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: gw.proxyPort,
          path: '/turnpike.test.Echo/ServerStream',
          method: 'POST',
          headers: { 'content-type': 'application/grpc', te: 'trailers' },
        },
        (res) => {
          res.pause();
          setTimeout(() => {
            const sentWhilePaused = up.sent();
            const parts: Buffer[] = [];
            res.on('data', (c: Buffer) => parts.push(c));
            res.on('end', () => resolve({ body: Buffer.concat(parts), trailers: res.trailers, sentWhilePaused }));
            res.resume();
          }, 1500);
        },
      );
      req.on('error', reject);
      req.end(frameRequest({ text, count }));
    },
  );
  assert.ok(
    result.sentWhilePaused < count,
    `the upstream was held back while the client did not read (sent ${result.sentWhilePaused} of ${count})`,
  );
  assert.equal(result.trailers['grpc-status'], '0');
  const replies = parseReplies(result.body);
  assert.equal(replies.length, count);
  assert.equal(replies[count - 1].index, count - 1);
});

test('grpc: the shared session is reopened after the upstream goes away; retries move to a live target', async () => {
  const up = await echo();
  const port = up.port;
  const dead = await freePort();
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      upstreams: [{ name: 'pair', targets: [{ target: `127.0.0.1:${dead}` }, { target: `127.0.0.1:${port}` }] }],
      services: [
        {
          name: 'echo',
          protocol: 'grpc',
          host: '127.0.0.1',
          port,
          routes: [{ name: 'echo', protocols: ['grpc'], paths: ['/turnpike.test.Echo/'] }],
        },
        {
          name: 'pair',
          protocol: 'grpc',
          host: 'pair',
          port: 80,
          routes: [
            { name: 'pair', protocols: ['grpc'], paths: ['/turnpike.test.Echo/'], headers: { 'x-route': ['pair'] } },
          ],
        },
      ],
    }),
  });
  const first = await h1Call(gw.proxyPort, '/turnpike.test.Echo/Unary', [frameRequest({ text: 'one' })]);
  assert.equal(first.trailers['grpc-status'], '0');
  // The upstream restarts (GOAWAY and close on the session the gateway holds) on the same port.
  up.server.forceShutdown();
  const again = await startEchoServerOn(port);
  const second = await h1Call(gw.proxyPort, '/turnpike.test.Echo/Unary', [frameRequest({ text: 'two' })]);
  assert.equal(second.trailers['grpc-status'], '0', JSON.stringify(second));
  assert.equal(parseReplies(second.body)[0].text, 'two');
  assert.deepEqual(again.calls, ['Unary']);
  // One of the two targets refuses connections: every call still lands on the live one.
  for (let i = 0; i < 4; i++) {
    const r = await h1Call(gw.proxyPort, '/turnpike.test.Echo/Unary', [frameRequest({ text: `p${i}` })], {
      'x-route': 'pair',
    });
    assert.equal(r.trailers['grpc-status'], '0', JSON.stringify(r.headers));
  }
  assert.equal(again.calls.length, 5);
});

test("grpc: the upstream's SETTINGS_MAX_CONCURRENT_STREAMS is respected: more calls than it allows open a second session", async () => {
  const up = await startEchoServer(undefined, 0, { 'grpc.max_concurrent_streams': 2 });
  onCleanup(() => up.close());
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'echo',
          protocol: 'grpc',
          host: '127.0.0.1',
          port: up.port,
          routes: [{ name: 'echo', protocols: ['grpc'], paths: ['/turnpike.test.Echo/'] }],
        },
      ],
    }),
  });
  // Five calls at once, each held 400 ms by the upstream: with two streams per session, three sessions.
  const t0 = Date.now();
  const results = await Promise.all(
    [0, 1, 2, 3, 4].map((i) =>
      h1Call(gw.proxyPort, '/turnpike.test.Echo/Unary', [frameRequest({ text: `c${i}`, delay_ms: 400 })]),
    ),
  );
  const took = Date.now() - t0;
  for (let i = 0; i < 5; i++) {
    assert.equal(results[i].trailers['grpc-status'], '0');
    assert.equal(parseReplies(results[i].body)[0].text, `c${i}`);
  }
  assert.ok(took < 1200, `the calls ran side by side on several sessions rather than queueing (${took} ms)`);
  const metrics = await gw.metrics();
  assert.match(
    metrics,
    new RegExp(`turnpike_upstream_connections\\{endpoint="h2:127\\.0\\.0\\.1:${up.port}",state="open"\\} 3\n`),
  );
});

test('grpc: active health checks of type grpc use the gRPC health protocol (NOT_SERVING ejects a target, SERVING brings it back)', async () => {
  const a = await echo();
  const b = await echo();
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      upstreams: [
        {
          name: 'pair',
          healthchecks: {
            active: {
              type: 'grpc',
              timeout: 1,
              healthy: { interval: 0.2, successes: 1 },
              unhealthy: { interval: 0.2, http_failures: 1 },
            },
          },
          targets: [{ target: `127.0.0.1:${a.port}` }, { target: `127.0.0.1:${b.port}` }],
        },
      ],
      services: [
        {
          name: 'pair',
          protocol: 'grpc',
          host: 'pair',
          port: 80,
          routes: [{ name: 'pair', protocols: ['grpc'], paths: ['/turnpike.test.Echo/'] }],
        },
      ],
    }),
  });
  const B = `127.0.0.1:${b.port}`;
  const health = async (): Promise<string | undefined> => {
    const r = await fetch(`${gw.statusUrl}/upstreams/pair/health`);
    return ((await r.json()) as { data: { target: string; health: string }[] }).data.find((d) => d.target === B)
      ?.health;
  };
  const waitFor = async (want: string): Promise<void> => {
    const end = Date.now() + 6000;
    let last: string | undefined;
    while (Date.now() < end) {
      last = await health();
      if (last === want) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`${B} did not become ${want} (last: ${last})`);
  };
  await waitFor('HEALTHY');
  assert.ok(b.health.checks > 0, 'the target was asked grpc.health.v1.Health/Check');
  b.health.status = 'NOT_SERVING';
  await waitFor('UNHEALTHY');
  const before = b.calls.length;
  for (let i = 0; i < 6; i++) {
    const r = await h1Call(gw.proxyPort, '/turnpike.test.Echo/Unary', [frameRequest({ text: `h${i}` })]);
    assert.equal(r.trailers['grpc-status'], '0');
  }
  assert.equal(b.calls.length, before, 'the NOT_SERVING target got no calls');
  b.health.status = 'SERVING';
  await waitFor('HEALTHY');
});

async function startEchoServerOn(port: number): Promise<EchoServer> {
  // grpc-js binds 127.0.0.1:0 in the helper; here the port must be the old one.
  const s = await startEchoServer(undefined, port);
  onCleanup(() => s.close());
  return s;
}

test('grpcs services: h2 over TLS with ALPN, tls_verify against ca_certificates, an untrusted upstream is UNAVAILABLE', async () => {
  const ca = await makeCa();
  const pair = await leaf(ca, 'localhost');
  const up = await echo(pair);
  const h2Port = await freePort();
  const gw = await gateway({
    extraListen: `127.0.0.1:${h2Port} http2`,
    config: JSON.stringify({
      _format_version: '3.0',
      ca_certificates: [{ id: '5e1c3b52-7d1e-4d38-9b0c-8a3c7f3f0a01', cert: ca.cert }],
      services: [
        {
          name: 'trusted',
          protocol: 'grpcs',
          host: 'localhost',
          port: up.port,
          tls_verify: true,
          ca_certificates: ['5e1c3b52-7d1e-4d38-9b0c-8a3c7f3f0a01'],
          routes: [{ name: 'trusted', protocols: ['grpc'], paths: ['/turnpike.test.Echo/'] }],
        },
        {
          name: 'untrusted',
          protocol: 'grpcs',
          host: 'localhost',
          port: up.port,
          tls_verify: true,
          retries: 0,
          routes: [
            {
              name: 'untrusted',
              protocols: ['grpc'],
              paths: ['/turnpike.test.Echo/'],
              headers: { 'x-route': ['untrusted'] },
            },
          ],
        },
      ],
    }),
  });
  const ok = await h1Call(gw.proxyPort, '/turnpike.test.Echo/ServerStream', [frameRequest({ text: 's', count: 3 })]);
  assert.equal(ok.trailers['grpc-status'], '0');
  assert.deepEqual(
    parseReplies(ok.body).map((r) => r.text),
    ['s-0', 's-1', 's-2'],
  );
  const bad = await h1Call(gw.proxyPort, '/turnpike.test.Echo/Unary', [frameRequest({ text: 'x' })], {
    'x-route': 'untrusted',
  });
  assert.equal(bad.headers['grpc-status'], String(grpc.status.UNAVAILABLE));
  const log = await readLog(gw.accessLogPath, /"status":502/);
  assert.match(log, /certificate|self.signed|issuer/i, 'the access log says why the TLS connection failed');

  // A grpc-js client on the h2c listener, TLS only between the gateway and the upstream.
  const client = new EchoClient(`127.0.0.1:${h2Port}`, grpc.credentials.createInsecure());
  onCleanup(async () => client.close());
  const bidi = client.Bidi();
  const got: string[] = [];
  bidi.on('data', (r: EchoReply) => got.push(r.text));
  const done = new Promise<void>((resolve, reject) => {
    bidi.on('end', () => resolve());
    bidi.on('error', reject);
  });
  bidi.write({ text: 'tls-1' });
  bidi.write({ text: 'tls-2' });
  bidi.end();
  await done;
  assert.deepEqual(got, ['echo:tls-1', 'echo:tls-2']);
});

// ── A real gRPC client (@grpc/grpc-js) through an h2c listener (proxy_listen "… http2") ──

interface Through {
  gw: Awaited<ReturnType<typeof gateway>>;
  client: any;
  up: EchoServer;
}

async function throughGateway(
  routes: object[] = [],
  services: (upPort: number) => object[] = () => [],
  extraConfig: object = {},
): Promise<Through> {
  const up = await echo();
  const h2Port = await freePort();
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'echo',
          protocol: 'grpc',
          host: '127.0.0.1',
          port: up.port,
          routes: [{ name: 'echo', protocols: ['grpc'], paths: ['/turnpike.test.Echo/'] }, ...routes],
        },
        ...services(up.port),
      ],
      ...extraConfig,
    }),
    extraListen: `127.0.0.1:${h2Port} http2`,
  });
  const client = new EchoClient(`127.0.0.1:${h2Port}`, grpc.credentials.createInsecure());
  onCleanup(async () => client.close());
  return { gw, client, up };
}

function unary(
  client: any,
  req: object,
  md = new grpc.Metadata(),
  options: grpc.CallOptions = {},
): Promise<{
  reply: EchoReply | undefined;
  err: grpc.ServiceError | null;
  headers: grpc.Metadata | null;
  trailers: grpc.Metadata | null;
}> {
  return new Promise((resolve) => {
    let headers: grpc.Metadata | null = null;
    let trailers: grpc.Metadata | null = null;
    const call = client.Unary(req, md, options, (err: grpc.ServiceError | null, reply?: EchoReply) => {
      // 'status' comes after the callback in grpc-js; wait for it so trailers are known.
      setImmediate(() => resolve({ reply, err, headers, trailers }));
    });
    call.on('metadata', (m: grpc.Metadata) => (headers = m));
    call.on('status', (s: grpc.StatusObject) => (trailers = s.metadata));
  });
}

test('grpc-js client through the gateway: all four call kinds, metadata both ways, statuses, deadlines, cancellation', async () => {
  const { client, gw, up } = await throughGateway();

  // Unary, with metadata each way (request headers, response headers and trailers).
  const md = new grpc.Metadata();
  md.set('x-client-md', 'hello');
  md.set('x-client-bin', Buffer.from([1, 2, 3]));
  const u = await unary(client, { text: 'hi' }, md);
  assert.equal(u.err, null);
  assert.equal(u.reply!.text, 'hi');
  assert.ok(u.reply!.metadata.includes('x-client-md=hello'), u.reply!.metadata.join(' '));
  assert.ok(u.reply!.metadata.includes('x-client-bin=010203'), 'binary metadata arrives intact');
  assert.deepEqual(u.headers!.get('x-echo-header'), ['from-server']);
  assert.deepEqual(u.trailers!.get('x-echo-trailer'), ['done']);

  // Server streaming.
  const replies: EchoReply[] = await new Promise((resolve, reject) => {
    const out: EchoReply[] = [];
    const call = client.ServerStream({ text: 's', count: 20 });
    call.on('data', (r: EchoReply) => out.push(r));
    call.on('end', () => resolve(out));
    call.on('error', reject);
  });
  assert.deepEqual(
    replies.map((r) => r.index),
    [...Array(20).keys()],
  );

  // Client streaming.
  const joined: EchoReply = await new Promise((resolve, reject) => {
    const call = client.ClientStream((err: grpc.ServiceError | null, r: EchoReply) => (err ? reject(err) : resolve(r)));
    for (const t of ['x', 'y', 'z']) call.write({ text: t });
    call.end();
  });
  assert.equal(joined.text, 'x,y,z');

  // Bidirectional: each answer arrives before the next message is sent (true full duplex).
  const bidi = client.Bidi();
  const answers: string[] = [];
  const next = () => new Promise<EchoReply>((resolve) => bidi.once('data', resolve));
  for (const t of ['one', 'two', 'three']) {
    const p = next();
    bidi.write({ text: t });
    answers.push((await p).text);
  }
  const ended = new Promise<void>((resolve) => bidi.on('end', () => resolve()));
  bidi.end();
  await ended;
  assert.deepEqual(answers, ['echo:one', 'echo:two', 'echo:three']);

  // The upstream's status, message and trailing metadata reach the client unchanged.
  const f = await new Promise<grpc.ServiceError>((resolve) =>
    client.Fail({ text: 'not here: ü', count: grpc.status.NOT_FOUND }, (err: grpc.ServiceError) => resolve(err)),
  );
  assert.equal(f.code, grpc.status.NOT_FOUND);
  assert.equal(f.details, 'not here: ü');
  assert.deepEqual(f.metadata.get('x-fail-reason'), ['asked to fail']);
  assert.deepEqual(f.metadata.get('x-fail-bin'), [Buffer.from([0, 1, 2, 255])]);
  const perm = await new Promise<grpc.ServiceError>((resolve) =>
    client.Fail({ text: 'nope', count: grpc.status.PERMISSION_DENIED }, (err: grpc.ServiceError) => resolve(err)),
  );
  assert.equal(perm.code, grpc.status.PERMISSION_DENIED);

  // The client's deadline travels as grpc-timeout; the call fails with DEADLINE_EXCEEDED.
  const t0 = Date.now();
  const late = await unary(client, { text: 'late', delay_ms: 3000 }, new grpc.Metadata(), {
    deadline: Date.now() + 300,
  });
  assert.equal(late.err?.code, grpc.status.DEADLINE_EXCEEDED);
  assert.ok(Date.now() - t0 < 2500, 'the deadline, not the upstream, ended the call');

  // A client that cancels a call: the upstream sees the cancellation (RST_STREAM travels through).
  const endless = client.ServerStream({ text: 'c', count: 1_000_000 });
  await new Promise<void>((resolve) => endless.once('data', () => resolve()));
  endless.on('error', () => {});
  endless.cancel();
  const end = Date.now() + 3000;
  while (up.cancelled() === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.equal(up.cancelled(), 1, 'the upstream call was cancelled');

  // The gateway still serves, and says the client spoke HTTP/2.
  assert.equal((await unary(client, { text: 'after' })).reply!.text, 'after');
  const log = await readLog(gw.accessLogPath, /"path":"\/turnpike.test.Echo\/Bidi"/);
  assert.match(log, /"path":"\/turnpike.test.Echo\/Bidi","protocol":"HTTP\/2.0","status":200/);
});

test('grpc-js client: gateway-made errors arrive as gRPC statuses (no route, key-auth, dead upstream, upstream timeout)', async () => {
  const dead = await freePort();
  const { client } = await throughGateway(
    [
      {
        name: 'locked',
        protocols: ['grpc'],
        paths: ['/turnpike.test.Echo/'],
        headers: { 'x-route': ['locked'] },
        plugins: [{ name: 'key-auth' }],
      },
    ],
    (upPort) => [
      {
        name: 'slow',
        protocol: 'grpc',
        host: '127.0.0.1',
        port: upPort,
        read_timeout: 300,
        routes: [
          { name: 'slow', protocols: ['grpc'], paths: ['/turnpike.test.Echo/'], headers: { 'x-route': ['slow'] } },
        ],
      },
      {
        name: 'dead',
        protocol: 'grpc',
        host: '127.0.0.1',
        port: dead,
        retries: 0,
        routes: [
          { name: 'dead', protocols: ['grpc'], paths: ['/turnpike.test.Echo/'], headers: { 'x-route': ['dead'] } },
        ],
      },
    ],
    { consumers: [{ username: 'alice', keyauth_credentials: [{ key: 'secret-key' }] }] },
  );
  const h2Port = Number(client.getChannel().getTarget().split(':').pop());
  const Other = grpc.makeGenericClientConstructor(
    {
      Nothing: {
        path: '/other.Service/Nothing',
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    'Other',
  );
  const other = new Other(`127.0.0.1:${h2Port}`, grpc.credentials.createInsecure()) as any;
  onCleanup(async () => other.close());
  const noRoute = await new Promise<grpc.ServiceError>((resolve) =>
    other.Nothing(Buffer.alloc(0), (err: grpc.ServiceError) => resolve(err)),
  );
  assert.equal(noRoute.code, grpc.status.UNIMPLEMENTED);
  assert.equal(noRoute.details, 'no Route matched with those values');

  const locked = new grpc.Metadata();
  locked.set('x-route', 'locked');
  const noKey = await unary(client, { text: 'x' }, locked);
  assert.equal(noKey.err?.code, grpc.status.UNAUTHENTICATED);
  assert.equal(noKey.err?.details, 'No API key found in request');
  locked.set('apikey', 'secret-key');
  const withKey = await unary(client, { text: 'let me in' }, locked);
  assert.equal(withKey.err, null);
  assert.equal(withKey.reply!.text, 'let me in');

  const toDead = new grpc.Metadata();
  toDead.set('x-route', 'dead');
  const down = await unary(client, { text: 'x' }, toDead);
  assert.equal(down.err?.code, grpc.status.UNAVAILABLE);

  // The service's read_timeout (300 ms) runs out after the upstream sent its headers.
  const toSlow = new grpc.Metadata();
  toSlow.set('x-route', 'slow');
  const late = await unary(client, { text: 'x', delay_ms: 2000 }, toSlow);
  assert.equal(late.err?.code, grpc.status.DEADLINE_EXCEEDED);
  assert.equal(late.err?.details, 'The upstream server is timed out');
});
