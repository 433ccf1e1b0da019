import { test } from 'node:test';
import assert from 'node:assert/strict';
import plugin from '../../../../src/plugins/bundled/opentelemetry/index.js';
import { extract, injectHeaders, parseTraceparent } from '../../../../src/plugins/bundled/opentelemetry/traceparent.js';
import { msToNanos } from '../../../../src/plugins/bundled/opentelemetry/span.js';
import { validatePluginConfig } from '../../../../src/plugins/registry.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

test('opentelemetry: Kong priority and the queue defaults', () => {
  assert.equal(plugin.priority, 14);
  const { config, errors } = validatePluginConfig(plugin, { traces_endpoint: 'http://c:4318/v1/traces' });
  assert.deepEqual(errors, []);
  assert.equal((config.queue as Record<string, unknown>).max_batch_size, 200);
  assert.equal(
    (config.queue as Record<string, unknown>).max_coalescing_delay,
    1,
    "Kong's queue default: only max_batch_size differs",
  );
  assert.equal(config.header_type, 'preserve');
  assert.equal(config.sampling_rate, null);
  assert.equal(config.logs_endpoint, null);
  assert.deepEqual(
    config.propagation,
    { extract: null, clear: null, inject: null, default_format: 'w3c' },
    "Kong's default record",
  );
});

test('opentelemetry: upgrade maps endpoint, batch_span_count and batch_flush_delay; newer fields win', () => {
  const { config, errors } = validatePluginConfig(plugin, {
    endpoint: 'http://old/v1/traces',
    batch_span_count: 7,
    batch_flush_delay: 1,
    queue: { max_coalescing_delay: 2 },
  });
  assert.deepEqual(errors, []);
  assert.equal(config.traces_endpoint, 'http://old/v1/traces');
  assert.equal((config.queue as Record<string, unknown>).max_batch_size, 7);
  assert.equal((config.queue as Record<string, unknown>).max_coalescing_delay, 2);
  assert.ok(!('endpoint' in config) && !('batch_span_count' in config));
});

test('opentelemetry: strict traceparent parsing', () => {
  assert.deepEqual(parseTraceparent(`00-${T}-${S}-01`), { traceId: T, spanId: S, sampled: true });
  assert.deepEqual(parseTraceparent(`00-${T}-${S}-00`), { traceId: T, spanId: S, sampled: false });
  assert.deepEqual(parseTraceparent(`00-${T}-${S}-03`)?.sampled, true, 'other flag bits are ignored');
  assert.deepEqual(parseTraceparent(`01-${T}-${S}-01-future`)?.traceId, T, 'a later version may append fields');
  for (const bad of [
    undefined,
    '',
    `00-${T.toUpperCase()}-${S}-01`,
    `ff-${T}-${S}-01`,
    `00-${'0'.repeat(32)}-${S}-01`,
    `00-${T}-${'0'.repeat(16)}-01`,
    `00-${T}-${S}-01-extra`,
    `00-${T.slice(1)}-${S}-01`,
    `00-${T}-${S}-1`,
    `00_${T}_${S}_01`,
  ]) {
    assert.equal(parseTraceparent(bad), null, `refused: ${bad}`);
  }
});

test('opentelemetry: B3 single and multi headers', () => {
  const h = (o: Record<string, string>) => (n: string) => o[n];
  assert.deepEqual(extract(h({ b3: `${T}-${S}-1` }), ['w3c', 'b3']), {
    format: 'b3-single',
    traceId: T,
    spanId: S,
    sampled: true,
    traceState: null,
  });
  assert.equal(
    extract(h({ b3: `${S}-${S}-0-${S}` }), ['b3'])?.traceId,
    '0000000000000000' + S,
    '64-bit trace ids are widened',
  );
  assert.deepEqual(extract(h({ b3: '0' }), ['b3']), {
    format: 'b3-single',
    traceId: null,
    spanId: null,
    sampled: false,
    traceState: null,
  });
  assert.equal(extract(h({ b3: `${T}-${S}-true` }), ['b3']), null);
  assert.deepEqual(extract(h({ 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-flags': '1' }), ['b3']), {
    format: 'b3',
    traceId: T,
    spanId: S,
    sampled: true,
    traceState: null,
  });
  assert.equal(extract(h({ 'x-b3-traceid': T }), ['b3']), null, 'a span id is required');
  assert.equal(
    extract(h({ traceparent: `00-${T}-${S}-01`, b3: `${S}-${S}-1` }), ['w3c', 'b3'])?.format,
    'w3c',
    'the first format in order wins',
  );
  assert.deepEqual(
    injectHeaders('b3-single', { traceId: T, spanId: S, parentSpanId: null, sampled: false, traceState: null }),
    [['b3', `${T}-${S}-0`]],
  );
});

test('opentelemetry: epoch milliseconds to nanosecond strings', () => {
  assert.equal(msToNanos(1_700_000_000_123.5), '1700000000123500000');
  assert.equal(msToNanos(0), '0');
});
