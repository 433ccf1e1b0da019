import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildUpstreamPath } from '../../../src/router/upstream-path.js';

// Kong Admin API reference, Route object, `path_handling` table:
// service.path | route.path | strip_path | path_handling | request path | proxied path
const KONG_TABLE: [string, string, boolean, 'v0' | 'v1', string, string][] = [
  ['/s', '/fv0', false, 'v0', '/fv0req', '/s/fv0req'],
  ['/s', '/fv1', false, 'v1', '/fv1req', '/sfv1req'],
  ['/s', '/tv0', true, 'v0', '/tv0req', '/s/req'],
  ['/s', '/tv1', true, 'v1', '/tv1req', '/sreq'],
  ['/s', '/fv0/', false, 'v0', '/fv0/req', '/s/fv0/req'],
  ['/s', '/fv1/', false, 'v1', '/fv1/req', '/sfv1/req'],
  ['/s', '/tv0/', true, 'v0', '/tv0/req', '/s/req'],
  ['/s', '/tv1/', true, 'v1', '/tv1/req', '/sreq'],
];

test("Kong's documented path_handling table", () => {
  for (const [sp, rp, strip, ph, reqPath, want] of KONG_TABLE) {
    assert.equal(buildUpstreamPath(sp, reqPath, rp.length, strip, ph), want, `${sp} ${rp} ${strip} ${ph} ${reqPath}`);
  }
});

// Further cases derived from Kong's algorithm (kong/router/utils.lua get_upstream_uri, v0;
// the traditional router's v1 branch): service path × trailing slashes × strip_path.
const DERIVED: [string | null, string, number, boolean, 'v0' | 'v1', string][] = [
  // no service path = "/"
  [null, '/foo/bar', 4, true, 'v0', '/bar'],
  [null, '/foo', 4, true, 'v0', '/'],
  [null, '/foo/', 4, true, 'v0', '/'],
  [null, '/foo/bar', 4, false, 'v0', '/foo/bar'],
  ['/', '/', 1, false, 'v0', '/'],
  ['/', '/', 1, true, 'v0', '/'],
  // service path without trailing slash
  ['/fee', '/foo', 4, true, 'v0', '/fee'],
  ['/fee', '/foo/', 4, true, 'v0', '/fee/'],
  ['/fee', '/foo/bar', 4, true, 'v0', '/fee/bar'],
  ['/fee', '/', 1, false, 'v0', '/fee'],
  ['/fee', '/foo', 4, false, 'v0', '/fee/foo'],
  // service path with trailing slash
  ['/fee/', '/foo', 4, true, 'v0', '/fee'],
  ['/fee/', '/foo/', 4, true, 'v0', '/fee/'],
  ['/fee/', '/foo/bar', 4, true, 'v0', '/fee/bar'],
  ['/fee/', '/foo/', 5, true, 'v0', '/fee/'],
  ['/fee/', '/foo/bar', 5, true, 'v0', '/fee/bar'],
  ['/fee/', '/foo/bar', 4, false, 'v0', '/fee/foo/bar'],
  // route matched without a path: the remainder is the request path minus its first slash
  ['/fee', '/foo/bar', 0, true, 'v0', '/fee/foo/bar'],
  ['/fee/', '/foo/bar', 0, true, 'v0', '/fee/foo/bar'],
  // dot-segment remainders are sanitised (Kong's sanitize_uri_postfix)
  ['/fee', '/foo../etc', 5, true, 'v0', '/fee/etc'],
  ['/fee', '/foo..', 4, true, 'v0', '/fee'],
  // v1: service path is a prefix, double slashes collapsed
  ['/fee/', '/foo/bar', 4, true, 'v1', '/fee/bar'],
  ['/fee', '/foo/bar', 4, true, 'v1', '/fee/bar'],
  ['/fee', '/foobar', 4, true, 'v1', '/feebar'],
  ['/fee/', '/foo', 4, false, 'v1', '/fee/foo'],
  [null, '/foo', 4, true, 'v1', '/'],
  [null, '/foo/bar', 4, false, 'v1', '/foo/bar'],
];

test('path handling beyond the documented table', () => {
  for (const [sp, reqPath, len, strip, ph, want] of DERIVED) {
    assert.equal(buildUpstreamPath(sp, reqPath, len, strip, ph), want, `${sp} ${reqPath} ${len} ${strip} ${ph}`);
  }
});
