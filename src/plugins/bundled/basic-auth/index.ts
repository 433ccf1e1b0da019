// basic-auth: authenticates a consumer by `Authorization: Basic` (or `Proxy-Authorization`,
// tried first, as in Kong 3.x; priority 1100). Credentials are the consumers'
// `basicauth_credentials[]` {username, password}. Kong keeps sha1(password + consumer_id) in
// hex; a declarative file (with `_transform: true`, the default) holds plaintext that Kong
// hashes on load. Here each instance hashes a stored password the first time it is needed and
// keeps the digest (per credential, so a reload starts afresh); the presented password is
// hashed the same way and compared in constant time. Passwords are never logged.

import { createHash, timingSafeEqual } from 'node:crypto';
import { definePlugin, type PluginContext } from '../../sdk.js';
import { anonymousConsumer } from '../key-auth/index.js';
import { BasicAuthSchema, type BasicAuthConfig } from './schema.js';

interface Prepared extends BasicAuthConfig {
  readonly challenge: string;
  /** Stored credential → sha1(password + consumer id). Keyed by the credential record of the running config. */
  readonly digests: WeakMap<object, Buffer>;
}

/** Kong's basic-auth digest: sha1(password .. consumer_id). */
function digest(password: string, consumerId: string): Buffer {
  return createHash('sha1')
    .update(password + consumerId, 'utf8')
    .digest();
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** `Basic <base64(user:pass)>` → [user, pass]; null when the header is not that. */
export function parseBasic(header: string): [string, string] | null {
  const m = /^\s*[Bb]asic\s*(\S+)\s*$/.exec(header);
  if (m === null || !BASE64.test(m[1]!)) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null; // Kong: a non-empty user, then ':'
  return [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

/** The stored digest of a credential (hashing the file's plaintext once per instance and config). */
function storedDigest(
  conf: Prepared,
  credential: Record<string, unknown>,
  consumerId: string,
  transform: boolean,
): Buffer | null {
  let d = conf.digests.get(credential);
  if (d === undefined) {
    const pw = credential.password;
    if (typeof pw !== 'string') return null;
    // `_transform: false`: the file already holds Kong's hex digest; never treat it as a password.
    if (!transform) {
      if (!/^[0-9a-f]{40}$/i.test(pw)) return null;
      d = Buffer.from(pw, 'hex');
      conf.digests.set(credential, d);
      return d;
    }
    d = digest(pw, consumerId);
    conf.digests.set(credential, d);
  }
  return d;
}

const DUMMY = digest('', '');

/** Checks one header: 'ok' (authenticated), 'bad' (known user, wrong password) or 'none' (no usable credentials). */
function tryHeader(ctx: PluginContext, conf: Prepared, value: string | undefined): 'ok' | 'bad' | 'none' {
  if (value === undefined) return 'none';
  const parsed = parseBasic(value);
  if (parsed === null) return 'none';
  const [username, password] = parsed;
  const match = ctx.consumers.findCredential('basicauth_credentials', 'username', username);
  if (match === null) {
    timingSafeEqual(DUMMY, digest(password, '')); // same work whether or not the user exists
    return 'none';
  }
  const expected = storedDigest(conf, match.credential, match.consumer.id, ctx.consumers.transform);
  const given = digest(password, match.consumer.id);
  if (expected === null || !timingSafeEqual(expected, given)) return 'bad';
  ctx.authenticate(match.consumer, { id: match.credential.id });
  return 'ok';
}

function authenticateBasic(ctx: PluginContext, conf: Prepared): boolean {
  const proxyAuth = ctx.request.getHeader('Proxy-Authorization');
  const auth = ctx.request.getHeader('Authorization');
  if (proxyAuth === undefined && auth === undefined) return false;
  // As Kong: Proxy-Authorization first; Authorization only when that named no known user.
  let result = tryHeader(ctx, conf, proxyAuth);
  if (result === 'none') result = tryHeader(ctx, conf, auth);
  if (conf.hide_credentials) {
    ctx.request.removeHeader('Authorization');
    ctx.request.removeHeader('Proxy-Authorization');
  }
  return result === 'ok';
}

export default definePlugin({
  name: 'basic-auth',
  version: '0.1.0',
  priority: 1100,
  schema: BasicAuthSchema,
  prepare: (c: BasicAuthConfig): Prepared => ({
    ...c,
    challenge: `Basic realm="${c.realm.replace(/["\\]/g, '\\$&')}"`,
    digests: new WeakMap(),
  }),
  phases: {
    access(ctx, conf) {
      if (conf.anonymous !== null) {
        if (ctx.credential !== null) return; // logical OR: already authenticated by another plugin
        if (!authenticateBasic(ctx, conf)) ctx.authenticate(anonymousConsumer(ctx, conf.anonymous), null);
        return;
      }
      if (!authenticateBasic(ctx, conf))
        ctx.respond(401, { message: 'Unauthorized' }, { 'WWW-Authenticate': conf.challenge });
    },
  },
});
