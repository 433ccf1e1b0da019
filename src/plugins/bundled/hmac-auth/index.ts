// hmac-auth: authenticates a consumer by an HMAC signature of chosen request headers
// (draft-cavage HTTP signatures as Kong 3.x implements them, priority 1030). The client sends
//
//   Authorization: hmac username="alice", algorithm="hmac-sha256", headers="date request-line", signature="<base64>"
//
// (or the same in Proxy-Authorization), plus a Date or X-Date header within `clock_skew`
// seconds of the gateway's clock. The signing string is one line per listed header,
// `name: value`, joined by "\n"; the pseudo header `request-line` is
// `METHOD /path?query HTTP/1.1`. Secrets are the consumers' `hmacauth_credentials[].secret`.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { definePlugin, type CredentialMatch, type PluginContext } from '../../sdk.js';
import { anonymousConsumer } from '../key-auth/index.js';
import { HmacAuthSchema, type HmacAlgorithm, type HmacAuthConfig } from './schema.js';

const UNAUTHORIZED = 'Unauthorized';
const DATE_REQUIRED =
  'HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication';
export const SIGNATURE_NOT_VALID = 'HMAC signature cannot be verified';
export const SIGNATURE_NOT_SAME = 'HMAC signature does not match';

const DIGESTS: Record<HmacAlgorithm, string> = {
  'hmac-sha1': 'sha1',
  'hmac-sha256': 'sha256',
  'hmac-sha384': 'sha384',
  'hmac-sha512': 'sha512',
};

interface Prepared extends HmacAuthConfig {
  readonly allowed: ReadonlySet<string>;
  readonly enforced: readonly string[];
  readonly challenge: string | null;
}

export interface HmacParams {
  username: string;
  algorithm: string;
  headers: string[];
  signature: string;
}

const PARAM = /\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*"([^"]*)"\s*(?:,|$)/y;

/**
 * Parses `hmac username="…", algorithm="…", headers="…", signature="…"` (scheme case-insensitive,
 * parameters in any order). Null when the header is not a complete hmac credential.
 */
export function parseHmacAuthorization(value: string | undefined): HmacParams | null {
  if (value === undefined) return null;
  const m = /^\s*hmac\s+/i.exec(value);
  if (m === null) return null;
  const params = new Map<string, string>();
  PARAM.lastIndex = m[0].length;
  while (PARAM.lastIndex < value.length) {
    const p = PARAM.exec(value);
    if (p === null) return null;
    const key = p[1].toLowerCase();
    if (params.has(key)) return null;
    params.set(key, p[2]);
  }
  const username = params.get('username');
  const algorithm = params.get('algorithm');
  const headers = params.get('headers');
  const signature = params.get('signature');
  if (!username || !algorithm || !headers || !signature) return null;
  return { username, algorithm, headers: headers.split(' ').filter((h) => h !== ''), signature };
}

const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850 = /^[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/** An HTTP-date (RFC 9110: IMF-fixdate, RFC 850, asctime) in ms since the epoch, or null. */
export function parseHttpDate(s: string): number | null {
  const v = s.trim();
  let t: number;
  if (IMF_FIXDATE.test(v) || RFC850.test(v)) t = Date.parse(v);
  else if (ASCTIME.test(v)) t = Date.parse(v + ' GMT');
  else return null;
  return Number.isNaN(t) ? null : t;
}

function dateWithinSkew(value: string | undefined, skewSeconds: number): boolean {
  if (value === undefined) return false;
  const t = parseHttpDate(value);
  if (t === null) return false;
  return Math.abs(Date.now() - t) / 1000 <= skewSeconds;
}

/** The draft-cavage signing string for `headers`, with `requestLine` for the pseudo header. */
export function signingString(ctx: PluginContext, headers: readonly string[], requestLine: string): string {
  const lines: string[] = [];
  for (const h of headers) {
    const v = ctx.request.getHeader(h);
    if (v !== undefined) lines.push(`${h}: ${v}`);
    else if (h === 'request-line') lines.push(requestLine);
    else lines.push(`${h}:`);
  }
  return lines.join('\n');
}

function digestEquals(expected: Buffer, given: Buffer): boolean {
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function signatureMatches(ctx: PluginContext, params: HmacParams, secret: string): boolean {
  const given = Buffer.from(params.signature, 'base64');
  const digest = DIGESTS[params.algorithm as HmacAlgorithm];
  const sign = (line: string) =>
    createHmac(digest, secret)
      .update(signingString(ctx, params.headers, line))
      .digest();
  const req = ctx.request;
  if (digestEquals(sign(`${req.method} ${req.rawPath}${req.query} HTTP/1.1`), given)) return true;
  // Kong still accepts the older request-line made of the normalized path without the query.
  if (!params.headers.includes('request-line')) return false;
  return digestEquals(sign(`${req.method} ${req.path} HTTP/1.1`), given);
}

/** The credential whose signature the request carries, or the 401 message. */
function verify(ctx: PluginContext, conf: Prepared): CredentialMatch | string {
  const authorization = ctx.request.getHeader('authorization');
  const proxyAuthorization = ctx.request.getHeader('proxy-authorization');
  if (authorization === undefined && proxyAuthorization === undefined) return UNAUTHORIZED;

  if (
    !dateWithinSkew(ctx.request.getHeader('x-date'), conf.clock_skew) &&
    !dateWithinSkew(ctx.request.getHeader('date'), conf.clock_skew)
  ) {
    return DATE_REQUIRED;
  }

  // Proxy-Authorization first, as Kong; hide_credentials removes the header that was used.
  let params = parseHmacAuthorization(proxyAuthorization);
  if (params === null) {
    params = parseHmacAuthorization(authorization);
    if (conf.hide_credentials && authorization !== undefined) ctx.request.removeHeader('authorization');
  } else if (conf.hide_credentials) {
    ctx.request.removeHeader('proxy-authorization');
  }
  if (params === null) return SIGNATURE_NOT_VALID;
  if (conf.enforced.length > 0) {
    const signed = new Set(params.headers.map((h) => h.toLowerCase()));
    if (conf.enforced.some((h) => !signed.has(h))) return SIGNATURE_NOT_VALID;
  }
  if (!conf.allowed.has(params.algorithm)) return SIGNATURE_NOT_VALID;

  const match = ctx.consumers.findCredential('hmacauth_credentials', 'username', params.username);
  if (match === null) return SIGNATURE_NOT_VALID;
  const secret = match.credential.secret;
  if (typeof secret !== 'string') return SIGNATURE_NOT_VALID;
  if (!signatureMatches(ctx, params, secret)) return SIGNATURE_NOT_SAME;
  return match;
}

/**
 * Kong's validate_request_body: the body must match `Digest: SHA-256=<base64 of its SHA-256>`
 * (compared as a string, as Kong does); without a Digest header only an empty body passes.
 */
async function bodyMatchesDigest(ctx: PluginContext): Promise<boolean> {
  const body = await ctx.request.readBody();
  const digest = ctx.request.getHeader('digest');
  if (digest === undefined) return body.length === 0;
  return digest === `SHA-256=${createHash('sha256').update(body).digest('base64')}`;
}

/** Authenticates the request, answers 401, or (with `anonymous`) falls back to that consumer. */
function settle(ctx: PluginContext, conf: Prepared, result: CredentialMatch | string): void {
  if (typeof result !== 'string') return ctx.authenticate(result.consumer, { id: result.credential.id });
  if (conf.anonymous !== null) return ctx.authenticate(anonymousConsumer(ctx, conf.anonymous), null);
  ctx.respond(401, { message: result }, conf.challenge === null ? undefined : { 'WWW-Authenticate': conf.challenge });
}

export default definePlugin({
  name: 'hmac-auth',
  version: '0.1.0',
  priority: 1030,
  schema: HmacAuthSchema,
  prepare: (c: HmacAuthConfig): Prepared => ({
    ...c,
    allowed: new Set(c.algorithms),
    enforced: c.enforce_headers.map((h) => h.toLowerCase()),
    challenge: c.realm === null ? null : `hmac realm="${c.realm.replace(/["\\]/g, '\\$&')}"`,
  }),
  phases: {
    access(ctx, conf) {
      // Logical OR with `anonymous`: another auth plugin already authenticated the request.
      if (conf.anonymous !== null && ctx.credential !== null) return;
      const result = verify(ctx, conf);
      // The body is read only for a request whose signature is good (as Kong checks it last).
      if (typeof result !== 'string' && conf.validate_request_body) {
        return bodyMatchesDigest(ctx).then((ok) => settle(ctx, conf, ok ? result : SIGNATURE_NOT_SAME));
      }
      settle(ctx, conf, result);
    },
  },
});
