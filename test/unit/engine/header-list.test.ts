// The response phase's header list: upstream lines stay unparsed until a plugin touches one of
// them, and edits keep the order (upstream headers first, additions after).

import test from 'node:test';
import assert from 'node:assert/strict';
import { HeaderList } from '../../../src/engine/proxy/header-list.js';
import { parseResponseHead, ResponseHead } from '../../../src/engine/http1/response-head.js';

const LINES = 'Content-Type: text/plain\r\nX-Up: 1\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n';

test('additions go after the upstream lines, which stay as they came', () => {
  const h = HeaderList.fromLines(200, LINES);
  h.setHeader('X-Added', 'yes');
  h.addHeader('X-More', '2');
  assert.equal(h.toLines(), LINES + 'X-Added: yes\r\nX-More: 2\r\n');
});

test('reading, replacing and removing upstream headers (any case) parse them, order kept', () => {
  const h = HeaderList.fromLines(200, LINES);
  h.setHeader('X-Added', 'yes');
  assert.equal(h.getHeader('set-cookie'), 'a=1, b=2');
  h.setHeader('x-up', '2');
  h.removeHeader('SET-COOKIE');
  assert.equal(h.toLines(), 'Content-Type: text/plain\r\nX-Added: yes\r\nx-up: 2\r\n');
  assert.deepEqual(h.getHeaders(), { 'content-type': 'text/plain', 'x-added': 'yes', 'x-up': '2' });
});

test('a name that only appears inside a value is not taken for a header', () => {
  const h = HeaderList.fromLines(200, 'X-Note: x-up: not a header\r\n');
  assert.equal(h.getHeader('x-up'), undefined);
  h.setHeader('X-Up', '1');
  assert.equal(h.toLines(), 'X-Note: x-up: not a header\r\nX-Up: 1\r\n');
});

test('gateway-managed and invalid headers are refused', () => {
  const h = HeaderList.fromLines(200, LINES);
  assert.throws(() => h.setHeader('Content-Length', '1'), /managed by the gateway/);
  assert.throws(() => h.setHeader('X-Bad', 'a\r\nInjected: 1'), /control characters/);
  assert.throws(() => h.setHeader('Bad Name', 'v'), /invalid header name/);
});

test('setStatus replaces the status within 200-599 and refuses a 101', () => {
  const h = HeaderList.fromLines(200, LINES);
  h.setStatus(404);
  assert.equal(h.status, 404);
  assert.throws(() => h.setStatus(99), /200 to 599/);
  assert.throws(() => h.setStatus(1.5), /200 to 599/);
  assert.throws(() => HeaderList.fromLines(101, '').setStatus(200), /101/);
});

test("with the parser's name lengths: upstream headers are still found, replaced and removed; additions of other lengths skip the search", () => {
  const raw = Buffer.from(
    'HTTP/1.1 200 OK\r\nServer: up\r\nContent-Type: text/plain\r\nX-A: 1\r\nContent-Length: 2\r\n' +
      // 44 = 12 + 32: the same bit as Content-Type's length, still told apart by the search
      'X-Forty-Four-Characters-Long-Header-Name-Ab: y\r\n\r\nok',
  );
  const rh = new ResponseHead();
  assert.ok(parseResponseHead(raw, 0, raw.length, 65536, false, rh) > 0);
  const h = HeaderList.fromLines(rh.status, rh.headerLines, rh.nameLengths);
  h.setHeader('RateLimit-Limit', '5'); // a length no upstream name has
  h.setHeader('content-type', 'application/json');
  h.setHeader('x-a', '2');
  assert.equal(h.getHeader('SERVER'), 'up');
  assert.equal(h.getHeader('x-forty-four-characters-long-header-name-ab'), 'y');
  h.removeHeader('Content-Length');
  assert.deepEqual(h.getHeaders(), {
    server: 'up',
    'x-forty-four-characters-long-header-name-ab': 'y',
    'ratelimit-limit': '5',
    'content-type': 'application/json',
    'x-a': '2',
  });
});
