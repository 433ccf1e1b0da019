// Pieces of the gRPC path that have exact answers: grpc-message encoding, the HTTP → gRPC
// status map, the HTTP/1.1 → HTTP/2 request head translation, the health response decoder.

import test from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeGrpcMessage,
  grpcErrorResponse,
  grpcStatusFor,
  isGrpcContentType,
} from '../../../src/engine/grpc/errors.js';
import { trailersFromLines } from '../../../src/engine/upstream-h2/request.js';
import { parseRequestHead, RequestHead } from '../../../src/engine/http1/request-head.js';
import {
  buildUpstreamH2Head,
  type UpstreamHeadSource,
  type UpstreamTarget,
} from '../../../src/engine/proxy/upstream-head.js';
import type { Downstream } from '../../../src/engine/proxy/downstream.js';
import type { WorkerContext } from '../../../src/engine/context.js';
import { servingStatus } from '../../../src/upstream/health/grpc-probe.js';

test('grpc-message is percent-encoded UTF-8 outside printable ASCII, and % itself', () => {
  assert.equal(encodeGrpcMessage('plain text: ok (1/2)'), 'plain text: ok (1/2)');
  assert.equal(encodeGrpcMessage('100%'), '100%25');
  assert.equal(encodeGrpcMessage('ü\n'), '%C3%BC%0A');
  assert.equal(decodeURIComponent(encodeGrpcMessage('naïve 日本 %')), 'naïve 日本 %');
});

test('gateway statuses map to gRPC codes; anything else is UNKNOWN', () => {
  const map: [number, number][] = [
    [404, 12],
    [401, 16],
    [403, 7],
    [429, 8],
    [502, 14],
    [503, 14],
    [504, 4],
    [500, 13],
    [413, 2],
    [400, 2],
    [415, 2],
  ];
  for (const [http, code] of map) assert.equal(grpcStatusFor(http), code, String(http));
  assert.ok(isGrpcContentType('application/grpc'));
  assert.ok(isGrpcContentType('Application/GRPC+proto'));
  assert.ok(isGrpcContentType('application/grpc-web-text'));
  assert.ok(!isGrpcContentType('application/json'));
  assert.ok(!isGrpcContentType(undefined));
  const r = grpcErrorResponse(401, 'No API key found in request', 'application/grpc', 'turnpike/0', false);
  assert.match(
    r,
    /^HTTP\/1\.1 200 OK\r\nContent-Type: application\/grpc\r\ngrpc-status: 16\r\ngrpc-message: No API key found in request\r\nContent-Length: 0\r\n/,
  );
  assert.ok(r.endsWith('\r\n\r\n'));
});

/** The request as the exchange holds it (a parsed client head), for the HTTP/2 head builder. */
function source(text: string): UpstreamHeadSource {
  const head = new RequestHead();
  const buf = Buffer.from(text + '\r\n\r\n', 'latin1');
  assert.equal(parseRequestHead(buf, 0, buf.length, 65536, head), buf.length);
  return {
    head,
    conn: { trusted: false, clientIp: '10.0.0.1', listener: { scheme: 'http', port: 8000 } } as Downstream,
    ctx: { serverToken: 'turnpike/0' } as WorkerContext,
    matchLength: 1,
    upstreamPath: null,
    upstreamQuery: null,
    hostOverride: 'up:50051',
    methodOverride: null,
    run: null,
    sentUri: null,
  };
}

// Path as routed (strip_path off, service path none), host overridden: the target's other fields are not read.
const TARGET = {
  route: { stripPath: false, pathHandling: 'v0' },
  service: { path: null },
  endpoint: {},
} as unknown as UpstreamTarget;

test("the request's head becomes HTTP/2 headers without connection-specific fields", () => {
  const head =
    'POST /pkg.Svc/Do HTTP/1.1\r\nHost: up:50051\r\nContent-Type: application/grpc\r\nTE: trailers\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\nX-Multi: a\r\nX-Multi: b\r\nGrpc-Timeout: 1S';
  const r = buildUpstreamH2Head(source(head), TARGET, -1, 'http');
  assert.equal(r.chunked, true);
  assert.equal(r.http10, false);
  assert.deepEqual(r.headers, {
    ':method': 'POST',
    ':path': '/pkg.Svc/Do',
    ':scheme': 'http',
    ':authority': 'up:50051',
    'content-type': 'application/grpc',
    'x-multi': ['a', 'b'],
    'grpc-timeout': '1S',
    te: 'trailers',
    // The gateway's forwarding fields, as on an HTTP/1.1 upstream.
    'x-real-ip': '10.0.0.1',
    'x-forwarded-for': '10.0.0.1',
    'x-forwarded-proto': 'http',
    'x-forwarded-host': 'up',
    'x-forwarded-port': '8000',
    'x-forwarded-path': '/pkg.Svc/Do',
    via: '1.1 turnpike/0',
  });
  assert.equal(buildUpstreamH2Head(source('GET / HTTP/1.0\r\nHost: x'), TARGET, -1, 'https').http10, true);
  assert.deepEqual(trailersFromLines('grpc-status: 0\nX-T: 1\nx-t: 2\n'), { 'grpc-status': '0', 'x-t': ['1', '2'] });
});

test('HealthCheckResponse status is read from the framed message', () => {
  const frame = (msg: number[]): Buffer => Buffer.concat([Buffer.from([0, 0, 0, 0, msg.length]), Buffer.from(msg)]);
  assert.equal(servingStatus(frame([0x08, 0x01])), 1);
  assert.equal(servingStatus(frame([0x08, 0x02])), 2);
  assert.equal(servingStatus(frame([])), 0, 'absent: UNKNOWN');
  assert.equal(
    servingStatus(frame([0x12, 0x02, 0x41, 0x42, 0x08, 0x01])),
    1,
    'an unknown length-delimited field is skipped',
  );
  assert.equal(servingStatus(Buffer.from([1, 0, 0, 0, 0])), -1, 'compressed: not understood');
});
