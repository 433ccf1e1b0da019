// Medians per contender, ratios to nginx, the printed table and the issue's checks.
import type { HeyResult, WrkResult } from './load.js';

export interface RoundRecord {
  contender: string;
  round: number;
  startedAt: string;
  /** The machine's 1, 5 and 15 minute load averages when the slot began (other work skews figures). */
  loadavg: number[];
  argv: string[];
  wrk?: WrkResult;
  hey?: HeyResult;
  facts?: Record<string, unknown>;
  error?: string;
}

export interface ContenderSummary {
  id: string;
  label: string;
  rounds: number;
  rpsMedian?: number;
  rpsAll: number[];
  p50Ms?: number;
  p99Ms?: number;
  heyRpsMedian?: number;
  non2xx: number;
  socketErrors: number;
  failed?: string;
  xNginx?: number;
  p99XNginx?: number;
  /** Ratio to the nginx doing the same job over the same protocol (its id in sameAs). */
  sameAs?: string;
  xSame?: number;
  /** Ratio to Node's bare server for the same protocol (its id in ceiling). */
  ceiling?: string;
  xCeiling?: number;
}

export interface Check {
  name: string;
  pass: boolean;
  detail: string;
}

export function median(xs: number[]): number | undefined {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1]! + v[mid]!) / 2;
}

export function summarize(
  list: ReadonlyArray<{ id: string; label: string; sameAs?: string; ceiling?: string }>,
  records: RoundRecord[],
): ContenderSummary[] {
  const out = list.map((c): ContenderSummary => {
    const recs = records.filter((r) => r.contender === c.id);
    const failures = recs.filter((r) => r.error !== undefined);
    const wrks = recs.flatMap((r) => (r.wrk ? [r.wrk] : []));
    const heys = recs.flatMap((r) => (r.hey ? [r.hey] : []));
    const s: ContenderSummary = {
      id: c.id,
      label: c.label,
      rounds: recs.length,
      rpsAll: wrks.map((w) => w.rps),
      rpsMedian: median(wrks.map((w) => w.rps)),
      p50Ms: median(heys.flatMap((h) => (h.latencyMs.p50 === undefined ? [] : [h.latencyMs.p50]))),
      p99Ms: median(heys.flatMap((h) => (h.latencyMs.p99 === undefined ? [] : [h.latencyMs.p99]))),
      heyRpsMedian: median(heys.map((h) => h.rps)),
      ...(c.sameAs !== undefined ? { sameAs: c.sameAs } : {}),
      ...(c.ceiling !== undefined ? { ceiling: c.ceiling } : {}),
      non2xx: wrks.reduce((a, w) => a + w.non2xx, 0) + heys.reduce((a, h) => a + h.non2xx, 0),
      socketErrors: wrks.reduce((a, w) => a + w.errors - w.non2xx, 0) + heys.reduce((a, h) => a + h.socketErrors, 0),
    };
    if (failures.length > 0)
      s.failed = `${failures.length}/${recs.length} rounds failed: ${failures[0]!.error!.split('\n')[0]}`;
    return s;
  });
  const ng = out.find((s) => s.id === 'nginx');
  for (const s of out) {
    if (ng?.rpsMedian && s.rpsMedian !== undefined) s.xNginx = s.rpsMedian / ng.rpsMedian;
    if (ng?.p99Ms && s.p99Ms !== undefined) s.p99XNginx = s.p99Ms / ng.p99Ms;
    const same = out.find((o) => o.id === s.sameAs);
    if (same?.rpsMedian && s.rpsMedian !== undefined) s.xSame = s.rpsMedian / same.rpsMedian;
    const ceil = out.find((o) => o.id === s.ceiling);
    if (ceil?.rpsMedian && s.rpsMedian !== undefined) s.xCeiling = s.rpsMedian / ceil.rpsMedian;
  }
  return out;
}

const fmt = (x: number | undefined, digits: number, suffix = ''): string =>
  x === undefined ? '—' : `${x.toFixed(digits)}${suffix}`;

export function renderTable(rows: ContenderSummary[]): string {
  // × nginx: against the HTTP/1.1 nginx proxy, as before; × nginx same: against nginx doing
  // the same job over the same protocol; × Node: against Node's bare server for the protocol.
  const header = [
    'contender',
    'req/s (median)',
    '× nginx',
    '× nginx same',
    '× Node',
    'p50 @3k/s',
    'p99 @3k/s',
    'p99 × nginx',
    'errors',
  ];
  const last = header.length - 1;
  const body = rows.map((s) => [
    s.label,
    s.rpsMedian === undefined ? 'FAILED' : Math.round(s.rpsMedian).toLocaleString('en-US'),
    fmt(s.xNginx, 2),
    fmt(s.xSame, 2),
    fmt(s.xCeiling, 2),
    fmt(s.p50Ms, 2, ' ms'),
    fmt(s.p99Ms, 2, ' ms'),
    fmt(s.p99XNginx, 2),
    s.non2xx + s.socketErrors === 0 ? '0' : `${s.non2xx} non-2xx, ${s.socketErrors} socket`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i === 0 || i === last ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const lines = [
    line(header),
    `|${widths.map((w, i) => (i === 0 || i === last ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`,
    ...body.map(line),
  ];
  const failed = rows.filter((s) => s.failed);
  for (const s of failed) lines.push(`FAILED ${s.label}: ${s.failed}`);
  return lines.join('\n');
}

export function evaluateChecks(rows: ContenderSummary[]): Check[] {
  const get = (id: string): ContenderSummary | undefined => rows.find((r) => r.id === id);
  const tp = get('turnpike');
  const tp10k = get('turnpike-10k');
  const tpPlugins = get('turnpike-plugins');
  const ng = get('nginx');
  const fg = get('fast-gateway');
  const checks: Check[] = [];
  const ratioCheck = (name: string, a: number | undefined, b: number | undefined, min: number, what: string): void => {
    if (a === undefined || b === undefined || b === 0) {
      checks.push({ name, pass: false, detail: `cannot evaluate: ${what} missing` });
      return;
    }
    const r = a / b;
    checks.push({ name, pass: r >= min, detail: `${r.toFixed(2)} (need ≥ ${min.toFixed(2)})` });
  };
  ratioCheck('Turnpike throughput ≥ 0.40 × nginx', tp?.rpsMedian, ng?.rpsMedian, 0.4, 'turnpike or nginx req/s');
  ratioCheck(
    'Turnpike throughput ≥ 1.6 × fast-gateway',
    tp?.rpsMedian,
    fg?.rpsMedian,
    1.6,
    'turnpike or fast-gateway req/s',
  );
  if (tp?.p99Ms === undefined || ng?.p99Ms === undefined) {
    checks.push({
      name: "Turnpike p99 at 3,000 req/s ≤ 2.5 × nginx's",
      pass: false,
      detail: 'cannot evaluate: turnpike or nginx p99 missing',
    });
  } else {
    const r = tp.p99Ms / ng.p99Ms;
    checks.push({
      name: "Turnpike p99 at 3,000 req/s ≤ 2.5 × nginx's",
      pass: r <= 2.5,
      detail: `${r.toFixed(2)} (${tp.p99Ms.toFixed(2)} ms vs ${ng.p99Ms.toFixed(2)} ms; need ≤ 2.50)`,
    });
  }
  if (tp10k)
    ratioCheck(
      'Turnpike 10k routes ≥ 0.90 × Turnpike 1 route (matching does not grow with route count)',
      tp10k.rpsMedian,
      tp?.rpsMedian,
      0.9,
      'turnpike req/s',
    );
  if (tpPlugins) {
    ratioCheck(
      'Turnpike key-auth + rate-limiting (local) + prometheus ≥ 0.80 × the plain route',
      tpPlugins.rpsMedian,
      tp?.rpsMedian,
      0.8,
      'turnpike req/s',
    );
    if (tpPlugins.non2xx > 0)
      checks.push({
        name: 'Plugin route answered 200 to every request',
        pass: false,
        detail: `${tpPlugins.non2xx} non-2xx answers (key or limit misconfigured?)`,
      });
  }
  return checks;
}

export function renderChecks(checks: Check[]): string {
  return checks.map((c) => `${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`).join('\n');
}
