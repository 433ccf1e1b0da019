// Per-host-bucket index of candidates by path:
//  - prefix paths: Map from hash(prefix) to candidates (rank order). The request path's
//    prefix hashes are computed once per match (MatchState.ph); a bucket probes only
//    the prefix lengths that its routes use, so the cost depends on the path's length
//    and the number of distinct prefix lengths, not on the number of routes.
//  - routes without paths: one list in rank order.
//  - regex paths: a list in rank order, tried one by one. Regexes cannot be indexed in
//    general; the rank pruning below stops at the first one that cannot win.
import type { MatchInput } from './types.js';
import { PATH_NONE, PATH_PREFIX, type Candidate } from './candidate.js';
import { checksPass, type Checks, type HeaderCheck } from './checks.js';
import { hashForward } from './hash.js';

/**
 * A candidate as placed in one bucket. The fields the match loop reads are copied from
 * the candidate so that a probe touches one object, not two (it matters with 10,000
 * routes, where most of a match's cost is cache misses).
 */
export class Entry<T> implements Checks {
  readonly rank: number;
  readonly data: T;
  readonly pathKind: number;
  readonly path: string;
  readonly regex: RegExp | null;
  readonly protocols: string[];
  readonly methods: string[] | null;
  readonly headers: HeaderCheck[] | null;
  /** Ports required by the host entry that put the candidate here; null = any port. */
  ports: number[] | null;
  readonly c: Candidate<T>;

  constructor(c: Candidate<T>, ports: number[] | null) {
    this.rank = c.rank;
    this.data = c.data;
    this.pathKind = c.pathKind;
    this.path = c.path;
    this.regex = c.regex;
    this.protocols = c.protocols;
    this.methods = c.methods;
    this.headers = c.headers;
    this.ports = ports;
    this.c = c;
  }
}

/** Buckets with at most this many prefix entries are scanned linearly (no Map probes). */
const SMALL_BUCKET = 8;

const NO_RANK = Number.MAX_SAFE_INTEGER;
const EMPTY = new Int32Array(0);
const EMPTY_ENTRIES: Entry<unknown>[] = [];

/** Mutable per-router scratch space, reused by every match (matching is synchronous). */
export class MatchState<T> {
  bestRank = NO_RANK;
  best: Entry<T> | null = null;
  matchLength = 0;
  exec: RegExpExecArray | null = null;
  /** ph[len] = hashForward(path, len) for len <= phMax. */
  readonly ph: Int32Array;
  phMax = 0;

  constructor(maxPrefixLength: number) {
    this.ph = new Int32Array(maxPrefixLength + 1);
  }

  reset(path: string): void {
    this.bestRank = NO_RANK;
    this.best = null;
    this.matchLength = 0;
    this.exec = null;
    const ph = this.ph;
    const lim = Math.min(path.length, ph.length - 1);
    let h = 0;
    for (let i = 0; i < lim; i++) {
      h = (Math.imul(h, 31) + path.charCodeAt(i)) | 0;
      ph[i + 1] = h;
    }
    this.phMax = lim;
  }
}

function byRank<T>(a: Entry<T>, b: Entry<T>): number {
  return a.rank - b.rank;
}

export class PathBucket<T> {
  none: Entry<T>[] = [];
  regex: Entry<T>[] = [];
  readonly prefixByHash = new Map<number, Entry<T>[]>();
  prefixLengths: Int32Array = new Int32Array(0);
  /** All prefix entries in rank order when there are few of them (then the Map is unused). */
  prefixSmall: Entry<T>[] | null = null;
  maxPrefixLength = 0;
  minRank = NO_RANK;

  add(e: Entry<T>): void {
    if (e.rank < this.minRank) this.minRank = e.rank;
    if (e.pathKind === PATH_NONE) this.none.push(e);
    else if (e.pathKind === PATH_PREFIX) {
      const h = hashForward(e.path, e.path.length);
      let list = this.prefixByHash.get(h);
      if (list === undefined) this.prefixByHash.set(h, (list = []));
      list.push(e);
    } else this.regex.push(e);
  }

  finish(): void {
    // Empty lists share one array, so that scanning them touches no per-bucket memory.
    this.none = this.none.length === 0 ? (EMPTY_ENTRIES as Entry<T>[]) : this.none.sort(byRank);
    this.regex = this.regex.length === 0 ? (EMPTY_ENTRIES as Entry<T>[]) : this.regex.sort(byRank);
    const lengths = new Set<number>();
    const all: Entry<T>[] = [];
    for (const list of this.prefixByHash.values()) {
      list.sort(byRank);
      for (const e of list) {
        lengths.add(e.path.length);
        all.push(e);
      }
    }
    if (all.length <= SMALL_BUCKET) {
      this.prefixSmall = all.sort(byRank);
      this.prefixByHash.clear();
    }
    // Longest first: the likeliest winner is found early, which prunes the rest.
    this.prefixLengths = Int32Array.from([...lengths].sort((a, b) => b - a));
    this.maxPrefixLength = this.prefixLengths.length > 0 ? this.prefixLengths[0]! : 0;
  }
}

/** Offers this bucket's candidates to `st`, keeping the best-ranked full match. */
export function scanBucket<T>(b: PathBucket<T>, input: MatchInput, st: MatchState<T>): void {
  if (b.minRank >= st.bestRank) return;
  const path = input.path;

  const small = b.prefixSmall;
  if (small !== null) {
    for (let k = 0; k < small.length; k++) {
      const e = small[k]!;
      if (e.rank >= st.bestRank) break;
      if (!path.startsWith(e.path) || !checksPass(e, e.ports, input)) continue;
      st.best = e;
      st.bestRank = e.rank;
      st.matchLength = e.path.length;
      st.exec = null;
      break;
    }
  }
  const lengths = small === null ? b.prefixLengths : EMPTY;
  for (let i = 0; i < lengths.length; i++) {
    const len = lengths[i]!;
    if (len > st.phMax) continue;
    const list = b.prefixByHash.get(st.ph[len]!);
    if (list === undefined) continue;
    for (let k = 0; k < list.length; k++) {
      const e = list[k]!;
      if (e.rank >= st.bestRank) break;
      if (e.path.length !== len || !path.startsWith(e.path)) continue;
      if (!checksPass(e, e.ports, input)) continue;
      st.best = e;
      st.bestRank = e.rank;
      st.matchLength = len;
      st.exec = null;
      break;
    }
  }

  const none = b.none;
  for (let k = 0; k < none.length; k++) {
    const e = none[k]!;
    if (e.rank >= st.bestRank) break;
    if (!checksPass(e, e.ports, input)) continue;
    st.best = e;
    st.bestRank = e.rank;
    st.matchLength = 0;
    st.exec = null;
    break;
  }

  const regex = b.regex;
  for (let k = 0; k < regex.length; k++) {
    const e = regex[k]!;
    if (e.rank >= st.bestRank) break;
    if (!checksPass(e, e.ports, input)) continue;
    const re = e.regex!;
    re.lastIndex = 0;
    const m = re.exec(path);
    if (m === null) continue;
    st.best = e;
    st.bestRank = e.rank;
    st.matchLength = m[0].length;
    st.exec = m;
    break;
  }
}
