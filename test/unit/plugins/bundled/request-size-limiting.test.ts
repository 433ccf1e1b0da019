import { test } from 'node:test';
import assert from 'node:assert/strict';
import plugin from '../../../../src/plugins/bundled/request-size-limiting/index.js';
import { configure, defaults, Exchange, run } from './context.js';

async function send(conf: unknown, headers: Record<string, string>, method = 'POST') {
  const ex = new Exchange({ method, headers });
  await run(plugin, 'access', ex, conf);
  return ex.answer;
}

test('request-size-limiting: Kong priority and defaults', () => {
  assert.equal(plugin.priority, 951);
  assert.deepEqual(defaults(plugin), {
    allowed_payload_size: 128,
    size_unit: 'megabytes',
    require_content_length: false,
  });
});

test('request-size-limiting: megabytes by default, the limit itself passes, one byte more is 413', async () => {
  const conf = configure(plugin, {});
  assert.equal(await send(conf, { 'content-length': String(128 * 1048576) }), null);
  assert.deepEqual(await send(conf, { 'content-length': String(128 * 1048576 + 1) }), {
    status: 413,
    body: { message: 'Request size limit exceeded' },
    headers: {},
  });
});

test('request-size-limiting: kilobytes and bytes units', async () => {
  const kb = configure(plugin, { allowed_payload_size: 10, size_unit: 'kilobytes' });
  assert.equal(await send(kb, { 'content-length': '10240' }), null);
  assert.equal((await send(kb, { 'content-length': '10241' }))?.status, 413);
  const b = configure(plugin, { allowed_payload_size: 5, size_unit: 'bytes' });
  assert.equal(await send(b, { 'content-length': '5' }), null);
  assert.equal((await send(b, { 'content-length': ' 6 ' }))?.status, 413);
  assert.equal((await send(b, { 'content-length': '0x10' }))?.status, 413, 'Lua tonumber reads hex');
});

test('request-size-limiting: Expect: 100-continue turns 413 into 417', async () => {
  const conf = configure(plugin, { allowed_payload_size: 1, size_unit: 'bytes' });
  assert.deepEqual(await send(conf, { 'content-length': '2', expect: ' 100-Continue ' }), {
    status: 417,
    body: { message: 'Request size limit exceeded' },
    headers: {},
  });
});

test('request-size-limiting: require_content_length gives 411 without a valid length, except (non-empty) chunked bodies', async () => {
  const conf = configure(plugin, { require_content_length: true });
  const missing = { status: 411, body: { message: 'A valid Content-Length header is required' }, headers: {} };
  assert.deepEqual(await send(conf, {}), missing);
  assert.deepEqual(await send(conf, {}, 'GET'), missing);
  assert.deepEqual(await send(conf, { 'content-length': 'lots' }), missing);
  const ex = new Exchange({ method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: 'abc' });
  await run(plugin, 'access', ex, conf);
  assert.equal(ex.answer, null, 'a chunked body (no length, but a body) passes');
  assert.equal(await send(conf, { 'content-length': '12' }), null);
  // Without the option, a missing or unreadable length passes.
  const lax = configure(plugin, {});
  assert.equal(await send(lax, {}), null);
  assert.equal(await send(lax, { 'content-length': 'lots' }), null);
});

test('request-size-limiting: bad config is refused', () => {
  assert.throws(() => configure(plugin, { size_unit: 'gigabytes' }), /schema: \/size_unit/);
  assert.throws(() => configure(plugin, { allowed_payload_size: 1.5 }), /schema: \/allowed_payload_size/);
});

test('request-size-limiting: a chunked body without Content-Length is read and measured', async () => {
  const conf = configure(plugin, { allowed_payload_size: 5, size_unit: 'bytes' });
  const at = async (body: string, headers: Record<string, string> = {}) => {
    const ex = new Exchange({ method: 'POST', headers: { 'transfer-encoding': 'chunked', ...headers }, body });
    await run(plugin, 'access', ex, conf);
    return ex.answer;
  };
  assert.equal(await at('12345'), null);
  assert.deepEqual(await at('123456'), { status: 413, body: { message: 'Request size limit exceeded' }, headers: {} });
  assert.equal((await at('123456', { expect: '100-continue' }))?.status, 417);
});
