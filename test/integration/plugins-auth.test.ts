// Authentication and access control end to end, through the real gateway: key-auth,
// basic-auth and acl with Kong's statuses, messages and upstream headers; consumers and their
// credentials come from the Kong file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, tmpDir } from '../helpers/gateway.js';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';
import { get, reached, type Seen } from '../helpers/fetch.js';

const CONSUMERS = [
  {
    username: 'alice',
    custom_id: 'alice-42',
    keyauth_credentials: [{ key: 'alice-key' }],
    basicauth_credentials: [{ username: 'alice', password: 'open sesame' }],
    acls: [{ group: 'admins' }, { group: 'staff' }],
  },
  {
    username: 'bob',
    keyauth_credentials: [{ key: 'bob-key' }],
    basicauth_credentials: [{ username: 'bob', password: 'p:ss' }],
    acls: [{ group: 'staff' }],
  },
  { username: 'eve', keyauth_credentials: [{ key: 'eve-key' }] },
  { username: 'guest', custom_id: 'guest-id' },
];

/** Routes keep their path upstream (strip_path: false), so the upstream's view names the route. */
function routes(...list: Record<string, unknown>[]): Record<string, unknown>[] {
  return list.map((r) => ({ strip_path: false, ...r }));
}

function kongFile(upPort: number, rs: Record<string, unknown>[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    _format_version: '3.0',
    services: [{ name: 'svc', url: `http://127.0.0.1:${upPort}`, routes: rs }],
    consumers: CONSUMERS,
    ...extra,
  });
}

test('key-auth: missing, invalid and valid keys, headers upstream, hide_credentials, anonymous, preflight', async () => {
  const up = await upstream('ka');
  const gw = await gateway({
    config: kongFile(
      up.port,
      routes(
        { name: 'k', paths: ['/k'], plugins: [{ name: 'key-auth' }] },
        {
          name: 'hide',
          paths: ['/hide'],
          plugins: [{ name: 'key-auth', config: { hide_credentials: true, key_names: ['apikey', 'x-api-key'] } }],
        },
        { name: 'anon', paths: ['/anon'], plugins: [{ name: 'key-auth', config: { anonymous: 'guest' } }] },
        {
          name: 'hdr',
          paths: ['/hdr'],
          plugins: [{ name: 'key-auth', config: { key_in_query: false, realm: 'kong', run_on_preflight: false } }],
        },
      ),
    ),
  });

  // Missing key: 401, Kong's message and challenge, nothing upstream.
  const missing = await get(gw.url + '/k/x');
  assert.equal(missing.status, 401);
  assert.deepEqual(missing.json, { message: 'No API key found in request' });
  assert.equal(missing.headers['www-authenticate'], 'Key');
  // Wrong key: 401 Unauthorized (Kong 3.7+).
  const wrong = await get(gw.url + '/k/x', { apikey: 'nope' });
  assert.equal(wrong.status, 401);
  assert.deepEqual(wrong.json, { message: 'Unauthorized' });
  assert.equal(wrong.headers['www-authenticate'], 'Key');
  const dup = await get(gw.url + '/k/x?apikey=alice-key&apikey=bob-key');
  assert.equal(dup.status, 401);
  assert.deepEqual(dup.json, { message: 'Duplicate API key found' });
  assert.equal(reached(up, '/k'), 0, 'refused requests never reach the upstream');

  // Valid key in a header: the upstream learns who the consumer is; the key is passed on by default.
  const ok = await get(gw.url + '/k/x', {
    apikey: 'alice-key',
    'x-consumer-groups': 'forged',
    'x-anonymous-consumer': 'true',
  });
  assert.equal(ok.status, 200);
  const seen = (ok.json as Seen).headers;
  assert.match(seen['x-consumer-id'] ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(seen['x-consumer-username'], 'alice');
  assert.equal(seen['x-consumer-custom-id'], 'alice-42');
  assert.ok(seen['x-credential-identifier'], 'X-Credential-Identifier is set');
  assert.equal(seen['x-anonymous-consumer'], undefined, 'a client cannot pose as anonymous');
  assert.equal(seen.apikey, 'alice-key');
  // In the query string.
  const q = await get(gw.url + '/k/x?a=1&apikey=bob-key');
  assert.equal(q.status, 200);
  assert.equal((q.json as Seen).headers['x-consumer-username'], 'bob');
  assert.equal((q.json as Seen).headers['x-consumer-custom-id'], undefined);
  assert.equal((q.json as Seen).url, '/k/x?a=1&apikey=bob-key');

  // hide_credentials: the key header and query argument are removed, the rest kept byte for byte.
  const h1 = await get(gw.url + '/hide/x?a=1&apikey=alice-key&b=%2F+c', {});
  assert.equal(h1.status, 200);
  assert.equal((h1.json as Seen).url, '/hide/x?a=1&b=%2F+c');
  assert.equal((h1.json as Seen).headers['x-consumer-username'], 'alice');
  const h2 = await get(gw.url + '/hide/x', { 'x-api-key': 'bob-key' });
  assert.equal(h2.status, 200);
  assert.equal((h2.json as Seen).headers['x-api-key'], undefined);
  assert.equal((h2.json as Seen).headers['x-consumer-username'], 'bob');
  const h3 = await get(gw.url + '/hide/x?apikey=eve-key');
  assert.equal((h3.json as Seen).url, '/hide/x');

  // anonymous: no key or a wrong key proceeds as the anonymous consumer; a good key still wins.
  const anonCases: Record<string, string>[] = [{}, { apikey: 'wrong' }];
  for (const headers of anonCases) {
    const a = await get(gw.url + '/anon/x', headers);
    assert.equal(a.status, 200);
    const ah = (a.json as Seen).headers;
    assert.equal(ah['x-consumer-username'], 'guest');
    assert.equal(ah['x-consumer-custom-id'], 'guest-id');
    assert.equal(ah['x-anonymous-consumer'], 'true');
    assert.equal(ah['x-credential-identifier'], undefined);
  }
  const named = await get(gw.url + '/anon/x', { apikey: 'eve-key' });
  assert.equal((named.json as Seen).headers['x-consumer-username'], 'eve');
  assert.equal((named.json as Seen).headers['x-anonymous-consumer'], undefined);

  // key_in_query: false ignores the query; realm shapes the challenge; preflight skipped when asked.
  const noq = await get(gw.url + '/hdr/x?apikey=alice-key');
  assert.equal(noq.status, 401);
  assert.equal(noq.headers['www-authenticate'], 'Key realm="kong"');
  const pre = await get(gw.url + '/hdr/x', {}, 'OPTIONS');
  assert.equal(pre.status, 200, 'OPTIONS passes without a key when run_on_preflight is false');
  const preK = await get(gw.url + '/k/x', {}, 'OPTIONS');
  assert.equal(preK.status, 401, 'OPTIONS is authenticated by default');
});

function basic(user: string, pass: string): string {
  return 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
}

test('basic-auth: missing, invalid and valid credentials, Proxy-Authorization, hide_credentials, anonymous', async () => {
  const up = await upstream('ba');
  const gw = await gateway({
    config: kongFile(
      up.port,
      routes(
        { name: 'b', paths: ['/b'], plugins: [{ name: 'basic-auth' }] },
        {
          name: 'hide',
          paths: ['/hide'],
          plugins: [{ name: 'basic-auth', config: { hide_credentials: true, realm: 'kong' } }],
        },
        { name: 'anon', paths: ['/anon'], plugins: [{ name: 'basic-auth', config: { anonymous: 'guest' } }] },
      ),
    ),
  });

  const missing = await get(gw.url + '/b/x');
  assert.equal(missing.status, 401);
  assert.deepEqual(missing.json, { message: 'Unauthorized' });
  assert.equal(missing.headers['www-authenticate'], 'Basic realm="service"');
  for (const auth of [
    basic('alice', 'wrong'),
    basic('nobody', 'open sesame'),
    'Basic !!!',
    'Bearer abc',
    basic('alice', 'open sesame').slice(0, -4),
  ]) {
    const bad = await get(gw.url + '/b/x', { authorization: auth });
    assert.equal(bad.status, 401, auth);
    assert.deepEqual(bad.json, { message: 'Unauthorized' });
    assert.equal(bad.headers['www-authenticate'], 'Basic realm="service"');
  }
  assert.equal(reached(up, '/b'), 0, 'refused requests never reach the upstream');

  const ok = await get(gw.url + '/b/x', { authorization: basic('alice', 'open sesame') });
  assert.equal(ok.status, 200);
  const seen = (ok.json as Seen).headers;
  assert.equal(seen['x-consumer-username'], 'alice');
  assert.equal(seen['x-consumer-custom-id'], 'alice-42');
  assert.match(seen['x-consumer-id'] ?? '', /^[0-9a-f-]{36}$/);
  assert.ok(seen['x-credential-identifier']);
  assert.equal(seen.authorization, basic('alice', 'open sesame'), 'credentials are passed on by default');
  // A password with a colon; lower-case scheme; Proxy-Authorization.
  const colon = await get(gw.url + '/b/x', { authorization: basic('bob', 'p:ss').replace('Basic', 'basic') });
  assert.equal(colon.status, 200);
  assert.equal((colon.json as Seen).headers['x-consumer-username'], 'bob');
  const proxy = await get(gw.url + '/b/x', { 'proxy-authorization': basic('bob', 'p:ss') });
  assert.equal(proxy.status, 200);
  assert.equal((proxy.json as Seen).headers['x-consumer-username'], 'bob');
  // A second request uses the cached digest.
  const again = await get(gw.url + '/b/x', { authorization: basic('alice', 'open sesame') });
  assert.equal(again.status, 200);

  const hidden = await get(gw.url + '/hide/x', {
    authorization: basic('alice', 'open sesame'),
    'proxy-authorization': 'Basic Zm9vOmJhcg==',
  });
  assert.equal(hidden.status, 200);
  assert.equal((hidden.json as Seen).headers.authorization, undefined);
  assert.equal((hidden.json as Seen).headers['proxy-authorization'], undefined);
  assert.equal((hidden.json as Seen).headers['x-consumer-username'], 'alice');
  const realm = await get(gw.url + '/hide/x');
  assert.equal(realm.headers['www-authenticate'], 'Basic realm="kong"');

  const anon = await get(gw.url + '/anon/x', { authorization: basic('alice', 'nope') });
  assert.equal(anon.status, 200);
  assert.equal((anon.json as Seen).headers['x-consumer-username'], 'guest');
  assert.equal((anon.json as Seen).headers['x-anonymous-consumer'], 'true');
  const named = await get(gw.url + '/anon/x', { authorization: basic('bob', 'p:ss') });
  assert.equal((named.json as Seen).headers['x-consumer-username'], 'bob');

  assert.doesNotMatch(gw.stderr + gw.stdout, /open sesame|p:ss/, 'passwords are never logged');
});

test("basic-auth with _transform: false compares Kong's stored digest, not the stored text", async () => {
  const up = await upstream('transform');
  const id = '5b0f4bc2-5a3c-4c3f-9f26-0b8f0e1a2c3d';
  const hashed = createHash('sha1')
    .update('real password' + id)
    .digest('hex');
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      _transform: false,
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [{ name: 'r', paths: ['/'], plugins: [{ name: 'basic-auth' }] }],
        },
      ],
      consumers: [{ id, username: 'carol', basicauth_credentials: [{ username: 'carol', password: hashed }] }],
    }),
  });
  const ok = await get(gw.url + '/x', { authorization: basic('carol', 'real password') });
  assert.equal(ok.status, 200);
  const withHash = await get(gw.url + '/x', { authorization: basic('carol', hashed) });
  assert.equal(withHash.status, 401, 'the stored digest itself is not a password');
});

test('acl: allow and deny groups after key-auth (priority order), X-Consumer-Groups, 401 without a consumer', async () => {
  const up = await upstream('acl');
  // Plugins listed acl first: the order in the file does not matter, priorities do (key-auth 1250 > acl 950).
  const gw = await gateway({
    config: kongFile(
      up.port,
      routes(
        {
          name: 'admins',
          paths: ['/admins'],
          plugins: [{ name: 'acl', config: { allow: ['admins'] } }, { name: 'key-auth' }],
        },
        {
          name: 'nostaff',
          paths: ['/nostaff'],
          plugins: [{ name: 'acl', config: { deny: ['staff'], hide_groups_header: true } }, { name: 'key-auth' }],
        },
        { name: 'bare', paths: ['/bare'], plugins: [{ name: 'acl', config: { allow: ['admins'] } }] },
        {
          name: 'anon',
          paths: ['/anon'],
          plugins: [
            { name: 'acl', config: { allow: ['admins'] } },
            { name: 'key-auth', config: { anonymous: 'guest' } },
          ],
        },
        {
          name: 'legacy',
          paths: ['/legacy'],
          plugins: [{ name: 'acl', config: { whitelist: ['staff'] } }, { name: 'basic-auth' }],
        },
      ),
    ),
  });

  const alice = await get(gw.url + '/admins/x', { apikey: 'alice-key', 'x-consumer-groups': 'forged' });
  assert.equal(alice.status, 200);
  assert.equal((alice.json as Seen).headers['x-consumer-groups'], 'admins, staff');
  assert.equal((alice.json as Seen).headers['x-consumer-username'], 'alice');
  const bob = await get(gw.url + '/admins/x', { apikey: 'bob-key' });
  assert.equal(bob.status, 403);
  assert.deepEqual(bob.json, { message: 'You cannot consume this service' });
  const eve = await get(gw.url + '/admins/x', { apikey: 'eve-key' });
  assert.equal(eve.status, 403, 'a consumer without groups is not allowed');
  const nokey = await get(gw.url + '/admins/x');
  assert.equal(nokey.status, 401);
  assert.deepEqual(nokey.json, { message: 'No API key found in request' }, 'key-auth answered before acl ran');
  assert.equal(reached(up, '/admins'), 1, 'only the allowed request reached the upstream');

  // deny: staff refused; others pass, without the groups header (and a forged one is dropped).
  assert.equal((await get(gw.url + '/nostaff/x', { apikey: 'bob-key' })).status, 403);
  assert.equal((await get(gw.url + '/nostaff/x', { apikey: 'alice-key' })).status, 403);
  const e2 = await get(gw.url + '/nostaff/x', { apikey: 'eve-key', 'x-consumer-groups': 'forged' });
  assert.equal(e2.status, 200);
  assert.equal((e2.json as Seen).headers['x-consumer-groups'], undefined);
  assert.equal(reached(up, '/nostaff'), 1);

  // No authentication plugin: no consumer, 401.
  const bare = await get(gw.url + '/bare/x', { apikey: 'alice-key' });
  assert.equal(bare.status, 401);
  assert.deepEqual(bare.json, { message: 'Unauthorized' });
  // The anonymous consumer (no groups) is refused by an allow list; a real admin passes.
  assert.equal((await get(gw.url + '/anon/x')).status, 403);
  assert.equal((await get(gw.url + '/anon/x', { apikey: 'alice-key' })).status, 200);
  // Kong 2.x whitelist, with basic-auth.
  const legacy = await get(gw.url + '/legacy/x', { authorization: basic('bob', 'p:ss') });
  assert.equal(legacy.status, 200);
  assert.equal((legacy.json as Seen).headers['x-consumer-groups'], 'staff');
  assert.equal(reached(up, '/bare') + reached(up, '/anon'), 1);
});

test("acl: allow and deny together, or neither, stop the configuration with Kong's message", async () => {
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [config, msg] of [
    [{ allow: ['a'], deny: ['b'] }, /acl.*only one of these fields must be non-empty: 'config.allow', 'config.deny'/s],
    [{}, /acl.*at least one of these fields must be non-empty: 'config.allow', 'config.deny'/s],
  ] as const) {
    const cfg = path.join(dir, 'kong.yml');
    fs.writeFileSync(
      cfg,
      JSON.stringify({
        _format_version: '3.0',
        services: [
          {
            name: 's',
            url: 'http://127.0.0.1:9',
            routes: [{ name: 'r', paths: ['/'], plugins: [{ name: 'acl', config }] }],
          },
        ],
      }),
    );
    const res = await runCli(['validate', cfg]);
    assert.equal(res.code, 1);
    assert.match(res.stderr + res.stdout, msg);
  }
});

test('query edits by several plugins add up: key-auth hides the key, request-transformer then adds an argument', async () => {
  const up = await upstream('query-chain');
  const gw = await gateway({
    config: kongFile(
      up.port,
      routes({
        name: 'chain',
        paths: ['/chain'],
        plugins: [
          { name: 'key-auth', config: { hide_credentials: true } },
          { name: 'request-transformer', config: { add: { querystring: ['added:1'] } } },
        ],
      }),
    ),
  });
  const r = await get(gw.url + '/chain/x?apikey=alice-key&keep=yes');
  assert.equal(r.status, 200, r.text);
  const url = (r.json as Seen).url;
  assert.doesNotMatch(url, /apikey/, `the key stays hidden after the later plugin edits the query: ${url}`);
  assert.match(url, /added=1/);
  assert.match(url, /keep=yes/);
});
