import { test } from 'node:test';
import assert from 'node:assert/strict';
import plugin from '../../../../src/plugins/bundled/correlation-id/index.js';
import { configure, defaults, Exchange, run } from './context.js';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

test('correlation-id: Kong priority and defaults', () => {
  assert.equal(plugin.priority, 100001);
  assert.deepEqual(defaults(plugin), {
    header_name: 'Kong-Request-ID',
    generator: 'uuid#counter',
    echo_downstream: false,
  });
});

test('correlation-id: uuid#counter ids share the process uuid and count up', async () => {
  const conf = configure(plugin, {});
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const ex = new Exchange();
    await run(plugin, 'access', ex, conf);
    ids.push(ex.upstreamHeaders.get('kong-request-id')!);
  }
  const [a, b] = ids.map((id) => new RegExp(`^(${UUID})#(\\d+)$`).exec(id!));
  assert.ok(a && b, ids.join(' '));
  assert.equal(a[1], b[1]);
  assert.equal(Number(b[2]), Number(a[2]) + 1);
});

test('correlation-id: uuid and tracker generators', async () => {
  let ex = new Exchange();
  await run(plugin, 'access', ex, configure(plugin, { generator: 'uuid', header_name: 'X-Request-ID' }));
  assert.match(ex.upstreamHeaders.get('x-request-id')!, new RegExp(`^${UUID}$`));
  ex = new Exchange({ host: '10.0.0.1', port: 8000 });
  await run(plugin, 'access', ex, configure(plugin, { generator: 'tracker' }));
  assert.match(
    ex.upstreamHeaders.get('kong-request-id')!,
    new RegExp(`^10\\.0\\.0\\.1-8000-${process.pid}-\\d+-1-\\d+\\.\\d{3}$`),
  );
});

test("correlation-id: the client's id is kept and echoed downstream only when asked", async () => {
  const echo = configure(plugin, { echo_downstream: true });
  let ex = new Exchange({ headers: { 'kong-request-id': 'abc-123' } });
  await run(plugin, 'access', ex, echo);
  assert.deepEqual(ex.upstreamHeaders.all('kong-request-id'), ['abc-123']);
  ex.upstreamAnswered(200, { 'Kong-Request-ID': 'upstream-made-this' });
  await run(plugin, 'response', ex, echo);
  assert.deepEqual(ex.responseHeaders.all('kong-request-id'), ['abc-123']);

  const quiet = configure(plugin, {});
  ex = new Exchange();
  await run(plugin, 'access', ex, quiet);
  ex.upstreamAnswered(200);
  await run(plugin, 'response', ex, quiet);
  assert.equal(ex.responseHeaders.has('kong-request-id'), false);
});

test('correlation-id: generated id goes both upstream and downstream; an empty client header is replaced', async () => {
  const echo = configure(plugin, { echo_downstream: true, generator: 'uuid' });
  const ex = new Exchange({ headers: { 'kong-request-id': '' } });
  await run(plugin, 'access', ex, echo);
  const id = ex.upstreamHeaders.get('kong-request-id')!;
  assert.match(id, new RegExp(`^${UUID}$`));
  ex.upstreamAnswered(502);
  await run(plugin, 'response', ex, echo);
  assert.equal(ex.responseHeaders.get('kong-request-id'), id);
});

test('correlation-id: bad config is refused', () => {
  assert.throws(() => configure(plugin, { generator: 'snowflake' }), /schema: \/generator/);
  assert.throws(() => configure(plugin, { header_name: 'Bad Header' }), /schema: \/header_name/);
});
