// The Admin API's limits against a real node (DB-less): admin_max_body_size refuses a larger
// body with a 413 the client gets (announced by Content-Length, or found while reading a
// chunked body), a body at the limit is taken, and a body nested 100,000 deep gets a 400
// without harming the node.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { adminGateway } from '../helpers/admin.js';

const LIMIT = 1024 * 1024;
const { admin, adminPort } = await adminGateway({
  config: '_format_version: "3.0"\n',
  env: { TURNPIKE_ADMIN_MAX_BODY_SIZE: String(LIMIT) },
});
const TOO_LARGE = /request body is larger than the Admin API's limit of 1 MiB \(admin_max_body_size\)/;

/** POST `body` to `path`; with `chunked`, no Content-Length and the body in 16 KiB chunks. */
function post(path: string, body: string, chunked: boolean): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const buf = Buffer.from(body);
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (!chunked) headers['content-length'] = buf.length;
    const req = http.request({ host: '127.0.0.1', port: adminPort, method: 'POST', path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      res.on('error', reject);
    });
    // The server may answer and close before the whole body is sent: that is not a failure.
    req.on('error', (err) => (answered ? undefined : reject(err)));
    let answered = false;
    req.on('response', () => (answered = true));
    if (!chunked) req.end(buf);
    else {
      for (let i = 0; i < buf.length; i += 16 * 1024) req.write(buf.subarray(i, i + 16 * 1024));
      req.end();
    }
  });
}

/** A valid declarative configuration as JSON, padded with spaces to exactly `size` bytes. */
function configOf(size: number): string {
  const json = JSON.stringify({ _format_version: '3.0', services: [{ name: 's1', url: 'http://127.0.0.1:9' }] });
  return json + ' '.repeat(size - json.length);
}

test('admin_max_body_size: a larger body gets a 413 naming the limit, with Content-Length and chunked', async () => {
  for (const chunked of [false, true]) {
    const r = await post('/config', configOf(LIMIT + 1), chunked);
    assert.equal(r.status, 413, `chunked=${chunked}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.message, TOO_LARGE);
    const big = await post('/services', 'x'.repeat(LIMIT * 4), chunked);
    assert.equal(big.status, 413);
    assert.match(big.body.message, TOO_LARGE);
  }
  assert.equal((await admin.get('/services')).status, 200);
});

test('admin_max_body_size: a body of exactly the limit is taken', async () => {
  for (const chunked of [false, true]) {
    const r = await post('/config', configOf(LIMIT), chunked);
    assert.equal(r.status, 201, `chunked=${chunked}: ${JSON.stringify(r.body)}`);
  }
  const services = await admin.get('/services');
  assert.deepEqual(
    services.body.data.map((s: { name: string }) => s.name),
    ['s1'],
  );
});

test('JSON nested 100,000 deep gets a 400 and the node keeps serving', async () => {
  const deepObject = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
  const deepArray = '['.repeat(100_000) + ']'.repeat(100_000);
  for (const [path, body] of [
    ['/services', deepObject],
    ['/config', deepObject],
    ['/config', deepArray],
  ] as const) {
    const r = await post(path, body, false);
    assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.message, 'Cannot parse JSON body: nested deeper than 64 levels');
  }
  // Text inside {"config": "..."} and YAML bodies go to the yaml library: checked too.
  const inString = await admin.post('/config', { config: deepObject });
  assert.equal(inString.status, 400);
  assert.equal(inString.body.message, 'Cannot parse the declarative configuration: nested deeper than 64 levels');
  const yaml = await admin.call('POST', '/config', `services: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
  assert.equal(yaml.status, 400);
  assert.match(yaml.body.message, /nested deeper than 64 levels/);
  // Deep block nesting ("- - - …") is refused by the yaml library itself: a 400, not a 500.
  const blockReply = await admin.call('POST', '/config', '- '.repeat(100_000) + 'x\n');
  assert.equal(blockReply.status, 400, JSON.stringify(blockReply.body).slice(0, 300));
  assert.equal((await admin.get('/services')).status, 200);
});
