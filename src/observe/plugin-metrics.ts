// Metrics that plugins export (the SDK's `ctx.metrics`): counters and histograms with labels,
// kept per worker like the route cells and summed by the primary for the status listener.
// A series is found by its label values joined into one key: one Map lookup per update.

import type { BoundCounter, BoundHistogram, CounterMetric, HistogramMetric, PluginMetrics } from '../plugins/sdk.js';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SEP = '\u0000';

/** Serialisable form of one plugin metric, sent to the primary with the worker's stats. */
export interface PluginMetricDump {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  labelNames: string[];
  /** Histograms only: bucket upper bounds. */
  buckets: number[];
  /** label values → value (counter) or [bucket counts…, +Inf count, sum, count] (histogram). */
  series: [string[], number[]][];
}

abstract class Metric {
  readonly series = new Map<string, number[]>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  // The last series updated: a plugin usually updates the same series many times in a row
  // (one route, one code), and comparing a few strings by identity is cheaper than joining
  // them into a key and hashing it.
  private lastValues: readonly string[] | null = null;
  private lastCell: number[] | null = null;

  /** The series of these label values, created at zero if new; no last-series shortcut. */
  protected seriesOf(labelValues: readonly string[], width: number): number[] {
    if (labelValues.length !== this.labelNames.length) {
      throw new Error(
        `metric ${this.name}: expected ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${labelValues.length}`,
      );
    }
    const key = labelValues.length === 1 ? labelValues[0] : labelValues.join(SEP);
    let c = this.series.get(key);
    if (c === undefined) {
      c = new Array<number>(width).fill(0);
      this.series.set(key, c);
    }
    return c;
  }

  protected cell(labelValues: readonly string[], width: number): number[] {
    const last = this.lastValues;
    if (last !== null && last.length === labelValues.length) {
      let same = true;
      for (let i = 0; i < last.length; i++) {
        if (last[i] !== labelValues[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastCell!;
    }
    const c = this.seriesOf(labelValues, width);
    // A copy: the caller may reuse or change its array.
    this.lastValues = labelValues.slice();
    this.lastCell = c;
    return c;
  }

  seriesDump(): [string[], number[]][] {
    const out: [string[], number[]][] = [];
    for (const [k, v] of this.series) out.push([this.labelNames.length === 0 ? [] : k.split(SEP), v.slice()]);
    return out;
  }
}

class Counter extends Metric implements CounterMetric {
  inc(labelValues: readonly string[], by = 1): void {
    if (!(by >= 0)) throw new Error(`metric ${this.name}: a counter only goes up (got ${by})`);
    this.cell(labelValues, 1)[0] += by;
  }
  labels(labelValues: readonly string[]): BoundCounter {
    return new BoundCounterSeries(this.name, this.seriesOf(labelValues, 1));
  }
}

/** One counter series, looked up once: updating it is an array write. */
class BoundCounterSeries implements BoundCounter {
  constructor(
    private readonly name: string,
    private readonly cell: number[],
  ) {}
  inc(by = 1): void {
    if (!(by >= 0)) throw new Error(`metric ${this.name}: a counter only goes up (got ${by})`);
    this.cell[0] += by;
  }
}

function observeInto(cell: number[], buckets: readonly number[], value: number): void {
  let i = 0;
  while (i < buckets.length && value > buckets[i]) i++;
  cell[i]++;
  cell[buckets.length + 1] += value;
  cell[buckets.length + 2]++;
}

/** One histogram series, looked up once. */
class BoundHistogramSeries implements BoundHistogram {
  constructor(
    private readonly buckets: readonly number[],
    private readonly cell: number[],
  ) {}
  observe(value: number): void {
    observeInto(this.cell, this.buckets, value);
  }
}

class Histogram extends Metric implements HistogramMetric {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, labelNames);
  }
  observe(labelValues: readonly string[], value: number): void {
    observeInto(this.cell(labelValues, this.buckets.length + 3), this.buckets, value);
  }
  labels(labelValues: readonly string[]): BoundHistogram {
    return new BoundHistogramSeries(this.buckets, this.seriesOf(labelValues, this.buckets.length + 3));
  }
}

export class PluginMetricsRegistry implements PluginMetrics {
  private readonly metrics = new Map<string, Counter | Histogram>();

  counter(name: string, help: string, labelNames: readonly string[]): CounterMetric {
    const m = this.existing(name, 'counter', labelNames);
    if (m !== null) return m as Counter;
    const c = new Counter(name, help, [...labelNames]);
    this.metrics.set(name, c);
    return c;
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): HistogramMetric {
    const m = this.existing(name, 'histogram', labelNames);
    if (m !== null) return m as Histogram;
    if (buckets.length === 0 || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]))) {
      throw new Error(`metric ${name}: buckets must be finite and increasing`);
    }
    const h = new Histogram(name, help, [...labelNames], [...buckets]);
    this.metrics.set(name, h);
    return h;
  }

  private existing(
    name: string,
    type: 'counter' | 'histogram',
    labelNames: readonly string[],
  ): Counter | Histogram | null {
    const m = this.metrics.get(name);
    if (m === undefined) {
      if (!NAME.test(name)) throw new Error(`metric name ${JSON.stringify(name)} is not a valid Prometheus name`);
      for (const l of labelNames) {
        if (!LABEL.test(l) || l.startsWith('__') || l === 'le')
          throw new Error(`metric ${name}: label name ${JSON.stringify(l)} is not allowed`);
      }
      return null;
    }
    const isType = type === 'counter' ? m instanceof Counter : m instanceof Histogram;
    if (!isType || m.labelNames.join(',') !== labelNames.join(',')) {
      throw new Error(
        `metric ${name} exists already as a ${m instanceof Counter ? 'counter' : 'histogram'} with labels (${m.labelNames.join(', ')})`,
      );
    }
    return m;
  }

  dump(): PluginMetricDump[] {
    const out: PluginMetricDump[] = [];
    for (const m of this.metrics.values()) {
      out.push({
        name: m.name,
        help: m.help,
        type: m instanceof Counter ? 'counter' : 'histogram',
        labelNames: [...m.labelNames],
        buckets: m instanceof Histogram ? [...m.buckets] : [],
        series: m.seriesDump(),
      });
    }
    return out;
  }
}
