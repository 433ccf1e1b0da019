import { test } from 'node:test';
import assert from 'node:assert/strict';
import plugin from '../../../../src/plugins/bundled/request-termination/index.js';
import { configure, defaults, Exchange, run } from './context.js';

test('request-termination: Kong defaults and priority', () => {
  assert.equal(plugin.priority, 2);
  assert.deepEqual(Object.keys(plugin.phases), ['access']);
  assert.deepEqual(defaults(plugin), {
    status_code: 503,
    message: null,
    content_type: null,
    body: null,
    echo: false,
    trigger: null,
  });
});

test('request-termination: default config answers 503 {"message":"Service unavailable"}', async () => {
  const ex = new Exchange();
  await run(plugin, 'access', ex, configure(plugin, {}));
  assert.deepEqual(ex.answer, { status: 503, body: { message: 'Service unavailable' }, headers: {} });
});

test('request-termination: a status with a Kong default message, one without, and a custom message', async () => {
  const cases: [Record<string, unknown>, unknown][] = [
    [{ status_code: 404 }, { message: 'Not found' }],
    [{ status_code: 401 }, { message: 'Unauthorized' }],
    [{ status_code: 418 }, undefined],
    [
      { status_code: 403, message: 'So long and thanks for all the fish!' },
      { message: 'So long and thanks for all the fish!' },
    ],
  ];
  for (const [conf, body] of cases) {
    const ex = new Exchange();
    await run(plugin, 'access', ex, configure(plugin, conf));
    assert.equal(ex.answer?.status, conf.status_code);
    assert.deepEqual(ex.answer?.body, body, JSON.stringify(conf));
  }
});

test('request-termination: raw body with its content type, and the documented default content type', async () => {
  let ex = new Exchange();
  await run(
    plugin,
    'access',
    ex,
    configure(plugin, { status_code: 200, body: '<h1>bye</h1>', content_type: 'text/html' }),
  );
  assert.deepEqual(ex.answer, { status: 200, body: '<h1>bye</h1>', headers: { 'Content-Type': 'text/html' } });
  ex = new Exchange();
  await run(plugin, 'access', ex, configure(plugin, { body: '{"down":true}' }));
  assert.deepEqual(ex.answer, {
    status: 503,
    body: '{"down":true}',
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
  });
});

test('request-termination: trigger fires on a header or a query argument, otherwise the request passes', async () => {
  const conf = configure(plugin, { trigger: 'X-Terminate', status_code: 410, message: 'gone' });
  let ex = new Exchange();
  await run(plugin, 'access', ex, conf);
  assert.equal(ex.answer, null);
  ex = new Exchange({ headers: { 'x-terminate': '' } });
  await run(plugin, 'access', ex, conf);
  assert.equal(ex.answer?.status, 410);
  ex = new Exchange({ query: '?X-Terminate=1' });
  await run(plugin, 'access', ex, conf);
  assert.deepEqual(ex.answer?.body, { message: 'gone' });
});

test('request-termination: echo returns the request', async () => {
  const ex = new Exchange({
    method: 'POST',
    path: '/a/b',
    query: '?x=1&x=2&flag',
    host: 'api.test',
    port: 8443,
    scheme: 'https',
  });
  await run(plugin, 'access', ex, configure(plugin, { echo: true, status_code: 404 }));
  assert.equal(ex.answer?.status, 404);
  const body = ex.answer?.body as Record<string, any>;
  assert.equal(body.message, 'Not found');
  assert.deepEqual(body.request, {
    scheme: 'https',
    host: 'api.test',
    port: 8443,
    method: 'POST',
    path: '/a/b',
    raw_path: '/a/b',
    query: { x: ['1', '2'], flag: true },
  });
  assert.deepEqual(body.matched_route, { id: 'r-1', name: 'route-1' });
});

test("request-termination: Kong's config rules are enforced with Kong's messages", () => {
  assert.throws(
    () => configure(plugin, { message: 'm', body: 'b' }),
    /message cannot be used with content_type or body/,
  );
  assert.throws(() => configure(plugin, { content_type: 'text/plain' }), /content_type requires a body/);
  assert.throws(() => configure(plugin, { echo: true, body: 'b' }), /echo cannot be used with content_type and body/);
  assert.throws(() => configure(plugin, { status_code: 600 }), /schema: \/status_code/);
  assert.throws(() => configure(plugin, { status_code: 99 }), /schema: \/status_code/);
  assert.throws(() => configure(plugin, { trigger: 'bad header' }), /schema: \/trigger/);
  assert.throws(() => configure(plugin, { colour: 'red' }), /schema: \/colour unknown field/);
  // An empty message is not "present" for Kong's rule.
  assert.doesNotThrow(() => configure(plugin, { message: '', body: 'b' }));
});
