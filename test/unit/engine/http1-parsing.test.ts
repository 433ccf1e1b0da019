import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpParseError, parseRequestHead, RequestHead, Skip } from '../../../src/engine/http1/request-head.js';
import { ChunkedError, ChunkedParser } from '../../../src/engine/http1/chunked.js';
import {
  Framing,
  parseResponseHead,
  ResponseHead,
  UpstreamProtocolError,
} from '../../../src/engine/http1/response-head.js';
import { needsNormalization, normalizePath } from '../../../src/router/normalize.js';

function parse(raw: string, max = 16384): { n: number | HttpParseError; head: RequestHead } {
  const head = new RequestHead();
  const buf = Buffer.from(raw, 'latin1');
  return { n: parseRequestHead(buf, 0, buf.length, max, head), head };
}

function rejects(raw: string, status: number): void {
  const { n } = parse(raw);
  assert.ok(n instanceof HttpParseError, `expected a ${status} for ${JSON.stringify(raw)}, got ${String(n)}`);
  assert.equal((n as HttpParseError).status, status, (n as HttpParseError).message);
}

test('a simple GET parses, headers classified', () => {
  const raw =
    'GET /a/b?x=1 HTTP/1.1\r\nHost: Example.com:8000\r\nConnection: keep-alive, X-Foo\r\nX-Foo: 1\r\nX-Forwarded-For: 1.2.3.4\r\nAccept: */*\r\n\r\n';
  const { n, head } = parse(raw);
  assert.equal(n, raw.length);
  assert.equal(head.method, 'GET');
  assert.equal(head.path, '/a/b');
  assert.equal(head.query, '?x=1');
  assert.equal(head.hostname, 'example.com');
  assert.equal(head.count, 5);
  assert.equal(head.skip[1], Skip.HopByHop); // Connection
  assert.equal(head.skip[2], Skip.HopByHop); // named by Connection
  assert.equal(head.skip[3], Skip.Forwarded);
  assert.equal(head.skip[4], Skip.Keep);
  assert.equal(head.header('accept'), '*/*');
  assert.equal(head.keepAlive, true);
});

test('incomplete heads ask for more bytes', () => {
  assert.equal(parse('GET / HTTP/1.1\r\nHost: a\r\n').n, 0);
});

test('ambiguous framing and malformed heads are rejected', () => {
  rejects('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', 400);
  rejects('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n', 400);
  rejects('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n', 400);
  rejects('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501);
  rejects('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n', 400);
  rejects('GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n folded\r\n\r\n', 400);
  rejects('GET / HTTP/1.1\r\nHost : a\r\n\r\n', 400);
  rejects('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400);
  rejects('GET / HTTP/1.1\r\nX: 1\r\n\r\n', 400);
  rejects('GET http://evil.example/ HTTP/1.1\r\nHost: good.example\r\n\r\n', 400);
  rejects('GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n', 400);
  rejects('GET / HTTP/1.1\nHost: a\r\n\r\n', 400);
  rejects('GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n', 400);
  rejects('GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505);
  rejects('G(T / HTTP/1.1\r\nHost: a\r\n\r\n', 400);
  rejects('CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n', 405);
  rejects('GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n', 400);
  const big = 'GET / HTTP/1.1\r\nHost: a\r\nX: ' + 'a'.repeat(20000) + '\r\n\r\n';
  rejects(big, 431);
  rejects('GET /' + 'a'.repeat(20000) + ' HTTP/1.1\r\n', 414);
});

test('absolute-form with the same host is accepted and reduced to origin-form', () => {
  const { n, head } = parse('GET http://Good.example/x?y HTTP/1.1\r\nHost: good.example\r\n\r\n');
  assert.ok(typeof n === 'number' && n > 0);
  assert.equal(head.path, '/x');
  assert.equal(head.query, '?y');
});

test('paths are normalized for routing, the raw path is kept', () => {
  const { head } = parse('GET /a/../%61dmin//x HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.equal(head.path, '/admin/x');
  assert.equal(head.rawPath, '/a/../%61dmin//x');
  assert.equal(needsNormalization('/plain/path'), false);
  assert.equal(normalizePath('/a%2fb'), '/a%2Fb');
  assert.equal(normalizePath('/..'), '/');
});

function chunked(input: string): number {
  const p = new ChunkedParser();
  const b = Buffer.from(input, 'latin1');
  return p.feed(b, 0, b.length);
}

test('chunked framing: valid bodies end at the right byte', () => {
  const body = '5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n';
  assert.equal(chunked(body + 'NEXT'), body.length);
  assert.equal(chunked('5\r\nhel'), -1);
  // Byte-by-byte feeding finds the same end.
  const p = new ChunkedParser();
  const b = Buffer.from(body);
  let end = -1;
  for (let i = 0; i < b.length && end === -1; i++) end = p.feed(b, i, i + 1);
  assert.equal(end, b.length);
});

test('chunked framing: malformed sizes and terminators are errors', () => {
  for (const bad of [
    'zz\r\n',
    '-1\r\n',
    '0x5\r\nhello\r\n',
    '5 \r\nhello\r\n',
    '5\nhello\r\n',
    '5\r\nhelloXX',
    '1234567890abc\r\n',
    '0\r\nX: 1\n\r\n',
  ]) {
    assert.throws(() => chunked(bad), ChunkedError, JSON.stringify(bad));
  }
});

test('upstream response heads: framing, hop-by-hop removal, conflicts', () => {
  const out = new ResponseHead();
  const raw =
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nX-Keep: 2\r\n\r\nhello';
  const b = Buffer.from(raw);
  const n = parseResponseHead(b, 0, b.length, 65536, false, out);
  assert.equal(n, raw.length - 5);
  assert.equal(out.framing, Framing.Length);
  assert.equal(out.contentLength, 5);
  assert.equal(out.headerLines, 'Content-Length: 5\r\nX-Keep: 2\r\n');
  const bad = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n');
  assert.throws(() => parseResponseHead(bad, 0, bad.length, 65536, false, out), UpstreamProtocolError);
  const te = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
  parseResponseHead(te, 0, te.length, 65536, false, out);
  assert.equal(out.framing, Framing.Chunked);
  const noLen = Buffer.from('HTTP/1.1 200 OK\r\nX: 1\r\n\r\n');
  parseResponseHead(noLen, 0, noLen.length, 65536, false, out);
  assert.equal(out.framing, Framing.UntilClose);
  assert.equal(out.keepAlive, false);
  parseResponseHead(noLen, 0, noLen.length, 65536, true, out);
  assert.equal(out.framing, Framing.None, 'a HEAD response has no body');
});

test('chunked framing: trailer lines are collected only when asked, even split over reads', () => {
  const body = '3\r\nabc\r\n0\r\ngrpc-status: 5\r\ngrpc-message: not found\r\n\r\n';
  const b = Buffer.from(body, 'latin1');
  const off = new ChunkedParser();
  off.feed(b, 0, b.length);
  assert.equal(off.trailers, null);
  for (const step of [b.length, 1, 7]) {
    const p = new ChunkedParser();
    p.trailers = '';
    let end = -1;
    for (let i = 0; i < b.length && end === -1; i += step) end = p.feed(b, i, Math.min(b.length, i + step));
    assert.equal(end, b.length);
    assert.equal(p.trailers, 'grpc-status: 5\ngrpc-message: not found\n', `step ${step}`);
  }
});
