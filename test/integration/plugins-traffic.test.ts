// Traffic-control and transformation plugins end to end, through the real gateway (1 worker):
// rate-limiting (local policy), request-transformer, response-transformer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { sleep } from '../helpers/gateway.js';
import { gateway, upstream } from '../helpers/scope.js';
import { get } from '../helpers/fetch.js';

/** Waits until the start of a fresh UTC second, so that a short burst stays inside one `second` window. */
async function freshSecond(): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + 5);
}

test('rate-limiting: exactly N pass, then 429 with Kong body, headers and Retry-After; the window resets', async () => {
  const up = await upstream('rl');
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            {
              name: 'ip',
              paths: ['/ip'],
              plugins: [{ name: 'rate-limiting', config: { second: 3, hour: 1000, limit_by: 'ip' } }],
            },
            {
              name: 'hdr',
              paths: ['/hdr'],
              plugins: [{ name: 'rate-limiting', config: { second: 2, limit_by: 'header', header_name: 'X-Client' } }],
            },
            {
              name: 'hidden',
              paths: ['/hidden'],
              plugins: [
                {
                  name: 'rate-limiting',
                  config: { second: 1, hide_client_headers: true, error_code: 503, error_message: 'busy' },
                },
              ],
            },
            // Kong's flat redis fields load (upgraded), the local policy runs.
            {
              name: 'flat',
              paths: ['/flat'],
              plugins: [
                {
                  name: 'rate-limiting',
                  config: { minute: 50, policy: 'local', redis_host: 'redis.internal', redis_port: 6379 },
                },
              ],
            },
          ],
        },
      ],
    }),
  });

  await freshSecond();
  const ok: Awaited<ReturnType<typeof get>>[] = [];
  for (let i = 0; i < 3; i++) ok.push(await get(gw.url + '/ip/x'));
  const limited = await get(gw.url + '/ip/x');
  ok.forEach((r, i) => {
    assert.equal(r.status, 200, `request ${i + 1} passes`);
    assert.equal(r.headers['x-ratelimit-limit-second'], '3');
    assert.equal(r.headers['x-ratelimit-remaining-second'], String(2 - i));
    assert.equal(r.headers['x-ratelimit-limit-hour'], '1000');
    assert.equal(r.headers['x-ratelimit-remaining-hour'], String(999 - i));
    assert.equal(r.headers['ratelimit-limit'], '3', 'the most restrictive window is the second');
    assert.equal(r.headers['ratelimit-remaining'], String(2 - i));
    assert.equal(r.headers['ratelimit-reset'], '1');
    assert.equal(r.headers['retry-after'], undefined);
  });
  assert.equal(limited.status, 429);
  assert.deepEqual(JSON.parse(limited.text), { message: 'API rate limit exceeded' });
  assert.match(String(limited.headers['content-type']), /application\/json/);
  assert.equal(limited.headers['retry-after'], '1');
  assert.equal(limited.headers['ratelimit-limit'], '3');
  assert.equal(limited.headers['ratelimit-remaining'], '0');
  assert.equal(limited.headers['ratelimit-reset'], '1');
  assert.equal(limited.headers['x-ratelimit-remaining-second'], '0');
  assert.equal(limited.headers['x-ratelimit-remaining-hour'], '997', 'the refused request is not counted');
  assert.equal(up.requests.length, 3, 'the upstream saw exactly N requests');

  // Next second: a fresh window.
  await freshSecond();
  const again = await get(gw.url + '/ip/x');
  assert.equal(again.status, 200);
  assert.equal(again.headers['x-ratelimit-remaining-second'], '2');
  assert.equal(again.headers['x-ratelimit-remaining-hour'], '996');

  // limit_by header: each X-Client value has its own counter.
  await freshSecond();
  const a = [
    await get(gw.url + '/hdr', { 'x-client': 'a' }),
    await get(gw.url + '/hdr', { 'x-client': 'a' }),
    await get(gw.url + '/hdr', { 'x-client': 'a' }),
  ];
  const b = await get(gw.url + '/hdr', { 'x-client': 'b' });
  assert.deepEqual(
    a.map((r) => r.status),
    [200, 200, 429],
  );
  assert.equal(b.status, 200, 'client b is not limited by client a');
  assert.equal(b.headers['x-ratelimit-remaining-second'], '1');

  // hide_client_headers: no rate-limit headers, not even Retry-After (as Kong); custom code and message.
  await freshSecond();
  const h1 = await get(gw.url + '/hidden');
  const h2 = await get(gw.url + '/hidden');
  assert.equal(h1.status, 200);
  assert.equal(h2.status, 503);
  assert.deepEqual(JSON.parse(h2.text), { message: 'busy' });
  for (const r of [h1, h2]) {
    for (const name of Object.keys(r.headers)) assert.doesNotMatch(name, /ratelimit|retry-after/i);
  }

  const flat = await get(gw.url + '/flat');
  assert.equal(flat.status, 200);
  assert.equal(flat.headers['x-ratelimit-limit-minute'], '50');
});

test("rate-limiting: policy redis loads with Kong's flat redis_* fields, and needs a host", async () => {
  const { runCli, tmpDir } = await import('../helpers/gateway.js');
  const fs = await import('node:fs');
  const path = await import('node:path');
  const dir = tmpDir();
  const cfg = path.join(dir, 'kong.yml');
  const write = (config: Record<string, unknown>) =>
    fs.writeFileSync(
      cfg,
      JSON.stringify({
        _format_version: '3.0',
        services: [{ name: 'svc', url: 'http://127.0.0.1:9', routes: [{ name: 'r', paths: ['/'] }] }],
        plugins: [{ name: 'rate-limiting', config }],
      }),
    );
  write({ minute: 5, policy: 'redis', redis_host: '127.0.0.1' });
  const ok = await runCli(['validate', cfg]);
  write({ minute: 5, policy: 'redis' });
  const bad = await runCli(['validate', cfg]);
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /rate-limiting/);
  assert.match(bad.stderr, /redis\.host: required field missing/);
});

test('request-transformer: uri, headers and query string edited in Kong order, as the upstream sees them', async () => {
  const up = await upstream('rt');
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            {
              name: 'rt',
              paths: ['/rt'],
              plugins: [
                {
                  name: 'request-transformer',
                  config: {
                    remove: { headers: ['X-Remove-Me'], querystring: ['drop'] },
                    rename: { headers: ['X-Old:X-New'], querystring: ['old:new'] },
                    replace: {
                      headers: ['X-Replace:replaced', 'X-Absent:nope', 'host:backend.example'],
                      querystring: ['rep:R', 'absentrep:no'],
                      uri: '/echo/new-path',
                    },
                    add: {
                      headers: ['X-Added:yes', 'X-Existing:not-overwritten', 'X-Colon:a:b'],
                      querystring: ['added:1 2', 'existing:no'],
                    },
                    append: { headers: ['X-Multi:two'], querystring: ['multi:b'] },
                  },
                },
              ],
            },
            { name: 'plain', paths: ['/plain'] },
          ],
        },
      ],
    }),
  });
  const res = await request(gw.url + '/rt/anything?drop=1&old=o&rep=r&existing=yes&multi=a&flag', {
    headers: { 'x-remove-me': '1', 'x-old': 'o', 'x-replace': 'r', 'x-existing': 'e', 'x-multi': 'one' },
  });
  assert.equal(res.statusCode, 200);
  const seen = (await res.body.json()) as { url: string; headers: Record<string, string> };
  // Kong's set_query: names in lexicographic order, values of a name in order, percent-encoded.
  assert.equal(seen.url, '/echo/new-path?added=1%202&existing=yes&flag&multi=a&multi=b&new=o&rep=R');
  assert.equal(seen.headers['x-remove-me'], undefined);
  assert.equal(seen.headers['x-old'], undefined);
  assert.equal(seen.headers['x-new'], 'o');
  assert.equal(seen.headers['x-replace'], 'replaced');
  assert.equal(seen.headers['x-absent'], undefined, 'replace only touches headers that are there');
  assert.equal(seen.headers['host'], 'backend.example', 'replace sets Host');
  assert.equal(seen.headers['x-added'], 'yes');
  assert.equal(seen.headers['x-existing'], 'e', 'add does not overwrite');
  assert.equal(seen.headers['x-colon'], 'a:b', 'the value runs past the first colon');
  assert.equal(seen.headers['x-multi'], 'one, two', 'append adds another value');

  // Without query operations the query string goes upstream untouched; other routes are not affected.
  const plain = await request(gw.url + '/plain/x?b=2&a=1', { headers: { 'x-old': 'o' } });
  const p = (await plain.body.json()) as { url: string; headers: Record<string, string> };
  assert.equal(p.url, '/x?b=2&a=1');
  assert.equal(p.headers['x-old'], 'o');
});

test('response-transformer: headers edited in Kong order on the client response', async () => {
  const up = await upstream('resp', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-a': '1', 'x-b': '2', 'x-c': '3', 'x-d': '4' });
    res.end('hello');
  });
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [{ name: 'r', paths: ['/'] }],
          plugins: [
            {
              name: 'response-transformer',
              config: {
                remove: { headers: ['X-A'] },
                rename: { headers: ['X-B:X-Bee'] },
                replace: { headers: ['X-C:new-c', 'X-None:nope'] },
                // Kong looks at the headers as they came: X-A was there, so it is not added back.
                add: { headers: ['X-D:not-added', 'X-Added:yes', 'X-A:back'] },
                append: { headers: ['X-D:extra', 'X-App:1'] },
              },
            },
          ],
        },
      ],
    }),
  });
  const res = await request(gw.url + '/x');
  assert.equal(res.statusCode, 200);
  assert.equal(await res.body.text(), 'hello', 'the body is untouched');
  const h = res.headers;
  assert.equal(h['x-a'], undefined);
  assert.equal(h['x-b'], undefined);
  assert.equal(h['x-bee'], '2');
  assert.equal(h['x-c'], 'new-c');
  assert.equal(h['x-none'], undefined);
  assert.deepEqual(h['x-d'], ['4', 'extra']);
  assert.equal(h['x-added'], 'yes');
  assert.equal(h['x-app'], '1');
  assert.equal(h['content-type'], 'text/plain');
});

test('transformers: what is not available yet is refused at load with a clear message', async () => {
  const { runCli, tmpDir } = await import('../helpers/gateway.js');
  const fs = await import('node:fs');
  const path = await import('node:path');
  const dir = tmpDir();
  const cfg = path.join(dir, 'kong.yml');
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['request-transformer', { http_method: 'HEAD' }, /http_method.*cannot turn a request into HEAD/],
    ['request-transformer', { http_method: 'CONNECT' }, /http_method.*CONNECT cannot be proxied/],
    ['request-transformer', { add: { headers: ['X-Who:$(headers.host)'] } }, /template values/],
    ['request-transformer', { add: { headers: ['Content-Length:5'] } }, /managed by the gateway/],
    ['response-transformer', { add: { headers: ['novalue'] } }, /response-transformer/],
  ];
  try {
    for (const [name, config, re] of cases) {
      fs.writeFileSync(
        cfg,
        JSON.stringify({
          _format_version: '3.0',
          services: [{ name: 'svc', url: 'http://127.0.0.1:9', routes: [{ name: 'r', paths: ['/'] }] }],
          plugins: [{ name, config }],
        }),
      );
      const r = await runCli(['validate', cfg]);
      assert.equal(r.code, 1, JSON.stringify(config));
      assert.match(r.stderr, new RegExp(name));
      assert.match(r.stderr, re);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bot-detection: known bots and deny patterns get 403, allow wins, other clients pass', async () => {
  const up = await upstream('bots');
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            {
              name: 'r',
              paths: ['/'],
              plugins: [{ name: 'bot-detection', config: { deny: ['^BadClient/'], allow: ['^Googlebot/2\\.1'] } }],
            },
          ],
        },
      ],
    }),
  });
  const ua = (v: string) => get(gw.url + '/x', { 'user-agent': v });
  const bot = await ua('Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)');
  assert.equal(bot.status, 403);
  assert.deepEqual(bot.json, { message: 'Forbidden' });
  assert.equal((await ua('BadClient/1.0')).status, 403, 'a deny pattern');
  assert.equal(
    (await ua('Googlebot/2.1 (+http://www.google.com/bot.html)')).status,
    200,
    'allow wins over the built-in rules',
  );
  assert.equal((await ua('Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0')).status, 200);
  assert.equal(up.requests.filter((r) => r.url === '/x').length, 2, 'refused requests never reached the upstream');
});
