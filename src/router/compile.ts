// compileRouter: RouteSpec[] → Router with Kong 3.x (traditional_compatible) semantics.
// See docs/routing.md. Matching walks: exact host bucket, wildcard host buckets, the
// "any host" bucket; in each, the path index; the best Kong priority (a precomputed
// rank) wins. No allocation per match except for regex routes (exec result, captures).
import type { MatchInput, MatchResult, Router, RouteSpec } from './types.js';
import { buildCandidates, ListInterner, type Candidate } from './candidate.js';
import { assignRanks } from './priority.js';
import { HostIndex } from './host-index.js';
import { MatchState } from './path-index.js';

class CompiledRouter<T> implements Router<T> {
  readonly size: number;
  private readonly index: HostIndex<T>;
  private readonly state: MatchState<T>;

  constructor(routes: RouteSpec<T>[]) {
    this.size = routes.length;
    const candidates: Candidate<T>[] = [];
    const interner = new ListInterner();
    for (const r of routes) for (const c of buildCandidates(r, interner)) candidates.push(c);
    assignRanks(candidates);
    this.index = HostIndex.build(candidates);
    this.state = new MatchState<T>(this.index.maxPathPrefixLength);
  }

  match(input: MatchInput, out: MatchResult<T>): boolean {
    const st = this.state;
    st.reset(input.path);
    this.index.scan(input, st);
    const best = st.best;
    if (best === null) {
      out.route = null;
      out.matchLength = 0;
      out.captures = null;
      return false;
    }
    out.route = best.data;
    out.matchLength = st.matchLength;
    out.captures = st.exec === null ? null : capturesOf(st.exec);
    st.best = null;
    st.exec = null;
    return true;
  }
}

/** Kong's `uri_captures`: "0" (whole match), "1".. (groups), and named groups. Unset groups are left out. */
function capturesOf(m: RegExpExecArray): Record<string, string> {
  const caps: Record<string, string> = {};
  for (let i = 0; i < m.length; i++) {
    const v = m[i];
    if (v !== undefined) caps[String(i)] = v;
  }
  const groups = m.groups;
  if (groups !== undefined) {
    for (const name in groups) {
      const v = groups[name];
      if (v !== undefined) caps[name] = v;
    }
  }
  return caps;
}

export function compileRouter<T>(routes: RouteSpec<T>[]): Router<T> {
  return new CompiledRouter<T>(routes);
}
