// Body features of the bundled plugins end to end, through the real gateway and a real upstream
// that records the body it got: request-transformer (JSON and form bodies, http_method),
// response-transformer (JSON bodies, Content-Length and chunked upstreams), key-auth
// (key_in_body) and request-size-limiting (chunked bodies measured).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { gateway, upstream } from '../helpers/scope.js';
import { rawRequest, type TestUpstream } from '../helpers/upstream.js';

/** A body sent chunked (no Content-Length), in several pieces. */
async function* chunked(...pieces: string[]): AsyncGenerator<Buffer> {
  for (const p of pieces) yield Buffer.from(p);
}

async function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string | AsyncGenerator<Buffer>,
) {
  const res = await request(url, { method, headers, body: typeof body === 'object' ? Readable.from(body) : body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

const last = (up: TestUpstream) => up.requests[up.requests.length - 1]!;

test('request-transformer: JSON and form bodies edited in Kong order (also chunked), others untouched; http_method', async () => {
  const up = await upstream('rt', (_req, res) => res.end('ok'));
  const ops = {
    remove: { body: ['secret'] },
    rename: { body: ['old:new'] },
    replace: { body: ['mode:replaced', 'absent:nope', 'off:on'] },
    add: { body: ['mode:not-added', 'added:yes', 'off:added'] },
    append: { body: ['tag:t2', 'list:c', 'fresh:f'] },
  };
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            { name: 'body', paths: ['/body'], plugins: [{ name: 'request-transformer', config: ops }] },
            {
              name: 'get',
              paths: ['/get'],
              plugins: [{ name: 'request-transformer', config: { http_method: 'GET' } }],
            },
            {
              name: 'put',
              paths: ['/put'],
              plugins: [{ name: 'request-transformer', config: { http_method: 'PUT', add: { body: ['x:1'] } } }],
            },
          ],
        },
      ],
    }),
  });
  const json = JSON.stringify({
    secret: 's',
    old: 1,
    mode: 'm',
    tag: 't1',
    list: ['a', 'b'],
    off: false,
    keep: { n: null },
  });
  const expected = {
    old: undefined,
    new: 1,
    mode: 'replaced',
    tag: ['t1', 't2'],
    list: ['a', 'b', 'c'],
    off: 'added',
    keep: { n: null },
    added: 'yes',
    fresh: ['f'],
  };
  const check = (label: string) => {
    const seen = last(up);
    assert.equal(seen.headers['content-length'], String(seen.body.length), `${label}: sent with its length`);
    assert.equal(seen.headers['transfer-encoding'], undefined, label);
    assert.deepEqual(JSON.parse(seen.body.toString()), JSON.parse(JSON.stringify(expected)), label);
  };
  assert.equal(
    (await send(gw.url + '/body', 'POST', { 'content-type': 'application/json; charset=utf-8' }, json)).status,
    200,
  );
  check('JSON with Content-Length');
  assert.equal(
    (
      await send(
        gw.url + '/body',
        'POST',
        { 'content-type': 'application/json' },
        chunked(json.slice(0, 10), json.slice(10)),
      )
    ).status,
    200,
  );
  check('chunked JSON');

  // Form bodies: repeated keys for append, names in lexicographic order.
  await send(
    gw.url + '/body',
    'POST',
    { 'content-type': 'application/x-www-form-urlencoded' },
    chunked('secret=s&old=1&mode=m', '&tag=t1&z=a%20b'),
  );
  assert.equal(
    last(up).body.toString(),
    'added=yes&fresh=f&list=c&mode=replaced&new=1&off=added&tag=t1&tag=t2&z=a%20b',
  );

  // Malformed JSON and other content types go upstream as sent.
  await send(gw.url + '/body', 'POST', { 'content-type': 'application/json' }, '{"secret": ');
  assert.equal(last(up).body.toString(), '{"secret": ');
  await send(gw.url + '/body', 'POST', { 'content-type': 'text/plain' }, 'secret=s');
  assert.equal(last(up).body.toString(), 'secret=s');
  // An empty JSON body gets the additions only.
  await send(gw.url + '/body', 'POST', { 'content-type': 'application/json' }, '');
  assert.deepEqual(JSON.parse(last(up).body.toString()), {
    mode: 'not-added',
    added: 'yes',
    off: 'added',
    tag: ['t2'],
    list: ['c'],
    fresh: ['f'],
  });

  // http_method: to GET, a form body's arguments also go to the query string (appended).
  await send(gw.url + '/get/x?a=0', 'POST', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1&b=2');
  assert.equal(last(up).method, 'GET');
  assert.equal(last(up).url, '/x?a=0&a=1&b=2');
  await send(gw.url + '/put/x', 'POST', { 'content-type': 'application/json' }, '{"y":2}');
  assert.equal(last(up).method, 'PUT');
  assert.deepEqual(JSON.parse(last(up).body.toString()), { y: 2, x: '1' });
});

test('response-transformer: JSON bodies edited with json_types, from Content-Length and chunked upstreams; others pass', async () => {
  const doc = JSON.stringify({ secret: 's', old: 'o', count: 1, tag: 't1', flag: false });
  const up = await upstream('rs', (req, res) => {
    if (req.url === '/cl') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(doc)) });
      res.end(doc);
    } else if (req.url === '/chunked') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(doc.slice(0, 7));
      setTimeout(() => res.end(doc.slice(7)), 20);
    } else if (req.url === '/bad') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"secret": ');
    } else {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '14' });
      res.end('{"secret":"s"}');
    }
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
                remove: { json: ['secret'] },
                rename: { json: ['old:new'] },
                replace: { json: ['count:2', 'none:x'], json_types: ['number', 'string'] },
                add: { json: ['flag:true', 'added:yes', 'n:nan'], json_types: ['boolean', 'string', 'number'] },
                append: { json: ['tag:t2'] },
              },
            },
          ],
        },
      ],
    }),
  });
  const want = { new: 'o', count: 2, tag: ['t1', 't2'], flag: true, added: 'yes' };
  for (const path of ['/cl', '/chunked']) {
    const r = await send(gw.url + path, 'GET', {});
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.text), want, path);
    assert.equal(r.headers['content-length'], undefined, `${path}: the length is the filter's`);
  }
  const bad = await send(gw.url + '/bad', 'GET', {});
  assert.equal(bad.text, '{"secret": ', 'malformed JSON passes unchanged');
  const text = await send(gw.url + '/text', 'GET', {});
  assert.equal(text.text, '{"secret":"s"}', 'not JSON: untouched');
  assert.equal(text.headers['content-length'], '14', 'no filter opened: the length stays');
});

test('key-auth: key_in_body from JSON and form bodies (also chunked), hidden upstream, refused when wrong', async () => {
  const up = await upstream('ka', (_req, res) => res.end('ok'));
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            { name: 'b', paths: ['/b'], plugins: [{ name: 'key-auth', config: { key_in_body: true } }] },
            {
              name: 'hide',
              paths: ['/hide'],
              plugins: [{ name: 'key-auth', config: { key_in_body: true, hide_credentials: true } }],
            },
            { name: 'nob', paths: ['/nob'], plugins: [{ name: 'key-auth' }] },
          ],
        },
      ],
      consumers: [{ username: 'alice', keyauth_credentials: [{ key: 'k-alice' }] }],
    }),
  });
  const json = { 'content-type': 'application/json' };
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  let r = await send(gw.url + '/b', 'POST', json, '{"apikey":"k-alice","x":1}');
  assert.equal(r.status, 200);
  assert.equal(last(up).headers['x-consumer-username'], 'alice');
  assert.equal(
    last(up).body.toString(),
    '{"apikey":"k-alice","x":1}',
    'without hide_credentials the body is untouched',
  );
  r = await send(gw.url + '/b', 'POST', form, chunked('x=1&api', 'key=k-alice'));
  assert.equal(r.status, 200);

  r = await send(gw.url + '/hide', 'POST', json, chunked('{"apikey":"k-a', 'lice","x":1}'));
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(last(up).body.toString()), { x: 1 });
  r = await send(gw.url + '/hide', 'POST', form, 'x=1&apikey=k-alice');
  assert.equal(r.status, 200);
  assert.equal(last(up).body.toString(), 'x=1');
  // The key in a header: the body still loses the name, as in Kong.
  r = await send(gw.url + '/hide', 'POST', { ...json, apikey: 'k-alice' }, '{"apikey":"other","y":2}');
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(last(up).body.toString()), { y: 2 });
  assert.equal(last(up).headers['apikey'], undefined);

  const before = up.requests.length;
  r = await send(gw.url + '/b', 'POST', json, '{"apikey":"wrong"}');
  assert.equal(r.status, 401);
  assert.deepEqual(JSON.parse(r.text), { message: 'Unauthorized' });
  r = await send(gw.url + '/b', 'POST', form, 'apikey=k-alice&apikey=k-alice');
  assert.deepEqual([r.status, JSON.parse(r.text)], [401, { message: 'Duplicate API key found' }]);
  r = await send(gw.url + '/b', 'POST', json, '{"apikey": 12}');
  assert.deepEqual(
    [r.status, JSON.parse(r.text)],
    [401, { message: 'No API key found in request' }],
    'not a string: no key',
  );
  r = await send(gw.url + '/b', 'POST', json, '{"apikey": ');
  assert.deepEqual(
    [r.status, JSON.parse(r.text)],
    [401, { message: 'No API key found in request' }],
    'malformed: searched as empty',
  );
  r = await send(gw.url + '/nob', 'POST', json, '{"apikey":"k-alice"}');
  assert.equal(r.status, 401, 'key_in_body off: the body is not searched');
  assert.equal(up.requests.length, before, 'refused requests never reached the upstream');
});

test('request-size-limiting: a chunked body over the limit is 413 and the upstream sees nothing', async () => {
  const up = await upstream('rsl', (_req, res) => res.end('ok'));
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
              plugins: [{ name: 'request-size-limiting', config: { allowed_payload_size: 10, size_unit: 'bytes' } }],
            },
            {
              name: 'strict',
              paths: ['/strict'],
              plugins: [
                {
                  name: 'request-size-limiting',
                  config: { allowed_payload_size: 10, size_unit: 'bytes', require_content_length: true },
                },
              ],
            },
          ],
        },
      ],
    }),
  });
  // require_content_length: a chunked body (even an empty one) is measured, not refused; a bodiless GET without a length is refused.
  let s = await send(gw.url + '/strict', 'POST', {}, chunked(''));
  assert.equal(s.status, 200, 'an empty chunked body passes, as in Kong');
  s = await send(gw.url + '/strict', 'POST', {}, chunked('0123456789abc'));
  assert.equal(s.status, 413);
  s = await send(gw.url + '/strict', 'GET', {});
  assert.equal(s.status, 411);
  // Expect: 100-continue with a declared length over the limit: Kong's 417, and the body is never asked for.
  const raw = await rawRequest(
    gw.proxyPort,
    'POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\nExpect: 100-continue\r\n\r\n',
  );
  assert.match(raw, /^HTTP\/1.1 417 /);
  assert.doesNotMatch(raw, /100 Continue/);
  const before = up.requests.length;
  let r = await send(gw.url + '/x', 'POST', {}, chunked('12345', '67890'));
  assert.equal(r.status, 200);
  assert.equal(last(up).body.toString(), '1234567890');
  r = await send(gw.url + '/x', 'POST', {}, chunked('123456', '78901'));
  assert.equal(r.status, 413);
  assert.deepEqual(JSON.parse(r.text), { message: 'Request size limit exceeded' });
  assert.equal(up.requests.length, before + 1, 'the upstream saw only the first of these two');
});
