// A grpc-gateway whose .proto is not there yet, end to end: `turnpike validate` and `start`
// warn (naming the plugin, the route and the file) but accept the configuration, other routes
// are served, the plugin's route answers 500 with an error log line naming the file, and once
// the file is written (then a SIGHUP reload) the route transcodes to the real gRPC server.

import test, { before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';
import { runCli, sleep, tmpDir, type Gateway } from '../helpers/gateway.js';
import { startUsersServer, USERS_PROTO, type UsersServer } from '../helpers/grpc-users.js';

let users: UsersServer;
let dir: string;
let proto: string;
let config: string;

before(async () => {
  users = await startUsersServer();
  onCleanup(() => users.close());
  const other = await upstream('other');
  dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  proto = path.join(dir, 'protos', 'users.proto');
  config = JSON.stringify({
    _format_version: '3.0',
    services: [
      {
        name: 'users',
        protocol: 'grpc',
        host: '127.0.0.1',
        port: users.port,
        routes: [
          {
            name: 'users-rest',
            protocols: ['http'],
            paths: ['/v1/'],
            strip_path: false,
            plugins: [{ name: 'grpc-gateway', config: { proto } }],
          },
        ],
      },
      { name: 'other', url: `http://127.0.0.1:${other.port}`, routes: [{ name: 'other', paths: ['/other'] }] },
    ],
  });
});

/** Waits until the gateway's output contains a match (logs are written asynchronously). */
async function output(gw: Gateway, re: RegExp, timeoutMs = 5000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = gw.stdout + gw.stderr;
    const line = text.split('\n').find((l) => re.test(l));
    if (line !== undefined) return line;
    if (Date.now() > end) assert.fail(`no output line matches ${re}; output:\n${text}`);
    await sleep(50);
  }
}

const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('validate: a missing proto is a warning naming the plugin, route and file; exit 0', async () => {
  const file = path.join(dir, 'kong.json');
  fs.writeFileSync(file, config);
  const r = await runCli(['validate', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /: OK \(2 services, 2 routes, 0 upstreams, 1 plugins, 0 consumers\)/);
  assert.match(
    r.stderr,
    new RegExp(
      `warning: plugin 'grpc-gateway' \\(route 'users-rest'\\): proto: ${escaped(proto)} does not exist; requests on it answer 500`,
    ),
  );
});

test('start: warns, serves other routes, answers 500 with a log line; after the proto is written and a reload, transcodes', async () => {
  const gw = await gateway({ config });
  const warned = await output(gw, /plugin 'grpc-gateway' \(route 'users-rest'\): proto: .* does not exist/);
  assert.ok(warned.includes(proto), warned);

  const other = await fetch(`${gw.url}/other/x`);
  assert.equal(other.status, 200);
  await other.arrayBuffer();

  const failed = await fetch(`${gw.url}/v1/users/u1`);
  assert.equal(failed.status, 500);
  assert.deepEqual(await failed.json(), { message: 'An unexpected error occurred' });
  const logged = await output(gw, /cannot transcode, answering 500/);
  assert.match(
    logged,
    new RegExp(
      `grpc-gateway \\(route 'users-rest'\\): cannot transcode, answering 500: the proto file ${escaped(proto)} .*does not exist`,
    ),
  );
  assert.equal(users.seen.length, 0, 'nothing reached the gRPC server');

  fs.mkdirSync(path.dirname(proto), { recursive: true });
  fs.copyFileSync(USERS_PROTO, proto);
  const [out0, err0] = [gw.stdout.length, gw.stderr.length];
  gw.signal('SIGHUP');
  await output(gw, /reload: configuration unchanged|configuration reloaded/);
  assert.doesNotMatch(gw.stdout.slice(out0) + gw.stderr.slice(err0), /does not exist/, 'the reload warns no more');

  const ok = await fetch(`${gw.url}/v1/users/u1`);
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as { displayName: string }).displayName, 'User u1');
  assert.equal(users.seen.at(-1)?.method, 'GetUser');
});
