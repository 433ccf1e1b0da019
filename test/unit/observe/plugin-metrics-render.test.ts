import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promtoolCheck } from '../../helpers/tools.js';
import { PluginMetricsRegistry } from '../../../src/observe/plugin-metrics.js';
import { declaredNames, mergePluginMetrics, renderPluginMetrics } from '../../../src/observe/plugin-metrics-render.js';

function worker(fill: (r: PluginMetricsRegistry) => void): PluginMetricsRegistry {
  const r = new PluginMetricsRegistry();
  fill(r);
  return r;
}

test('plugin metrics: counters and histogram cells are summed over workers per label values', () => {
  const a = worker((r) => {
    r.counter('demo_requests_total', 'Requests.', ['route', 'code']).inc(['r1', '200'], 2);
    r.counter('demo_requests_total', 'Requests.', ['route', 'code']).inc(['r1', '500']);
    r.histogram('demo_latency_ms', 'Latency.', ['route'], [10, 100]).observe(['r1'], 5);
  });
  const b = worker((r) => {
    r.counter('demo_requests_total', 'Requests.', ['route', 'code']).inc(['r1', '200'], 3);
    const h = r.histogram('demo_latency_ms', 'Latency.', ['route'], [10, 100]);
    h.observe(['r1'], 50);
    h.observe(['r1'], 500);
    h.observe(['r2'], 1);
  });
  const merged = mergePluginMetrics([a.dump(), b.dump()]);
  assert.deepEqual(
    merged.map((m) => m.name),
    ['demo_latency_ms', 'demo_requests_total'],
  );
  const counter = merged[1]!;
  assert.deepEqual(counter.series, [
    [['r1', '200'], [5]],
    [['r1', '500'], [1]],
  ]);
  const hist = merged[0]!;
  // [≤10, ≤100, +Inf, sum, count]
  assert.deepEqual(hist.series, [
    [['r1'], [1, 1, 1, 555, 3]],
    [['r2'], [1, 0, 0, 1, 1]],
  ]);
  // The workers' dumps are not modified.
  assert.deepEqual(a.dump()[0]!.series, [
    [['r1', '200'], [2]],
    [['r1', '500'], [1]],
  ]);
});

test('plugin metrics: rendering (HELP/TYPE once, cumulative buckets with +Inf, _sum, _count, escaping)', () => {
  const r = worker((reg) => {
    reg.counter('demo_total', 'Help with \\ and\nnewline.', ['v']).inc(['a"b\\c\nd'], 1.5);
    reg.counter('demo_plain_total', 'No labels.', []).inc([]);
    const h = reg.histogram('demo_size_bytes', 'Sizes.', ['route'], [1, 2.5]);
    h.observe(['x'], 1);
    h.observe(['x'], 2);
    h.observe(['x'], 9);
    reg.histogram('demo_nolabel_seconds', 'Unlabelled.', [], [0.5]).observe([], 0.25);
  });
  const text = renderPluginMetrics(mergePluginMetrics([r.dump()]));
  assert.equal(
    text,
    [
      '# HELP demo_nolabel_seconds Unlabelled.',
      '# TYPE demo_nolabel_seconds histogram',
      'demo_nolabel_seconds_bucket{le="0.5"} 1',
      'demo_nolabel_seconds_bucket{le="+Inf"} 1',
      'demo_nolabel_seconds_sum 0.25',
      'demo_nolabel_seconds_count 1',
      '# HELP demo_plain_total No labels.',
      '# TYPE demo_plain_total counter',
      'demo_plain_total 1',
      '# HELP demo_size_bytes Sizes.',
      '# TYPE demo_size_bytes histogram',
      'demo_size_bytes_bucket{route="x",le="1"} 1',
      'demo_size_bytes_bucket{route="x",le="2.5"} 2',
      'demo_size_bytes_bucket{route="x",le="+Inf"} 3',
      'demo_size_bytes_sum{route="x"} 12',
      'demo_size_bytes_count{route="x"} 3',
      '# HELP demo_total Help with \\\\ and\\nnewline.',
      '# TYPE demo_total counter',
      'demo_total{v="a\\"b\\\\c\\nd"} 1.5',
      '',
    ].join('\n'),
  );
  assert.equal(renderPluginMetrics([]), '');
  const empty = worker((reg) => void reg.counter('demo_unused_total', 'Never updated.', ['x']));
  assert.equal(renderPluginMetrics(mergePluginMetrics([empty.dump()])), '', 'a metric without series is left out');

  const promtool = promtoolCheck(text, 'checking plugin metrics');
  if (promtool !== null) assert.equal(promtool.status, 0, `promtool check metrics:\n${promtool.output}`);
});

test('plugin metrics: a metric shaped differently in another worker is left out there; built-in names win', () => {
  const a = worker((r) => r.counter('demo_total', 'A.', ['x']).inc(['1']));
  const b = worker((r) => r.histogram('demo_total', 'B.', ['x'], [1]).observe(['1'], 1));
  const c = worker((r) => r.counter('demo_total', 'A.', ['y']).inc(['1']));
  const merged = mergePluginMetrics([a.dump(), b.dump(), c.dump()]);
  assert.equal(merged.length, 1);
  assert.equal(merged[0]!.type, 'counter');
  assert.deepEqual(merged[0]!.series, [[['1'], [1]]]);

  const builtIn = '# HELP turnpike_x_seconds X.\n# TYPE turnpike_x_seconds histogram\n';
  const reserved = declaredNames(builtIn);
  const d = worker((r) => {
    r.counter('turnpike_x_seconds', 'clash', []).inc([]);
    r.counter('turnpike_x_seconds_count', 'clash', []).inc([]);
    r.counter('mine_total', 'fine', []).inc([]);
    r.histogram('mine', 'clashes with mine_count below', [], [1]).observe([], 1);
    r.counter('mine_count', 'collides with the histogram mine', []).inc([]);
  });
  const text = renderPluginMetrics(mergePluginMetrics([d.dump()]), reserved);
  assert.doesNotMatch(text, /turnpike_x_seconds/);
  assert.match(text, /^mine_total 1$/m);
  assert.match(text, /^# TYPE mine histogram$/m, 'the first by name (the histogram mine) is kept');
  assert.doesNotMatch(text, /# TYPE mine_count/);
});
