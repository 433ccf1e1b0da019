// Claim checks of openid-connect: registered claims (iss, exp, nbf) and Kong's required
// audience/scope lists (every value of one entry must be present; any entry suffices).

/** The value at a claim path (`["realm_access", "roles"]`), or undefined. */
export function claimAt(claims: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = claims;
  for (const k of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** A claim as a set of values: a space-separated string or an array of strings. */
export function scopesOf(v: unknown): Set<string> {
  if (typeof v === 'string') return new Set(v.split(/\s+/).filter((s) => s !== ''));
  if (Array.isArray(v)) return new Set(v.filter((x): x is string => typeof x === 'string'));
  return new Set();
}

export function matchesAny(entries: readonly (readonly string[])[], have: ReadonlySet<string>): boolean {
  return entries.some((all) => all.length > 0 && all.every((s) => have.has(s)));
}

/** Why the registered claims are refused, or null. `exp` and `nbf` are optional but must be numbers. */
export function checkClaims(
  claims: Record<string, unknown>,
  issuers: readonly string[],
  leeway: number,
  now = Date.now() / 1000,
): string | null {
  if (typeof claims.iss !== 'string' || !issuers.includes(claims.iss))
    return `issuer ${JSON.stringify(claims.iss)} not allowed`;
  if (claims.exp !== undefined) {
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) return 'exp is not a number';
    if (claims.exp + leeway <= now) return 'token expired';
  }
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== 'number' || !Number.isFinite(claims.nbf)) return 'nbf is not a number';
    if (claims.nbf - leeway > now) return 'token not valid yet';
  }
  return null;
}
