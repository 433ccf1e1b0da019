// The per-candidate checks that the indexes cannot answer: protocol, port (for hosts
// written with a port), method and headers. All allocation-free on the common path.
import type { MatchInput } from './types.js';

export interface HeaderCheck {
  /** Lower-case header name. */
  name: string;
  /** Accepted plain values, lower-cased. */
  values: string[];
  /** Accepted `~*` regex values (case-insensitive, unanchored, as Kong's `~` operator). */
  regexes: RegExp[];
}

/** What a candidate needs besides its host and path. */
export interface Checks {
  protocols: string[];
  methods: string[] | null;
  headers: HeaderCheck[] | null;
}

export function compileHeaderChecks(headers: Record<string, string[]> | null, routeId: string): HeaderCheck[] | null {
  if (headers === null) return null;
  const out: HeaderCheck[] = [];
  for (const rawName of Object.keys(headers)) {
    const list = headers[rawName];
    if (!list || list.length === 0) continue;
    const check: HeaderCheck = { name: rawName.toLowerCase(), values: [], regexes: [] };
    for (const v of list) {
      if (v.length >= 2 && v.charCodeAt(0) === 126 /* ~ */ && v.charCodeAt(1) === 42 /* * */) {
        try {
          check.regexes.push(new RegExp(v.slice(2), 'i'));
        } catch (err) {
          throw new Error(
            `route ${routeId}: invalid header regex ${JSON.stringify(v)} for ${rawName}: ${(err as Error).message}`,
          );
        }
      } else {
        check.values.push(v.toLowerCase());
      }
    }
    out.push(check);
  }
  return out.length === 0 ? null : out;
}

/** a[start, end) equals `lower` ignoring ASCII case (`lower` is already lower-case). */
export function rangeEqualsLower(a: string, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = start, j = 0; i < end; i++, j++) {
    let c = a.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(j)) return false;
  }
  return true;
}

function upperEquals(method: string, upper: string): boolean {
  if (method.length !== upper.length) return false;
  for (let i = 0; i < method.length; i++) {
    let c = method.charCodeAt(i);
    if (c >= 97 && c <= 122) c -= 32;
    if (c !== upper.charCodeAt(i)) return false;
  }
  return true;
}

export function methodMatches(methods: string[], method: string): boolean {
  for (let i = 0; i < methods.length; i++) if (methods[i] === method) return true;
  // The contract says the engine passes the method upper-cased; tolerate one that is not.
  for (let i = 0; i < methods.length; i++) if (upperEquals(method, methods[i]!)) return true;
  return false;
}

function plainValueMatches(value: string, accepted: string[]): boolean {
  const n = value.length;
  for (let k = 0; k < accepted.length; k++) {
    if (rangeEqualsLower(value, 0, n, accepted[k]!)) return true;
  }
  // A repeated header arrives joined with ", "; Kong tests each occurrence (`any(...)`).
  if (value.indexOf(',') < 0) return false;
  let start = 0;
  while (start <= n) {
    let end = value.indexOf(',', start);
    if (end < 0) end = n;
    let s = start;
    while (s < end && value.charCodeAt(s) === 32) s++;
    for (let k = 0; k < accepted.length; k++) {
      if (rangeEqualsLower(value, s, end, accepted[k]!)) return true;
    }
    start = end + 1;
  }
  return false;
}

function regexValueMatches(value: string, regexes: RegExp[]): boolean {
  for (let k = 0; k < regexes.length; k++) if (regexes[k]!.test(value)) return true;
  return false;
}

export function headersMatch(headers: HeaderCheck[], input: MatchInput): boolean {
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    const value = input.header(h.name);
    if (value === undefined) return false;
    if (h.values.length > 0 && plainValueMatches(value, h.values)) continue;
    if (h.regexes.length > 0 && regexValueMatches(value, h.regexes)) continue;
    return false;
  }
  return true;
}

export function protocolMatches(protocols: string[], protocol: string): boolean {
  for (let i = 0; i < protocols.length; i++) if (protocols[i] === protocol) return true;
  return false;
}

/** Everything but host and path. `ports` is the host entry's port list (null = any port). */
export function checksPass(c: Checks, ports: number[] | null, input: MatchInput): boolean {
  if (!protocolMatches(c.protocols, input.protocol)) return false;
  if (ports !== null) {
    let ok = false;
    for (let i = 0; i < ports.length; i++)
      if (ports[i] === input.port) {
        ok = true;
        break;
      }
    if (!ok) return false;
  }
  if (c.methods !== null && !methodMatches(c.methods, input.method)) return false;
  if (c.headers !== null && !headersMatch(c.headers, input)) return false;
  return true;
}
