// Finding the token in a request and decoding it without trusting it, as Kong's jwt handler
// and jwt_parser do: the claims name the credential before any signature is checked.

import type { PluginContext } from '../../sdk.js';

/** Algorithms a token may name (Kong 3.x's jwt_parser list); anything else is "invalid alg". */
export const ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export function isAlgorithm(v: unknown): v is Algorithm {
  return typeof v === 'string' && (ALGORITHMS as readonly string[]).includes(v);
}

export interface Sources {
  readonly uri_param_names: readonly string[];
  readonly cookie_names: readonly string[];
  readonly header_names: readonly string[];
}

/** The value of cookie `name` in a Cookie header (the first one, as nginx's $cookie_<name>). */
export function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const BEARER = /^\s*[Bb]earer\s+(.+)/s;

/**
 * Every distinct, non-empty token in the request: query arguments, then cookies, then
 * `Bearer` headers. Kong answers "Multiple tokens provided" when there is more than one.
 */
export function retrieveTokens(ctx: PluginContext, conf: Sources): string[] {
  const set = new Set<string>();
  const q = ctx.request.query;
  if (q.length > 1 && conf.uri_param_names.length > 0) {
    const params = new URLSearchParams(q.slice(1));
    for (const name of conf.uri_param_names) for (const v of params.getAll(name)) if (v !== '') set.add(v);
  }
  if (conf.cookie_names.length > 0) {
    const cookies = ctx.request.getHeader('cookie');
    if (cookies !== undefined) {
      for (const name of conf.cookie_names) {
        const v = cookieValue(cookies, name);
        if (v !== undefined && v !== '') set.add(v);
      }
    }
  }
  for (const name of conf.header_names) {
    const h = ctx.request.getHeader(name);
    if (h === undefined) continue;
    const m = BEARER.exec(h);
    if (m !== null && m[1] !== '') set.add(m[1]!);
  }
  return [...set];
}

export interface Decoded {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
  readonly alg: Algorithm;
}

/** Kong's lenient base64url decoding (standard alphabet accepted, padding optional); null when invalid. */
export function base64Decode(s: string): Buffer | null {
  const std = s.replace(/-/g, '+').replace(/_/g, '/');
  const padded = std + '='.repeat((4 - (std.length % 4)) % 4);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(padded) || padded.length % 4 !== 0) return null;
  return Buffer.from(padded, 'base64');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Decodes the token's header and claims; the error is Kong's ("invalid JSON", "invalid alg", …). */
export function decodeToken(token: string): Decoded | { error: string } {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0) return { error: 'invalid JSON' };
  const parts = [token.slice(0, first), token.slice(first + 1, second), token.slice(second + 1)];
  let header: unknown;
  let claims: unknown;
  try {
    const h = base64Decode(parts[0]!);
    const c = base64Decode(parts[1]!);
    if (h === null || c === null) return { error: 'invalid JSON' };
    header = JSON.parse(h.toString('utf8'));
    claims = JSON.parse(c.toString('utf8'));
  } catch {
    return { error: 'invalid JSON' };
  }
  if (!isObject(header) || !isAlgorithm(header.alg)) return { error: 'invalid alg' };
  if (!isObject(claims)) return { error: 'invalid claims' };
  if (base64Decode(parts[2]!) === null) return { error: 'invalid signature' };
  return { header, claims, alg: header.alg };
}
