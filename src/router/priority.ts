// Kong 3.x priority (kong/router/transform.lua get_priority, traditional_compatible),
// most significant first:
//   1. match weight: how many of methods, hosts, headers, paths (and snis) are set
//   2. plain-host-only: the route has hosts and none of them has a wildcard
//   3. number of header names
//   4. regex path (a regex path outranks a prefix path)
//   5. regex_priority (regex paths only)
//   6. prefix length (prefix paths only; longer first)
// Kong breaks remaining ties by route UUID (atc-router's BTreeMap key); Turnpike uses
// the configuration order instead (`order`, lower first), then the path's index.
import { PATH_PREFIX, PATH_REGEX, type Candidate } from './candidate.js';

export function comparePriority<T>(a: Candidate<T>, b: Candidate<T>): number {
  if (a.weight !== b.weight) return b.weight - a.weight;
  if (a.plainHostOnly !== b.plainHostOnly) return a.plainHostOnly ? -1 : 1;
  if (a.headerCount !== b.headerCount) return b.headerCount - a.headerCount;
  const ar = a.pathKind === PATH_REGEX;
  const br = b.pathKind === PATH_REGEX;
  if (ar !== br) return ar ? -1 : 1;
  if (ar && a.spec.regex_priority !== b.spec.regex_priority) return b.spec.regex_priority - a.spec.regex_priority;
  const al = a.pathKind === PATH_PREFIX ? a.path.length : 0;
  const bl = b.pathKind === PATH_PREFIX ? b.path.length : 0;
  if (al !== bl) return bl - al;
  if (a.spec.order !== b.spec.order) return a.spec.order - b.spec.order;
  return a.pathIndex - b.pathIndex;
}

/** Sorts by priority and writes each candidate's rank (0 = best). */
export function assignRanks<T>(candidates: Candidate<T>[]): void {
  const sorted = candidates.slice().sort(comparePriority);
  for (let i = 0; i < sorted.length; i++) sorted[i]!.rank = i;
}
