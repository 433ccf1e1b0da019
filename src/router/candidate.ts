// A candidate is one (route, path) pair — or the route itself when it has no paths.
// Kong 3.x (traditional_compatible) splits a route with several paths the same way
// before computing priorities, so one route can rank differently per path.
import type { RouteSpec } from './types.js';
import { compileHeaderChecks, type Checks, type HeaderCheck } from './checks.js';

export const PATH_NONE = 0;
export const PATH_PREFIX = 1;
export const PATH_REGEX = 2;

const DEFAULT_PROTOCOLS = ['http', 'https'];

export interface Candidate<T> extends Checks {
  /** Position in Kong priority order over the whole router; lower is better. */
  rank: number;
  spec: RouteSpec<T>;
  data: T;
  protocols: string[];
  methods: string[] | null;
  headers: HeaderCheck[] | null;
  pathKind: number;
  /** Prefix path (PATH_PREFIX) or the regex source without `~` (PATH_REGEX). */
  path: string;
  regex: RegExp | null;
  /** Index of the path in the route's `paths` (last tie-break). */
  pathIndex: number;
  // Inputs of Kong's priority (see priority.ts).
  weight: number;
  plainHostOnly: boolean;
  headerCount: number;
}

function nonEmpty<A>(a: A[] | null | undefined): a is A[] {
  return a !== null && a !== undefined && a.length > 0;
}

/** Kong's `~` regex path → JavaScript RegExp anchored at the start (sticky flag). */
export function compilePathRegex(source: string, routeId: string): RegExp {
  // PCRE and Python spell named groups `(?P<name>`; JavaScript only accepts `(?<name>`.
  const js = source.replace(/\(\?P</g, '(?<');
  try {
    return new RegExp(js, 'y');
  } catch (err) {
    throw new Error(`route ${routeId}: invalid regex path ~${source}: ${(err as Error).message}`);
  }
}

/**
 * Shares equal string lists (protocols, methods) between routes: with thousands of
 * routes, one hot array beats thousands of cold ones.
 */
export class ListInterner {
  private readonly lists = new Map<string, string[]>();
  intern(list: string[]): string[] {
    const key = list.join('\n');
    const known = this.lists.get(key);
    if (known !== undefined) return known;
    this.lists.set(key, list);
    return list;
  }
}

export function buildCandidates<T>(spec: RouteSpec<T>, interner: ListInterner = new ListInterner()): Candidate<T>[] {
  const protocols = interner.intern(nonEmpty(spec.protocols) ? spec.protocols.slice() : DEFAULT_PROTOCOLS.slice());
  const methods = nonEmpty(spec.methods) ? interner.intern(spec.methods.map((m) => m.toUpperCase())) : null;
  const headers = compileHeaderChecks(spec.headers, spec.id);
  const hosts = nonEmpty(spec.hosts) ? spec.hosts : null;
  const paths = nonEmpty(spec.paths) ? spec.paths : null;
  const headerCount = headers === null ? 0 : Math.min(headers.length, 255);
  const weight = (methods ? 1 : 0) + (hosts ? 1 : 0) + (headerCount > 0 ? 1 : 0) + (paths ? 1 : 0);
  const plainHostOnly = hosts !== null && hosts.every((h) => !h.includes('*'));

  const base = (): Candidate<T> => ({
    rank: 0,
    spec,
    data: spec.data,
    protocols,
    methods,
    headers,
    pathKind: PATH_NONE,
    path: '',
    regex: null,
    pathIndex: 0,
    weight,
    plainHostOnly,
    headerCount,
  });
  if (paths === null) return [base()];
  const out: Candidate<T>[] = [];
  paths.forEach((p, i) => {
    const c = base();
    c.pathIndex = i;
    if (p.charCodeAt(0) === 126 /* ~ */) {
      c.pathKind = PATH_REGEX;
      c.path = p.slice(1);
      c.regex = compilePathRegex(c.path, spec.id);
    } else {
      c.pathKind = PATH_PREFIX;
      c.path = p;
    }
    out.push(c);
  });
  return out;
}
