// jwt end to end, through the real gateway: tokens signed by jose with every supported family
// of algorithm, Kong's statuses, messages and challenges, the token in a header, the query
// string or a cookie, claim checks, and the anonymous consumer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SignJWT, exportSPKI, generateKeyPair, type JWTPayload } from 'jose';
import { runCli, tmpDir } from '../helpers/gateway.js';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';
import { get, type Seen } from '../helpers/fetch.js';

const HS = ['HS256', 'HS384', 'HS512'] as const;
const ASYM = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'] as const;
type Alg = (typeof HS)[number] | (typeof ASYM)[number];
type SigningKey = Parameters<SignJWT['sign']>[0];

const now = () => Math.floor(Date.now() / 1000);
const b64url = (s: string) => Buffer.from(s).toString('base64url');

async function sign(
  payload: JWTPayload,
  alg: string,
  key: SigningKey,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ typ: 'JWT', ...header, alg }).sign(key);
}

test("jwt: every algorithm, Kong's refusals, query and cookie tokens, claims, anonymous", async () => {
  // One consumer per algorithm; asymmetric keys are generated here and stored as SPKI PEM.
  const signing = new Map<Alg, SigningKey>();
  const consumers: Record<string, unknown>[] = [];
  for (const alg of HS) {
    const secret = `secret-for-${alg}-0123456789abcdef0123456789abcdef0123456789abcdef`;
    signing.set(alg, new TextEncoder().encode(secret));
    consumers.push({ username: `user-${alg}`, jwt_secrets: [{ key: `iss-${alg}`, secret, algorithm: alg }] });
  }
  for (const alg of ASYM) {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    signing.set(alg, privateKey);
    consumers.push({
      username: `user-${alg}`,
      jwt_secrets: [{ key: `iss-${alg}`, algorithm: alg, rsa_public_key: await exportSPKI(publicKey) }],
    });
  }
  // A credential without `algorithm` (HS256 by default), one with a base64 secret, and the anonymous consumer.
  const plainSecret = 'plain-default-secret';
  const b64Bytes = new Uint8Array(Buffer.from('raw bytes \u0000\u00ff secret', 'latin1'));
  consumers.push({
    username: 'alice',
    custom_id: 'alice-42',
    jwt_secrets: [{ key: 'alice-iss', secret: plainSecret }],
  });
  consumers.push({
    username: 'b64',
    jwt_secrets: [{ key: 'b64-iss', secret: Buffer.from(b64Bytes).toString('base64url') }],
  });
  consumers.push({ username: 'guest', custom_id: 'guest-id' });
  const alice = new TextEncoder().encode(plainSecret);

  const up = await upstream('jwt');
  const route = (name: string, config: Record<string, unknown> = {}) => ({
    name,
    paths: [`/${name}`],
    strip_path: false,
    plugins: [{ name: 'jwt', config }],
  });
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            route('j'),
            route('cookie', { cookie_names: ['session'], realm: 'kong' }),
            route('claims', { claims_to_verify: ['exp', 'nbf'] }),
            route('max', { claims_to_verify: ['exp'], maximum_expiration: 60 }),
            route('anon', { anonymous: 'guest' }),
            route('b64', { secret_is_base64: true }),
            route('kid', { key_claim_name: 'kid', run_on_preflight: false }),
          ],
        },
      ],
      consumers,
    }),
  });
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  // Every algorithm is accepted; the upstream learns the consumer and the credential's key.
  for (const alg of [...HS, ...ASYM]) {
    const token = await sign({ iss: `iss-${alg}`, sub: 'x' }, alg, signing.get(alg)!);
    const ok = await get(gw.url + '/j/x', bearer(token));
    assert.equal(ok.status, 200, `${alg}: ${ok.text}`);
    const seen = (ok.json as Seen).headers;
    assert.equal(seen['x-consumer-username'], `user-${alg}`, alg);
    assert.match(seen['x-consumer-id'] ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(seen['x-credential-identifier'], `iss-${alg}`, 'Kong sends the jwt credential key');
    assert.equal(seen['x-anonymous-consumer'], undefined);
    assert.equal(seen.authorization, `Bearer ${token}`, 'the token is passed on');
  }

  const good = await sign({ iss: 'alice-iss' }, 'HS256', alice);
  const refused = async (
    pathname: string,
    headers: Record<string, string>,
    body: unknown,
    challenge = 'Bearer error="invalid_token"',
  ) => {
    const before = up.requests.length;
    const r = await get(gw.url + pathname, headers);
    assert.equal(r.status, 401, `${pathname} ${JSON.stringify(headers)}: ${r.text}`);
    assert.deepEqual(r.json, body);
    assert.equal(r.headers['www-authenticate'], challenge);
    assert.equal(up.requests.length, before, 'a refused request never reaches the upstream');
  };

  // No token; lower-case "bearer" works; other schemes are not tokens.
  await refused('/j/x', {}, { message: 'Unauthorized' }, 'Bearer');
  await refused('/j/x', { authorization: `Basic ${good}` }, { message: 'Unauthorized' }, 'Bearer');
  assert.equal((await get(gw.url + '/j/x', { authorization: `bearer ${good}` })).status, 200);
  // Undecodable tokens.
  await refused('/j/x', bearer('not-a-token'), { message: 'Bad token; invalid JSON' });
  await refused('/j/x', bearer(`${b64url('{"alg":')}.${b64url('{}')}.sig`), { message: 'Bad token; invalid JSON' });
  await refused('/j/x', bearer(`${b64url('{"alg":"none"}')}.${b64url('{"iss":"alice-iss"}')}.`), {
    message: 'Bad token; invalid alg',
  });
  // The key claim: missing, empty, unknown.
  await refused('/j/x', bearer(await sign({ sub: 'x' }, 'HS256', alice)), { message: "No mandatory 'iss' in claims" });
  await refused('/j/x', bearer(await sign({ iss: '' }, 'HS256', alice)), { message: "Invalid 'iss' in claims" });
  await refused('/j/x', bearer(await sign({ iss: 'nobody' }, 'HS256', alice)), {
    message: "No credentials found for given 'iss'",
  });
  // Tampered claims, a wrong secret, a wrong algorithm (HS512 for an HS256 credential; HS256 for an RS256 one).
  const [h, , s] = good.split('.');
  await refused('/j/x', bearer(`${h}.${b64url('{"iss":"alice-iss","admin":true}')}.${s}`), {
    message: 'Invalid signature',
  });
  await refused('/j/x', bearer(await sign({ iss: 'alice-iss' }, 'HS256', new TextEncoder().encode('wrong'))), {
    message: 'Invalid signature',
  });
  await refused('/j/x', bearer(await sign({ iss: 'alice-iss' }, 'HS512', alice)), { message: 'Invalid algorithm' });
  await refused('/j/x', bearer(await sign({ iss: 'iss-RS256' }, 'HS256', alice)), { message: 'Invalid algorithm' });
  // A token signed by another RS256 key.
  const other = await generateKeyPair('RS256');
  await refused('/j/x', bearer(await sign({ iss: 'iss-RS256' }, 'RS256', other.privateKey)), {
    message: 'Invalid signature',
  });

  // Claims are only checked when listed (Kong: claims_to_verify has no default).
  const expired = await sign({ iss: 'alice-iss', exp: now() - 10 }, 'HS256', alice);
  assert.equal((await get(gw.url + '/j/x', bearer(expired))).status, 200, 'exp is not checked unless asked');
  await refused('/claims/x', bearer(expired), { exp: 'token expired', nbf: 'must be a number' }, undefined);
  await refused(
    '/claims/x',
    bearer(await sign({ iss: 'alice-iss', exp: now() - 10, nbf: now() - 20 }, 'HS256', alice)),
    { exp: 'token expired' },
  );
  await refused(
    '/claims/x',
    bearer(await sign({ iss: 'alice-iss', exp: now() + 60, nbf: now() + 600 }, 'HS256', alice)),
    { nbf: 'token not valid yet' },
  );
  await refused('/claims/x', bearer(await sign({ iss: 'alice-iss' }, 'HS256', alice)), {
    exp: 'must be a number',
    nbf: 'must be a number',
  });
  await refused(
    '/claims/x',
    bearer(
      await sign({ iss: 'alice-iss', exp: String(now() + 60) as unknown as number, nbf: now() - 1 }, 'HS256', alice),
    ),
    { exp: 'must be a number' },
  );
  assert.equal(
    (
      await get(
        gw.url + '/claims/x',
        bearer(await sign({ iss: 'alice-iss', exp: now() + 60, nbf: now() - 1 }, 'HS256', alice)),
      )
    ).status,
    200,
  );
  // maximum_expiration.
  await refused('/max/x', bearer(await sign({ iss: 'alice-iss', exp: now() + 3600 }, 'HS256', alice)), {
    exp: 'exceeds maximum allowed expiration',
  });
  assert.equal(
    (await get(gw.url + '/max/x', bearer(await sign({ iss: 'alice-iss', exp: now() + 30 }, 'HS256', alice)))).status,
    200,
  );

  // The token in the query string (?jwt=) and in a cookie; two different tokens are refused.
  const q = await get(gw.url + `/j/x?a=1&jwt=${good}`);
  assert.equal(q.status, 200);
  assert.equal((q.json as Seen).headers['x-consumer-username'], 'alice');
  assert.equal((q.json as Seen).headers['x-consumer-custom-id'], 'alice-42');
  assert.equal((q.json as Seen).url, `/j/x?a=1&jwt=${good}`);
  assert.equal((await get(gw.url + `/j/x?jwt=${good}`, bearer(good))).status, 200, 'the same token twice is one token');
  const hs384 = await sign({ iss: 'iss-HS384' }, 'HS384', signing.get('HS384')!);
  await refused(`/j/x?jwt=${hs384}`, bearer(good), { message: 'Multiple tokens provided' });
  const c = await get(gw.url + '/cookie/x', { cookie: `theme=dark; session=${hs384}` });
  assert.equal(c.status, 200);
  assert.equal((c.json as Seen).headers['x-consumer-username'], 'user-HS384');
  await refused('/cookie/x', { cookie: 'session=' }, { message: 'Unauthorized' }, 'Bearer realm="kong"');
  await refused('/j/x', { cookie: `session=${good}` }, { message: 'Unauthorized' }, 'Bearer');

  // anonymous: no token or a bad one proceeds as the anonymous consumer; a good token still wins.
  for (const headers of [{}, bearer(expired.slice(0, -3)), bearer('garbage')]) {
    const a = await get(gw.url + '/anon/x', headers);
    assert.equal(a.status, 200);
    const ah = (a.json as Seen).headers;
    assert.equal(ah['x-consumer-username'], 'guest');
    assert.equal(ah['x-consumer-custom-id'], 'guest-id');
    assert.equal(ah['x-anonymous-consumer'], 'true');
    assert.equal(ah['x-credential-identifier'], undefined);
  }
  const named = await get(gw.url + '/anon/x', bearer(good));
  assert.equal((named.json as Seen).headers['x-consumer-username'], 'alice');
  assert.equal((named.json as Seen).headers['x-anonymous-consumer'], undefined);

  // secret_is_base64: the stored secret is decoded to the signing bytes.
  assert.equal((await get(gw.url + '/b64/x', bearer(await sign({ iss: 'b64-iss' }, 'HS256', b64Bytes)))).status, 200);
  await refused(
    '/b64/x',
    bearer(
      await sign({ iss: 'b64-iss' }, 'HS256', new TextEncoder().encode(Buffer.from(b64Bytes).toString('base64url'))),
    ),
    { message: 'Invalid signature' },
  );

  // key_claim_name found in the token header (kid); preflight skipped when asked.
  const kid = await sign({ sub: 'x' }, 'HS256', alice, { kid: 'alice-iss' });
  assert.equal((await get(gw.url + '/kid/x', bearer(kid))).status, 200);
  await refused('/kid/x', bearer(good), { message: "No mandatory 'kid' in claims" });
  assert.equal((await get(gw.url + '/kid/x', {}, 'OPTIONS')).status, 200);
  assert.equal((await get(gw.url + '/j/x', {}, 'OPTIONS')).status, 401);
});

test('jwt: maximum_expiration without exp in claims_to_verify stops the configuration', async () => {
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const cfg = path.join(dir, 'kong.yml');
  fs.writeFileSync(
    cfg,
    JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 's',
          url: 'http://127.0.0.1:9',
          routes: [{ name: 'r', paths: ['/'], plugins: [{ name: 'jwt', config: { maximum_expiration: 60 } }] }],
        },
      ],
    }),
  );
  const res = await runCli(['validate', cfg]);
  assert.equal(res.code, 1);
  assert.match(res.stderr + res.stdout, /jwt.*claims_to_verify.*expected to contain: exp/s);
});
