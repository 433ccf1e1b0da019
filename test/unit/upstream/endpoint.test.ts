import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEndpoint, parseTarget, endpointFromTarget } from '../../../src/upstream/endpoint.js';

test('parseTarget: hostnames, IPv4, IPv6, default port 8000', () => {
  assert.deepEqual(parseTarget('example.com'), { host: 'example.com', port: 8000 });
  assert.deepEqual(parseTarget('example.com:8080'), { host: 'example.com', port: 8080 });
  assert.deepEqual(parseTarget('my_svc.internal.'), { host: 'my_svc.internal.', port: 8000 });
  assert.deepEqual(parseTarget('10.0.0.1'), { host: '10.0.0.1', port: 8000 });
  assert.deepEqual(parseTarget('10.0.0.1:1'), { host: '10.0.0.1', port: 1 });
  assert.deepEqual(parseTarget('[::1]:8080'), { host: '::1', port: 8080 });
  assert.deepEqual(parseTarget('[2001:db8::7]'), { host: '2001:db8::7', port: 8000 });
  assert.deepEqual(parseTarget('::1'), { host: '::1', port: 8000 });
});

test('parseTarget: clear errors on bad targets', () => {
  for (const bad of [
    '',
    'host:',
    'host:0',
    'host:65536',
    'host:abc',
    ':80',
    '[::1',
    '[::1]x',
    '[nope]:80',
    '::1:80:zz',
    '300.1.1.1',
    'bad host',
    '-a.com',
    'a..b',
    ' a.com',
  ]) {
    assert.throws(
      () => parseTarget(bad),
      (e: unknown) => e instanceof Error && /invalid target/.test(e.message),
      bad,
    );
  }
});

test('createEndpoint: key, defaults, IPv6 brackets', () => {
  const ep = createEndpoint('::1', 8080, 100);
  assert.equal(ep.key, '[::1]:8080');
  assert.equal(ep.healthy, true);
  assert.equal(ep.inflight, 0);
  assert.equal(ep.ewmaStamp, 0);
  assert.equal(endpointFromTarget('a.b:81', 5).key, 'a.b:81');
  assert.throws(() => createEndpoint('a', 80, -1), /weight/);
  assert.throws(() => createEndpoint('a', 0, 1), /port/);
});
