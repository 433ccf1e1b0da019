// jwt: authenticates a consumer by a signed JSON Web Token (Kong 3.x semantics, priority 1450).
// The token comes from a query argument, a cookie or a `Bearer` header; its `key_claim_name`
// claim (`iss` by default) names one of the consumers' `jwt_secrets[].key`, whose `algorithm`
// and `secret` (HS*) or `rsa_public_key` (RS*, ES*, PS*) verify the signature (with jose).
// Statuses, messages and WWW-Authenticate challenges are Kong's. With `anonymous`, a failed
// authentication lets the request through as that consumer (logical OR between auth plugins).

import { joseModule } from '../shared/lazy-modules.js';
import { definePlugin, type PluginContext } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { anonymousConsumer } from '../key-auth/index.js';
import { JwtSchema, type JwtConfig } from './schema.js';
import { decodeToken, retrieveTokens } from './token.js';
import { verifyKey } from './keys.js';

interface Prepared extends JwtConfig {
  readonly claims: readonly ('exp' | 'nbf')[];
  /** `Bearer` or `Bearer realm="…"`: the challenge when no token was sent. */
  readonly challenge: string;
  /** The challenge of every other 401. */
  readonly challengeInvalid: string;
}

/** A refusal: Kong's `{ message }` body, or its claim errors (`{ exp: "token expired" }`). */
type Failure = { message: string; bare?: true } | { errors: Record<string, string> };

function prepare(c: JwtConfig): Prepared {
  const claims = [...new Set(c.claims_to_verify ?? [])];
  if (c.maximum_expiration > 0 && !claims.includes('exp')) {
    throw new PluginConfigFieldError(
      'claims_to_verify',
      'expected to contain: exp (maximum_expiration is greater than 0)',
    );
  }
  const challenge = c.realm === null ? 'Bearer' : `Bearer realm="${c.realm.replace(/["\\]/g, '\\$&')}"`;
  return { ...c, claims, challenge, challengeInvalid: `${challenge} error="invalid_token"` };
}

const now = (): number => Math.floor(Date.now() / 1000);

/** Kong's jwt_parser verify_registered_claims and check_maximum_expiration. */
function checkClaims(claims: Record<string, unknown>, conf: Prepared): Record<string, string> | null {
  const errors: Record<string, string> = {};
  const t = now();
  for (const name of conf.claims) {
    const v = claims[name];
    if (typeof v !== 'number') errors[name] = 'must be a number';
    else if (name === 'exp' && v <= t) errors.exp = 'token expired';
    else if (name === 'nbf' && v > t) errors.nbf = 'token not valid yet';
  }
  if (Object.keys(errors).length > 0) return errors;
  if (conf.maximum_expiration > 0) {
    const exp = claims.exp;
    if (typeof exp !== 'number' || exp - t > conf.maximum_expiration)
      return { exp: 'exceeds maximum allowed expiration' };
  }
  return null;
}

async function authenticateByToken(ctx: PluginContext, conf: Prepared): Promise<Failure | null> {
  const tokens = retrieveTokens(ctx, conf);
  if (tokens.length === 0) return { message: 'Unauthorized', bare: true };
  if (tokens.length > 1) return { message: 'Multiple tokens provided' };
  const token = tokens[0]!;

  const decoded = decodeToken(token);
  if ('error' in decoded) return { message: `Bad token; ${decoded.error}` };

  const name = conf.key_claim_name;
  const keyValue = decoded.claims[name] ?? decoded.header[name];
  if (keyValue === undefined || keyValue === null || keyValue === false)
    return { message: `No mandatory '${name}' in claims` };
  if (keyValue === '') return { message: `Invalid '${name}' in claims` };
  const match = typeof keyValue === 'string' ? ctx.consumers.findCredential('jwt_secrets', 'key', keyValue) : null;
  if (match === null) return { message: `No credentials found for given '${name}'` };
  const credential = match.credential;

  const algorithm = typeof credential.algorithm === 'string' ? credential.algorithm : 'HS256';
  if (decoded.alg !== algorithm) return { message: 'Invalid algorithm' };

  const key = verifyKey(credential, decoded.alg, conf.secret_is_base64);
  if ('invalid' in key) {
    ctx.log.error(`jwt: the ${key.invalid} of jwt_secrets credential ${credential.id} cannot be used for ${algorithm}`);
    return { message: 'Invalid key/secret' };
  }
  try {
    await (await joseModule()).compactVerify(token, key.key, { algorithms: [algorithm] });
  } catch {
    return { message: 'Invalid signature' };
  }

  const errors = checkClaims(decoded.claims, conf);
  if (errors !== null) return { errors };

  ctx.authenticate(match.consumer, { id: credential.id });
  // Kong's jwt sends the credential's key (not its id) as X-Credential-Identifier.
  if (typeof credential.key === 'string') ctx.request.setHeader('X-Credential-Identifier', credential.key);
  ctx.shared['authenticated_jwt_token'] = token;
  return null;
}

export default definePlugin({
  name: 'jwt',
  version: '0.1.0',
  priority: 1450,
  schema: JwtSchema,
  prepare,
  phases: {
    async access(ctx, conf) {
      if (!conf.run_on_preflight && ctx.request.method === 'OPTIONS') return;
      if (conf.anonymous !== null) {
        // Logical OR: another auth plugin already authenticated the request.
        if (ctx.credential !== null) return;
        if ((await authenticateByToken(ctx, conf)) !== null)
          ctx.authenticate(anonymousConsumer(ctx, conf.anonymous), null);
        return;
      }
      const failure = await authenticateByToken(ctx, conf);
      if (failure === null) return;
      if ('errors' in failure) ctx.respond(401, failure.errors, { 'WWW-Authenticate': conf.challengeInvalid });
      else
        ctx.respond(
          401,
          { message: failure.message },
          { 'WWW-Authenticate': failure.bare ? conf.challenge : conf.challengeInvalid },
        );
    },
  },
});
