// Contract between the router and the engine. The engine builds one MatchInput per request
// (reused, no allocation) and the router fills one MatchResult (also reused).

export interface RouteSpec<T> {
  id: string;
  name: string | null;
  protocols: string[];
  methods: string[] | null;
  hosts: string[] | null; // exact or with one leading/trailing `*` wildcard, optional :port
  paths: string[] | null; // prefixes, or regexes starting with `~` (named and numbered captures)
  headers: Record<string, string[]> | null; // header name -> accepted values (`~*` prefix = regex, as Kong)
  regex_priority: number;
  /** Position in the config; breaks ties the way Kong's created_at does. */
  order: number;
  /** Whatever the engine wants back on a match (the compiled route). */
  data: T;
}

export interface MatchInput {
  method: string; // upper case as sent
  host: string; // Host header value, lower-cased, port stripped
  port: number; // port the client connected to (for hosts with ports)
  path: string; // raw path, query removed, NOT percent-decoded
  protocol: string; // 'http' | 'https' | ...
  /** Returns the value of a request header (name lower-case), or undefined. Joined with ", " when repeated. */
  header(name: string): string | undefined;
}

export interface MatchResult<T> {
  route: T | null;
  /** Number of leading characters of `path` consumed by the matched path (prefix length or regex match length). */
  matchLength: number;
  /** Regex captures, as Kong exposes them (`uri_captures`): numbered and named, or null. */
  captures: Record<string, string> | null;
}

export interface Router<T> {
  /** Fills `out` and returns true on a match; false (and out.route = null) otherwise. */
  match(input: MatchInput, out: MatchResult<T>): boolean;
  readonly size: number;
}
