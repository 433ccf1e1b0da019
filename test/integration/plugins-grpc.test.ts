// The grpc-web and grpc-gateway plugins against real @grpc/grpc-js servers, through the
// gateway's upstream HTTP/2 bridge (services with protocol grpc). gRPC-Web calls are made by
// hand to the wire format (framed messages, base64 for -text, the trailer frame read back);
// REST calls are plain HTTP/1.1 with JSON.

import test, { before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, runCli, tmpDir } from '../helpers/gateway.js';
import {
  EchoClient,
  PROTO as ECHO_PROTO,
  frameRequest,
  parseReplies,
  startEchoServer,
  type EchoServer,
} from '../helpers/grpc.js';
import { startUsersServer, USERS_PROTO, type UsersServer } from '../helpers/grpc-users.js';
import {
  FrameReader,
  FLAG_TRAILER,
  parseTrailerBlock,
  encodeFrame,
} from '../../src/plugins/bundled/shared/grpc/framing.js';
import type { Gateway } from '../helpers/gateway.js';

interface Result {
  status: number;
  headers: http.IncomingHttpHeaders;
  trailers: NodeJS.Dict<string>;
  body: Buffer;
}

function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer | string,
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, trailers: res.trailers, body: Buffer.concat(parts) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A gRPC-Web response body: the data frames' payloads and the trailer frame's fields. */
function readWeb(body: Buffer): { messages: Buffer[]; trailers: Record<string, string | string[]> | null } {
  const frames = new FrameReader().push(body);
  const messages: Buffer[] = [];
  let trailers: Record<string, string | string[]> | null = null;
  let consumed = 0;
  for (const f of frames) {
    consumed += 5 + f.payload.length;
    if ((f.flag & FLAG_TRAILER) !== 0) {
      assert.equal(trailers, null, 'one trailer frame');
      trailers = parseTrailerBlock(f.payload);
    } else {
      assert.equal(trailers, null, 'the trailer frame comes last');
      messages.push(f.payload);
    }
  }
  assert.equal(consumed, body.length, 'the body is whole frames');
  return { messages, trailers };
}

let echo: EchoServer;
let users: UsersServer;
let gw: Gateway;
/** The gateway's h2c listener (proxy_listen "… http2"). */
let h2Port: number;

// Echo and users gRPC servers behind grpc services, with the two plugins on HTTP routes.
before(async () => {
  echo = await startEchoServer();
  onCleanup(() => echo.close());
  users = await startUsersServer();
  onCleanup(() => users.close());
  h2Port = await freePort();
  gw = await gateway({
    extraListen: `127.0.0.1:${h2Port} http2`,
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'echo',
          protocol: 'grpc',
          host: '127.0.0.1',
          port: echo.port,
          routes: [
            {
              name: 'web',
              protocols: ['http'],
              paths: ['/turnpike.test.Echo/'],
              plugins: [
                { name: 'grpc-web', config: { proto: ECHO_PROTO, allow_origin_header: 'https://app.example' } },
              ],
            },
            {
              name: 'web-prefixed',
              protocols: ['http'],
              paths: ['/web'],
              strip_path: true,
              plugins: [{ name: 'grpc-web', config: { pass_stripped_path: true } }],
            },
            {
              name: 'web-auth',
              protocols: ['http'],
              paths: ['/secure'],
              strip_path: true,
              plugins: [
                { name: 'grpc-web', config: { pass_stripped_path: true, allow_origin_header: 'https://app.example' } },
                { name: 'key-auth' },
              ],
            },
          ],
        },
        {
          name: 'users',
          protocol: 'grpc',
          host: '127.0.0.1',
          port: users.port,
          routes: [
            {
              name: 'rest',
              protocols: ['http'],
              paths: ['/v1/'],
              strip_path: false,
              plugins: [{ name: 'grpc-gateway', config: { proto: USERS_PROTO } }],
            },
          ],
        },
      ],
    }),
  });
});

const EchoReplyJson = (b: Buffer): unknown => JSON.parse(b.toString());

test('grpc-web binary: a unary call gets its message and a trailer frame with grpc-status and metadata', async () => {
  const res = await call(
    gw.proxyPort,
    'POST',
    '/turnpike.test.Echo/Unary',
    { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1', 'x-client-md': 'abc' },
    frameRequest({ text: 'hello' }),
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'application/grpc-web+proto');
  assert.equal(res.headers['access-control-allow-origin'], 'https://app.example');
  assert.match(String(res.headers['access-control-expose-headers']), /grpc-status,grpc-message/);
  assert.equal(res.headers['x-echo-header'], 'from-server', 'response metadata stays in the headers');
  assert.deepEqual(res.trailers, {}, 'no HTTP trailers: they moved into the body');
  const { messages, trailers } = readWeb(res.body);
  assert.equal(messages.length, 1);
  // The echo server reports the metadata it saw: the client's x- header went through.
  const [reply] = parseReplies(encodeFrame(0, messages[0]));
  assert.equal(reply.text, 'hello');
  assert.ok(reply.metadata.includes('x-client-md=abc'), reply.metadata.join());
  assert.equal(trailers!['grpc-status'], '0');
  assert.equal(trailers!['x-echo-trailer'], 'done');
  assert.ok(echo.calls.includes('Unary'));
});

test('grpc-web: a call a plugin refuses (key-auth) gets UNAUTHENTICATED in gRPC-Web form with the CORS headers a browser needs to read it', async () => {
  const res = await call(
    gw.proxyPort,
    'POST',
    '/secure/turnpike.test.Echo/Unary',
    { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1', origin: 'https://app.example' },
    frameRequest({ text: 'hello' }),
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers['grpc-status'], '16');
  assert.equal(res.headers['grpc-message'], 'No API key found in request');
  assert.equal(res.headers['content-type'], 'application/grpc-web+proto');
  assert.equal(res.headers['access-control-allow-origin'], 'https://app.example');
  assert.match(String(res.headers['access-control-expose-headers']), /grpc-status/);
  assert.equal(res.headers['www-authenticate'], 'Key', "the plugin's own header goes along");
  assert.equal(res.body.length, 0);
});

test('grpc-web text: a server-streaming call in two base64 segments, answered in base64', async () => {
  const frame = frameRequest({ text: 'tick', count: 3 });
  // Two separately padded segments, as some clients send them.
  const text = frame.subarray(0, 4).toString('base64') + frame.subarray(4).toString('base64');
  assert.ok(text.slice(0, -1).includes('='), 'padding inside the body');
  const res = await call(
    gw.proxyPort,
    'POST',
    '/turnpike.test.Echo/ServerStream',
    { 'content-type': 'application/grpc-web-text', accept: 'application/grpc-web-text' },
    text,
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'application/grpc-web-text');
  assert.match(res.body.toString('latin1'), /^[A-Za-z0-9+/]*={0,2}$/, 'the body is base64');
  const { messages, trailers } = readWeb(Buffer.from(res.body.toString('latin1'), 'base64'));
  const replies = parseReplies(Buffer.concat(messages.map((m) => encodeFrame(0, m))));
  assert.deepEqual(
    replies.map((r) => [r.text, r.index]),
    [
      ['tick-0', 0],
      ['tick-1', 1],
      ['tick-2', 2],
    ],
  );
  assert.equal(trailers!['grpc-status'], '0');
});

test('grpc-web: an error answered trailers-only keeps grpc-status in the headers', async () => {
  const res = await call(
    gw.proxyPort,
    'POST',
    '/turnpike.test.Echo/Fail',
    { 'content-type': 'application/grpc-web+proto' },
    frameRequest({ text: 'nope', count: 5 }),
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers['grpc-status'], '5');
  assert.equal(res.headers['grpc-message'], 'nope');
  assert.equal(res.headers['content-type'], 'application/grpc-web+proto');
  assert.equal(res.body.length, 0);
  // The same in text mode: nothing to base64.
  const t = await call(
    gw.proxyPort,
    'POST',
    '/turnpike.test.Echo/Fail',
    { 'content-type': 'application/grpc-web-text' },
    frameRequest({ text: 'nope', count: 7 }).toString('base64'),
  );
  assert.equal(t.headers['grpc-status'], '7');
  assert.equal(t.headers['content-type'], 'application/grpc-web-text');
  assert.equal(t.body.length, 0);
});

test('grpc-web +json: JSON messages encoded and decoded with the proto file', async () => {
  const res = await call(
    gw.proxyPort,
    'POST',
    '/turnpike.test.Echo/Unary',
    { 'content-type': 'application/grpc-web+json' },
    encodeFrame(0, Buffer.from('{"text":"from json"}')),
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'application/grpc-web+json');
  const { messages, trailers } = readWeb(res.body);
  const reply = EchoReplyJson(messages[0]) as { text: string; index: number; metadata: string[] };
  assert.equal(reply.text, 'from json');
  assert.equal(reply.index, 0, 'defaults are present in the JSON');
  assert.ok(reply.metadata.includes('x-forwarded-proto=http'), 'repeated fields decoded as arrays');
  assert.equal(trailers!['grpc-status'], '0');
  const bad = await call(
    gw.proxyPort,
    'POST',
    '/turnpike.test.Echo/Unary',
    { 'content-type': 'application/grpc-web+json' },
    encodeFrame(0, Buffer.from('{"txt":"x"}')),
  );
  // Refused in gRPC-Web form (trailers-only INVALID_ARGUMENT), readable cross-origin.
  assert.equal(bad.status, 200);
  assert.equal(bad.headers['grpc-status'], '3');
  assert.match(
    decodeURIComponent(String(bad.headers['grpc-message'])),
    /txt: unknown field of turnpike\.test\.EchoRequest/,
  );
  assert.equal(bad.headers['access-control-allow-origin'], 'https://app.example');
  // Bad base64 in text mode: the same.
  const b64 = await call(
    gw.proxyPort,
    'POST',
    '/turnpike.test.Echo/Unary',
    { 'content-type': 'application/grpc-web-text' },
    'AAAA*AAA',
  );
  assert.equal(b64.headers['grpc-status'], '3');
  assert.match(decodeURIComponent(String(b64.headers['grpc-message'])), /not base64/);
});

test('grpc-web: CORS preflight answered by the plugin; an unsupported content type is refused with the list', async () => {
  const pre = await call(gw.proxyPort, 'OPTIONS', '/turnpike.test.Echo/Unary', {
    origin: 'https://app.example',
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'content-type,x-grpc-web',
  });
  assert.equal(pre.status, 200);
  assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
  assert.equal(pre.headers['access-control-allow-methods'], 'POST');
  assert.equal(pre.headers['access-control-allow-headers'], 'content-type,x-grpc-web');
  assert.match(String(pre.headers['access-control-expose-headers']), /grpc-status/);
  const bad = await call(gw.proxyPort, 'POST', '/turnpike.test.Echo/Unary', { 'content-type': 'text/plain' }, 'hi');
  assert.equal(bad.status, 400);
  assert.match(bad.body.toString(), /unsupported Content-Type \\"text\/plain\\"; use one of application\/grpc-web/);
});

test('grpc-web pass_stripped_path: the route prefix is stripped before the call goes upstream', async () => {
  const res = await call(
    gw.proxyPort,
    'POST',
    '/web/turnpike.test.Echo/Unary',
    { 'content-type': 'application/grpc-web' },
    frameRequest({ text: 'stripped' }),
  );
  assert.equal(res.status, 200);
  const { messages, trailers } = readWeb(res.body);
  assert.equal(parseReplies(encodeFrame(0, messages[0]))[0].text, 'stripped');
  assert.equal(trailers!['grpc-status'], '0');
});

test('grpc-gateway: GET with a path variable and query parameters → JSON (camelCase, int64 as string, enum names, defaults)', async () => {
  const res = await call(gw.proxyPort, 'GET', '/v1/users/u1?verbose=true&apikey=ignored', {});
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.deepEqual(JSON.parse(res.body.toString()), {
    userId: 'u1',
    displayName: 'User u1 (verbose)',
    karma: '9007199254740993',
    role: 'ROLE_MEMBER',
    tags: ['a'],
    avatar: '',
    score: 0,
  });
  const seen = users.seen.at(-1)!;
  assert.equal(seen.method, 'GetUser');
  assert.equal(seen.request.userId, 'u1');
  assert.equal(seen.request.verbose, true);
  // The additional binding reaches the same method, with the nested field from the path.
  const org = await call(gw.proxyPort, 'GET', '/v1/orgs/acme/users/u1', {});
  assert.equal(org.status, 200);
  assert.deepEqual(users.seen.at(-1)!.request.org, { name: 'acme' });
});

test('grpc-gateway: POST with body "*" and PATCH with a body field', async () => {
  const res = await call(
    gw.proxyPort,
    'POST',
    '/v1/users',
    { 'content-type': 'application/json' },
    JSON.stringify({ display_name: 'Ada', role: 'ROLE_ADMIN', tags: ['x', 'y'], age: 36 }),
  );
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(res.body.toString()), {
    userId: 'new',
    displayName: 'Ada',
    karma: '36',
    role: 'ROLE_ADMIN',
    tags: ['x', 'y'],
    avatar: '',
    score: 0,
  });
  const patch = await call(
    gw.proxyPort,
    'PATCH',
    '/v1/users/u7?reason=typo',
    { 'content-type': 'application/json' },
    JSON.stringify({ displayName: 'Bob' }),
  );
  assert.equal(patch.status, 200);
  assert.equal(
    JSON.parse(patch.body.toString()).userId,
    'u7',
    'the path variable fills user.user_id inside the body field',
  );
  assert.equal(users.seen.at(-1)!.request.reason, 'typo');
});

test('grpc-gateway: server streaming → one {"result": …} line per message', async () => {
  const res = await call(gw.proxyPort, 'GET', '/v1/users?limit=3', {});
  assert.equal(res.status, 200);
  const lines = res.body
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { result: { userId: string } });
  assert.deepEqual(
    lines.map((l) => l.result.userId),
    ['u0', 'u1', 'u2'],
  );
});

test('grpc-gateway: gRPC errors become HTTP statuses with a {code, message} body; bad input is a 400', async () => {
  const nf = await call(gw.proxyPort, 'GET', '/v1/users/nobody', {});
  assert.equal(nf.status, 404);
  assert.deepEqual(JSON.parse(nf.body.toString()), { code: 5, message: 'no user nobody' });
  const denied = await call(gw.proxyPort, 'GET', '/v1/users/deny', {});
  assert.equal(denied.status, 403);
  assert.deepEqual(JSON.parse(denied.body.toString()), { code: 7, message: 'not yours' });
  const badJson = await call(
    gw.proxyPort,
    'POST',
    '/v1/users',
    { 'content-type': 'application/json' },
    '{"age":"old"}',
  );
  assert.equal(badJson.status, 400);
  assert.deepEqual(JSON.parse(badJson.body.toString()), { code: 3, message: 'age: "old" is not a int32' });
  const badQuery = await call(gw.proxyPort, 'GET', '/v1/users/u1?verbose=perhaps', {});
  assert.equal(badQuery.status, 400);
  assert.match(badQuery.body.toString(), /verbose: \\"perhaps\\" is not a boolean/);
});

test('grpc-gateway: an unknown path is a 404 and a known path with another method a 405, nothing sent upstream', async () => {
  const before = users.seen.length;
  const unknown = await call(gw.proxyPort, 'GET', '/v1/nothing/here', {});
  assert.equal(unknown.status, 404);
  assert.equal(JSON.parse(unknown.body.toString()).code, 5);
  const wrong = await call(gw.proxyPort, 'PUT', '/v1/users/u1', { 'content-type': 'application/json' }, '{}');
  assert.equal(wrong.status, 405);
  assert.equal(users.seen.length, before);
  // The gateway still serves.
  assert.equal((await call(gw.proxyPort, 'GET', '/v1/users/u1', {})).status, 200);
});

/** A request over HTTP/2 (prior knowledge, to the h2c listener); HTTP/2 trailers kept apart. */
function h2call(
  headers: http2.OutgoingHttpHeaders,
  body: Buffer | string,
): Promise<{ headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${h2Port}`);
    session.on('error', reject);
    const req = session.request(headers);
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const parts: Buffer[] = [];
    req.on('response', (h) => (head = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      session.close();
      resolve({ headers: head, trailers, body: Buffer.concat(parts) });
    });
    req.on('error', reject);
    if (body.length > 0) req.end(body);
    else if (!req.writableEnded) req.end();
  });
}

test('grpc-web over HTTP/2: the trailer frame in the body, no grpc-status left in HTTP/2 trailers', async () => {
  const res = await h2call(
    { ':method': 'POST', ':path': '/turnpike.test.Echo/ServerStream', 'content-type': 'application/grpc-web+proto' },
    frameRequest({ text: 'h2', count: 2 }),
  );
  assert.equal(res.headers[':status'], 200);
  assert.equal(res.headers['content-type'], 'application/grpc-web+proto');
  const { messages, trailers } = readWeb(res.body);
  assert.deepEqual(
    parseReplies(Buffer.concat(messages.map((m) => encodeFrame(0, m)))).map((r) => r.text),
    ['h2-0', 'h2-1'],
  );
  assert.equal(trailers!['grpc-status'], '0');
  assert.equal(res.trailers['grpc-status'], undefined);
  // grpc-gateway answers the same way over HTTP/2.
  const rest = await h2call({ ':method': 'GET', ':path': '/v1/users/nobody' }, '');
  assert.equal(rest.headers[':status'], 404);
  assert.deepEqual(JSON.parse(rest.body.toString()), { code: 5, message: 'no user nobody' });
});

test('grpc-web route: a plain gRPC client (grpc-js over h2c) passes through untranslated', async () => {
  const client = new EchoClient(`127.0.0.1:${h2Port}`, grpc.credentials.createInsecure());
  onCleanup(async () => client.close());
  const reply = await new Promise<{ text: string }>((resolve, reject) =>
    client.Unary({ text: 'native' }, (err: Error | null, r: { text: string }) => (err ? reject(err) : resolve(r))),
  );
  assert.equal(reply.text, 'native');
  const err = await new Promise<grpc.ServiceError>((resolve) =>
    client.Fail({ text: 'native fail', count: 9 }, (e: grpc.ServiceError) => resolve(e)),
  );
  assert.equal(err.code, 9);
  assert.equal(err.details, 'native fail');
});

test("SDK: a filtered response (response-compression) keeps the upstream's chunked trailers for an HTTP/1.1 client", async () => {
  const up = await upstream('trailers', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
    res.write('a'.repeat(4000));
    res.addTrailers({ 'x-checksum': 'abc123' });
    res.end();
  });
  const g = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 's',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            { name: 'r', paths: ['/'], plugins: [{ name: 'response-compression', config: { algorithms: ['gzip'] } }] },
          ],
        },
      ],
    }),
  });
  const res = await call(g.proxyPort, 'GET', '/x', { 'accept-encoding': 'gzip' });
  assert.equal(res.headers['content-encoding'], 'gzip');
  assert.equal(zlib.gunzipSync(res.body).toString(), 'a'.repeat(4000));
  assert.deepEqual(res.trailers, { 'x-checksum': 'abc123' });
});

test('grpc-gateway: `turnpike validate` refuses a .proto whose template names a missing field, saying which', async () => {
  const dir = tmpDir();
  const proto = path.join(dir, 'bad.proto');
  fs.writeFileSync(
    proto,
    fs.readFileSync(USERS_PROTO, 'utf8').replace('get: "/v1/users/{user_id}"', 'get: "/v1/users/{usr_id}"'),
  );
  const file = path.join(dir, 'kong.yml');
  fs.writeFileSync(
    file,
    JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'u',
          protocol: 'grpc',
          host: '127.0.0.1',
          port: 1,
          routes: [{ name: 'rest', paths: ['/v1/'], plugins: [{ name: 'grpc-gateway', config: { proto } }] }],
        },
      ],
    }),
  );
  const r = await runCli(['validate', file]);
  assert.equal(r.code, 1);
  assert.match(
    r.stdout + r.stderr,
    /plugin 'grpc-gateway' \(route 'rest'\): preparing its config failed: proto: rpc demo\.v1\.Users\/GetUser: path variable \{usr_id\}: demo\.v1\.GetUserRequest has no field "usr_id"/,
  );
});

test("grpc-gateway: DELETE and a ** template; OPTIONS answered with Kong's CORS headers", async () => {
  const del = await call(gw.proxyPort, 'DELETE', '/v1/users/u3', {});
  assert.equal(del.status, 200);
  assert.deepEqual(JSON.parse(del.body.toString()), {});
  assert.deepEqual(users.seen.at(-1), {
    method: 'DeleteUser',
    request: { userId: 'u3', verbose: false, org: null, fields: [] },
  });
  const file = await call(gw.proxyPort, 'GET', '/v1/files/docs/a%20b/readme.md', {});
  assert.equal(file.status, 200);
  assert.deepEqual(JSON.parse(file.body.toString()), { path: 'docs/a b/readme.md', size: '12' });
  const pre = await call(gw.proxyPort, 'OPTIONS', '/v1/users', {
    origin: 'https://app.example',
    'access-control-request-method': 'POST',
  });
  assert.equal(pre.status, 200);
  assert.equal(pre.headers['access-control-allow-origin'], '*');
  assert.equal(pre.headers['access-control-allow-methods'], 'GET,POST,PATCH,DELETE');
  assert.equal(pre.headers['access-control-allow-headers'], 'content-type');
});
