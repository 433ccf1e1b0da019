// The bench's h2load reader: the summary h2load 1.52 prints, and percentiles from its --log-file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logPercentiles, parseH2load } from '../../../bench/lib/h2load.js';

// Captured from a smoke run (nghttp2/1.52.0, Debian 12).
const SAMPLE = `starting benchmark...
spawning thread #0: 10 total client(s). 300 total requests
Application protocol: h2
progress: 100% done

finished in 313.14ms, 958.03 req/s, 40.07KB/s
requests: 300 total, 300 started, 300 done, 298 succeeded, 2 failed, 1 errored, 1 timeout
status codes: 297 2xx, 1 3xx, 0 4xx, 1 5xx
traffic: 12.55KB (12850) total, 3.47KB (3550) headers (space savings 90.14%), 3.52KB (3600) data
                     min         max         mean         sd        +/- sd
time for request:    11.49ms    151.09ms     80.47ms     39.51ms    59.33%
time for connect:     5.81ms    167.70ms     48.20ms     54.90ms    80.00%
`;

test('parseH2load reads rate, duration, counts, status classes and the mean request time', () => {
  const p = parseH2load(SAMPLE);
  assert.equal(p.rps, 958.03);
  assert.ok(Math.abs(p.durationS - 0.31314) < 1e-9);
  assert.equal(p.done, 300);
  assert.equal(p.succeeded, 298);
  assert.equal(p.errored, 1);
  assert.equal(p.timeout, 1);
  assert.deepEqual(p.statusClasses, { '2xx': 297, '3xx': 1, '4xx': 0, '5xx': 1 });
  assert.equal(p.meanMs, 80.47);
  assert.ok(Number.isNaN(parseH2load('garbage').rps));
});

test('logPercentiles: nearest-rank percentiles in ms from the per-request log, status codes counted', () => {
  // start µs, status, µs to the end of the response; 100 requests taking 1..100 ms.
  const lines = Array.from(
    { length: 100 },
    (_, i) => `${1700000000000000 + i}\t${i === 99 ? 502 : 200}\t${(i + 1) * 1000}`,
  );
  const { percentiles, statusCodes } = logPercentiles(lines.join('\n') + '\n', [50, 99]);
  assert.equal(percentiles[50], 50);
  assert.equal(percentiles[99], 99);
  assert.deepEqual(statusCodes, { '200': 99, '502': 1 });
  assert.deepEqual(logPercentiles('', [50]).percentiles, {});
});
