// Content-Type matching as Kong's request-validator does it: type, subtype and parameter names
// compare case-insensitively, as does the charset value; other parameter values exactly. With
// parameter validation on, the request's parameters must be exactly the allowed entry's; off,
// parameters are ignored. "*" as type or subtype is a wildcard (e.g. "application/*").

export interface MediaType {
  type: string;
  subtype: string;
  params: Map<string, string>;
}

/** Parses "application/json; charset=UTF-8"; null when it is not type/subtype. */
export function parseMediaType(value: string): MediaType | null {
  const parts = value.split(';');
  const m = /^\s*([^\s/]+)\/([^\s/]+)\s*$/.exec(parts[0]!);
  if (!m) return null;
  const params = new Map<string, string>();
  for (const p of parts.slice(1)) {
    if (p.trim() === '') continue;
    const eq = p.indexOf('=');
    if (eq < 0) return null;
    const name = p.slice(0, eq).trim().toLowerCase();
    let v = p.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    params.set(name, name === 'charset' ? v.toLowerCase() : v);
  }
  return { type: m[1]!.toLowerCase(), subtype: m[2]!.toLowerCase(), params };
}

export function mediaTypeMatches(allowed: MediaType, got: MediaType, checkParams: boolean): boolean {
  if (allowed.type !== '*' && allowed.type !== got.type) return false;
  if (allowed.subtype !== '*' && allowed.subtype !== got.subtype) return false;
  if (!checkParams) return true;
  if (allowed.params.size !== got.params.size) return false;
  for (const [k, v] of allowed.params) if (got.params.get(k) !== v) return false;
  return true;
}

/** How a body of this type is parsed for validation: JSON, a urlencoded form, or not at all. */
export function bodyKind(t: MediaType): 'json' | 'form' | null {
  if (t.type === 'application' && (t.subtype === 'json' || t.subtype.endsWith('+json'))) return 'json';
  if (t.type === 'application' && t.subtype === 'x-www-form-urlencoded') return 'form';
  return null;
}
