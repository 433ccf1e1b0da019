// Strict HTTP/1.1 request parsing, end to end against the real gateway process: every
// ambiguous or malformed request is refused with the right status and a JSON body, the
// connection is closed, and nothing of it reaches the upstream (a raw "tripwire" upstream
// records every byte it receives). Valid edge cases (chunked bodies with trailers,
// absolute-form targets, pipelining) still go through.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { startGateway, sleep, type Gateway } from '../helpers/gateway.js';
import { startRawUpstream, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { header, parseOne, parseResponses, rawSend } from '../helpers/http-client.js';

let gw: Gateway;
let trip: Awaited<ReturnType<typeof startRawUpstream>>;
const tripSockets: net.Socket[] = [];
let ok: TestUpstream;
let okTrailers: Record<string, string | undefined>[] = [];

function tripBytes(): number {
  return trip.received.reduce((n, b) => n + b.length, 0);
}

function tripText(fromByte: number): string {
  return Buffer.concat(trip.received).subarray(fromByte).toString('latin1');
}

before(async () => {
  // The tripwire never answers: whatever reaches it is a failure of the test in progress.
  trip = await startRawUpstream((s) => tripSockets.push(s));
  ok = await startUpstream('ok', (req, res, body) => {
    okTrailers.push({ ...req.trailers });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        url: req.url,
        host: req.headers.host,
        te: req.headers['transfer-encoding'] ?? null,
        body: body.toString('latin1'),
      }),
    );
  });
  gw = await startGateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'trip',
          url: `http://127.0.0.1:${trip.port}`,
          read_timeout: 2000,
          routes: [{ name: 'trip', paths: ['/'] }],
        },
        { name: 'ok', url: `http://127.0.0.1:${ok.port}`, routes: [{ name: 'ok', paths: ['/ok'], strip_path: false }] },
      ],
    }),
  });
});

after(async () => {
  await gw?.stop();
  await trip?.close();
  await ok?.close();
});

interface RejectOpts {
  /** The error is in the body: the head may have been forwarded, but no body byte may be. */
  bodyError?: boolean;
  /** Send the bytes in several writes this far apart. */
  parts?: Array<string | Buffer>;
  gapMs?: number;
}

/** Sends `bytes`, expects one `status` JSON error, a closed connection, and an untouched upstream. */
async function expectRejected(bytes: string | Buffer, status: number, opts: RejectOpts = {}): Promise<void> {
  const bytesBefore = tripBytes();
  const connsBefore = tripSockets.length;
  const r = await rawSend(gw.proxyPort, opts.parts ?? bytes, 3000, opts.gapMs ?? 0);
  assert.ok(
    r.data.length > 0,
    `no response for ${JSON.stringify(bytes.toString().slice(0, 120))}: ` +
      (r.closedByPeer ? `the gateway closed the connection without answering (${r.ms} ms)` : 'nothing within 3 s'),
  );
  const res = parseOne(r.data);
  assert.equal(
    res.status,
    status,
    `status for ${JSON.stringify(bytes.toString().slice(0, 120))}: got ${res.statusLine} ${res.body}`,
  );
  assert.match(header(res, 'content-type') ?? '', /^application\/json/);
  const json = JSON.parse(res.body);
  assert.equal(typeof json.message, 'string');
  assert.ok(json.message.length > 0);
  assert.equal(header(res, 'connection'), 'close');
  assert.ok(r.closedByPeer, 'the gateway must close the connection after refusing a request');
  await sleep(30);
  if (opts.bodyError) {
    // A streaming proxy may have sent the (valid) head before the body turned out malformed,
    // but never a body byte, and the upstream connection must be torn down (not reused).
    const seen = tripText(bytesBefore);
    if (seen.length > 0) {
      assert.equal(
        seen.indexOf('\r\n\r\n'),
        seen.length - 4,
        `body bytes reached the upstream: ${JSON.stringify(seen)}`,
      );
    }
    for (const s of tripSockets.slice(connsBefore)) {
      for (let i = 0; i < 40 && !s.destroyed && s.readable; i++) await sleep(25);
      assert.ok(s.destroyed || !s.readable, 'the upstream connection of a refused request must be closed');
    }
  } else {
    assert.equal(tripBytes(), bytesBefore, `bytes reached the upstream: ${JSON.stringify(tripText(bytesBefore))}`);
    assert.equal(tripSockets.length, connsBefore, 'the gateway opened an upstream connection for a refused request');
  }
  assert.equal(gw.exitCode, null, 'the gateway died');
}

describe('message framing', () => {
  it('Content-Length together with Transfer-Encoding → 400', async () => {
    await expectRejected(
      'POST / HTTP/1.1\r\nHost: good\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      400,
    );
    await expectRejected(
      'POST / HTTP/1.1\r\nHost: good\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      400,
    );
  });

  it('two Content-Length headers → 400, even with identical values', async () => {
    await expectRejected('POST / HTTP/1.1\r\nHost: good\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', 400);
    await expectRejected('POST / HTTP/1.1\r\nHost: good\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello', 400);
    await expectRejected('POST / HTTP/1.1\r\nHost: good\r\nContent-Length: 5, 5\r\n\r\nhello', 400);
  });

  it('a Content-Length that is not a plain decimal → 400', async () => {
    await expectRejected('POST / HTTP/1.1\r\nHost: good\r\nContent-Length: +5\r\n\r\nhello', 400);
    await expectRejected('POST / HTTP/1.1\r\nHost: good\r\nContent-Length: 0x5\r\n\r\nhello', 400);
    await expectRejected('POST / HTTP/1.1\r\nHost: good\r\nContent-Length: -1\r\n\r\n', 400);
  });

  it('Transfer-Encoding other than exactly "chunked" → 501', async () => {
    await expectRejected('POST / HTTP/1.1\r\nHost: good\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 501);
    await expectRejected('POST / HTTP/1.1\r\nHost: good\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n', 501);
    await expectRejected('POST / HTTP/1.1\r\nHost: good\r\nTransfer-Encoding: identity\r\n\r\n', 501);
  });

  it('duplicated Transfer-Encoding headers → 400', async () => {
    await expectRejected(
      'POST / HTTP/1.1\r\nHost: good\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
    );
    await expectRejected(
      'POST / HTTP/1.1\r\nHost: good\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      501,
    );
  });

  it('Transfer-Encoding in an HTTP/1.0 request → 400', async () => {
    await expectRejected('POST / HTTP/1.0\r\nHost: good\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400);
  });
});

describe('chunked bodies', () => {
  const bad: Array<[string, string]> = [
    ['non-hex size "zz"', 'zz\r\nhello\r\n0\r\n\r\n'],
    ['negative size "-1"', '-1\r\nhello\r\n0\r\n\r\n'],
    ['"0x5" size', '0x5\r\nhello\r\n0\r\n\r\n'],
    ['space after the size', '5 \r\nhello\r\n0\r\n\r\n'],
    ['space before the size', ' 5\r\nhello\r\n0\r\n\r\n'],
    ['overlong hex size', '10000000000000000\r\nhello\r\n0\r\n\r\n'],
    ['bare LF after the size', '5\nhello\r\n0\r\n\r\n'],
    ['chunk data not followed by CRLF', '5\r\nhelloXX\r\n0\r\n\r\n'],
    ['chunk data longer than its size', '3\r\nhello\r\n0\r\n\r\n'],
    ['bare LF after chunk data', '5\r\nhello\n0\r\n\r\n'],
    ['obs-fold in the trailer section', '5\r\nhello\r\n0\r\nX-T: a\r\n b\r\n\r\n'],
    // RFC 9110 §6.5: framing, routing and authentication fields never travel in trailers.
    ['Content-Length in the trailer section', '5\r\nhello\r\n0\r\nX-Ok: 1\r\nContent-Length: 44\r\n\r\n'],
    ['Transfer-Encoding in the trailer section', '5\r\nhello\r\n0\r\ntransfer-encoding: chunked\r\n\r\n'],
    ['Host in the trailer section', '5\r\nhello\r\n0\r\nHOST: evil.example\r\n\r\n'],
    ['Authorization in the trailer section', '5\r\nhello\r\n0\r\nAuthorization: Bearer x\r\n\r\n'],
    ['a trailer line that is not "name: value"', '5\r\nhello\r\n0\r\nno-colon-here\r\n\r\n'],
  ];
  for (const [name, body] of bad) {
    it(`${name} → 400`, async () => {
      await expectRejected(`POST / HTTP/1.1\r\nHost: good\r\nTransfer-Encoding: chunked\r\n\r\n${body}`, 400, {
        bodyError: true,
      });
    });
  }

  it('a malformed chunk arriving after valid ones → 400, the bad bytes never reach the upstream', async () => {
    const head = 'POST / HTTP/1.1\r\nHost: good\r\nTransfer-Encoding: chunked\r\n\r\n';
    const before = tripBytes();
    const r = await rawSend(gw.proxyPort, [head, '5\r\nhello\r\n', 'zz\r\nSMUGGLED\r\n0\r\n\r\n'], 3000, 150);
    const res = parseOne(r.data);
    assert.equal(res.status, 400);
    assert.equal(typeof JSON.parse(res.body).message, 'string');
    assert.ok(r.closedByPeer);
    await sleep(50);
    const seen = tripText(before);
    assert.ok(
      !seen.includes('zz') && !seen.includes('SMUGGLED'),
      `malformed bytes reached the upstream: ${JSON.stringify(seen)}`,
    );
  });

  it('a Content-Length trailer arriving after valid chunks → 400, never forwarded, the upstream connection is not reused', async () => {
    const head = 'POST / HTTP/1.1\r\nHost: good\r\nTransfer-Encoding: chunked\r\n\r\n';
    const before = tripBytes();
    const connsBefore = tripSockets.length;
    const r = await rawSend(
      gw.proxyPort,
      [head, '5\r\nhello\r\n', '0\r\nContent-Length: 38\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'],
      3000,
      150,
    );
    const res = parseOne(r.data);
    assert.equal(res.status, 400);
    assert.match(JSON.parse(res.body).message, /content-length.*trailer/i);
    assert.ok(r.closedByPeer);
    await sleep(50);
    const seen = tripText(before);
    assert.ok(
      !/content-length/i.test(seen) && !seen.includes('smuggled'),
      `the trailer reached the upstream: ${JSON.stringify(seen)}`,
    );
    for (const s of tripSockets.slice(connsBefore)) {
      for (let i = 0; i < 40 && !s.destroyed && s.readable; i++) await sleep(25);
      assert.ok(s.destroyed || !s.readable, 'the upstream connection of a refused request must be closed');
    }
  });

  it('a valid chunked body with extensions and trailers is forwarded intact', async () => {
    okTrailers = [];
    const r = await rawSend(
      gw.proxyPort,
      'POST /ok/chunked HTTP/1.1\r\nHost: good\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        '5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc123\r\nX-Other: 1\r\n\r\n',
    );
    const res = parseOne(r.data);
    assert.equal(res.status, 200, r.data);
    const j = JSON.parse(res.body);
    assert.equal(j.body, 'hello world');
    assert.equal(j.te, 'chunked');
    assert.equal(j.url, '/ok/chunked');
    assert.equal(okTrailers.length, 1);
    assert.equal(okTrailers[0]['x-checksum'], 'abc123');
    assert.equal(okTrailers[0]['x-other'], '1');
  });
});

describe('request head syntax', () => {
  it('bare LF line endings throughout the head → 400 (not a hang)', async () => {
    await expectRejected('GET / HTTP/1.1\nHost: good\n\n', 400);
  });

  it('a bare LF or bare CR inside an otherwise CRLF head → 400', async () => {
    await expectRejected('GET / HTTP/1.1\r\nHost: good\nX-Smuggle: 1\r\n\r\n', 400);
    await expectRejected('GET / HTTP/1.1\r\nHost: good\r\nX-A: 1\rX-B: 2\r\n\r\n', 400);
  });

  it('obs-fold (a header line starting with space or tab) → 400', async () => {
    await expectRejected('GET / HTTP/1.1\r\nHost: good\r\nX-Long: a\r\n  b\r\n\r\n', 400);
    await expectRejected('GET / HTTP/1.1\r\nHost: good\r\nX-Long: a\r\n\tb\r\n\r\n', 400);
    await expectRejected('GET / HTTP/1.1\r\n Host: good\r\n\r\n', 400);
  });

  it('whitespace between the header name and the colon → 400', async () => {
    await expectRejected('GET / HTTP/1.1\r\nHost: good\r\nContent-Length : 5\r\n\r\nhello', 400);
    await expectRejected('GET / HTTP/1.1\r\nHost\t: good\r\n\r\n', 400);
  });

  it('invalid header names (empty, separators, non-ASCII) → 400', async () => {
    await expectRejected('GET / HTTP/1.1\r\nHost: good\r\n: empty\r\n\r\n', 400);
    await expectRejected('GET / HTTP/1.1\r\nHost: good\r\nX(y): 1\r\n\r\n', 400);
    await expectRejected(Buffer.from('GET / HTTP/1.1\r\nHost: good\r\nX-\xe9: 1\r\n\r\n', 'latin1'), 400);
    await expectRejected('GET / HTTP/1.1\r\nHost: good\r\nNoColonHere\r\n\r\n', 400);
  });

  it('NUL, other control characters and DEL in a header value → 400', async () => {
    await expectRejected('GET / HTTP/1.1\r\nHost: good\r\nX-A: a\x00b\r\n\r\n', 400);
    await expectRejected('GET / HTTP/1.1\r\nHost: good\r\nX-A: a\x01b\r\n\r\n', 400);
    await expectRejected('GET / HTTP/1.1\r\nHost: good\r\nX-A: a\x1bb\r\n\r\n', 400);
    await expectRejected('GET / HTTP/1.1\r\nHost: good\r\nX-A: a\x7fb\r\n\r\n', 400);
  });

  it('invalid characters in the method → 400', async () => {
    await expectRejected('G(T / HTTP/1.1\r\nHost: good\r\n\r\n', 400);
    await expectRejected('GE{T / HTTP/1.1\r\nHost: good\r\n\r\n', 400);
    await expectRejected(Buffer.from('G\xc9T / HTTP/1.1\r\nHost: good\r\n\r\n', 'latin1'), 400);
  });

  it('malformed request lines → 400', async () => {
    await expectRejected('GET  / HTTP/1.1\r\nHost: good\r\n\r\n', 400);
    await expectRejected('GET / HTTP/1.1 \r\nHost: good\r\n\r\n', 400);
    await expectRejected('GET /a b HTTP/1.1\r\nHost: good\r\n\r\n', 400);
    await expectRejected('GET / http/1.1\r\nHost: good\r\n\r\n', 400);
    await expectRejected('GET /<script> HTTP/1.1\r\nHost: good\r\n\r\n', 400);
  });

  it('HTTP/2.0, HTTP/1.2 and HTTP/3.0 → 505', async () => {
    await expectRejected('GET / HTTP/2.0\r\nHost: good\r\n\r\n', 505);
    await expectRejected('GET / HTTP/1.2\r\nHost: good\r\n\r\n', 505);
    await expectRejected('GET / HTTP/3.0\r\nHost: good\r\n\r\n', 505);
  });

  it('CONNECT → 405, in authority-form and in origin-form', async () => {
    await expectRejected('CONNECT good:443 HTTP/1.1\r\nHost: good:443\r\n\r\n', 405);
    await expectRejected('CONNECT / HTTP/1.1\r\nHost: good\r\n\r\n', 405);
  });
});

describe('Host and request target', () => {
  it('two Host headers → 400 (even identical)', async () => {
    await expectRejected('GET / HTTP/1.1\r\nHost: good\r\nHost: evil\r\n\r\n', 400);
    await expectRejected('GET / HTTP/1.1\r\nHost: good\r\nHost: good\r\n\r\n', 400);
  });

  it('no Host header on HTTP/1.1 → 400', async () => {
    await expectRejected('GET / HTTP/1.1\r\nAccept: */*\r\n\r\n', 400);
  });

  it('an invalid Host value → 400', async () => {
    await expectRejected('GET / HTTP/1.1\r\nHost: good/evil\r\n\r\n', 400);
    await expectRejected('GET / HTTP/1.1\r\nHost: user@good\r\n\r\n', 400);
    await expectRejected('GET / HTTP/1.1\r\nHost: good:80:80\r\n\r\n', 400);
  });

  it('absolute-form naming another host than Host → 400', async () => {
    await expectRejected('GET http://evil.example/ HTTP/1.1\r\nHost: good\r\n\r\n', 400);
    await expectRejected('GET http://evil.example/ok HTTP/1.1\r\nHost: good\r\n\r\n', 400);
    await expectRejected('GET http://good@evil.example/ HTTP/1.1\r\nHost: good\r\n\r\n', 400);
  });

  it('a target that is neither origin-form nor absolute http(s) → 400', async () => {
    await expectRejected('GET ftp://good/ HTTP/1.1\r\nHost: good\r\n\r\n', 400);
    await expectRejected('GET good/ HTTP/1.1\r\nHost: good\r\n\r\n', 400);
  });

  it('absolute-form naming the same host as Host is accepted (sent upstream in origin-form)', async () => {
    const r = await rawSend(
      gw.proxyPort,
      'GET http://Good.Example/ok/abs?x=1 HTTP/1.1\r\nHost: good.example\r\nConnection: close\r\n\r\n',
    );
    const res = parseOne(r.data);
    assert.equal(res.status, 200, r.data);
    const j = JSON.parse(res.body);
    assert.equal(j.url, '/ok/abs?x=1');
  });

  it('an HTTP/1.0 request without Host is accepted', async () => {
    const r = await rawSend(gw.proxyPort, 'GET /ok/ten HTTP/1.0\r\n\r\n');
    const res = parseOne(r.data);
    assert.equal(res.status, 200, r.data);
    assert.equal(JSON.parse(res.body).url, '/ok/ten');
    assert.ok(r.closedByPeer);
  });
});

describe('upgrades and limits', () => {
  it('Upgrade: h2c → 400', async () => {
    await expectRejected(
      'GET / HTTP/1.1\r\nHost: good\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
      400,
    );
    await expectRejected('GET / HTTP/1.1\r\nHost: good\r\nConnection: Upgrade\r\nUpgrade: websocket, H2C\r\n\r\n', 400);
  });

  it('an unsupported Expect → 417', async () => {
    await expectRejected('POST / HTTP/1.1\r\nHost: good\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx', 417);
  });

  it('oversized header section → 431', async () => {
    await expectRejected(`GET / HTTP/1.1\r\nHost: good\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`, 431);
    let many = 'GET / HTTP/1.1\r\nHost: good\r\n';
    for (let i = 0; i < 150; i++) many += `X-H${i}: v\r\n`;
    await expectRejected(many + '\r\n', 431);
  });

  it('oversized header section arriving slowly (no terminating blank line yet) → 431', async () => {
    const head = 'GET / HTTP/1.1\r\nHost: good\r\n';
    await expectRejected(head, 431, {
      parts: [head, `X-Big: ${'a'.repeat(10 * 1024)}`, 'a'.repeat(10 * 1024)],
      gapMs: 50,
    });
  });

  it('oversized request line → 414 (whole head in one write)', async () => {
    await expectRejected(`GET /${'a'.repeat(20 * 1024)} HTTP/1.1\r\nHost: good\r\n\r\n`, 414);
  });

  it('oversized request line → 414 (line split over two writes, head complete in the second)', async () => {
    const line = `GET /${'a'.repeat(20 * 1024)} HTTP/1.1\r\nHost: good\r\n\r\n`;
    await expectRejected(line, 414, { parts: [line.slice(0, 10 * 1024), line.slice(10 * 1024)], gapMs: 100 });
  });

  it('oversized request line → 414 (request line still incomplete)', async () => {
    await expectRejected(`GET /${'a'.repeat(20 * 1024)}`, 414);
  });
});

describe('pipelining', () => {
  it('two requests in one write get two responses, in order', async () => {
    const r = await rawSend(
      gw.proxyPort,
      'GET /ok/first HTTP/1.1\r\nHost: good\r\n\r\n' +
        'POST /ok/second HTTP/1.1\r\nHost: good\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc',
    );
    const rs = parseResponses(r.data);
    assert.equal(rs.length, 2, r.data);
    assert.equal(rs[0].status, 200);
    assert.equal(rs[1].status, 200);
    assert.equal(JSON.parse(rs[0].body).url, '/ok/first');
    const second = JSON.parse(rs[1].body);
    assert.equal(second.url, '/ok/second');
    assert.equal(second.body, 'abc');
    assert.ok(r.closedByPeer);
  });

  it('three pipelined requests, the last malformed: 200, 200, then 400 and close', async () => {
    const before = ok.requests.length;
    const r = await rawSend(
      gw.proxyPort,
      'GET /ok/p1 HTTP/1.1\r\nHost: good\r\n\r\n' +
        'GET /ok/p2 HTTP/1.1\r\nHost: good\r\n\r\n' +
        'GET /ok/p3 HTTP/1.1\r\nHost: good\r\nHost: evil\r\n\r\n',
    );
    const rs = parseResponses(r.data);
    assert.deepEqual(
      rs.map((x) => x.status),
      [200, 200, 400],
      r.data,
    );
    assert.equal(JSON.parse(rs[0].body).url, '/ok/p1');
    assert.equal(JSON.parse(rs[1].body).url, '/ok/p2');
    assert.ok(r.closedByPeer);
    assert.equal(ok.requests.length - before, 2);
  });
});
