// grpc-gateway with a .proto that is not there (or no `proto` at all, Kong's default): the
// configuration loads with a warning, requests answer 500 with an error log line naming the
// file, and once the file appears the next request uses it. A file that is there but broken
// still refuses the configuration.

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tmpDir } from '../../../helpers/gateway.js';
import grpcGateway from '../../../../src/plugins/bundled/grpc-gateway/index.js';
import { ProtoState } from '../../../../src/plugins/bundled/grpc-gateway/proto-state.js';
import { configure, Exchange, run } from '../bundled/context.js';

const USERS_PROTO = path.join(ROOT, 'test', 'fixtures', 'grpc', 'users.proto');

async function get(conf: unknown, p = '/v1/users/u1'): Promise<Exchange> {
  const ex = new Exchange({ method: 'GET', path: p });
  await run(grpcGateway, 'access', ex, conf);
  return ex;
}

test('a missing proto: a load warning naming the file, 500 and an error log until it appears, then transcoding', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'users.proto');
  const warnings: string[] = [];
  const conf = configure(grpcGateway, { proto: file }, warnings);
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0]!,
    new RegExp(`^proto: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not exist; requests on it answer 500`),
  );

  const first = await get(conf);
  assert.equal(first.answer?.status, 500);
  assert.deepEqual(
    first.answer?.body,
    { message: 'An unexpected error occurred' },
    'the client is not told about files',
  );
  assert.equal(first.logs.length, 1);
  assert.equal(first.logs[0]!.level, 'error');
  assert.match(
    first.logs[0]!.msg,
    /grpc-gateway \(route 'route-1'\): cannot transcode, answering 500: the proto file .*users\.proto \(config\.proto ".*users\.proto"\) does not exist/,
  );
  assert.equal(first.upstreamPath, '/v1/users/u1', 'nothing was rewritten');

  // Further failures within the log interval are counted, not logged again.
  const second = await get(conf);
  assert.equal(second.answer?.status, 500);
  assert.equal(second.logs.length, 0);

  // OPTIONS is answered as before, proto or not (as in Kong).
  const pre = new Exchange({ method: 'OPTIONS', path: '/v1/users' });
  await run(grpcGateway, 'access', pre, conf);
  assert.equal(pre.answer?.status, 200);

  fs.copyFileSync(USERS_PROTO, file);
  const ok = await get(conf);
  assert.equal(ok.answer, null, 'not answered by the plugin');
  assert.equal(ok.upstreamPath, '/demo.v1.Users/GetUser');
  assert.equal(ok.upstreamMethod, 'POST');
  assert.ok(ok.body.length >= 5, 'the body is the framed request message');
  // Loaded once: removing the file now changes nothing for this configuration.
  fs.rmSync(file);
  assert.equal((await get(conf)).upstreamPath, '/demo.v1.Users/GetUser');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a file that appears broken: 500 with the parse error; fixed, it is used (a changed file is read again)', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'users.proto');
  const state = new ProtoState(file, null);
  fs.writeFileSync(file, 'syntax = "proto3"; service {');
  const broken = state.lookup(1000);
  assert.equal(broken.ok, false);
  assert.match(
    broken.ok ? '' : broken.message,
    /the proto file .*users\.proto cannot be used: grpc-gateway: cannot load the proto file/,
  );
  assert.notEqual(broken.ok ? null : broken.log, null);
  // Within 10 s: no new log line; after: one line that counts the requests in between.
  const again = state.lookup(2000);
  assert.equal(again.ok ? 'ok' : again.log, null);
  const later = state.lookup(12_000);
  assert.match(
    later.ok ? '' : (later.log ?? ''),
    /\(1 more requests answered 500 for this since the last such line\)$/,
  );
  fs.writeFileSync(file, fs.readFileSync(USERS_PROTO, 'utf8'));
  const fixed = state.lookup(12_500);
  assert.equal(fixed.ok, true);
  assert.ok(fixed.ok && fixed.bindings.length > 0);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("proto null (Kong's default) loads with a warning and answers 500; a broken file that is there refuses the configuration", async () => {
  const warnings: string[] = [];
  const conf = configure(grpcGateway, { proto: null }, warnings);
  assert.deepEqual(warnings, [
    "proto: no .proto file is configured (Kong's default, null); every request on it answers 500 until one is set",
  ]);
  const ex = await get(conf);
  assert.equal(ex.answer?.status, 500);
  assert.match(ex.logs[0]!.msg, /no \.proto file is configured \(config\.proto is null\)/);
  const none: string[] = [];
  configure(grpcGateway, {}, none);
  assert.equal(none.length, 1, 'left out, proto defaults to null');

  const dir = tmpDir();
  const bad = path.join(dir, 'bad.proto');
  fs.writeFileSync(bad, 'this is not a proto file');
  assert.throws(() => configure(grpcGateway, { proto: bad }), /proto: grpc-gateway: cannot load the proto file/);
  fs.rmSync(dir, { recursive: true, force: true });
});
