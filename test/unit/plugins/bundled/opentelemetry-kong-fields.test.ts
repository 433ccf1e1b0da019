// opentelemetry with Kong 3.x's fields: propagation decided as Kong decides it (the record when
// one of its lists is set, else header_type), `ignore`, and logs_endpoint (accepted with a
// warning; without traces_endpoint the plugin does nothing, as in Kong).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import plugin from '../../../../src/plugins/bundled/opentelemetry/index.js';
import { resolvePropagation } from '../../../../src/plugins/bundled/opentelemetry/propagation.js';
import type { OpenTelemetryConfig } from '../../../../src/plugins/bundled/opentelemetry/schema.js';
import { configure, defaults, Exchange, run } from './context.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';
const B = 'a'.repeat(32);
const ENDPOINT = 'http://127.0.0.1:4318/v1/traces';

const resolved = (raw: Record<string, unknown>) =>
  resolvePropagation(defaults(plugin, { traces_endpoint: ENDPOINT, ...raw }) as unknown as OpenTelemetryConfig);

test("propagation: Kong's defaults (a record of nulls) take the header_type path: b3 then w3c read, the incoming format written", () => {
  assert.deepEqual(resolved({}), { extract: ['b3', 'w3c'], inject: ['preserve'], defaultFormat: 'w3c', clear: [] });
  assert.deepEqual(resolved({ propagation: null }), resolved({}), 'propagation: null too');
  // header_type b3: Kong writes the incoming format and b3.
  assert.deepEqual(resolved({ header_type: 'b3' }).inject, ['preserve', 'b3']);
  // ignore: nothing is read; a new trace goes out in the record's default_format.
  assert.deepEqual(resolved({ header_type: 'ignore', propagation: { default_format: 'b3' } }), {
    extract: [],
    inject: ['b3'],
    defaultFormat: 'b3',
    clear: [],
  });
});

test('propagation: once one list of the record is set, the record decides and its unset lists are empty', () => {
  assert.deepEqual(resolved({ header_type: 'b3', propagation: { extract: ['w3c'] } }), {
    extract: ['w3c'],
    inject: [],
    defaultFormat: 'w3c',
    clear: [],
  });
  assert.deepEqual(resolved({ propagation: { clear: ['x-b3-traceid'] } }), {
    extract: [],
    inject: [],
    defaultFormat: 'w3c',
    clear: ['x-b3-traceid'],
  });
  assert.throws(
    () => resolved({ propagation: { inject: ['instana'] } }),
    /propagation\.inject\.0: 'instana' is not supported by turnpike/,
  );
  assert.throws(() => resolved({ header_type: 'instana' }), /header_type: 'instana' is not supported/);
});

test('header_type preserve with both headers present: b3 wins, as in Kong; extract-only writes nothing', async () => {
  const conf = configure(plugin, { traces_endpoint: ENDPOINT });
  const both = new Exchange({ headers: { traceparent: `00-${T}-${S}-01`, b3: `${B}-${S}-1` } });
  await run(plugin, 'access', both, conf);
  assert.match(
    both.upstreamHeaders.get('b3') ?? '',
    new RegExp(`^${B}-[0-9a-f]{16}-1-${S}$`),
    "joined the b3 trace, the caller's span as parent",
  );
  const quiet = configure(plugin, { traces_endpoint: ENDPOINT, propagation: { extract: ['w3c'] } });
  const ex = new Exchange({ headers: { traceparent: `00-${T}-${S}-01` } });
  await run(plugin, 'access', ex, quiet);
  assert.equal(
    ex.upstreamHeaders.get('traceparent'),
    `00-${T}-${S}-01`,
    'the incoming header is left as it came: nothing injected',
  );
});

test('ignore: the incoming context is not joined; a new trace is written in default_format', async () => {
  const conf = configure(plugin, { traces_endpoint: ENDPOINT, header_type: 'ignore' });
  const ex = new Exchange({ headers: { traceparent: `00-${T}-${S}-01` } });
  await run(plugin, 'access', ex, conf);
  const tp = ex.upstreamHeaders.get('traceparent') ?? '';
  assert.match(tp, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.ok(!tp.includes(T), 'a new trace id');
});

test('logs_endpoint: a warning (no OTLP logs); alone, the plugin does nothing; neither endpoint is refused', async () => {
  const warnings: string[] = [];
  const both = configure(
    plugin,
    { traces_endpoint: ENDPOINT, logs_endpoint: 'http://127.0.0.1:4318/v1/logs' },
    warnings,
  );
  assert.deepEqual(warnings, [
    'logs_endpoint: Turnpike does not export logs over OTLP; nothing is sent to http://127.0.0.1:4318/v1/logs (traces still go to traces_endpoint)',
  ]);
  const traced = new Exchange();
  await run(plugin, 'access', traced, both);
  assert.ok(traced.upstreamHeaders.has('traceparent'), 'traces are unaffected');

  const logsOnly = configure(plugin, { logs_endpoint: 'http://127.0.0.1:4318/v1/logs' }, warnings);
  assert.match(warnings[1]!, /without traces_endpoint the plugin does nothing/);
  const ex = new Exchange({ headers: { traceparent: `00-${T}-${S}-01` } });
  await run(plugin, 'access', ex, logsOnly);
  assert.equal(
    ex.upstreamHeaders.get('traceparent'),
    `00-${T}-${S}-01`,
    'not propagated (Kong: traces only with traces_endpoint)',
  );
  await run(plugin, 'log', ex, logsOnly);

  assert.throws(
    () => configure(plugin, {}),
    /at least one of these fields must be non-empty: 'traces_endpoint', 'logs_endpoint'/,
  );
  assert.throws(() => configure(plugin, { logs_endpoint: 'ftp://x/logs' }), /logs_endpoint: unsupported scheme 'ftp'/);
});
