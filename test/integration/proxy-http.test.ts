// HTTP/1.1 proxying end to end through the real gateway process: routing and path joins,
// Host, hop-by-hop removal in both directions, X-Forwarded-* (untrusted and trusted
// clients), Via, Kong's 404, keep-alive on both sides, HEAD, Expect: 100-continue, chunked
// bodies both ways, re-framing of close-delimited responses, HTTP/1.0 clients.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buildConnector, Client, request } from 'undici';
import { startGateway, tmpDir, type Gateway } from '../helpers/gateway.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { header, parseOne, parseResponses, rawSend } from '../helpers/http-client.js';

let gw: Gateway; // nobody trusted
let gwTrusted: Gateway; // TURNPIKE_TRUSTED_IPS=127.0.0.1
let echo: TestUpstream;
let pool: TestUpstream;
let poolConnections = 0;
let raw: { port: number; close(): Promise<void> };
const rawSockets = new Set<net.Socket>();

/** Echo upstream: tells what it received. A few paths script special responses. */
function echoHandler(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  const url = req.url ?? '';
  if (url.startsWith('/head')) {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1234' });
    res.end();
    return;
  }
  if (url.startsWith('/chunked-resp')) {
    // node:http refuses trailers where it cannot chunk (an HTTP/1.0 request).
    const chunked = req.httpVersion === '1.1';
    res.writeHead(200, chunked ? { 'content-type': 'text/plain', trailer: 'x-sum' } : { 'content-type': 'text/plain' });
    res.write('first,');
    setTimeout(() => {
      res.write('second,');
      if (chunked) res.addTrailers({ 'x-sum': '42' });
      res.end('third');
    }, 20);
    return;
  }
  const out = JSON.stringify({
    method: req.method,
    url,
    httpVersion: req.httpVersion,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    body: body.toString('latin1'),
    trailers: req.trailers,
  });
  res.writeHead(200, {
    'content-type': 'application/json',
    'x-upstream': 'echo',
    'content-length': Buffer.byteLength(out),
  });
  res.end(out);
}

/**
 * Raw scripted upstream (exact response bytes): answers each GET head by its path.
 *   /hopresp   → a response full of hop-by-hop headers
 *   /untilclose → a response without length, ended by closing the connection
 */
async function startScripted(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((s) => {
    rawSockets.add(s);
    s.on('close', () => rawSockets.delete(s));
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let e: number;
      while ((e = buf.indexOf('\r\n\r\n')) !== -1) {
        const head = buf.slice(0, e);
        buf = buf.slice(e + 4);
        const target = head.split(' ')[1] ?? '';
        if (target.startsWith('/hopresp')) {
          const body = 'hop-body';
          s.write(
            'HTTP/1.1 200 OK\r\n' +
              'Content-Type: text/plain\r\n' +
              'Connection: X-Custom-Hop, keep-alive\r\n' +
              'X-Custom-Hop: secret\r\n' +
              'Keep-Alive: timeout=5, max=100\r\n' +
              'Proxy-Connection: keep-alive\r\n' +
              'TE: trailers\r\n' +
              'Trailer: X-Whatever\r\n' +
              'Upgrade: h2c\r\n' +
              'X-End-To-End: kept\r\n' +
              `Content-Length: ${body.length}\r\n\r\n` +
              body,
          );
        } else if (target.startsWith('/untilclose')) {
          s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n' + 'until-close-body-'.repeat(100));
          return;
        } else {
          s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
          return;
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((r) => {
        for (const s of rawSockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function config(): string {
  const e = `http://127.0.0.1:${echo.port}`;
  return JSON.stringify({
    _format_version: '3.0',
    services: [
      {
        name: 'base',
        url: e + '/base',
        routes: [
          { name: 'strip', paths: ['/strip'], strip_path: true },
          { name: 'nostrip', paths: ['/nostrip'], strip_path: false },
          { name: 'preserve', paths: ['/preserve'], strip_path: false, preserve_host: true },
        ],
      },
      {
        name: 'root',
        url: e,
        routes: [
          { name: 'rootstrip', paths: ['/rootstrip'], strip_path: true },
          { name: 'echo', paths: ['/echo', '/head', '/chunked-resp'], strip_path: false },
        ],
      },
      {
        name: 'pool',
        url: `http://127.0.0.1:${pool.port}`,
        routes: [{ name: 'pool', paths: ['/pool'], strip_path: false }],
      },
      {
        name: 'scripted',
        url: `http://127.0.0.1:${raw.port}`,
        routes: [{ name: 'scripted', paths: ['/hopresp', '/untilclose'], strip_path: false }],
      },
    ],
  });
}

before(async () => {
  echo = await startUpstream('echo', echoHandler);
  pool = await startUpstream('pool');
  pool.server.on('connection', () => poolConnections++);
  raw = await startScripted();
  [gw, gwTrusted] = await Promise.all([
    startGateway({ config: config() }),
    startGateway({ config: config(), env: { TURNPIKE_TRUSTED_IPS: '127.0.0.1' } }),
  ]);
});

after(async () => {
  await Promise.all([gw?.stop(), gwTrusted?.stop()]);
  await Promise.all([echo?.close(), pool?.close(), raw?.close()]);
});

interface Seen {
  method: string;
  url: string;
  httpVersion: string;
  headers: Record<string, string | string[]>;
  rawHeaders: string[];
  body: string;
  trailers: Record<string, string>;
}

/** Raw request through `g`; returns the echo upstream's view of it. */
async function viaRaw(g: Gateway, head: string, body = ''): Promise<{ seen: Seen; res: ReturnType<typeof parseOne> }> {
  const r = await rawSend(g.proxyPort, head + body);
  const res = parseOne(r.data);
  assert.equal(res.status, 200, r.data);
  return { seen: JSON.parse(res.body) as Seen, res };
}

/** Every value the upstream received for `name` (case-insensitive), in order. */
function rawValues(seen: Seen, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < seen.rawHeaders.length; i += 2)
    if (seen.rawHeaders[i].toLowerCase() === name) out.push(seen.rawHeaders[i + 1]);
  return out;
}

describe('routing and the upstream path', () => {
  it('strip_path: true removes the matched prefix and joins with the service path', async () => {
    const { seen } = await viaRaw(
      gw,
      'GET /strip/users?id=1&x=%20 HTTP/1.1\r\nHost: good\r\nConnection: close\r\n\r\n',
    );
    assert.equal(seen.url, '/base/users?id=1&x=%20');
    const { seen: s2 } = await viaRaw(gw, 'GET /strip HTTP/1.1\r\nHost: good\r\nConnection: close\r\n\r\n');
    assert.equal(s2.url, '/base');
    const { seen: s3 } = await viaRaw(gw, 'GET /strip/ HTTP/1.1\r\nHost: good\r\nConnection: close\r\n\r\n');
    assert.equal(s3.url, '/base/');
  });

  it('strip_path: false keeps the request path after the service path', async () => {
    const { seen } = await viaRaw(gw, 'GET /nostrip/a/b?q HTTP/1.1\r\nHost: good\r\nConnection: close\r\n\r\n');
    assert.equal(seen.url, '/base/nostrip/a/b?q');
  });

  it('a service without a path: strip_path gives "/" and the remainder', async () => {
    const { seen } = await viaRaw(gw, 'GET /rootstrip HTTP/1.1\r\nHost: good\r\nConnection: close\r\n\r\n');
    assert.equal(seen.url, '/');
    const { seen: s2 } = await viaRaw(gw, 'GET /rootstrip/x/y HTTP/1.1\r\nHost: good\r\nConnection: close\r\n\r\n');
    assert.equal(s2.url, '/x/y');
    const { seen: s3 } = await viaRaw(gw, 'GET /echo/z HTTP/1.1\r\nHost: good\r\nConnection: close\r\n\r\n');
    assert.equal(s3.url, '/echo/z');
  });

  it("no route → 404 with exactly Kong's message and a request_id", async () => {
    const r = await rawSend(gw.proxyPort, 'GET /nothing-here HTTP/1.1\r\nHost: good\r\n\r\n', 500);
    const res = parseOne(r.data);
    assert.equal(res.status, 404);
    assert.match(header(res, 'content-type') ?? '', /^application\/json/);
    const j = JSON.parse(res.body);
    assert.deepEqual(Object.keys(j).sort(), ['message', 'request_id']);
    assert.equal(j.message, 'no Route matched with those values');
    assert.equal(typeof j.request_id, 'string');
    assert.ok(j.request_id.length > 0);
    // A 404 does not close a keep-alive connection.
    assert.equal(r.closedByPeer, false);
  });
});

describe('Host', () => {
  it('without preserve_host the upstream gets the service host:port, once', async () => {
    const { seen } = await viaRaw(gw, 'GET /nostrip HTTP/1.1\r\nHost: good.example:1234\r\nConnection: close\r\n\r\n');
    assert.deepEqual(rawValues(seen, 'host'), [`127.0.0.1:${echo.port}`]);
  });

  it('preserve_host: true forwards the client Host as sent', async () => {
    const { seen } = await viaRaw(gw, 'GET /preserve HTTP/1.1\r\nHost: Good.Example:1234\r\nConnection: close\r\n\r\n');
    assert.deepEqual(rawValues(seen, 'host'), ['Good.Example:1234']);
  });
});

describe('hop-by-hop headers', () => {
  it('are removed from the request: Connection and what it names, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade', async () => {
    const { seen } = await viaRaw(
      gw,
      'GET /echo HTTP/1.1\r\nHost: good\r\n' +
        'Connection: keep-alive, X-Drop-Me, x-drop-too\r\n' +
        'X-Drop-Me: 1\r\nX-Drop-Too: 2\r\n' +
        'Keep-Alive: timeout=5\r\n' +
        'Proxy-Connection: keep-alive\r\n' +
        'TE: trailers\r\n' +
        'Trailer: X-Foo\r\n' +
        'Upgrade: websocket\r\n' +
        'X-Keep-Me: yes\r\n\r\n',
    );
    for (const h of [
      'connection',
      'x-drop-me',
      'x-drop-too',
      'keep-alive',
      'proxy-connection',
      'te',
      'trailer',
      'upgrade',
      'transfer-encoding',
    ]) {
      // node:http adds nothing itself; whatever is there came from the gateway.
      assert.deepEqual(rawValues(seen, h), [], `${h} reached the upstream`);
    }
    assert.deepEqual(rawValues(seen, 'x-keep-me'), ['yes']);
  });

  it('Transfer-Encoding from the client is not forwarded as-is: a chunked body arrives re-framed, once', async () => {
    const { seen } = await viaRaw(
      gw,
      'POST /echo HTTP/1.1\r\nHost: good\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
      '3\r\nabc\r\n0\r\n\r\n',
    );
    assert.deepEqual(rawValues(seen, 'transfer-encoding'), ['chunked']);
    assert.equal(seen.body, 'abc');
  });

  it('are removed from the response: Connection and what it names, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade', async () => {
    const r = await rawSend(gw.proxyPort, 'GET /hopresp HTTP/1.1\r\nHost: good\r\nConnection: close\r\n\r\n');
    const res = parseOne(r.data);
    assert.equal(res.status, 200);
    assert.equal(res.body, 'hop-body');
    for (const h of [
      'x-custom-hop',
      'keep-alive',
      'proxy-connection',
      'te',
      'trailer',
      'upgrade',
      'transfer-encoding',
    ]) {
      assert.equal(header(res, h), undefined, `${h} reached the client: ${res.rawHead}`);
    }
    // The only Connection header is the gateway's own.
    assert.deepEqual(res.headers.get('connection'), ['close']);
    assert.equal(header(res, 'x-end-to-end'), 'kept');
  });
});

describe('X-Forwarded-* and X-Real-IP', () => {
  const spoofed =
    'X-Forwarded-For: 1.2.3.4, 5.6.7.8\r\nX-Real-IP: 9.9.9.9\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n' +
    'X-Forwarded-Port: 9443\r\nX-Forwarded-Path: /evil\r\nX-Forwarded-Prefix: /evilprefix\r\n';

  it('untrusted client: set from the connection, client values replaced (one of each)', async () => {
    const { seen } = await viaRaw(
      gw,
      'GET /strip/users HTTP/1.1\r\nHost: good.example:8080\r\n' + spoofed + 'Connection: close\r\n\r\n',
    );
    assert.deepEqual(rawValues(seen, 'x-forwarded-for'), ['127.0.0.1']);
    assert.deepEqual(rawValues(seen, 'x-real-ip'), ['127.0.0.1']);
    assert.deepEqual(rawValues(seen, 'x-forwarded-proto'), ['http']);
    assert.deepEqual(rawValues(seen, 'x-forwarded-host'), ['good.example']);
    assert.deepEqual(rawValues(seen, 'x-forwarded-port'), [String(gw.proxyPort)]);
    assert.deepEqual(rawValues(seen, 'x-forwarded-path'), ['/strip/users']);
    assert.deepEqual(rawValues(seen, 'x-forwarded-prefix'), ['/strip']);
  });

  it('untrusted client without any: the gateway adds them; no prefix without strip_path', async () => {
    const { seen } = await viaRaw(gw, 'GET /nostrip/p HTTP/1.1\r\nHost: good\r\nConnection: close\r\n\r\n');
    assert.deepEqual(rawValues(seen, 'x-forwarded-for'), ['127.0.0.1']);
    assert.deepEqual(rawValues(seen, 'x-real-ip'), ['127.0.0.1']);
    assert.deepEqual(rawValues(seen, 'x-forwarded-host'), ['good']);
    assert.deepEqual(rawValues(seen, 'x-forwarded-path'), ['/nostrip/p']);
    assert.deepEqual(rawValues(seen, 'x-forwarded-prefix'), []);
  });

  it('trusted client (TURNPIKE_TRUSTED_IPS): X-Forwarded-For appended to, its other values kept', async () => {
    const { seen } = await viaRaw(
      gwTrusted,
      'GET /strip/users HTTP/1.1\r\nHost: good.example:8080\r\n' + spoofed + 'Connection: close\r\n\r\n',
    );
    assert.deepEqual(rawValues(seen, 'x-forwarded-for'), ['1.2.3.4, 5.6.7.8, 127.0.0.1']);
    assert.deepEqual(rawValues(seen, 'x-real-ip'), ['9.9.9.9']);
    assert.deepEqual(rawValues(seen, 'x-forwarded-proto'), ['https']);
    assert.deepEqual(rawValues(seen, 'x-forwarded-host'), ['evil.example']);
    assert.deepEqual(rawValues(seen, 'x-forwarded-port'), ['9443']);
    assert.deepEqual(rawValues(seen, 'x-forwarded-path'), ['/evil']);
    assert.deepEqual(rawValues(seen, 'x-forwarded-prefix'), ['/evilprefix']);
  });

  it('trusted client: several X-Forwarded-For lines are joined, then the client address appended', async () => {
    const { seen } = await viaRaw(
      gwTrusted,
      'GET /echo HTTP/1.1\r\nHost: good\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\nConnection: close\r\n\r\n',
    );
    assert.deepEqual(rawValues(seen, 'x-forwarded-for'), ['1.1.1.1, 2.2.2.2, 127.0.0.1']);
  });

  it('trusted client without any: same defaults as for anyone', async () => {
    const { seen } = await viaRaw(gwTrusted, 'GET /strip/u HTTP/1.1\r\nHost: good\r\nConnection: close\r\n\r\n');
    assert.deepEqual(rawValues(seen, 'x-forwarded-for'), ['127.0.0.1']);
    assert.deepEqual(rawValues(seen, 'x-real-ip'), ['127.0.0.1']);
    assert.deepEqual(rawValues(seen, 'x-forwarded-proto'), ['http']);
    assert.deepEqual(rawValues(seen, 'x-forwarded-port'), [String(gwTrusted.proxyPort)]);
    assert.deepEqual(rawValues(seen, 'x-forwarded-prefix'), ['/strip']);
  });
});

describe('Via', () => {
  it('is added on the upstream request and on the response', async () => {
    const { seen, res } = await viaRaw(gw, 'GET /echo HTTP/1.1\r\nHost: good\r\nConnection: close\r\n\r\n');
    const up = rawValues(seen, 'via');
    assert.equal(up.length, 1);
    assert.match(up[0], /^1\.1 turnpike\/\S+$/);
    assert.match(header(res, 'via') ?? '', /(^|, )1\.1 turnpike\/\S+$/);
  });

  it("is appended to the client's Via", async () => {
    const { seen } = await viaRaw(
      gw,
      'GET /echo HTTP/1.1\r\nHost: good\r\nVia: 1.0 fred, 1.1 p.example\r\nConnection: close\r\n\r\n',
    );
    assert.deepEqual(rawValues(seen, 'via').length, 1);
    assert.match(rawValues(seen, 'via')[0], /^1\.0 fred, 1\.1 p\.example, 1\.1 turnpike\/\S+$/);
  });
});

describe('keep-alive', () => {
  it('the client connection is reused: several requests, one socket (undici Client)', async () => {
    let sockets = 0;
    const base = buildConnector({});
    const client = new Client(gw.url, {
      connect: (opts, cb) => {
        sockets++;
        return base(opts, cb);
      },
    });
    try {
      for (let i = 0; i < 5; i++) {
        const res = await client.request({
          path: `/echo/ka${i}`,
          method: i % 2 ? 'POST' : 'GET',
          body: i % 2 ? 'x'.repeat(i * 100) : undefined,
        });
        assert.equal(res.statusCode, 200);
        const j = (await res.body.json()) as Seen;
        assert.equal(j.url, `/echo/ka${i}`);
        assert.equal(j.body.length, i % 2 ? i * 100 : 0);
      }
      // Kong's 404 keeps the connection too.
      const nf = await client.request({ path: '/nope', method: 'GET' });
      assert.equal(nf.statusCode, 404);
      await nf.body.text();
      const again = await client.request({ path: '/echo/after404', method: 'GET' });
      assert.equal(again.statusCode, 200);
      await again.body.text();
    } finally {
      await client.close();
    }
    assert.equal(sockets, 1);
  });

  it('the upstream connection is reused: N sequential requests, 1 upstream connection', async () => {
    const before = poolConnections;
    const N = 10;
    for (let i = 0; i < N; i++) {
      // A new client connection each time: pooling must not depend on the client side.
      const r = await rawSend(gw.proxyPort, `GET /pool/${i} HTTP/1.1\r\nHost: good\r\nConnection: close\r\n\r\n`);
      assert.equal(parseOne(r.data).status, 200);
    }
    assert.equal(pool.requests.length >= N, true);
    assert.equal(
      poolConnections - before,
      1,
      `${poolConnections - before} upstream connections for ${N} sequential requests`,
    );
  });
});

describe('message bodies and framing', () => {
  it('HEAD: no body, Content-Length kept (pipelined with a GET to prove the framing)', async () => {
    const r = await rawSend(
      gw.proxyPort,
      'HEAD /head HTTP/1.1\r\nHost: good\r\n\r\nGET /echo/afterhead HTTP/1.1\r\nHost: good\r\nConnection: close\r\n\r\n',
    );
    const rs = parseResponses(r.data, [true, false]);
    assert.equal(rs.length, 2, r.data);
    assert.equal(rs[0].status, 200);
    assert.equal(header(rs[0], 'content-length'), '1234');
    assert.equal(rs[0].body, '');
    assert.equal(rs[1].status, 200);
    assert.equal(JSON.parse(rs[1].body).url, '/echo/afterhead');
  });

  it('HEAD on a 404: headers only', async () => {
    const r = await rawSend(gw.proxyPort, 'HEAD /nope HTTP/1.1\r\nHost: good\r\nConnection: close\r\n\r\n');
    const rs = parseResponses(r.data, [true]);
    assert.equal(rs.length, 1);
    assert.equal(rs[0].status, 404);
    assert.ok(r.data.endsWith('\r\n\r\n'), 'a body followed the HEAD response: ' + JSON.stringify(r.data));
  });

  it('Expect: 100-continue (curl, POST body > 1 KiB): 100 then 200, the upstream got the body', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'body.bin');
    const data = Buffer.alloc(64 * 1024, 'abcdefgh');
    fs.writeFileSync(file, data);
    try {
      const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
        execFile(
          'curl',
          [
            '-sS',
            '-v',
            '--expect100-timeout',
            '10',
            '-X',
            'POST',
            '-H',
            'Content-Type: application/octet-stream',
            '-H',
            'Expect: 100-continue',
            '--data-binary',
            '@' + file,
            gw.url + '/echo/upload',
          ],
          { timeout: 20000 },
          (err, stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve({ stdout, stderr })),
        );
      });
      assert.match(stderr, /> Expect: 100-continue/i);
      assert.match(stderr, /< HTTP\/1\.1 100 Continue/);
      assert.match(stderr, /< HTTP\/1\.1 200/);
      const j = JSON.parse(stdout) as Seen;
      assert.equal(j.body.length, data.length);
      assert.equal(j.body, data.toString('latin1'));
      assert.equal(rawValues(j, 'expect').length, 0, 'Expect is hop-by-hop: the gateway answered it');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Expect: 100-continue (raw): 100 Continue arrives before the body is sent', async () => {
    const s = net.connect(gw.proxyPort, '127.0.0.1');
    let got = '';
    s.on('data', (d) => (got += d.toString('latin1')));
    await new Promise((r) => s.once('connect', r));
    s.write(
      'POST /echo/expect HTTP/1.1\r\nHost: good\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
    );
    const deadline = Date.now() + 3000;
    while (!got.includes('\r\n\r\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.match(got, /^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    s.write('hello');
    await new Promise((r) => s.once('close', r));
    const rs = parseResponses(got);
    assert.deepEqual(
      rs.map((x) => x.status),
      [100, 200],
    );
    assert.equal((JSON.parse(rs[1].body) as Seen).body, 'hello');
  });

  it('a chunked request body (undici stream body) is forwarded and reassembled by the upstream', async () => {
    const parts = ['alpha-', 'beta-', 'x'.repeat(100_000), '-gamma'];
    const res = await request(gw.url + '/echo/chunked-up', {
      method: 'POST',
      body: Readable.from(parts.map((p) => Buffer.from(p))),
    });
    assert.equal(res.statusCode, 200);
    const j = (await res.body.json()) as Seen;
    assert.equal(j.headers['transfer-encoding'], 'chunked');
    assert.equal(j.body, parts.join(''));
  });

  it('a raw chunked request with many small chunks and trailers is reassembled, trailers included', async () => {
    let body = '';
    let expected = '';
    for (let i = 0; i < 50; i++) {
      const c = `chunk${i};`;
      body += c.length.toString(16) + '\r\n' + c + '\r\n';
      expected += c;
    }
    body += '0\r\nX-Trailer-One: t1\r\n\r\n';
    const { seen } = await viaRaw(
      gw,
      'POST /echo/rawchunks HTTP/1.1\r\nHost: good\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
      body,
    );
    assert.equal(seen.body, expected);
    assert.equal(seen.trailers['x-trailer-one'], 't1');
  });

  it('a chunked response reaches an HTTP/1.1 client chunked, with its trailers', async () => {
    const r = await rawSend(
      gw.proxyPort,
      'GET /chunked-resp HTTP/1.1\r\nHost: good\r\nTE: trailers\r\nConnection: close\r\n\r\n',
    );
    const res = parseOne(r.data);
    assert.equal(res.status, 200);
    assert.equal(res.framing, 'chunked');
    assert.equal(res.body, 'first,second,third');
    assert.match(res.trailers, /^x-sum: 42\r\n$/im);
  });

  it('a close-delimited upstream response is re-framed as chunked for an HTTP/1.1 client', async () => {
    const c = new Client(gw.url);
    try {
      const res = await c.request({ path: '/untilclose', method: 'GET' });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['transfer-encoding'], 'chunked');
      assert.equal(res.headers['content-length'], undefined);
      assert.equal(await res.body.text(), 'until-close-body-'.repeat(100));
      // The client connection survives (the framing was the gateway's, not the upstream's).
      const again = await c.request({ path: '/echo/afterclose', method: 'GET' });
      assert.equal(again.statusCode, 200);
      await again.body.text();
    } finally {
      await c.close();
    }
    const r = await rawSend(gw.proxyPort, 'GET /untilclose HTTP/1.1\r\nHost: good\r\nConnection: close\r\n\r\n');
    const res = parseOne(r.data);
    assert.equal(res.framing, 'chunked');
    assert.equal(res.body, 'until-close-body-'.repeat(100));
  });
});

describe('HTTP/1.0 clients', () => {
  it('get a complete, non-chunked response and the connection is closed', async () => {
    const r = await rawSend(gw.proxyPort, 'GET /echo/ten HTTP/1.0\r\nHost: good\r\n\r\n');
    assert.ok(r.closedByPeer);
    const res = parseOne(r.data);
    assert.equal(res.status, 200);
    assert.notEqual(res.framing, 'chunked');
    const j = JSON.parse(res.body) as Seen;
    assert.equal(j.url, '/echo/ten');
    assert.equal(j.httpVersion, '1.0');
  });

  it('a chunked upstream response is not sent chunked to an HTTP/1.0 client', async () => {
    const r = await rawSend(gw.proxyPort, 'GET /chunked-resp HTTP/1.0\r\nHost: good\r\n\r\n');
    const res = parseOne(r.data);
    assert.equal(res.status, 200);
    assert.equal(header(res, 'transfer-encoding'), undefined);
    assert.equal(res.body, 'first,second,third');
    assert.ok(r.closedByPeer);
  });

  it('a close-delimited upstream response reaches an HTTP/1.0 client close-delimited', async () => {
    const r = await rawSend(gw.proxyPort, 'GET /untilclose HTTP/1.0\r\nHost: good\r\n\r\n');
    const res = parseOne(r.data);
    assert.equal(res.status, 200);
    assert.equal(res.framing, 'close');
    assert.equal(res.body, 'until-close-body-'.repeat(100));
  });

  it('HTTP/1.0 with Connection: keep-alive keeps the connection for a second request', async () => {
    const s = net.connect(gw.proxyPort, '127.0.0.1');
    let got = '';
    s.on('data', (d) => (got += d.toString('latin1')));
    await new Promise((r) => s.once('connect', r));
    s.write('GET /echo/k1 HTTP/1.0\r\nHost: good\r\nConnection: keep-alive\r\n\r\n');
    const deadline = Date.now() + 3000;
    const complete = () => {
      try {
        return parseResponses(got).length === 1;
      } catch {
        return false;
      }
    };
    while (!complete() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const first = parseResponses(got);
    assert.equal(first.length, 1, got);
    assert.equal(first[0].framing, 'length');
    assert.match(header(first[0], 'connection') ?? '', /keep-alive/i);
    s.write('GET /echo/k2 HTTP/1.0\r\nHost: good\r\n\r\n');
    await new Promise((r) => s.once('close', r));
    const both = parseResponses(got);
    assert.equal(both.length, 2);
    assert.equal((JSON.parse(both[1].body) as Seen).url, '/echo/k2');
  });
});
