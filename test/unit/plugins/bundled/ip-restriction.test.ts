import { test } from 'node:test';
import assert from 'node:assert/strict';
import plugin from '../../../../src/plugins/bundled/ip-restriction/index.js';
import { configure, defaults, Exchange, run } from './context.js';

async function from(ip: string, conf: unknown) {
  const ex = new Exchange({ clientIp: ip });
  await run(plugin, 'access', ex, conf);
  return ex.answer;
}

test('ip-restriction: Kong priority and defaults', () => {
  assert.equal(plugin.priority, 990);
  assert.deepEqual(defaults(plugin, { allow: ['10.0.0.1'] }), {
    allow: ['10.0.0.1'],
    deny: null,
    status: null,
    message: null,
  });
});

test('ip-restriction: allow list with IPv4 and IPv6 CIDRs and single addresses', async () => {
  const conf = configure(plugin, { allow: ['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1'] });
  for (const ip of ['10.1.2.3', '192.168.1.7', '2001:db8:ffff::1', '::1', '::ffff:10.9.9.9'])
    assert.equal(await from(ip, conf), null, ip);
  assert.deepEqual(await from('11.0.0.1', conf), {
    status: 403,
    body: { message: 'IP address not allowed: 11.0.0.1' },
    headers: {},
  });
  assert.equal((await from('192.168.1.8', conf))?.status, 403);
  assert.equal((await from('2001:db9::1', conf))?.status, 403);
  assert.equal((await from('::ffff:11.0.0.1', conf))?.body && true, true);
});

test('ip-restriction: deny list, and deny wins over allow', async () => {
  const conf = configure(plugin, { deny: ['203.0.113.0/24'] });
  assert.equal(await from('198.51.100.1', conf), null);
  assert.equal((await from('203.0.113.77', conf))?.status, 403);
  const both = configure(plugin, { allow: ['10.0.0.0/8'], deny: ['10.0.0.5'] });
  assert.equal(await from('10.0.0.4', both), null);
  assert.equal((await from('10.0.0.5', both))?.status, 403);
});

test('ip-restriction: a CIDR written with host bits set covers its whole network', async () => {
  const conf = configure(plugin, { allow: ['10.1.2.3/16'] });
  assert.equal(await from('10.1.200.200', conf), null);
  assert.equal((await from('10.2.0.1', conf))?.status, 403);
});

test('ip-restriction: custom status and message', async () => {
  const conf = configure(plugin, { deny: ['0.0.0.0/0'], status: 401, message: 'Go away' });
  assert.deepEqual(await from('1.2.3.4', conf), { status: 401, body: { message: 'Go away' }, headers: {} });
});

test('ip-restriction: a client without an IP address is refused', async () => {
  const conf = configure(plugin, { deny: ['10.0.0.1'] });
  assert.deepEqual((await from('', conf))?.body, {
    message: 'Cannot identify the client IP address, unix domain sockets are not supported.',
  });
});

test('ip-restriction: bad config names the entry', () => {
  assert.throws(
    () => configure(plugin, {}),
    /at least one of these fields must be non-empty: 'config.allow', 'config.deny'/,
  );
  assert.throws(() => configure(plugin, { allow: [] }), /at least one of these fields/);
  assert.throws(
    () => configure(plugin, { allow: ['10.0.0.0/8', '10.0.0.300'] }),
    /allow\.1: invalid ip or cidr range: '10\.0\.0\.300'/,
  );
  assert.throws(() => configure(plugin, { deny: ['10.0.0.0/33'] }), /deny\.0: invalid ip or cidr range/);
  assert.throws(() => configure(plugin, { deny: ['2001:db8::/129'] }), /deny\.0: invalid ip or cidr range/);
  assert.throws(() => configure(plugin, { deny: ['10.0.0.0/'] }), /deny\.0/);
  assert.throws(() => configure(plugin, { deny: ['example.com'] }), /deny\.0/);
  assert.throws(() => configure(plugin, { deny: ['10.0.0.1'], status: 'x' }), /schema: \/status/);
});
