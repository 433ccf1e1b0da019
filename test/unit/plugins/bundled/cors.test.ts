import { test } from 'node:test';
import assert from 'node:assert/strict';
import plugin, { normalizeOrigin } from '../../../../src/plugins/bundled/cors/index.js';
import { configure, defaults, Exchange, run } from './context.js';

const ALL = 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT';
const preflightReq = (origin: string, extra: Record<string, string> = {}) =>
  new Exchange({ method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', ...extra } });

async function preflight(conf: Record<string, unknown>, origin: string, extra: Record<string, string> = {}) {
  const ex = preflightReq(origin, extra);
  await run(plugin, 'access', ex, configure(plugin, conf));
  return ex;
}

async function normal(
  conf: Record<string, unknown>,
  headers: Record<string, string>,
  upstream: Record<string, string> = {},
) {
  const c = configure(plugin, conf);
  const ex = new Exchange({ headers });
  await run(plugin, 'access', ex, c);
  assert.equal(ex.answer, null, 'a normal request is never answered by cors');
  ex.upstreamAnswered(200, upstream);
  await run(plugin, 'response', ex, c);
  return ex.responseHeaders;
}

test('cors: Kong priority, phases and defaults', () => {
  assert.equal(plugin.priority, 2000);
  assert.deepEqual(Object.keys(plugin.phases).sort(), ['access', 'response']);
  assert.deepEqual(defaults(plugin), {
    origins: null,
    headers: null,
    exposed_headers: null,
    methods: ALL.split(','),
    max_age: null,
    credentials: false,
    private_network: false,
    preflight_continue: false,
    allow_origin_absent: true,
  });
});

test('cors: preflight with defaults is answered 200 with "*" and every method, echoing requested headers', async () => {
  const ex = await preflight({}, 'https://app.test', { 'access-control-request-headers': 'X-A,X-B' });
  assert.deepEqual(ex.answer, {
    status: 200,
    body: undefined,
    headers: {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Headers': 'X-A,X-B',
      'Access-Control-Allow-Methods': ALL,
    },
  });
});

test('cors: preflight with a configured origin list, headers, max_age, credentials and private network', async () => {
  const conf = {
    origins: ['https://app.test', 'http://other.test:8080'],
    headers: ['Authorization', 'Content-Type'],
    methods: ['GET', 'POST'],
    max_age: 3600,
    credentials: true,
    private_network: true,
  };
  const ex = await preflight(conf, 'https://app.test:443', { 'access-control-request-private-network': 'true' });
  assert.deepEqual(ex.answer?.headers, {
    Vary: 'Origin',
    'Access-Control-Allow-Origin': 'https://app.test',
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Allow-Headers': 'Authorization,Content-Type',
    'Access-Control-Allow-Methods': 'GET,POST',
    'Access-Control-Max-Age': '3600',
    'Access-Control-Allow-Private-Network': 'true',
  });
  // An origin not in the list gets no ACAO (the browser then refuses), still a 200.
  const denied = await preflight(conf, 'https://evil.test');
  assert.equal(denied.answer?.status, 200);
  assert.equal(denied.answer?.headers['Access-Control-Allow-Origin'], undefined);
});

test('cors: a single literal origin is always sent as configured', async () => {
  const ex = await preflight({ origins: ['https://app.test'] }, 'https://evil.test');
  assert.equal(ex.answer?.headers['Access-Control-Allow-Origin'], 'https://app.test');
});

test('cors: regex origins, anchored as Kong anchors them, by host when the entry has no ":"', async () => {
  const conf = { origins: ['(.*)\\.example\\.com', 'https://[a-z]+\\.partner\\.test'] };
  for (const [origin, acao] of [
    ['https://api.example.com', 'https://api.example.com'],
    ['http://api.example.com:80', 'http://api.example.com'],
    ['https://api.example.com.evil.test', undefined],
    ['https://shop.partner.test', 'https://shop.partner.test'],
    ['http://shop.partner.test', undefined],
    ['https://shop.partner.test.evil', undefined],
  ] as const) {
    const ex = await preflight(conf, origin);
    assert.equal(ex.answer?.headers['Access-Control-Allow-Origin'], acao, origin);
  }
  // "a|b" keeps Kong's semantics: every alternative anchored at the start, "$" on the last.
  const alt = { origins: ['api\\.one\\.test|api\\.two\\.test'] };
  assert.equal(
    (await preflight(alt, 'https://api.one.test')).answer?.headers['Access-Control-Allow-Origin'],
    'https://api.one.test',
  );
  assert.equal(
    (await preflight(alt, 'https://x.api.one.test')).answer?.headers['Access-Control-Allow-Origin'],
    undefined,
  );
});

test('cors: "*" with credentials echoes the request origin', async () => {
  const ex = await preflight({ origins: ['*'], credentials: true }, 'https://app.test');
  assert.equal(ex.answer?.headers['Access-Control-Allow-Origin'], 'https://app.test');
  assert.equal(ex.answer?.headers['Access-Control-Allow-Credentials'], 'true');
  assert.equal(ex.answer?.headers['Vary'], 'Origin');
});

test('cors: OPTIONS without Access-Control-Request-Method is not a preflight; preflight_continue proxies it without headers', async () => {
  let ex = new Exchange({ method: 'OPTIONS', headers: { origin: 'https://app.test' } });
  const c = configure(plugin, {});
  await run(plugin, 'access', ex, c);
  assert.equal(ex.answer, null);
  ex.upstreamAnswered(204);
  await run(plugin, 'response', ex, c);
  assert.equal(ex.responseHeaders.get('access-control-allow-origin'), '*');

  const pc = configure(plugin, { preflight_continue: true });
  ex = preflightReq('https://app.test');
  await run(plugin, 'access', ex, pc);
  assert.equal(ex.answer, null);
  ex.upstreamAnswered(204);
  await run(plugin, 'response', ex, pc);
  assert.equal(ex.responseHeaders.has('access-control-allow-origin'), false);
});

test('cors: normal responses get ACAO, credentials, exposed headers and an appended Vary', async () => {
  const h = await normal(
    { origins: ['https://app.test', 'https://b.test'], credentials: true, exposed_headers: ['X-Total', 'X-Page'] },
    { origin: 'https://b.test' },
    { Vary: 'Accept-Encoding', 'Access-Control-Allow-Origin': 'https://upstream-said.test' },
  );
  assert.equal(h.get('access-control-allow-origin'), 'https://b.test');
  assert.equal(h.get('access-control-allow-credentials'), 'true');
  assert.equal(h.get('access-control-expose-headers'), 'X-Total,X-Page');
  assert.deepEqual(h.all('vary'), ['Accept-Encoding', 'Origin']);
  // Not allowed: the upstream's own ACAO is removed.
  const d = await normal(
    { origins: ['https://app.test', 'https://b.test'] },
    { origin: 'https://c.test' },
    { 'Access-Control-Allow-Origin': '*' },
  );
  assert.equal(d.has('access-control-allow-origin'), false);
});

test('cors: allow_origin_absent decides whether requests without Origin get headers', async () => {
  assert.equal((await normal({}, {})).get('access-control-allow-origin'), '*');
  assert.equal((await normal({ allow_origin_absent: false }, {})).has('access-control-allow-origin'), false);
});

test('cors: invalid config is refused', () => {
  assert.throws(
    () => configure(plugin, { origins: ['https://(unclosed.test'] }),
    /origins\.0: 'https:\/\/\(unclosed\.test' is not a valid regex/,
  );
  assert.throws(() => configure(plugin, { methods: ['GET', 'BREW'] }), /schema: \/methods\/1/);
  assert.throws(() => configure(plugin, { max_age: 'long' }), /schema: \/max_age/);
});

test('cors: origin normalization', () => {
  assert.deepEqual(normalizeOrigin('https://a.test:443'), { domain: 'https://a.test', host: 'a.test' });
  assert.deepEqual(normalizeOrigin('http://a.test:8080'), { domain: 'http://a.test:8080', host: 'a.test' });
  assert.deepEqual(normalizeOrigin('http://[::1]:80'), { domain: 'http://[::1]', host: '[::1]' });
  assert.deepEqual(normalizeOrigin('null'), { domain: 'null', host: 'null' });
});
