// gRPC through the gateway: services with protocol grpc (h2c) and grpcs (h2 over TLS) reached
// over one shared HTTP/2 session per endpoint; trailers (grpc-status, grpc-message, metadata)
// carried back; gateway-made errors answered in gRPC form. These calls are made by hand over
// HTTP/1.1 (a gRPC message framed on the wire, trailers as chunked trailers), which proves
// the upstream bridge on its own.

import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { gateway, onCleanup } from '../helpers/scope.js';
import { frameRequest, parseReplies, startEchoServer, type EchoServer } from '../helpers/grpc.js';

interface H1Result {
  status: number;
  headers: http.IncomingHttpHeaders;
  trailers: NodeJS.Dict<string>;
  body: Buffer;
}

/** A gRPC call over HTTP/1.1: POST with the framed messages, each in its own write (chunked). */
function h1Call(port: number, path: string, messages: Buffer[], headers: Record<string, string> = {}, gapMs = 0): Promise<H1Result> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/grpc', te: 'trailers', ...headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, trailers: res.trailers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    void (async () => {
      for (const m of messages) {
        req.write(m);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
      req.end();
    })();
  });
}

async function echo(tlsPair?: { cert: string; key: string }): Promise<EchoServer> {
  const s = await startEchoServer(tlsPair);
  onCleanup(() => s.close());
  return s;
}

test('grpc services over HTTP/1.1 clients: unary, server and client streaming, trailers and metadata kept', async () => {
  const up = await echo();
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [{ name: 'echo', protocol: 'grpc', host: '127.0.0.1', port: up.port, routes: [{ name: 'echo', protocols: ['grpc'], paths: ['/turnpike.test.Echo/'] }] }],
    }),
  });

  const unary = await h1Call(gw.proxyPort, '/turnpike.test.Echo/Unary', [frameRequest({ text: 'hello' })], { 'x-client-md': 'abc' });
  assert.equal(unary.status, 200);
  assert.match(String(unary.headers['content-type']), /^application\/grpc/);
  assert.equal(unary.headers['x-echo-header'], 'from-server');
  assert.equal(unary.headers['transfer-encoding'], 'chunked');
  assert.equal(unary.trailers['grpc-status'], '0', JSON.stringify(unary.trailers));
  assert.equal(unary.trailers['x-echo-trailer'], 'done');
  const [reply] = parseReplies(unary.body);
  assert.equal(reply.text, 'hello');
  assert.ok(reply.metadata.includes('x-client-md=abc'), reply.metadata.join(' '));
  assert.ok(reply.metadata.includes('x-forwarded-proto=http'), 'the usual proxy headers go upstream as metadata');

  const ss = await h1Call(gw.proxyPort, '/turnpike.test.Echo/ServerStream', [frameRequest({ text: 'tick', count: 5 })]);
  assert.equal(ss.trailers['grpc-status'], '0');
  assert.deepEqual(parseReplies(ss.body).map((r) => r.text), ['tick-0', 'tick-1', 'tick-2', 'tick-3', 'tick-4']);

  const cs = await h1Call(gw.proxyPort, '/turnpike.test.Echo/ClientStream', ['a', 'b', 'c'].map((text) => frameRequest({ text })), {}, 20);
  assert.equal(cs.trailers['grpc-status'], '0');
  const [joined] = parseReplies(cs.body);
  assert.equal(joined.text, 'a,b,c');
  assert.equal(joined.index, 3);

  // A failing call: the upstream's status, message (percent-encoded) and trailing metadata.
  const fail = await h1Call(gw.proxyPort, '/turnpike.test.Echo/Fail', [frameRequest({ text: 'no such thing: ü 100%', count: grpc.status.NOT_FOUND })]);
  assert.equal(fail.status, 200);
  const st = fail.trailers['grpc-status'] ?? fail.headers['grpc-status'];
  assert.equal(st, String(grpc.status.NOT_FOUND));
  const msg = fail.trailers['grpc-message'] ?? fail.headers['grpc-message'];
  assert.equal(decodeURIComponent(String(msg)), 'no such thing: ü 100%');
  const failReason = fail.trailers['x-fail-reason'] ?? fail.headers['x-fail-reason'];
  assert.equal(failReason, 'asked to fail');
  assert.deepEqual(up.calls, ['Unary', 'ServerStream', 'ClientStream', 'Fail']);

  // One HTTP/2 session served every call.
  const metrics = await gw.metrics();
  assert.match(metrics, new RegExp(`turnpike_upstream_connections\\{endpoint="h2:127\\.0\\.0\\.1:${up.port}",state="open"\\} 1\n`));
});
