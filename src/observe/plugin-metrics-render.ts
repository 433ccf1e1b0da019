// The plugin metrics (ctx.metrics) on the status listener's /metrics: each worker's dump is
// summed per metric name and label values by the primary, then rendered in the text
// exposition format after the built-in metrics. Values are exposed as the plugin observed
// them (no unit conversion: a plugin names its unit, e.g. Kong's `…_latency_ms`).

import type { PluginMetricDump } from './plugin-metrics.js';

const SEP = '\u0000';

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12)));
}

function sameShape(a: PluginMetricDump, b: PluginMetricDump): boolean {
  return (
    a.type === b.type &&
    a.labelNames.join(SEP) === b.labelNames.join(SEP) &&
    a.buckets.join(',') === b.buckets.join(',')
  );
}

/**
 * Sums the workers' dumps: counters and histogram cells add up per metric name and label
 * values. A worker whose metric of the same name has another type, other labels or other
 * buckets (two plugin versions during a reload, say) is left out for that metric: the first
 * worker that has the metric decides its shape. Sorted by name, series by label values.
 */
export function mergePluginMetrics(workers: readonly (readonly PluginMetricDump[])[]): PluginMetricDump[] {
  const byName = new Map<string, { shape: PluginMetricDump; series: Map<string, [string[], number[]]> }>();
  for (const dumps of workers) {
    for (const d of dumps) {
      let m = byName.get(d.name);
      if (m === undefined) {
        m = { shape: d, series: new Map() };
        byName.set(d.name, m);
      } else if (!sameShape(m.shape, d)) {
        continue;
      }
      for (const [labels, values] of d.series) {
        const key = labels.join(SEP);
        const cur = m.series.get(key);
        if (cur === undefined) {
          m.series.set(key, [labels.slice(), values.slice()]);
        } else {
          for (let i = 0; i < values.length && i < cur[1].length; i++) cur[1][i] += values[i];
        }
      }
    }
  }
  const out: PluginMetricDump[] = [];
  for (const name of [...byName.keys()].sort()) {
    const { shape, series } = byName.get(name)!;
    out.push({
      name,
      help: shape.help,
      type: shape.type,
      labelNames: shape.labelNames.slice(),
      buckets: shape.buckets.slice(),
      series: [...series.keys()].sort().map((k) => series.get(k)!),
    });
  }
  return out;
}

/**
 * The merged metrics as exposition text (HELP and TYPE once per name; histograms as
 * cumulative `_bucket` series with `le`, `+Inf` included, then `_sum` and `_count`); metrics
 * without any series are left out. Names in
 * `reserved` (the built-in metrics) and names whose histogram series would collide with them
 * are skipped (as is a later plugin metric colliding with an earlier one), so a plugin cannot
 * make the page unparsable.
 */
export function renderPluginMetrics(
  merged: readonly PluginMetricDump[],
  reserved: ReadonlySet<string> = new Set(),
): string {
  const L: string[] = [];
  const taken = new Set(reserved);
  for (const m of merged) {
    // A metric with no series yet (registered, never updated) is left out, as client
    // libraries do for labelled metrics.
    if (m.series.length === 0) continue;
    const names = m.type === 'histogram' ? [m.name, m.name + '_bucket', m.name + '_sum', m.name + '_count'] : [m.name];
    if (names.some((n) => taken.has(n))) continue;
    for (const n of names) taken.add(n);
    L.push(`# HELP ${m.name} ${escHelp(m.help)}`);
    L.push(`# TYPE ${m.name} ${m.type}`);
    for (const [values, cells] of m.series) {
      const labels = m.labelNames.map((l, i) => `${l}="${esc(values[i] ?? '')}"`);
      if (m.type === 'counter') {
        L.push(`${m.name}${labels.length > 0 ? `{${labels.join(',')}}` : ''} ${num(cells[0] ?? 0)}`);
        continue;
      }
      const pre = labels.length > 0 ? labels.join(',') + ',' : '';
      const plain = labels.length > 0 ? `{${labels.join(',')}}` : '';
      const n = m.buckets.length;
      let cumulative = 0;
      for (let i = 0; i < n; i++) {
        cumulative += cells[i] ?? 0;
        L.push(`${m.name}_bucket{${pre}le="${num(m.buckets[i])}"} ${cumulative}`);
      }
      cumulative += cells[n] ?? 0;
      L.push(`${m.name}_bucket{${pre}le="+Inf"} ${cumulative}`);
      L.push(`${m.name}_sum${plain} ${num(cells[n + 1] ?? 0)}`);
      L.push(`${m.name}_count${plain} ${cells[n + 2] ?? 0}`);
    }
  }
  return L.length === 0 ? '' : L.join('\n') + '\n';
}

/** Metric names a rendered page declares (its `# TYPE` lines) plus their histogram/summary series names. */
export function declaredNames(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('# TYPE ')) continue;
    const name = line.slice(7).split(' ')[0]!;
    out.add(name);
    for (const s of ['_bucket', '_sum', '_count']) out.add(name + s);
  }
  return out;
}
