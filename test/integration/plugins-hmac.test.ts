// hmac-auth end to end, through the real gateway: requests signed here with node:crypto the
// way a client would (draft-cavage signing string, base64 HMAC), Kong 3.x statuses and
// messages, upstream headers, and nothing upstream when refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { gateway, upstream } from '../helpers/scope.js';
import { get, reached, type Seen } from '../helpers/fetch.js';

const CONSUMERS = [
  {
    username: 'alice',
    custom_id: 'alice-42',
    hmacauth_credentials: [{ username: 'alice-hmac', secret: 'alice-secret' }],
  },
  { username: 'bob', hmacauth_credentials: [{ username: 'bob-hmac', secret: 'bob-secret' }] },
  { username: 'guest' },
];

interface SignOpts {
  user: string;
  secret: string;
  algorithm?: 'hmac-sha1' | 'hmac-sha256' | 'hmac-sha384' | 'hmac-sha512';
  headers?: string[];
  method?: string;
  target: string; // path with query, as sent
  date?: Date;
  dateHeader?: 'date' | 'x-date';
  extra?: Record<string, string>;
  scheme?: string;
}

/** Headers of a request signed as a client would sign it. */
function signed(o: SignOpts): Record<string, string> {
  const algorithm = o.algorithm ?? 'hmac-sha256';
  const names = o.headers ?? ['date', 'request-line'];
  const dateName = o.dateHeader ?? 'date';
  const hdrs: Record<string, string> = { [dateName]: (o.date ?? new Date()).toUTCString(), ...o.extra };
  const lines = names.map((n) =>
    n === 'request-line' ? `${o.method ?? 'GET'} ${o.target} HTTP/1.1` : `${n}: ${hdrs[n]}`,
  );
  const sig = createHmac(algorithm.slice(5), o.secret).update(lines.join('\n')).digest('base64');
  hdrs.authorization = `${o.scheme ?? 'hmac'} username="${o.user}", algorithm="${algorithm}", headers="${names.join(' ')}", signature="${sig}"`;
  return hdrs;
}

function kongFile(upPort: number, rs: Record<string, unknown>[]): string {
  return JSON.stringify({
    _format_version: '3.0',
    services: [
      { name: 'svc', url: `http://127.0.0.1:${upPort}`, routes: rs.map((r) => ({ strip_path: false, ...r })) },
    ],
    consumers: CONSUMERS,
  });
}

test("hmac-auth: signed requests pass with the consumer upstream; bad ones get Kong's 401 messages and never reach the upstream", async () => {
  const up = await upstream('hmac');
  const gw = await gateway({
    config: kongFile(up.port, [
      { name: 'h', paths: ['/h'], plugins: [{ name: 'hmac-auth' }] },
      {
        name: 'enf',
        paths: ['/enf'],
        plugins: [
          {
            name: 'hmac-auth',
            config: {
              enforce_headers: ['date', 'request-line', 'x-nonce'],
              algorithms: ['hmac-sha512'],
              hide_credentials: true,
            },
          },
        ],
      },
      {
        name: 'anon',
        paths: ['/anon'],
        plugins: [{ name: 'hmac-auth', config: { anonymous: 'guest', clock_skew: 10 } }],
      },
    ]),
  });

  // Accepted: the upstream learns who the consumer is.
  const ok = await get(
    gw.url + '/h/x?a=1&b=%2F',
    signed({ user: 'alice-hmac', secret: 'alice-secret', target: '/h/x?a=1&b=%2F' }),
  );
  assert.equal(ok.status, 200, ok.text);
  const seen = (ok.json as Seen).headers;
  assert.match(seen['x-consumer-id'] ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(seen['x-consumer-username'], 'alice');
  assert.equal(seen['x-consumer-custom-id'], 'alice-42');
  assert.ok(seen['x-credential-identifier']);
  assert.match(seen.authorization ?? '', /^hmac username="alice-hmac"/, 'credentials are passed on by default');
  // Every algorithm, X-Date instead of Date, a custom header, Proxy-Authorization.
  for (const algorithm of ['hmac-sha1', 'hmac-sha384', 'hmac-sha512'] as const) {
    const r = await get(
      gw.url + '/h/y',
      signed({
        user: 'bob-hmac',
        secret: 'bob-secret',
        target: '/h/y',
        algorithm,
        dateHeader: 'x-date',
        headers: ['x-date', 'request-line', 'x-custom'],
        extra: { 'x-custom': 'v' },
      }),
    );
    assert.equal(r.status, 200, `${algorithm}: ${r.text}`);
    assert.equal((r.json as Seen).headers['x-consumer-username'], 'bob');
  }
  const p = signed({ user: 'bob-hmac', secret: 'bob-secret', target: '/h/p', method: 'POST' });
  const proxy = await get(gw.url + '/h/p', { date: p.date, 'proxy-authorization': p.authorization }, 'POST');
  assert.equal(proxy.status, 200, proxy.text);
  assert.equal((proxy.json as Seen).headers['x-consumer-username'], 'bob');
  const okBefore = reached(up, '/h');

  const refuse = async (headers: Record<string, string>, message: string, what: string, url = '/h/x') => {
    const r = await get(gw.url + url, headers);
    assert.equal(r.status, 401, what);
    assert.deepEqual(r.json, { message }, what);
  };
  await refuse({}, 'Unauthorized', 'no credentials');
  // Wrong signature: the secret, the path or the method differ from what was signed.
  await refuse(
    signed({ user: 'alice-hmac', secret: 'wrong', target: '/h/x' }),
    'HMAC signature does not match',
    'wrong secret',
  );
  await refuse(
    signed({ user: 'alice-hmac', secret: 'alice-secret', target: '/h/other' }),
    'HMAC signature does not match',
    'signed another path',
  );
  await refuse(
    signed({ user: 'alice-hmac', secret: 'alice-secret', target: '/h/x', method: 'DELETE' }),
    'HMAC signature does not match',
    'signed another method',
  );
  // Expired or missing date.
  const date = 'HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication';
  await refuse(
    signed({ user: 'alice-hmac', secret: 'alice-secret', target: '/h/x', date: new Date(Date.now() - 301_000) }),
    date,
    'date outside clock_skew',
  );
  await refuse(
    signed({ user: 'alice-hmac', secret: 'alice-secret', target: '/h/x', date: new Date(Date.now() + 600_000) }),
    date,
    'date in the future',
  );
  const noDate = signed({ user: 'alice-hmac', secret: 'alice-secret', target: '/h/x' });
  await refuse({ authorization: noDate.authorization }, date, 'no date header');
  await refuse({ ...noDate, date: 'yesterday' }, date, 'unparsable date');
  // Unknown user, a malformed header, an algorithm outside the list.
  await refuse(
    signed({ user: 'nobody', secret: 'alice-secret', target: '/h/x' }),
    'HMAC signature cannot be verified',
    'unknown user',
  );
  await refuse(
    { ...noDate, authorization: 'hmac username="alice-hmac"' },
    'HMAC signature cannot be verified',
    'incomplete header',
  );
  await refuse({ ...noDate, authorization: 'Basic YTpi' }, 'HMAC signature cannot be verified', 'another scheme');
  // Enforced headers and algorithms.
  const nonce = { 'x-nonce': 'n1' };
  await refuse(
    signed({ user: 'alice-hmac', secret: 'alice-secret', target: '/enf/x', algorithm: 'hmac-sha512', extra: nonce }),
    'HMAC signature cannot be verified',
    'enforced header not signed',
    '/enf/x',
  );
  await refuse(
    signed({
      user: 'alice-hmac',
      secret: 'alice-secret',
      target: '/enf/x',
      headers: ['date', 'request-line', 'x-nonce'],
      extra: nonce,
    }),
    'HMAC signature cannot be verified',
    'algorithm not allowed',
    '/enf/x',
  );
  assert.equal(reached(up, '/h'), okBefore, 'refused requests never reach the upstream');
  assert.equal(reached(up, '/enf'), 0, 'refused requests never reach the upstream');

  // Enforced headers signed, allowed algorithm; hide_credentials removes Authorization.
  const enf = await get(
    gw.url + '/enf/x',
    signed({
      user: 'alice-hmac',
      secret: 'alice-secret',
      target: '/enf/x',
      algorithm: 'hmac-sha512',
      headers: ['date', 'request-line', 'x-nonce'],
      extra: nonce,
    }),
  );
  assert.equal(enf.status, 200, enf.text);
  assert.equal((enf.json as Seen).headers.authorization, undefined);
  assert.equal((enf.json as Seen).headers['x-consumer-username'], 'alice');

  // anonymous: a failed signature proceeds as the anonymous consumer; a good one still wins.
  const anon = await get(gw.url + '/anon/x', signed({ user: 'alice-hmac', secret: 'wrong', target: '/anon/x' }));
  assert.equal(anon.status, 200);
  assert.equal((anon.json as Seen).headers['x-consumer-username'], 'guest');
  assert.equal((anon.json as Seen).headers['x-anonymous-consumer'], 'true');
  const named = await get(
    gw.url + '/anon/x',
    signed({ user: 'alice-hmac', secret: 'alice-secret', target: '/anon/x' }),
  );
  assert.equal((named.json as Seen).headers['x-consumer-username'], 'alice');
  assert.equal((named.json as Seen).headers['x-anonymous-consumer'], undefined);
  // clock_skew: 10 on this route; 30 s old falls back to anonymous.
  const old = await get(
    gw.url + '/anon/x',
    signed({ user: 'alice-hmac', secret: 'alice-secret', target: '/anon/x', date: new Date(Date.now() - 30_000) }),
  );
  assert.equal((old.json as Seen).headers['x-consumer-username'], 'guest');

  assert.doesNotMatch(gw.stderr + gw.stdout, /alice-secret|bob-secret/, 'secrets are never logged');
});

test('hmac-auth: validate_request_body checks the Digest header against the body, as Kong does', async () => {
  const up = await upstream('hmac-body');
  const gw = await gateway({
    config: kongFile(up.port, [
      { name: 'b', paths: ['/b'], plugins: [{ name: 'hmac-auth', config: { validate_request_body: true } }] },
    ]),
  });
  const digest = (body: string) => `SHA-256=${createHash('sha256').update(body).digest('base64')}`;
  const send = async (body: string | undefined, extra: Record<string, string>, method = 'POST') => {
    const headers = signed({
      user: 'alice-hmac',
      secret: 'alice-secret',
      target: '/b/x',
      method,
      headers: ['date', 'request-line', ...Object.keys(extra)],
      extra,
    });
    const res = await fetch(gw.url + '/b/x', {
      method,
      headers: { ...headers, ...(body !== undefined ? { 'content-type': 'text/plain' } : {}) },
      body,
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  const ok = await send('hello', { digest: digest('hello') });
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.equal(ok.json.bodyLength, 5, 'the body still goes upstream');
  assert.equal((ok.json.headers as Record<string, string>)['x-consumer-username'], 'alice');

  const before = reached(up, '/b/');
  const wrong = await send('hello!', { digest: digest('hello') });
  assert.deepEqual(wrong, { status: 401, json: { message: 'HMAC signature does not match' } });
  const missing = await send('hello', {});
  assert.deepEqual(
    missing,
    { status: 401, json: { message: 'HMAC signature does not match' } },
    'a body without a Digest',
  );
  assert.equal(reached(up, '/b/'), before, 'refused requests never reach the upstream');
  // No body and no Digest: nothing to check (Kong: an empty body passes).
  const empty = await send(undefined, {}, 'GET');
  assert.equal(empty.status, 200, JSON.stringify(empty.json));
});
