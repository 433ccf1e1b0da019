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

test('grpc-gateway: the proto is required; a missing or unannotated file refuses the configuration, naming it', () => {
  assert.throws(() => configure(grpcGateway, {}), /proto/);
  assert.throws(() => configure(grpcGateway, { proto: '/nonexistent/x.proto' }), (e: Error & { field?: string }) => e.field === 'proto' && /cannot load the proto file "\/nonexistent\/x\.proto"/.test(e.message));
  assert.throws(() => configure(grpcGateway, { proto: path.join(ROOT, 'test', 'fixtures', 'echo.proto') }), /has no method with an option \(google\.api\.http\)/);
  assert.doesNotThrow(() => configure(grpcGateway, { proto: USERS }));
});

test('grpc-web: a proto is optional (needed for +json); a bad one refuses the configuration', () => {
  assert.doesNotThrow(() => configure(grpcWeb, {}));
  assert.throws(() => configure(grpcWeb, { proto: '/nonexistent/y.proto' }), /grpc-web: cannot load the proto file/);
  assert.throws(() => configure(grpcWeb, { allow_origin: '*' }), /schema/);
});
