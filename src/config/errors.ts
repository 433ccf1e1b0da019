// Configuration errors: shape, formatting, and friendly wording helpers.

export interface ConfigError {
  /** The entity the error is about, e.g. "service 'users' (services[0])"; "" for file-level errors. */
  entity: string;
  /** Where in the file, e.g. "services[0].routes[1].paths[0]"; "" for the whole file. */
  path: string;
  line: number | null;
  column: number | null;
  /** What is wrong and what would be valid. */
  message: string;
}

export type Segment = string | number;

export function pathToString(segs: readonly Segment[]): string {
  let out = '';
  for (const s of segs) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Levenshtein distance, small inputs only. */
function distance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/** The closest candidate, if close enough to be a plausible typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const dist = distance(w, c.toLowerCase());
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return best !== undefined && bestD <= limit ? best : undefined;
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return `${String(v)} (${typeof v === 'number' ? (Number.isInteger(v) ? 'an integer' : 'a number') : typeof v})`;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of field: value',
  null: 'null',
};
export function typeWords(t: string | string[]): string {
  const ts = Array.isArray(t) ? t : [t];
  return ts.map((x) => TYPE_WORDS[x] ?? x).join(' or ');
}

/** One line per error: `file:line:col: entity: field 'x': message`. */
export function formatConfigErrors(errors: readonly ConfigError[], source: string): string {
  return errors
    .map((e) => {
      const where = e.line !== null ? `${source}:${e.line}:${e.column ?? 1}` : source;
      const entityPath = /\(([^()]*)\)$/.exec(e.entity)?.[1] ?? '';
      let field = e.path;
      if (entityPath && field.startsWith(entityPath)) field = field.slice(entityPath.length).replace(/^\./, '');
      const parts = [where];
      if (e.entity) parts.push(e.entity);
      if (field) parts.push(`field '${field}'`);
      parts.push(e.message);
      return parts.join(': ');
    })
    .join('\n');
}

/** One line per warning, as formatConfigErrors, each message marked "warning:". */
export function formatConfigWarnings(warnings: readonly ConfigError[], source: string): string {
  return formatConfigErrors(
    warnings.map((w) => ({ ...w, message: `warning: ${w.message}` })),
    source,
  );
}
