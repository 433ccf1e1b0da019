// Downstream HTTP/2 end to end, on a real gateway process: h2 over TLS by ALPN (curl --http2)
// and h2c with prior knowledge (curl --http2-prior-knowledge) with HTTP/1.1 still served on
// both listeners; Node's http2 client for concurrent streams on one connection, 20 MB up and
// down with backpressure, request and response trailers, plugins (key-auth, rate-limiting),
// the gateway's JSON errors, the rapid-reset flood (GOAWAY ENHANCE_YOUR_CALM, the process
// serving on), a client that never reads, the concurrency cap, idle close and drain.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { promisify } from 'node:util';
import { freePort, sleep, startGateway, tmpDir, type Gateway } from '../helpers/gateway.js';
import { onCleanup } from '../helpers/scope.js';

const run = promisify(execFile);
async function curl(args: string[]): Promise<string> {
  return (await run('curl', ['-sS', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })).stdout;
}

const BIG = 20 * 1024 * 1024;

/** An upstream that streams: it counts and hashes request bodies, serves big and slow bodies, and chunked trailers. */
async function startUp(): Promise<{
  port: number;
  seen: { url: string; headers: http.IncomingHttpHeaders; trailers: NodeJS.Dict<string> }[];
  bigWritten: Map<string, number>;
  close(): Promise<void>;
}> {
  const seen: { url: string; headers: http.IncomingHttpHeaders; trailers: NodeJS.Dict<string> }[] = [];
  /** Bytes of each /any/big response the upstream has handed to its socket so far, by URL. */
  const bigWritten = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const hash = createHash('sha256');
    let n = 0;
    req.on('data', (d: Buffer) => {
      n += d.length;
      hash.update(d);
    });
    req.on('end', () => {
      seen.push({ url: req.url!, headers: req.headers, trailers: req.trailers });
      const url = req.url!;
      if (url.startsWith('/any/trailers')) {
        // Chunked with a trailer section: it must reach the HTTP/2 client as trailing HEADERS.
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum, grpc-status' });
        res.write('first,');
        setTimeout(() => {
          res.addTrailers({ 'x-checksum': 'abc123', 'grpc-status': '0' });
          res.end('second');
        }, 20);
        return;
      }
      if (url.startsWith('/any/grpc-trailers-only')) {
        // A gRPC error as "trailers-only": grpc-status in the head, empty chunked body.
        res.writeHead(200, { 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'not found' });
        res.flushHeaders();
        res.end();
        return;
      }
      if (url.startsWith('/any/big')) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BIG) });
        const block = Buffer.alloc(64 * 1024, 'y');
        let left = BIG;
        const pump = (): void => {
          while (left > 0) {
            const b = left >= block.length ? block : block.subarray(0, left);
            left -= b.length;
            bigWritten.set(url, BIG - left);
            if (!res.write(b)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      if (url.startsWith('/any/slow')) {
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('slow done');
        }, 800);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
      res.end(
        JSON.stringify({
          url,
          method: req.method,
          bodyLength: n,
          sha256: hash.digest('hex'),
          headers: req.headers,
          trailers: req.trailers,
        }),
      );
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    bigWritten,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function config(upPort: number): string {
  return JSON.stringify({
    _format_version: '3.0',
    services: [
      {
        name: 'svc',
        url: `http://127.0.0.1:${upPort}`,
        routes: [
          { name: 'any', paths: ['/any'], strip_path: false },
          { name: 'secure', paths: ['/secure'], protocols: ['https'], strip_path: false },
          {
            name: 'auth',
            paths: ['/auth'],
            strip_path: false,
            plugins: [{ name: 'key-auth' }, { name: 'rate-limiting', config: { minute: 1000 } }],
          },
        ],
      },
    ],
    consumers: [{ username: 'alice', keyauth_credentials: [{ key: 'alice-key' }] }],
  });
}

interface H2Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  trailers: http2.IncomingHttpHeaders | null;
}

/** One request on an open session; `body` is sent with `content-length` only when `length` is true. */
function h2(
  session: http2.ClientHttp2Session,
  reqPath: string,
  opts: {
    method?: string;
    headers?: http2.OutgoingHttpHeaders;
    body?: Buffer;
    trailers?: http2.OutgoingHttpHeaders;
  } = {},
): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const hasBody = opts.body !== undefined;
    const req = session.request(
      { ':method': opts.method ?? (hasBody ? 'POST' : 'GET'), ':path': reqPath, ...opts.headers },
      { endStream: !hasBody, waitForTrailers: opts.trailers !== undefined },
    );
    if (opts.trailers !== undefined) req.on('wantTrailers', () => req.sendTrailers(opts.trailers!));
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | null = null;
    const chunks: Buffer[] = [];
    req.on('response', (h) => (headers = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () =>
      resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks), trailers }),
    );
    req.on('error', reject);
    if (hasBody) req.end(opts.body);
  });
}

function connectTls(port: number): http2.ClientHttp2Session {
  const s = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
  s.on('error', () => {});
  return s;
}

function connectH2c(port: number): http2.ClientHttp2Session {
  const s = http2.connect(`http://127.0.0.1:${port}`);
  s.on('error', () => {});
  return s;
}

let up: Awaited<ReturnType<typeof startUp>>;
let gw: Gateway;
let tlsPort: number;
let h2cPort: number;
let dir: string;

test('a gateway with "ssl http2" and cleartext "http2" listeners starts and says what they serve', async () => {
  up = await startUp();
  onCleanup(() => up.close());
  tlsPort = await freePort();
  h2cPort = await freePort();
  dir = tmpDir('turnpike-h2-test-');
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  gw = await startGateway({
    config: config(up.port),
    extraListen: `127.0.0.1:${tlsPort} ssl http2, 127.0.0.1:${h2cPort} http2`,
    env: {
      TURNPIKE_HTTP2_MAX_CONCURRENT_STREAMS: '50',
      TURNPIKE_HTTP2_MAX_RESETS: '100',
      TURNPIKE_KEEPALIVE_TIMEOUT: '3',
    },
  });
  onCleanup(() => gw.stop());
  assert.match(gw.stdout, /ssl http2\\?": HTTP\/2 over TLS \(ALPN h2/);
  assert.match(gw.stdout, /http2\\?": HTTP\/2 cleartext with prior knowledge \(h2c\)/);
  assert.doesNotMatch(gw.stdout + gw.stderr, /not available/);
});

test('curl: --http2 over TLS and --http2-prior-knowledge in cleartext speak HTTP/2; HTTP/1.1 still works on both', async () => {
  assert.equal(
    await curl([
      '-k',
      '--http2',
      '-o',
      '/dev/null',
      '-w',
      '%{http_version} %{http_code}',
      `https://127.0.0.1:${tlsPort}/any/x`,
    ]),
    '2 200',
  );
  assert.equal(
    await curl([
      '--http2-prior-knowledge',
      '-o',
      '/dev/null',
      '-w',
      '%{http_version} %{http_code}',
      `http://127.0.0.1:${h2cPort}/any/x`,
    ]),
    '2 200',
  );
  assert.equal(
    await curl([
      '-k',
      '--http1.1',
      '-o',
      '/dev/null',
      '-w',
      '%{http_version} %{http_code}',
      `https://127.0.0.1:${tlsPort}/any/x`,
    ]),
    '1.1 200',
  );
  assert.equal(
    await curl([
      '--http1.1',
      '-o',
      '/dev/null',
      '-w',
      '%{http_version} %{http_code}',
      `http://127.0.0.1:${h2cPort}/any/x`,
    ]),
    '1.1 200',
  );
  // A POST over h2 with curl: the body arrives whole; the upstream sees the listener's scheme and port.
  const posted = JSON.parse(
    await curl(['-k', '--http2', '--data-binary', 'hello h2', `https://127.0.0.1:${tlsPort}/any/post`]),
  );
  assert.equal(posted.bodyLength, 8);
  assert.equal(posted.headers['x-forwarded-proto'], 'https');
  assert.equal(posted.headers['x-forwarded-port'], String(tlsPort));
  // The response headers came through (curl -i prints them as HTTP/2 sends them: lower case).
  const head = await curl(['--http2-prior-knowledge', '-i', `http://127.0.0.1:${h2cPort}/any/x`]);
  assert.match(head, /^HTTP\/2 200/);
  assert.match(head, /\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n/);
  assert.match(head, /\r\nvia: 1\.1 turnpike\//);
  assert.doesNotMatch(head, /\r\n(connection|transfer-encoding|keep-alive):/i);
});

test('Node http2 client: 30 concurrent streams on one TLS session; request headers arrive as HTTP/1.1 (Host from :authority, cookies joined)', async () => {
  const s = connectTls(tlsPort);
  onCleanup(async () => s.destroy());
  const answers = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      h2(s, `/any/c${i}?q=${i}`, { headers: { ':authority': 'api.test', cookie: ['x=1', 'y=2'], 'x-many': 'v' } }),
    ),
  );
  for (let i = 0; i < 30; i++) {
    assert.equal(answers[i].status, 200);
    const j = JSON.parse(answers[i].body.toString());
    assert.equal(j.url, `/any/c${i}?q=${i}`);
    assert.equal(j.headers['x-forwarded-host'], 'api.test');
    assert.equal(j.headers.cookie, 'x=1; y=2');
    assert.equal(j.headers['x-many'], 'v');
  }
  // The TLS session negotiated h2 by ALPN and all 30 streams shared it.
  assert.equal((s.socket as unknown as { alpnProtocol: string }).alpnProtocol, 'h2');
  s.close();
  // The access log says the client spoke HTTP/2.0.
  await sleep(400);
  const lines = fs
    .readFileSync(gw.accessLogPath, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const mine = lines.filter((l) => String(l.path).startsWith('/any/c'));
  assert.equal(mine.length, 30);
  assert.ok(mine.every((l) => l.protocol === 'HTTP/2.0' && l.status === 200));
  assert.ok(lines.some((l) => l.protocol === 'HTTP/1.1'));
});

test('20 MB upload (chunked, no content-length) and 20 MB download over h2c, intact; request trailers reach the upstream', async () => {
  const s = connectH2c(h2cPort);
  onCleanup(async () => s.destroy());
  const body = Buffer.alloc(BIG);
  for (let i = 0; i < body.length; i += 4096) body.writeUInt32BE(i, i);
  const sha = createHash('sha256').update(body).digest('hex');
  const upl = await h2(s, '/any/upload', { body, trailers: { 'x-sum': 'done' } });
  assert.equal(upl.status, 200);
  const j = JSON.parse(upl.body.toString());
  assert.equal(j.bodyLength, BIG);
  assert.equal(j.sha256, sha);
  assert.equal(j.headers['transfer-encoding'], 'chunked');
  assert.deepEqual(j.trailers, { 'x-sum': 'done' });
  // With a content-length the body goes upstream with it.
  const withLen = await h2(s, '/any/upload2', {
    body: body.subarray(0, 1_000_000),
    headers: { 'content-length': '1000000' },
  });
  const j2 = JSON.parse(withLen.body.toString());
  assert.equal(j2.bodyLength, 1_000_000);
  assert.equal(j2.headers['content-length'], '1000000');
  const down = await h2(s, '/any/big');
  assert.equal(down.status, 200);
  assert.equal(down.headers['content-length'], String(BIG));
  assert.equal(down.body.length, BIG);
  s.close();
});

test('response trailers from a chunked upstream arrive as HTTP/2 trailers', async () => {
  const s = connectTls(tlsPort);
  onCleanup(async () => s.destroy());
  const r = await h2(s, '/any/trailers');
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), 'first,second');
  assert.ok(r.trailers !== null, 'trailers expected');
  assert.equal(r.trailers!['x-checksum'], 'abc123');
  assert.equal(r.trailers!['grpc-status'], '0');
  s.close();
});

test('plugins run per stream: key-auth 401 (JSON) and 200 with rate-limiting headers; a 404 is the JSON error; an https-only route', async () => {
  const s = connectH2c(h2cPort);
  onCleanup(async () => s.destroy());
  const denied = await h2(s, '/auth/x');
  assert.equal(denied.status, 401);
  assert.deepEqual(JSON.parse(denied.body.toString()), { message: 'No API key found in request' });
  // A 401 to an upload that is still coming: the client gets the answer, the stream is closed.
  const deniedUpload = await h2(s, '/auth/x', { body: Buffer.alloc(2 * 1024 * 1024) });
  assert.equal(deniedUpload.status, 401);
  const ok = await h2(s, '/auth/x', { headers: { apikey: 'alice-key' } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['x-ratelimit-limit-minute'], '1000');
  assert.equal(ok.headers['x-ratelimit-remaining-minute'], '999');
  assert.equal(JSON.parse(ok.body.toString()).headers['x-consumer-username'], 'alice');
  const missing = await h2(s, '/nothing-here');
  assert.equal(missing.status, 404);
  assert.match(String(missing.headers['content-type']), /application\/json/);
  assert.deepEqual(JSON.parse(missing.body.toString()).message, 'no Route matched with those values');
  // Routes' protocols: https-only is refused on h2c (426) and served over h2 with TLS.
  assert.equal((await h2(s, '/secure/x')).status, 426);
  const t = connectTls(tlsPort);
  onCleanup(async () => t.destroy());
  assert.equal((await h2(t, '/secure/x')).status, 200);
  s.close();
  t.close();
});

test('gRPC trailers-only: grpc-status in the head with an empty body is one HEADERS frame with END_STREAM', async () => {
  const s = connectH2c(h2cPort);
  onCleanup(async () => s.destroy());
  const flags = await new Promise<number>((resolve, reject) => {
    const req = s.request({
      ':method': 'POST',
      ':path': '/any/grpc-trailers-only',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    req.on('response', (h, f: number) => {
      assert.equal(h['grpc-status'], '5');
      assert.equal(h['grpc-message'], 'not found');
      resolve(f);
    });
    req.on('error', reject);
    req.resume();
    req.end(Buffer.from([0, 0, 0, 0, 0]));
  });
  assert.ok((flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0, 'END_STREAM on the response HEADERS');
  s.close();
});

test('a request head larger than max_header_size gets 431 (JSON), the connection serves on', async () => {
  const s = connectH2c(h2cPort);
  onCleanup(async () => s.destroy());
  const big = await h2(s, '/any/x', { headers: { 'x-big': 'a'.repeat(20_000) } });
  assert.equal(big.status, 431);
  assert.match(JSON.parse(big.body.toString()).message, /header/i);
  assert.equal((await h2(s, '/any/after-big')).status, 200);
  s.close();
});

test('the session advertises http2_max_concurrent_streams', async () => {
  const s = connectH2c(h2cPort);
  onCleanup(async () => s.destroy());
  await new Promise<void>((r) => s.once('remoteSettings', () => r()));
  assert.equal(s.remoteSettings.maxConcurrentStreams, 50);
  s.close();
});

test('rapid reset: hundreds of streams opened and cancelled get GOAWAY ENHANCE_YOUR_CALM; a new connection is served', async () => {
  const s = connectTls(tlsPort);
  onCleanup(async () => s.destroy());
  await new Promise<void>((r) => s.once('connect', () => r()));
  let goawayCode = -1;
  const goaway = new Promise<number>((resolve) => s.once('goaway', (code: number) => resolve((goawayCode = code))));
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
  // Open and cancel at once, as the attack does. node:http2 sends HEADERS + RST_STREAM for the
  // streams that got an id before the cancel and drops the rest unsent, so send until GOAWAY.
  let sent = 0;
  for (; sent < 3000 && goawayCode === -1 && !s.destroyed && !s.closed; sent++) {
    try {
      const req = s.request({ ':path': `/any/slow/${sent}` });
      req.on('error', () => {});
      req.close(http2.constants.NGHTTP2_CANCEL);
    } catch {
      break; // the session is going away
    }
    if (sent % 10 === 9) await sleep(2);
  }
  const code = await Promise.race([goaway, sleep(5000).then(() => -1)]);
  assert.equal(code, http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, `no GOAWAY after ${sent} cancelled streams`);
  await Promise.race([closed, sleep(5000)]);
  assert.ok(s.destroyed || s.closed, 'the flooding connection is closed');
  await sleep(100);
  assert.match(
    await gw.waitForStderr(/HTTP\/2 rapid reset from 127\.0\.0\.1/),
    /HTTP\/2 rapid reset from 127\.0\.0\.1/,
  );
  const fresh = connectTls(tlsPort);
  onCleanup(async () => fresh.destroy());
  assert.equal((await h2(fresh, '/any/after-flood')).status, 200);
  fresh.close();
});

test('a client that never reads a 20 MB response: no crash, others are served, and it can be dropped', async () => {
  const stuck = connectH2c(h2cPort);
  onCleanup(async () => stuck.destroy());
  const req = stuck.request({ ':path': '/any/big/stuck' });
  req.on('error', () => {});
  await new Promise<void>((r) => req.once('response', () => r()));
  req.pause(); // never read: flow control stops the gateway, which stops reading the upstream
  await sleep(1000);
  // The upstream is held back too: it could not hand over the whole body (kernel socket
  // buffers on loopback take a few MB; the gateway itself holds a few windows' worth).
  const written = up.bigWritten.get('/any/big/stuck') ?? 0;
  assert.ok(written < BIG / 2, `the upstream wrote ${written} of ${BIG} bytes to a client that reads nothing`);
  const other = connectH2c(h2cPort);
  onCleanup(async () => other.destroy());
  const answers = await Promise.all([h2(other, '/any/o1'), h2(other, '/any/o2'), h2(other, '/any/big')]);
  assert.deepEqual(
    answers.map((a) => a.status),
    [200, 200, 200],
  );
  assert.equal(answers[2].body.length, BIG);
  stuck.destroy();
  other.close();
  await sleep(100);
  assert.equal((await h2(connectH2c(h2cPort), '/any/still')).status, 200);
  assert.equal(gw.exitCode, null);
});

test('an idle HTTP/2 connection is closed after keepalive_timeout (GOAWAY)', async () => {
  const s = connectH2c(h2cPort);
  onCleanup(async () => s.destroy());
  assert.equal((await h2(s, '/any/idle')).status, 200);
  const t0 = Date.now();
  await new Promise<void>((resolve) => s.once('close', () => resolve()));
  const waited = Date.now() - t0;
  assert.ok(waited >= 2000 && waited < 8000, `closed after ${waited} ms`);
});

test('drain: SIGTERM sends GOAWAY and lets a stream in flight finish', async () => {
  const s = connectTls(tlsPort);
  onCleanup(async () => s.destroy());
  const goaway = new Promise<number>((resolve) => s.once('goaway', (code: number) => resolve(code)));
  const pending = h2(s, '/any/slow/drain');
  await sleep(200);
  gw.signal('SIGTERM');
  assert.equal(await goaway, http2.constants.NGHTTP2_NO_ERROR);
  const r = await pending;
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), 'slow done');
  await gw.exited;
  assert.equal(gw.exitCode, 0);
});
