// Hybrid mode without processes: the frame reader, the reconnect pauses, the cluster settings
// and what each role needs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encode,
  FrameReader,
  MAX_FRAME,
  ProtocolError,
  asControlPlaneMessage,
  asDataPlaneMessage,
} from '../../../src/control/cluster/protocol.js';
import { reconnectDelay } from '../../../src/control/cluster/client.js';
import { resolveSettings, SettingsError } from '../../../src/settings/index.js';
import { checkHybridRole } from '../../../src/control/cluster/role.js';
import { makeCa } from '../../helpers/certs.js';

test('frames: split anywhere, several in one chunk, all come out in order', () => {
  const msgs = [
    { t: 'config', version: 1, hash: 'h1', config: '{"_format_version":"3.0","x":"' + 'é'.repeat(3000) + '"}' },
    { t: 'pong' },
    { t: 'config', version: 2, hash: 'h2', config: '{}' },
  ] as const;
  const bytes = Buffer.concat(msgs.map((m) => encode(m)));
  for (const step of [1, 3, 7, 1000, bytes.length]) {
    const r = new FrameReader();
    const out: unknown[] = [];
    for (let i = 0; i < bytes.length; i += step) out.push(...r.push(bytes.subarray(i, i + step)));
    assert.deepEqual(out, msgs, `chunks of ${step}`);
  }
});

test('frames: a large frame in many small chunks comes out whole', () => {
  const big = encode({ t: 'config', version: 1, hash: 'h', config: 'x'.repeat(8 * 1024 * 1024) });
  const r = new FrameReader();
  let out: unknown[] = [];
  for (let i = 0; i < big.length; i += 16 * 1024) out = out.concat(r.push(big.subarray(i, i + 16 * 1024)));
  assert.equal(out.length, 1);
  assert.equal((out[0] as { config: string }).config.length, 8 * 1024 * 1024);
});

test('frames: an oversized length, bad JSON or a message without a type are protocol errors', () => {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(MAX_FRAME + 1);
  assert.throws(() => new FrameReader().push(head), ProtocolError);
  const bad = Buffer.from('{nope');
  const h2 = Buffer.alloc(4);
  h2.writeUInt32BE(bad.length);
  assert.throws(() => new FrameReader().push(Buffer.concat([h2, bad])), ProtocolError);
  const untyped = Buffer.from('[1]');
  const h3 = Buffer.alloc(4);
  h3.writeUInt32BE(untyped.length);
  assert.throws(() => new FrameReader().push(Buffer.concat([h3, untyped])), ProtocolError);
});

test("messages: each side accepts only the other side's well-formed messages", () => {
  assert.notEqual(
    asDataPlaneMessage({ t: 'hello', node_id: 'n', hostname: 'h', version: '1', config_hash: null }),
    null,
  );
  assert.equal(asDataPlaneMessage({ t: 'hello', node_id: 1, hostname: 'h', version: '1', config_hash: null }), null);
  assert.equal(asDataPlaneMessage({ t: 'nack', hash: 'h' }), null);
  assert.equal(asDataPlaneMessage({ t: 'config', version: 1, hash: 'h', config: '{}' }), null);
  assert.notEqual(asControlPlaneMessage({ t: 'config', version: 1, hash: 'h', config: '{}' }), null);
  assert.equal(asControlPlaneMessage({ t: 'config', version: '1', hash: 'h', config: '{}' }), null);
  assert.equal(asControlPlaneMessage({ t: 'ack', hash: 'h' }), null);
});

test('reconnect pauses: full jitter under a ceiling that doubles from 0.5 s up to the maximum', () => {
  assert.equal(
    reconnectDelay(0, 30_000, () => 0.999),
    499,
  );
  assert.equal(
    reconnectDelay(3, 30_000, () => 0.999),
    3996,
  );
  assert.equal(
    reconnectDelay(20, 30_000, () => 0.999),
    29_970,
  );
  assert.equal(
    reconnectDelay(1000, 2_000, () => 0.5),
    1000,
  );
  assert.equal(
    reconnectDelay(5, 30_000, () => 0),
    0,
  );
});

test("cluster settings: Kong's names and defaults; bad values refused with the setting named", () => {
  const s = resolveSettings({
    role: 'data_plane',
    cluster_control_plane: 'cp.internal:8005',
    cluster_cert: 'c.crt',
    cluster_cert_key: 'c.key',
  });
  assert.equal(s.database, 'off', 'a data plane has no database by default');
  assert.deepEqual(s.cluster.controlPlane, { host: 'cp.internal', port: 8005 });
  assert.equal(s.cluster.mtls, 'shared');
  assert.equal(s.cluster.pingIntervalMs, 10_000);
  assert.equal(s.cluster.maxReconnectDelayMs, 30_000);
  assert.deepEqual(
    s.cluster.listen.map((a) => a.spec),
    ['0.0.0.0:8005'],
  );
  assert.deepEqual(resolveSettings({ cluster_control_plane: '[::1]:9005' }).cluster.controlPlane, {
    host: '::1',
    port: 9005,
  });
  assert.equal(resolveSettings({ cluster_ping_interval: '0.5' }).cluster.pingIntervalMs, 500);
  assert.throws(
    () => resolveSettings({ cluster_control_plane: 'cp.internal' }),
    (e: Error) => e instanceof SettingsError && /cluster_control_plane/.test(e.message),
  );
  assert.throws(
    () => resolveSettings({ cluster_mtls: 'none' }),
    (e: Error) => e instanceof SettingsError && /cluster_mtls/.test(e.message),
  );
  assert.throws(
    () => resolveSettings({ cluster_listen: '0.0.0.0:8005 ssl' }),
    (e: Error) => e instanceof SettingsError && /cluster_listen/.test(e.message),
  );
  assert.throws(
    () => resolveSettings({ cluster_ping_interval: '0' }),
    (e: Error) => e instanceof SettingsError && /cluster_ping_interval/.test(e.message),
  );
});

test('roles: what each role needs is checked before anything starts, with a message saying what to change', async () => {
  const pair = await makeCa('cluster');
  const cert = { cluster_cert: pair.cert, cluster_cert_key: pair.key };
  const refused = (raw: Record<string, string>, re: RegExp) =>
    assert.throws(() => checkHybridRole(resolveSettings(raw)), re);
  assert.equal(checkHybridRole(resolveSettings({ declarative_config: 'kong.yml' })), null);
  refused({ role: 'control_plane', declarative_config: 'kong.yml', ...cert }, /control plane runs on a database/);
  refused({ role: 'control_plane', database: 'off', ...cert }, /needs a database/);
  refused({ role: 'control_plane', cluster_listen: 'off', ...cert }, /cluster_listen is "off"/);
  refused(
    { role: 'data_plane', declarative_config: 'kong.yml', ...cert },
    /takes its configuration from the control plane/,
  );
  refused(
    { role: 'data_plane', database: 'sqlite', cluster_control_plane: 'cp:8005', ...cert },
    /database must be "off"/,
  );
  refused({ role: 'data_plane', ...cert }, /needs cluster_control_plane/);
  refused({ role: 'data_plane', cluster_control_plane: 'cp:8005' }, /cluster_cert is not set/);
  refused({ role: 'data_plane', cluster_control_plane: 'cp:8005', ...cert, cluster_mtls: 'pki' }, /cluster_ca_cert/);
  refused(
    { role: 'data_plane', cluster_control_plane: 'cp:8005', cluster_cert: pair.key, cluster_cert_key: pair.key },
    /cluster_cert: not a PEM certificate/,
  );
  const t = checkHybridRole(resolveSettings({ role: 'data_plane', cluster_control_plane: 'cp:8005', ...cert }));
  assert.equal(t?.mode, 'shared');
  assert.match(t?.fingerprint ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.notEqual(
    checkHybridRole(resolveSettings({ role: 'control_plane', ...cert, prefix: '/tmp/turnpike-unit-cp' })),
    null,
  );
});
