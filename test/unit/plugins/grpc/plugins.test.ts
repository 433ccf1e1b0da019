// The two plugins' names, priorities and fields (Kong's), and their configuration errors.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import grpcWeb from '../../../../src/plugins/bundled/grpc-web/index.js';
import grpcGateway from '../../../../src/plugins/bundled/grpc-gateway/index.js';
import { bundled } from '../../../../src/plugins/bundled/index.js';
import { configure, defaults } from '../bundled/context.js';
import { ROOT } from '../../../helpers/gateway.js';

const USERS = path.join(ROOT, 'test', 'fixtures', 'grpc', 'users.proto');

test('grpc-web and grpc-gateway: Kong names, priorities and defaults; bundled', () => {
  assert.equal(grpcWeb.priority, 3);
  assert.equal(grpcGateway.priority, 998);
  assert.deepEqual(defaults(grpcWeb), { proto: null, pass_stripped_path: null, allow_origin_header: '*' });
  assert.ok(bundled.includes(grpcWeb) && bundled.includes(grpcGateway));
});

test('grpc-gateway: no proto or a missing file loads with a warning (see gateway-missing-proto.test.ts); an unannotated file refuses the configuration, naming it', () => {
  const warnings: string[] = [];
  assert.doesNotThrow(() => configure(grpcGateway, {}, warnings));
  assert.doesNotThrow(() => configure(grpcGateway, { proto: '/nonexistent/x.proto' }, warnings));
  assert.equal(warnings.length, 2);
  assert.match(warnings[1]!, /^proto: \/nonexistent\/x\.proto does not exist/);
  assert.throws(
    () => configure(grpcGateway, { proto: path.join(ROOT, 'test', 'fixtures', 'echo.proto') }),
    (e: Error & { field?: string }) =>
      e.field === 'proto' && /has no method with an option \(google\.api\.http\)/.test(e.message),
  );
  assert.doesNotThrow(() => configure(grpcGateway, { proto: USERS }));
});

test('grpc-web: a proto is optional (needed for +json); a bad one refuses the configuration', () => {
  assert.doesNotThrow(() => configure(grpcWeb, {}));
  assert.throws(() => configure(grpcWeb, { proto: '/nonexistent/y.proto' }), /grpc-web: cannot load the proto file/);
  assert.throws(() => configure(grpcWeb, { allow_origin: '*' }), /schema/);
});
