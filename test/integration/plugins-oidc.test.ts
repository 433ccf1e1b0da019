// openid-connect end to end: a real issuer (node:http in this process) serving a discovery
// document and a JWKS built with jose, tokens signed with jose, the real gateway process and
// a real upstream. Covers accepted algorithms, every refusal, scopes, audiences, consumer
// mapping, upstream headers, key rotation, the issuer being down and coming back, and
// configurations that must not load.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';
import { freePort, runCli, sleep, tmpDir } from '../helpers/gateway.js';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';
import { get, reached, type Seen } from '../helpers/fetch.js';

type SigningKey = Parameters<SignJWT['sign']>[0];
interface Key {
  kid: string;
  alg: string;
  priv: SigningKey;
  jwk: JWK;
}

const now = () => Math.floor(Date.now() / 1000);
const b64url = (s: string) => Buffer.from(s).toString('base64url');

async function makeKey(kid: string, alg: string): Promise<Key> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, priv: privateKey, jwk };
}

/** An OpenID issuer on `port` (or a free one): discovery document and a JWKS the test can swap. */
interface Issuer {
  port: number;
  url: string;
  keys: Key[];
  discoveryHits: number;
  jwksHits: number;
  close(): Promise<void>;
}

async function startIssuer(keys: Key[], port = 0): Promise<Issuer> {
  const sockets = new Set<net.Socket>();
  const iss: Issuer = { port: 0, url: '', keys, discoveryHits: 0, jwksHits: 0, close: async () => {} };
  const server = http.createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      iss.discoveryHits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          issuer: iss.url,
          jwks_uri: `${iss.url}/protocol/certs`,
          id_token_signing_alg_values_supported: ['RS256'],
        }),
      );
    } else if (req.url === '/protocol/certs') {
      iss.jwksHits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: iss.keys.map((k) => k.jwk) }));
    } else {
      res.writeHead(404).end();
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  iss.port = (server.address() as net.AddressInfo).port;
  iss.url = `http://127.0.0.1:${iss.port}`;
  let closed = false;
  iss.close = () =>
    new Promise<void>((r) => {
      if (closed) return r();
      closed = true;
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  onCleanup(() => iss.close());
  return iss;
}

async function sign(key: Key, payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }).sign(key.priv);
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

test('openid-connect: validation, refusals, scopes, audiences, consumers, headers, rotation, issuer down', async () => {
  const rsa = await makeKey('rsa-1', 'RS256');
  const ec = await makeKey('ec-1', 'ES256');
  const ed = await makeKey('ed-1', 'EdDSA');
  const main = await startIssuer([rsa, ec, ed]);
  const oldKey = await makeKey('old', 'RS256');
  const rot = await startIssuer([oldKey]);
  const slow = await startIssuer([oldKey]);
  const latePort = await freePort();
  const late = `http://127.0.0.1:${latePort}`;

  const up = await upstream('oidc');
  const route = (name: string, config: Record<string, unknown>) => ({
    name,
    paths: [`/${name}`],
    strip_path: false,
    plugins: [{ name: 'openid-connect', config }],
  });
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            // The issuer given as a base URL with a trailing slash.
            route('plain', {
              issuer: `${main.url}/`,
              upstream_headers_claims: ['sub', 'email', 'groups'],
              upstream_headers_names: ['X-User', 'X-Email', 'X-Groups'],
            }),
            // The issuer given as its discovery URL.
            route('disco', {
              issuer: `${main.url}/.well-known/openid-configuration`,
              auth_methods: ['bearer'],
              bearer_token_param_type: ['header'],
            }),
            route('scoped', { issuer: main.url, scopes_required: ['read write', 'admin'] }),
            route('aud', { issuer: main.url, audience_required: ['orders-api'] }),
            route('leeway', { issuer: main.url, leeway: 300 }),
            route('issuers', { issuer: main.url, issuers_allowed: ['https://legacy.example.com'] }),
            route('consumer', { issuer: main.url, consumer_claim: ['preferred_username'], consumer_by: ['username'] }),
            route('optional', {
              issuer: main.url,
              consumer_claim: ['preferred_username'],
              consumer_by: ['custom_id'],
              consumer_optional: true,
            }),
            route('anon', { issuer: main.url, anonymous: 'guest' }),
            route('rotate', { issuer: rot.url, rediscovery_lifetime: 0 }),
            route('cooldown', { issuer: slow.url, rediscovery_lifetime: 3600 }),
            route('late', { issuer: late, timeout: 2000, rediscovery_lifetime: 0 }),
          ],
        },
      ],
      consumers: [{ username: 'alice', custom_id: 'alice-42' }, { username: 'guest' }],
    }),
  });

  const claims = (extra: JWTPayload = {}): JWTPayload => ({ iss: main.url, sub: 'user-1', exp: now() + 300, ...extra });
  const accepted = async (pathname: string, headers: Record<string, string>) => {
    const r = await get(gw.url + pathname, headers);
    assert.equal(r.status, 200, `${pathname}: ${r.text}`);
    return (r.json as Seen).headers;
  };
  const refused = async (
    pathname: string,
    headers: Record<string, string>,
    status = 401,
    challenge: string | null = 'Bearer realm="127.0.0.1", error="invalid_token"',
  ) => {
    const before = reached(up, '/');
    const r = await get(gw.url + pathname, headers);
    assert.equal(r.status, status, `${pathname} ${JSON.stringify(headers).slice(0, 80)}: ${r.text}`);
    assert.deepEqual(r.json, { message: status === 401 ? 'Unauthorized' : 'Forbidden' });
    assert.equal(r.headers['www-authenticate'], challenge ?? undefined);
    assert.equal(reached(up, '/'), before, 'a refused request never reaches the upstream');
  };

  // RS256, ES256 and EdDSA tokens are accepted; claims are copied to the configured headers
  // and client-sent copies of those headers do not pass.
  for (const key of [rsa, ec, ed]) {
    const token = await sign(key, claims({ email: 'u1@example.com', groups: ['a', 'b'] }));
    const seen = await accepted('/plain/x', {
      ...bearer(token),
      'x-email': 'forged@example.com',
      'x-consumer-username': 'forged',
    });
    assert.equal(seen['x-user'], 'user-1', key.alg);
    assert.equal(seen['x-email'], 'u1@example.com');
    assert.equal(seen['x-groups'], 'a,b');
    assert.equal(seen['x-credential-identifier'], 'user-1');
    assert.equal(seen['x-consumer-username'], undefined, 'no consumer: client-sent consumer headers are removed');
    assert.equal(seen.authorization, `Bearer ${token}`);
  }
  // A claim the token lacks removes the client's header and sets none.
  const noEmail = await accepted('/plain/x', { ...bearer(await sign(rsa, claims())), 'x-email': 'forged@example.com' });
  assert.equal(noEmail['x-email'], undefined);
  // The discovery URL form; the query argument form (not on /disco, header only there).
  const good = await sign(rsa, claims());
  await accepted('/disco/x', bearer(good));
  await accepted(`/plain/x?access_token=${good}`, {});
  await refused(`/disco/x?access_token=${good}`, {}, 401, 'Bearer realm="127.0.0.1"');

  // Refusals.
  await refused('/plain/x', {}, 401, 'Bearer realm="127.0.0.1"');
  await refused('/plain/x', { authorization: `Basic ${good}` }, 401, 'Bearer realm="127.0.0.1"');
  await refused('/plain/x', bearer('not-a-token'));
  await refused('/plain/x', bearer(await sign(rsa, claims({ exp: now() - 120 }))));
  await refused('/plain/x', bearer(await sign(rsa, claims({ nbf: now() + 120 }))));
  await refused('/plain/x', bearer(await sign(rsa, claims({ exp: String(now() + 300) as unknown as number }))));
  await refused('/plain/x', bearer(await sign(rsa, claims({ iss: 'https://evil.example.com' }))));
  await refused('/plain/x', bearer(await sign(rsa, { sub: 'no-iss', exp: now() + 300 })));
  const [h, , s] = good.split('.');
  await refused('/plain/x', bearer(`${h}.${b64url(JSON.stringify(claims({ sub: 'admin' })))}.${s}`));
  // Signed by a key the JWKS lacks, under an unknown kid and under a known kid.
  const ghost = await makeKey('ghost', 'RS256');
  await refused('/plain/x', bearer(await sign(ghost, claims())));
  await refused('/plain/x', bearer(await sign({ ...ghost, kid: 'rsa-1' }, claims())));
  // HS256 (even with the RSA key's public JWK as the "secret", the confusion attack) and alg none.
  const hsSecret = new TextEncoder().encode(JSON.stringify(rsa.jwk));
  await refused(
    '/plain/x',
    bearer(await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).sign(hsSecret)),
  );
  await refused('/plain/x', bearer(`${b64url('{"alg":"none"}')}.${b64url(JSON.stringify(claims()))}.`));
  // Two different tokens.
  await refused(`/plain/x?access_token=${await sign(ec, claims())}`, bearer(good));

  // leeway and issuers_allowed.
  await accepted('/leeway/x', bearer(await sign(rsa, claims({ exp: now() - 120 }))));
  await refused('/leeway/x', bearer(await sign(rsa, claims({ exp: now() - 600 }))));
  await accepted('/issuers/x', bearer(await sign(rsa, claims({ iss: 'https://legacy.example.com' }))));
  await accepted('/issuers/x', bearer(good));
  await refused('/issuers/x', bearer(await sign(rsa, claims({ iss: 'https://evil.example.com' }))));

  // Scopes: (read AND write) OR admin, as a space-separated string or an array.
  const insufficient = 'Bearer realm="127.0.0.1", error="insufficient_scope"';
  await refused('/scoped/x', bearer(await sign(rsa, claims({ scope: 'openid read' }))), 403, insufficient);
  await refused('/scoped/x', bearer(good), 403, insufficient);
  await accepted('/scoped/x', bearer(await sign(rsa, claims({ scope: 'openid write read' }))));
  await accepted('/scoped/x', bearer(await sign(rsa, claims({ scope: 'admin' }))));
  await accepted('/scoped/x', bearer(await sign(rsa, claims({ scope: ['admin'] }))));
  // Audience: a string or an array containing the required one.
  await refused('/aud/x', bearer(await sign(rsa, claims({ aud: 'web-app' }))));
  await refused('/aud/x', bearer(good));
  await accepted('/aud/x', bearer(await sign(rsa, claims({ aud: 'orders-api' }))));
  await accepted('/aud/x', bearer(await sign(rsa, claims({ aud: ['web-app', 'orders-api'] }))));

  // Consumer mapping.
  const alice = await accepted('/consumer/x', bearer(await sign(rsa, claims({ preferred_username: 'alice' }))));
  assert.equal(alice['x-consumer-username'], 'alice');
  assert.equal(alice['x-consumer-custom-id'], 'alice-42');
  assert.match(alice['x-consumer-id'] ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(alice['x-credential-identifier'], 'user-1');
  // alice-42 is alice's custom_id, not a username: consumer_by [username] does not match it.
  await refused('/consumer/x', bearer(await sign(rsa, claims({ preferred_username: 'alice-42' }))), 403, null);
  await refused('/consumer/x', bearer(await sign(rsa, claims({ preferred_username: 'mallory' }))), 403, null);
  const opt = await accepted('/optional/x', bearer(await sign(rsa, claims({ preferred_username: 'alice-42' }))));
  assert.equal(opt['x-consumer-username'], 'alice');
  const optNone = await accepted('/optional/x', bearer(await sign(rsa, claims({ preferred_username: 'mallory' }))));
  assert.equal(optNone['x-consumer-username'], undefined);
  assert.equal(optNone['x-credential-identifier'], 'user-1');
  // anonymous: no token or a bad one proceeds as the anonymous consumer; a good token does not.
  for (const headers of [{}, bearer(await sign(ghost, claims()))]) {
    const a = await accepted('/anon/x', headers);
    assert.equal(a['x-consumer-username'], 'guest');
    assert.equal(a['x-anonymous-consumer'], 'true');
  }
  const named = await accepted('/anon/x', bearer(good));
  assert.equal(named['x-anonymous-consumer'], undefined);
  assert.equal(named['x-credential-identifier'], 'user-1');

  // The discovery document and the JWKS were fetched once for all of that (cached per
  // instance, one worker): 9 instances of the main issuer, and the unknown-kid refetches
  // of /plain and /anon fall within rediscovery_lifetime (30 s) of their first fetch.
  assert.equal(main.discoveryHits, 9);
  assert.equal(main.jwksHits, 9);

  // Key rotation: the issuer swaps its JWKS; a token with the new kid triggers a refetch and
  // is accepted; tokens of the retired key are refused from then on.
  const newKey = await makeKey('new', 'ES256');
  await accepted('/rotate/x', bearer(await sign(oldKey, claims({ iss: rot.url }))));
  assert.equal(rot.jwksHits, 1);
  rot.keys = [newKey];
  await accepted('/rotate/x', bearer(await sign(newKey, claims({ iss: rot.url }))));
  assert.equal(rot.jwksHits, 2, 'the unknown kid made the plugin fetch the JWKS again');
  await accepted('/rotate/x', bearer(await sign(newKey, claims({ iss: rot.url }))));
  assert.equal(rot.jwksHits, 2, 'a known kid does not refetch');
  await refused('/rotate/x', bearer(await sign(oldKey, claims({ iss: rot.url }))));
  // Refetches are rate-limited: within rediscovery_lifetime, an unknown kid is refused without one.
  await accepted('/cooldown/x', bearer(await sign(oldKey, claims({ iss: slow.url }))));
  slow.keys = [oldKey, newKey];
  for (let i = 0; i < 3; i++) await refused('/cooldown/x', bearer(await sign(newKey, claims({ iss: slow.url }))));
  assert.equal(slow.jwksHits, 1, 'no refetch within rediscovery_lifetime');

  // The issuer is down: a clear 502, a log line naming the issuer, and the worker keeps serving.
  const lateToken = (iss: string) => sign(rsa, claims({ iss }));
  for (let i = 0; i < 2; i++) {
    const down = await get(gw.url + '/late/x', bearer(await lateToken(late)));
    assert.equal(down.status, 502, down.text);
    assert.deepEqual(down.json, { message: 'The identity provider could not be reached' });
  }
  await accepted('/plain/x', bearer(good));
  const logged = () => gw.stdout + gw.stderr;
  for (let i = 0; i < 50 && !logged().includes(`${late}/.well-known/openid-configuration`); i++) await sleep(100);
  assert.match(
    logged(),
    new RegExp(
      `openid-connect: issuer ${late}/\\.well-known/openid-configuration unavailable: .*(ECONNREFUSED|connect)`,
    ),
  );
  // It comes back on the same port: the next request succeeds without a reload.
  const back = await startIssuer([rsa], latePort);
  await accepted('/late/x', bearer(await lateToken(late)));
  assert.equal(back.discoveryHits, 1);
  // Down again with the keys cached: known keys keep working; an unknown kid is a 502 (its refetch fails).
  await back.close();
  await accepted('/late/x', bearer(await lateToken(late)));
  const unknown = await get(gw.url + '/late/x', bearer(await sign(newKey, claims({ iss: late }))));
  assert.equal(unknown.status, 502, unknown.text);
});

test('openid-connect: configurations that must not load name the plugin and the field', async () => {
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const check = async (name: string, config: Record<string, unknown>, expected: RegExp) => {
    const cfg = path.join(dir, `${name}.yml`);
    fs.writeFileSync(
      cfg,
      JSON.stringify({
        _format_version: '3.0',
        services: [
          {
            name: 's',
            url: 'http://127.0.0.1:9',
            routes: [{ name: 'r', paths: ['/'], plugins: [{ name: 'openid-connect', config }] }],
          },
        ],
      }),
    );
    const res = await runCli(['validate', cfg]);
    assert.equal(res.code, 1, `${name}: ${res.stdout}${res.stderr}`);
    assert.match(res.stderr + res.stdout, expected, name);
  };
  await check('missing-issuer', { scopes_required: ['read'] }, /openid-connect.*config\.issuer.*is required/s);
  await check('bad-issuer', { issuer: 'idp.example.com' }, /openid-connect.*issuer.*not a URL/s);
  await check(
    'auth-methods',
    { issuer: 'https://idp.example.com', auth_methods: ['bearer', 'session'] },
    /openid-connect.*auth_methods: only "bearer" is implemented in this build \(not "session"\)/s,
  );
  await check(
    'body-only',
    { issuer: 'https://idp.example.com', bearer_token_param_type: ['body'] },
    /openid-connect.*bearer_token_param_type/s,
  );
  await check(
    'headers',
    {
      issuer: 'https://idp.example.com',
      upstream_headers_claims: ['sub', 'email'],
      upstream_headers_names: ['X-User'],
    },
    /openid-connect.*upstream_headers_names/s,
  );
  await check(
    'unknown-field',
    { issuer: 'https://idp.example.com', extra_jwks_uris: ['https://x'] },
    /openid-connect.*extra_jwks_uris/s,
  );

  // And `turnpike start` refuses it too.
  const cfg = path.join(dir, 'start.yml');
  fs.writeFileSync(
    cfg,
    JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 's',
          url: 'http://127.0.0.1:9',
          routes: [{ name: 'r', paths: ['/'], plugins: [{ name: 'openid-connect', config: {} }] }],
        },
      ],
    }),
  );
  const started = await runCli(['start', '--config', cfg], {
    TURNPIKE_PREFIX: path.join(dir, 'prefix'),
    TURNPIKE_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
    TURNPIKE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
    TURNPIKE_ADMIN_LISTEN: 'off',
  });
  assert.notEqual(started.code, 0);
  assert.match(started.stderr + started.stdout, /openid-connect.*config\.issuer.*is required/s);
});
