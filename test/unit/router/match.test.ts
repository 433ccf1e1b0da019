import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouter } from '../../../src/router/compile.js';
import type { RouteSpec } from '../../../src/router/types.js';
import { req, result, route } from './helpers.js';

function matchId(routes: RouteSpec<string>[], input = req()): string | null {
  const out = result();
  const ok = compileRouter(routes).match(input, out);
  assert.equal(ok, out.route !== null);
  return out.route;
}

test('no routes, no match; out is reset', () => {
  const r = compileRouter<string>([]);
  const out = result();
  out.route = 'stale';
  out.matchLength = 3;
  out.captures = { 0: 'x' };
  assert.equal(r.match(req(), out), false);
  assert.deepEqual(out, { route: null, matchLength: 0, captures: null });
  assert.equal(r.size, 0);
});

test('every configured attribute must match', () => {
  const routes = [route('a', { hosts: ['api.test'], methods: ['POST'], paths: ['/x'], headers: { 'x-v': ['1'] } })];
  const full = { host: 'api.test', method: 'POST', path: '/x/y', headers: { 'x-v': '1' } };
  assert.equal(matchId(routes, req(full)), 'a');
  assert.equal(matchId(routes, req({ ...full, host: 'other.test' })), null);
  assert.equal(matchId(routes, req({ ...full, method: 'GET' })), null);
  assert.equal(matchId(routes, req({ ...full, path: '/y' })), null);
  assert.equal(matchId(routes, req({ ...full, headers: {} })), null);
  assert.equal(matchId(routes, req({ ...full, headers: { 'x-v': '2' } })), null);
});

test('hosts: exact match is case-insensitive on the route side', () => {
  const routes = [route('a', { hosts: ['API.Example.COM'] })];
  assert.equal(matchId(routes, req({ host: 'api.example.com' })), 'a');
  assert.equal(matchId(routes, req({ host: 'xapi.example.com' })), null);
});

test('hosts: leading wildcard matches any depth of subdomain, not the bare domain', () => {
  const routes = [route('w', { hosts: ['*.example.com'] })];
  assert.equal(matchId(routes, req({ host: 'a.example.com' })), 'w');
  assert.equal(matchId(routes, req({ host: 'a.b.example.com' })), 'w');
  assert.equal(matchId(routes, req({ host: 'example.com' })), null);
  assert.equal(matchId(routes, req({ host: 'aexample.com' })), null);
});

test('hosts: trailing wildcard', () => {
  const routes = [route('w', { hosts: ['example.*'] })];
  assert.equal(matchId(routes, req({ host: 'example.org' })), 'w');
  assert.equal(matchId(routes, req({ host: 'example.co.uk' })), 'w');
  assert.equal(matchId(routes, req({ host: 'www.example.org' })), null);
  assert.equal(matchId(routes, req({ host: 'example' })), null);
});

test('hosts: exact beats wildcard, leading and trailing', () => {
  const routes = [
    route('lead', { hosts: ['*.example.com'] }),
    route('trail', { hosts: ['api.example.*'] }),
    route('exact', { hosts: ['api.example.com'] }),
  ];
  assert.equal(matchId(routes, req({ host: 'api.example.com' })), 'exact');
  assert.equal(matchId(routes, req({ host: 'www.example.com' })), 'lead');
  assert.equal(matchId(routes, req({ host: 'api.example.org' })), 'trail');
});

test('hosts: a host with a port only matches that port', () => {
  const routes = [
    route('p', { hosts: ['example.com:8080'] }),
    route('any', { hosts: ['other.com', 'other.com:9000'] }),
  ];
  assert.equal(matchId(routes, req({ host: 'example.com', port: 8080 })), 'p');
  assert.equal(matchId(routes, req({ host: 'example.com', port: 80 })), null);
  // listed with and without a port: any port
  assert.equal(matchId(routes, req({ host: 'other.com', port: 1234 })), 'any');
});

test('hosts: wildcard with a port', () => {
  const routes = [route('p', { hosts: ['*.example.com:8443'] })];
  assert.equal(matchId(routes, req({ host: 'a.example.com', port: 8443 })), 'p');
  assert.equal(matchId(routes, req({ host: 'a.example.com', port: 443 })), null);
});

test('hosts: routes without hosts match any host, and host routes still compete', () => {
  const routes = [route('nohost', { paths: ['/'] }), route('host', { hosts: ['a.test'] })];
  assert.equal(matchId(routes, req({ host: 'zzz.test' })), 'nohost');
  // both weight 1; plain host wins
  assert.equal(matchId(routes, req({ host: 'a.test' })), 'host');
});

test('paths: prefix match is a plain startsWith (not segment-aware)', () => {
  const routes = [route('foo', { paths: ['/foo'] })];
  const out = result();
  const r = compileRouter(routes);
  assert.equal(r.match(req({ path: '/foo' }), out), true);
  assert.equal(out.matchLength, 4);
  assert.equal(out.captures, null);
  assert.equal(r.match(req({ path: '/foobar' }), out), true);
  assert.equal(r.match(req({ path: '/foo/bar' }), out), true);
  assert.equal(r.match(req({ path: '/fo' }), out), false);
  assert.equal(r.match(req({ path: '/FOO' }), out), false, 'paths are case-sensitive');
});

test('paths: longest prefix wins, among several paths of one route too', () => {
  const routes = [
    route('short', { paths: ['/a'] }),
    route('long', { paths: ['/a/b/c'] }),
    route('mid', { paths: ['/x', '/a/b'] }),
  ];
  const r = compileRouter(routes);
  const out = result();
  r.match(req({ path: '/a/b/c/d' }), out);
  assert.equal(out.route, 'long');
  assert.equal(out.matchLength, 6);
  r.match(req({ path: '/a/b/x' }), out);
  assert.equal(out.route, 'mid');
  assert.equal(out.matchLength, 4);
  r.match(req({ path: '/a/x' }), out);
  assert.equal(out.route, 'short');
});

test('paths: regex anchored at the start, numbered and named captures, matchLength', () => {
  const routes = [route('re', { paths: ['~/users/(?<id>\\d+)/(\\w+)'] })];
  const r = compileRouter(routes);
  const out = result();
  assert.equal(r.match(req({ path: '/users/42/posts/7' }), out), true);
  assert.equal(out.route, 're');
  assert.equal(out.matchLength, '/users/42/posts'.length);
  assert.deepEqual(out.captures, { 0: '/users/42/posts', 1: '42', 2: 'posts', id: '42' });
  assert.equal(r.match(req({ path: '/api/users/42/x' }), out), false, 'anchored at the start');
  assert.equal(out.captures, null);
});

test('paths: regex with $ must match the whole path; (?P<name>) is accepted', () => {
  const routes = [route('re', { paths: ['~/v(?P<ver>\\d)/status$'] })];
  const r = compileRouter(routes);
  const out = result();
  assert.equal(r.match(req({ path: '/v2/status' }), out), true);
  assert.equal(out.captures?.ver, '2');
  assert.equal(r.match(req({ path: '/v2/status/x' }), out), false);
});

test('paths: unset optional groups are left out of captures', () => {
  const r = compileRouter([route('re', { paths: ['~/a(/(?<rest>.*))?'] })]);
  const out = result();
  r.match(req({ path: '/a' }), out);
  assert.deepEqual(out.captures, { 0: '/a' });
});

test('paths: invalid regex fails compilation with the route id', () => {
  assert.throws(() => compileRouter([route('bad', { paths: ['~/(unclosed'] })]), /route bad/);
});

test('methods compare upper-case', () => {
  const routes = [route('m', { methods: ['get', 'Post'] })];
  assert.equal(matchId(routes, req({ method: 'GET' })), 'm');
  assert.equal(matchId(routes, req({ method: 'POST' })), 'm');
  assert.equal(matchId(routes, req({ method: 'post' })), 'm');
  assert.equal(matchId(routes, req({ method: 'DELETE' })), null);
});

test('headers: any listed value, case-insensitive; all header names required', () => {
  const routes = [route('h', { headers: { 'X-Version': ['V1', 'v2'], 'x-region': ['eu'] } })];
  assert.equal(matchId(routes, req({ headers: { 'x-version': 'v1', 'x-region': 'EU' } })), 'h');
  assert.equal(matchId(routes, req({ headers: { 'x-version': 'V2', 'x-region': 'eu' } })), 'h');
  assert.equal(matchId(routes, req({ headers: { 'x-version': 'v3', 'x-region': 'eu' } })), null);
  assert.equal(matchId(routes, req({ headers: { 'x-version': 'v1' } })), null);
});

test('headers: ~* regex values (unanchored, case-insensitive)', () => {
  const routes = [route('h', { headers: { 'user-agent': ['~*mobile', 'exact-agent'] } })];
  assert.equal(matchId(routes, req({ headers: { 'user-agent': 'Foo Mobile Safari' } })), 'h');
  assert.equal(matchId(routes, req({ headers: { 'user-agent': 'EXACT-AGENT' } })), 'h');
  assert.equal(matchId(routes, req({ headers: { 'user-agent': 'desktop' } })), null);
});

test('headers: a repeated header (joined with ", ") matches when one occurrence does', () => {
  const routes = [route('h', { headers: { 'x-tag': ['b'] } })];
  assert.equal(matchId(routes, req({ headers: { 'x-tag': 'a, B, c' } })), 'h');
  assert.equal(matchId(routes, req({ headers: { 'x-tag': 'a, bb' } })), null);
});

test('protocols: the request protocol must be listed', () => {
  const routes = [
    route('https-only', { protocols: ['https'], paths: ['/'] }),
    route('http-only', { protocols: ['http'], hosts: ['h.test'] }),
  ];
  assert.equal(matchId(routes, req({ protocol: 'https' })), 'https-only');
  assert.equal(matchId(routes, req({ protocol: 'http' })), null);
  assert.equal(
    matchId(routes, req({ protocol: 'https', host: 'h.test' })),
    'https-only',
    'http routes do not serve https',
  );
  assert.equal(matchId(routes, req({ protocol: 'http', host: 'h.test' })), 'http-only');
  assert.equal(
    matchId([route('grpc', { protocols: ['grpc', 'grpcs'], paths: ['/'] })], req({ protocol: 'grpc' })),
    'grpc',
  );
});

test('a failing higher-priority candidate falls through to the next one', () => {
  const routes = [
    route('post', { hosts: ['a.test'], paths: ['/x'], methods: ['POST'] }),
    route('any', { hosts: ['a.test'], paths: ['/x'] }),
  ];
  assert.equal(matchId(routes, req({ host: 'a.test', path: '/x', method: 'POST' })), 'post');
  assert.equal(matchId(routes, req({ host: 'a.test', path: '/x', method: 'GET' })), 'any');
});

test('the result object is reused and fully overwritten', () => {
  const r = compileRouter([route('re', { paths: ['~/r/(\\d+)'] }), route('p', { paths: ['/p'] })]);
  const out = result();
  r.match(req({ path: '/r/1' }), out);
  assert.equal(out.route, 're');
  r.match(req({ path: '/p/1' }), out);
  assert.equal(out.route, 'p');
  assert.equal(out.captures, null);
  assert.equal(out.matchLength, 2);
});

test('hosts: wildcard keys of equal length with different boundary characters', () => {
  const routes = [
    route('dot', { hosts: ['*.b.com'] }),
    route('bare', { hosts: ['*ab.com'] }),
    route('pre', { hosts: ['api.*', 'apix*'] }),
  ];
  assert.equal(matchId(routes, req({ host: 'x.b.com' })), 'dot');
  assert.equal(matchId(routes, req({ host: 'xab.com' })), 'bare');
  assert.equal(matchId(routes, req({ host: 'api.io' })), 'pre');
  assert.equal(matchId(routes, req({ host: 'apixy.io' })), 'pre');
  assert.equal(matchId(routes, req({ host: 'apiy.io' })), null);
});

test('one route listing several hosts of each kind', () => {
  const routes = [route('multi', { hosts: ['a.test', '*.b.test', 'c.*'], paths: ['/p'] })];
  for (const host of ['a.test', 'x.b.test', 'c.org'])
    assert.equal(matchId(routes, req({ host, path: '/p' })), 'multi', host);
  assert.equal(matchId(routes, req({ host: 'b.test', path: '/p' })), null);
});

test('large host bucket (many paths on one host) uses the hashed path index', () => {
  const routes = Array.from({ length: 50 }, (_, i) =>
    route(`p${i}`, { hosts: ['one.test'], paths: [`/svc${i}`], order: i }),
  );
  routes.push(route('root', { hosts: ['one.test'], paths: ['/'] }));
  const r = compileRouter(routes);
  const out = result();
  r.match(req({ host: 'one.test', path: '/svc42/x' }), out);
  assert.equal(out.route, 'p42');
  assert.equal(out.matchLength, 6);
  r.match(req({ host: 'one.test', path: '/svc4/x' }), out);
  assert.equal(out.route, 'p4');
  r.match(req({ host: 'one.test', path: '/other' }), out);
  assert.equal(out.route, 'root');
});
