import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouter } from '../../../src/router/compile.js';
import type { RouteSpec } from '../../../src/router/types.js';
import { req, result, route } from './helpers.js';

function winner(routes: RouteSpec<string>[], input = req()): string | null {
  const out = result();
  compileRouter(routes).match(input, out);
  return out.route;
}

test('more matching categories win, whatever the path length', () => {
  const routes = [
    route('long-path', { paths: ['/very/long/prefix'] }),
    route('host+short', { hosts: ['example.com'], paths: ['/'] }),
  ];
  assert.equal(winner(routes, req({ path: '/very/long/prefix/x' })), 'host+short');
});

test('methods count as a category', () => {
  const routes = [route('path', { paths: ['/a/b'] }), route('path+method', { paths: ['/a'], methods: ['GET'] })];
  assert.equal(winner(routes, req({ path: '/a/b' })), 'path+method');
});

test('same weight: plain hosts beat wildcard hosts, even with a longer path', () => {
  const routes = [
    route('wild', { hosts: ['*.example.com'], paths: ['/long/path'] }),
    route('plain', { hosts: ['api.example.com'], paths: ['/'] }),
  ];
  assert.equal(winner(routes, req({ host: 'api.example.com', path: '/long/path' })), 'plain');
});

test('a route with one wildcard host is not plain, even when matched by its exact host', () => {
  const routes = [
    route('mixed', { hosts: ['api.example.com', '*.other.com'], paths: ['/long/path'] }),
    route('plain', { hosts: ['api.example.com'], paths: ['/'] }),
  ];
  assert.equal(winner(routes, req({ host: 'api.example.com', path: '/long/path' })), 'plain');
});

test('same weight and host kind: more header names win', () => {
  const routes = [
    route('one', { headers: { a: ['1'] }, paths: ['/x/y'] }),
    route('two', { headers: { a: ['1'], b: ['2'] }, paths: ['/x'] }),
  ];
  assert.equal(winner(routes, req({ path: '/x/y', headers: { a: '1', b: '2' } })), 'two');
});

test('regex paths beat prefix paths of the same weight, even a longer prefix', () => {
  const routes = [route('prefix', { paths: ['/api/account'] }), route('regex', { paths: ['~/api/.*'] })];
  assert.equal(winner(routes, req({ path: '/api/account/all' })), 'regex');
});

test('but a prefix route with more categories beats a regex route', () => {
  const routes = [
    route('regex', { paths: ['~/api/.*'] }),
    route('prefix+host', { paths: ['/api'], hosts: ['example.com'] }),
  ];
  assert.equal(winner(routes, req({ path: '/api/x' })), 'prefix+host');
});

test('regex paths: higher regex_priority first, then creation order', () => {
  const routes = [
    route('first', { paths: ['~/a/.*'], order: 1 }),
    route('second', { paths: ['~/a/b.*'], order: 2 }),
    route('prio', { paths: ['~/a/.+'], regex_priority: 5, order: 3 }),
  ];
  assert.equal(winner(routes, req({ path: '/a/b' })), 'prio');
  assert.equal(winner(routes.slice(0, 2), req({ path: '/a/b' })), 'first');
});

test('regex_priority does not reorder prefix paths', () => {
  const routes = [route('root', { paths: ['/'], regex_priority: 100 }), route('v1', { paths: ['/v1'] })];
  assert.equal(winner(routes, req({ path: '/v1/x' })), 'v1');
});

test('equal priority: lower order (older route) wins regardless of array position', () => {
  const routes = [route('newer', { paths: ['/same'], order: 9 }), route('older', { paths: ['/same'], order: 2 })];
  assert.equal(winner(routes, req({ path: '/same' })), 'older');
});

test('no-host route competes with host routes by rank, not bucket', () => {
  const routes = [
    route('host-only', { hosts: ['example.com'] }),
    route('path+method', { paths: ['/x'], methods: ['GET'] }),
  ];
  // weight 2 (no host) beats weight 1 (host)
  assert.equal(winner(routes, req({ path: '/x' })), 'path+method');
});

test('regex with a failing method does not block a prefix route', () => {
  const routes = [
    route('regex-post', { paths: ['~/x'], methods: ['POST'] }),
    route('prefix-get', { paths: ['/x'], methods: ['GET'] }),
  ];
  assert.equal(winner(routes, req({ path: '/x', method: 'GET' })), 'prefix-get');
  assert.equal(winner(routes, req({ path: '/x', method: 'POST' })), 'regex-post');
});
