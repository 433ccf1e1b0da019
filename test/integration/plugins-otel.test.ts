// opentelemetry end to end: the real gateway propagates W3C trace context (and B3) to a real
// upstream and exports one SERVER span per sampled request, as OTLP/HTTP JSON, to a collector
// running in this process. A dead or silent collector costs spans, never requests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { get, type Seen } from '../helpers/fetch.js';
import { freePort, runCli, sleep, startGateway, tmpDir } from '../helpers/gateway.js';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';
import type { TestUpstream } from '../helpers/upstream.js';

async function until<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(25);
  }
}

type Attr = { key: string; value: Record<string, unknown> };
interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attr[];
  status: { code?: number; message?: string };
  resource: Record<string, unknown>;
  scope: { name: string };
}

/** An OTLP/HTTP collector: records POSTs to /v1/traces (the upstream helper keeps the raw requests). */
async function collector(name = 'collector'): Promise<TestUpstream & { spans(): ExportedSpan[] }> {
  const c = await upstream(name, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  return Object.assign(c, {
    spans(): ExportedSpan[] {
      const out: ExportedSpan[] = [];
      for (const r of c.requests) {
        if (r.url !== '/v1/traces') continue;
        const body = JSON.parse(r.body.toString());
        for (const rs of body.resourceSpans) {
          const resource = Object.fromEntries(
            (rs.resource.attributes as Attr[]).map((a) => [a.key, Object.values(a.value)[0]]),
          );
          for (const ss of rs.scopeSpans) for (const s of ss.spans) out.push({ ...s, resource, scope: ss.scope });
        }
      }
      return out;
    },
  });
}

const attr = (s: ExportedSpan, key: string): unknown => {
  const a = s.attributes.find((x) => x.key === key);
  return a === undefined ? undefined : Object.values(a.value)[0];
};

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;
function parseTp(v: string | undefined): { traceId: string; spanId: string; flags: string } {
  const m = TRACEPARENT.exec(v ?? '');
  assert.ok(m, `a valid traceparent upstream (got ${v})`);
  return { traceId: m[1]!, spanId: m[2]!, flags: m[3]! };
}

async function through(url: string, headers: Record<string, string> = {}): Promise<Seen['headers']> {
  const r = await get(url, headers);
  assert.equal(r.status, 200);
  return (r.json as Seen).headers;
}

test('opentelemetry: propagates trace context upstream and exports sampled spans as OTLP JSON', async () => {
  const up = await upstream('otel-up');
  const col = await collector();
  const deadUpstream = await freePort();
  const endpoint = `http://127.0.0.1:${col.port}/v1/traces`;
  const base = { traces_endpoint: endpoint, queue: { max_coalescing_delay: 0.1 } };
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            {
              name: 'traced',
              paths: ['/traced'],
              plugins: [
                {
                  name: 'opentelemetry',
                  config: {
                    ...base,
                    headers: { Authorization: 'Bearer otel-token' },
                    resource_attributes: { 'service.name': 'edge', 'deployment.environment': 'test' },
                    http_response_header_for_traceid: 'X-Trace-Id',
                  },
                },
              ],
            },
            {
              name: 'unsampled',
              paths: ['/unsampled'],
              plugins: [{ name: 'opentelemetry', config: { ...base, sampling_rate: 0 } }],
            },
          ],
        },
        {
          name: 'down',
          url: `http://127.0.0.1:${deadUpstream}`,
          routes: [{ name: 'broken', paths: ['/broken'], plugins: [{ name: 'opentelemetry', config: base }] }],
        },
      ],
    }),
  });

  // 1. No incoming context: a new trace, our span is the upstream's parent, the span is exported.
  const r1 = await get(gw.url + '/traced/new?q=1', { 'user-agent': 'otel-test/1' });
  assert.equal(r1.status, 200);
  const tp1 = parseTp((r1.json as Seen).headers.traceparent);
  assert.equal(tp1.flags, '01');
  assert.equal(r1.headers['x-trace-id'], tp1.traceId, 'http_response_header_for_traceid');
  const s1 = await until('the span of request 1', () => col.spans().find((s) => s.traceId === tp1.traceId));
  assert.equal(s1.spanId, tp1.spanId, "the exported span is the upstream request's parent");
  assert.equal(s1.parentSpanId ?? '', '', 'a root span');
  assert.equal(s1.kind, 2, 'SPAN_KIND_SERVER');
  assert.equal(s1.name, 'GET traced');
  assert.equal(attr(s1, 'http.method'), 'GET');
  assert.equal(attr(s1, 'http.status_code'), '200');
  assert.equal(attr(s1, 'http.url'), `http://127.0.0.1:${gw.proxyPort}/traced/new?q=1`);
  assert.equal(attr(s1, 'client.address'), '127.0.0.1');
  assert.equal(attr(s1, 'user_agent.original'), 'otel-test/1');
  assert.equal(attr(s1, 'turnpike.route.name'), 'traced');
  assert.equal(attr(s1, 'turnpike.service.name'), 'svc');
  assert.equal(typeof attr(s1, 'turnpike.request_id'), 'string');
  assert.deepEqual(s1.status, {});
  assert.match(s1.startTimeUnixNano, /^\d{19}$/);
  assert.ok(BigInt(s1.startTimeUnixNano) <= BigInt(s1.endTimeUnixNano));
  assert.ok(
    Math.abs(Number(BigInt(s1.startTimeUnixNano) / 1_000_000n) - Date.now()) < 60_000,
    'start time is epoch nanoseconds',
  );
  assert.equal(s1.resource['service.name'], 'edge');
  assert.equal(s1.resource['deployment.environment'], 'test');
  assert.equal(s1.scope.name, 'turnpike.opentelemetry');
  const post = col.requests.find((r) => r.url === '/v1/traces')!;
  assert.equal(post.method, 'POST');
  assert.equal(post.headers['content-type'], 'application/json');
  assert.equal(post.headers.authorization, 'Bearer otel-token', 'extra headers reach the collector');

  // 2. An incoming traceparent and tracestate: same trace, the caller's span is our parent.
  const inTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const inSpan = '00f067aa0ba902b7';
  const h2 = await through(gw.url + '/traced/child', {
    traceparent: `00-${inTrace}-${inSpan}-01`,
    tracestate: 'vendor=abc,other=1',
  });
  const tp2 = parseTp(h2.traceparent);
  assert.equal(tp2.traceId, inTrace);
  assert.notEqual(tp2.spanId, inSpan);
  assert.equal(tp2.flags, '01');
  assert.equal(h2.tracestate, 'vendor=abc,other=1', 'tracestate passed through');
  const s2 = await until('the span of request 2', () => col.spans().find((s) => s.spanId === tp2.spanId));
  assert.equal(s2.traceId, inTrace);
  assert.equal(s2.parentSpanId, inSpan);
  assert.equal(s2.traceState, 'vendor=abc,other=1');

  // 3. A caller that did not sample: propagated with flags 00 and not exported (checked below).
  const h3 = await through(gw.url + '/traced/unsampled-parent', { traceparent: `00-${'1'.repeat(32)}-${inSpan}-00` });
  const tp3 = parseTp(h3.traceparent);
  assert.equal(tp3.traceId, '1'.repeat(32));
  assert.equal(tp3.flags, '00');

  // 4. Malformed traceparents start a new trace; their tracestate is not passed on.
  const malformed = [
    `00-${inTrace.toUpperCase()}-${inSpan}-01`,
    `ff-${inTrace}-${inSpan}-01`,
    `00-${'0'.repeat(32)}-${inSpan}-01`,
    `00-${inTrace}-${'0'.repeat(16)}-01`,
    `00-${inTrace}-${inSpan}-01-extra`,
    'garbage',
  ];
  const newTraces: string[] = [];
  for (const bad of malformed) {
    const h = await through(gw.url + '/traced/malformed', { traceparent: bad, tracestate: 'vendor=stale' });
    const tp = parseTp(h.traceparent);
    assert.notEqual(tp.traceId, inTrace, `a new trace for ${bad}`);
    assert.equal(tp.flags, '01');
    assert.equal(h.tracestate, undefined, `no tracestate for ${bad}`);
    newTraces.push(tp.traceId);
  }
  const malformedSpans = await until('the spans of the malformed requests', () => {
    const s = col.spans().filter((x) => newTraces.includes(x.traceId));
    return s.length === malformed.length ? s : null;
  });
  assert.ok(malformedSpans.every((s) => s.parentSpanId === undefined || s.parentSpanId === ''));

  // 5. B3 in, B3 out (header_type preserve).
  const h5 = await through(gw.url + '/traced/b3', {
    'x-b3-traceid': inTrace,
    'x-b3-spanid': inSpan,
    'x-b3-sampled': '1',
  });
  assert.equal(h5['x-b3-traceid'], inTrace);
  assert.equal(h5['x-b3-parentspanid'], inSpan);
  assert.equal(h5['x-b3-sampled'], '1');
  assert.match(h5['x-b3-spanid'] ?? '', /^[0-9a-f]{16}$/);
  assert.notEqual(h5['x-b3-spanid'], inSpan);

  // 6. sampling_rate 0: propagation still happens, with flags 00.
  const h6 = await through(gw.url + '/unsampled/x', { traceparent: `00-${'2'.repeat(32)}-${inSpan}-01` });
  const tp6 = parseTp(h6.traceparent);
  assert.equal(tp6.traceId, '2'.repeat(32));
  assert.equal(tp6.flags, '00');
  const h6b = await through(gw.url + '/unsampled/y');
  const tp6b = parseTp(h6b.traceparent);
  assert.equal(tp6b.flags, '00');

  // 7. A 5xx is an ERROR span.
  const r7 = await get(gw.url + '/broken', { traceparent: `00-${'3'.repeat(32)}-${inSpan}-01` });
  assert.equal(r7.status, 502);
  const s7 = await until('the span of the 502', () => col.spans().find((s) => s.traceId === '3'.repeat(32)));
  assert.equal(s7.status.code, 2, 'STATUS_CODE_ERROR');
  assert.equal(attr(s7, 'http.status_code'), '502');

  // Unsampled spans: a marker sent after them through each queue has arrived, and they have not.
  await through(gw.url + '/traced/marker', { traceparent: `00-${'4'.repeat(32)}-${inSpan}-01` });
  await until('the marker span', () => col.spans().find((s) => s.traceId === '4'.repeat(32)));
  await sleep(500); // the unsampled route's queue flushes after 0.1 s; give it several times that
  const all = col.spans();
  for (const t of ['1'.repeat(32), '2'.repeat(32), tp6b.traceId]) {
    assert.equal(all.filter((s) => s.traceId === t).length, 0, `no span exported for unsampled trace ${t}`);
  }
});

test("opentelemetry: spans are sent in batches (Kong's older endpoint and batch_span_count fields)", async () => {
  const up = await upstream('otel-batch-up');
  const col = await collector('batch-collector');
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [{ name: 'svc', url: `http://127.0.0.1:${up.port}`, routes: [{ name: 'r', paths: ['/'] }] }],
      plugins: [
        {
          name: 'opentelemetry',
          config: { endpoint: `http://127.0.0.1:${col.port}/v1/traces`, batch_span_count: 5, batch_flush_delay: 60 },
        },
      ],
    }),
  });
  const traces: string[] = [];
  for (let i = 0; i < 5; i++) traces.push(parseTp((await through(gw.url + '/b/' + i)).traceparent).traceId);
  const spans = await until('5 spans', () => (col.spans().length >= 5 ? col.spans() : null));
  assert.equal(col.requests.length, 1, 'one export request');
  assert.equal(spans.length, 5, 'holding the 5 spans');
  assert.deepEqual(spans.map((s) => s.traceId).sort(), [...traces].sort());
  assert.equal(spans[0]!.resource['service.name'], 'turnpike', 'the default service.name');
});

test('opentelemetry: a dead or silent collector never touches requests; failures are logged, rate-limited', async () => {
  const up = await upstream('otel-dead-up');
  const deadPort = await freePort(); // nothing listens there
  const silent = await upstream('silent-collector', () => {
    /* never answers */
  });
  const gw = await gateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'svc',
          url: `http://127.0.0.1:${up.port}`,
          routes: [
            {
              name: 'dead',
              paths: ['/dead'],
              plugins: [
                {
                  name: 'opentelemetry',
                  config: {
                    traces_endpoint: `http://127.0.0.1:${deadPort}/v1/traces`,
                    queue: { max_batch_size: 2, max_retry_time: 1, max_entries: 5 },
                  },
                },
              ],
            },
            {
              name: 'silent',
              paths: ['/silent'],
              plugins: [
                {
                  name: 'opentelemetry',
                  config: {
                    traces_endpoint: `http://127.0.0.1:${silent.port}/v1/traces`,
                    read_timeout: 200,
                    send_timeout: 200,
                    queue: { max_batch_size: 1, max_retry_time: 1 },
                  },
                },
              ],
            },
          ],
        },
      ],
    }),
  });
  for (let i = 0; i < 30; i++) {
    const r = await get(gw.url + (i % 2 === 0 ? '/dead/' : '/silent/') + i);
    assert.equal(r.status, 200);
  }
  await until('an error line naming opentelemetry', () => /"plugin":"opentelemetry"/.test(gw.stderr));
  await until('the silent collector reached', () => silent.requests.length > 0 || null);
  const after = await get(gw.url + '/dead/after');
  assert.equal(after.status, 200, 'the gateway keeps serving');
  const lines = gw.stderr.split('\n').filter((l) => l.includes('"plugin":"opentelemetry"'));
  assert.ok(lines.length < 10, `failures are rate-limited (got ${lines.length} lines)`);
});

test('opentelemetry: an unsupported or invalid config fails validate and start, naming the plugin and the field', async () => {
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ header_type: 'datadog' }, /header_type.*'datadog' is not supported/],
    [{ sampling_rate: 2 }, /sampling_rate/],
    [
      { propagation: { extract: ['w3c', 'jaeger'], inject: ['w3c'], default_format: 'w3c' } },
      /propagation\.extract\.1.*'jaeger' is not supported/,
    ],
    [{ traces_endpoint: 'udp://collector:4318' }, /traces_endpoint.*unsupported scheme/],
  ];
  for (const [extra, why] of cases) {
    const config = JSON.stringify({
      _format_version: '3.0',
      plugins: [{ name: 'opentelemetry', config: { traces_endpoint: 'http://127.0.0.1:4318/v1/traces', ...extra } }],
    });
    const file = path.join(dir, 'bad.yml');
    fs.writeFileSync(file, config);
    const v = await runCli(['validate', file]);
    assert.notEqual(v.code, 0, `validate refuses ${JSON.stringify(extra)}`);
    assert.match(v.stdout + v.stderr, /opentelemetry/);
    assert.match(v.stdout + v.stderr, why);
  }
  await assert.rejects(
    startGateway({
      config: JSON.stringify({
        _format_version: '3.0',
        plugins: [
          {
            name: 'opentelemetry',
            config: { traces_endpoint: 'http://127.0.0.1:4318/v1/traces', header_type: 'datadog' },
          },
        ],
      }),
    }),
    (err: Error) => /opentelemetry/.test(err.message) && /header_type/.test(err.message),
  );
});
