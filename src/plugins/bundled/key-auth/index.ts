// key-auth: authenticates a consumer by an API key found in a header, a query argument or
// (key_in_body) a JSON or form-urlencoded request body (Kong 3.x semantics, priority 1250). Keys are the consumers' `keyauth_credentials[].key`,
// looked up through the configuration's indexed consumer store. With `anonymous`, a failed
// authentication lets the request through as that consumer (Kong's "logical OR" between
// auth plugins); without it, the request is answered with a 401 and nothing goes upstream.

import { definePlugin, type ConsumerRef, type PluginContext } from '../../sdk.js';
import { KeyAuthSchema, type KeyAuthConfig } from './schema.js';
import { bodyKind, getOwn, parseForm, parseJsonObject, serializeForm, type JsonObject } from '../shared/body.js';
import type { Query } from '../request-transformer/query.js';

interface Prepared extends KeyAuthConfig {
  readonly challenge: string;
}

interface Failure {
  readonly message: string;
}

const NO_KEY: Failure = { message: 'No API key found in request' };
const INVALID: Failure = { message: 'Unauthorized' };
const DUPLICATE: Failure = { message: 'Duplicate API key found' };

/** Decodes a query-string component ("+" is a space); null when it is not valid percent-encoding. */
function decodeComponent(s: string): string | null {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/** The query ("" or "?…") with every `name` argument removed, other arguments kept byte for byte. */
export function withoutQueryArg(query: string, name: string): string {
  if (query.length < 2) return query;
  const kept = query
    .slice(1)
    .split('&')
    .filter((part) => {
      if (part === '') return false;
      const eq = part.indexOf('=');
      return decodeComponent(eq < 0 ? part : part.slice(0, eq)) !== name;
    });
  return kept.length === 0 ? '' : '?' + kept.join('&');
}

/** Every value of query argument `name` in the client's query string. */
function queryValues(query: string, name: string): string[] {
  if (query.length < 2) return [];
  // Nothing percent- or plus-encoded (the usual case): compare names in place. URLSearchParams
  // would parse and decode every argument of every request (measured: most of key-auth's cost).
  if (query.indexOf('%') === -1 && query.indexOf('+') === -1) {
    const out: string[] = [];
    let pos = 1;
    while (pos <= query.length) {
      let amp = query.indexOf('&', pos);
      if (amp === -1) amp = query.length;
      const eq = query.indexOf('=', pos);
      const keyEnd = eq !== -1 && eq < amp ? eq : amp;
      if (keyEnd - pos === name.length && query.startsWith(name, pos))
        out.push(keyEnd === amp ? '' : query.slice(keyEnd + 1, amp));
      pos = amp + 1;
    }
    return out;
  }
  return new URLSearchParams(query.slice(1)).getAll(name);
}

/** Kong's header lookup also matches `api_key` against an `api-key` header. */
function headerValue(ctx: PluginContext, name: string): { value: string; header: string } | null {
  const v = ctx.request.getHeader(name);
  if (v !== undefined) return { value: v, header: name };
  if (name.includes('_')) {
    const dashed = name.replace(/_/g, '-');
    const d = ctx.request.getHeader(dashed);
    if (d !== undefined) return { value: d, header: dashed };
  }
  return null;
}

/** The request body as key-auth searches it: a JSON object or form arguments; null when it has neither. */
type ParsedBody = { kind: 'json'; o: JsonObject } | { kind: 'form'; q: Query } | null;

/**
 * Reads and parses the body (only JSON and form-urlencoded bodies are read). As in Kong, a body
 * that cannot be parsed is searched as an empty one, not refused.
 */
async function readParsedBody(ctx: PluginContext): Promise<ParsedBody> {
  const kind = bodyKind(ctx.request.getHeader('content-type'));
  if (kind === 'json') {
    const o = parseJsonObject(await ctx.request.readBody());
    return o === null ? null : { kind, o };
  }
  if (kind === 'form') return { kind, q: parseForm(await ctx.request.readBody()) };
  return null;
}

/** The key under `name` in the body: a string, DUPLICATE for a list (or object), undefined otherwise. */
function bodyValue(body: ParsedBody, name: string): string | Failure | undefined {
  if (body === null) return undefined;
  if (body.kind === 'json') {
    const v = getOwn(body.o, name);
    if (typeof v === 'string') return v;
    return v !== null && typeof v === 'object' ? DUPLICATE : undefined;
  }
  const values = body.q.get(name);
  if (values === undefined) return undefined;
  if (values.length > 1) return DUPLICATE;
  const v = values[0];
  return typeof v === 'string' ? v : undefined; // a bare "apikey" (no "=") is no key
}

/** Removes `name` from the body sent upstream (re-encoded only when it was there). */
function hideInBody(ctx: PluginContext, body: ParsedBody, name: string): void {
  if (body === null) return;
  if (body.kind === 'json') {
    if (!Object.hasOwn(body.o, name)) return;
    delete body.o[name];
    ctx.request.setBody(JSON.stringify(body.o));
    return;
  }
  if (!body.q.delete(name)) return;
  ctx.request.setBody(serializeForm(body.q));
}

/** authenticateByKey needs the parsed body first (key_in_body): read it and call again. */
const NEED_BODY = Symbol('need body');

/**
 * Finds the key, hides it when asked, and authenticates; returns the failure otherwise.
 * Synchronous: when the body is needed and `body` is undefined it returns NEED_BODY before
 * changing anything, so that the common header/query case costs no promise.
 */
function authenticateByKey(
  ctx: PluginContext,
  conf: Prepared,
  body: ParsedBody | undefined,
): Failure | null | typeof NEED_BODY {
  let key: string | undefined;
  let foundName: string | undefined;
  let foundHeader: string | null = null;
  for (const name of conf.key_names) {
    let found: string | undefined;
    let header: string | null = null;
    if (conf.key_in_header) {
      const h = headerValue(ctx, name);
      if (h !== null) {
        found = h.value;
        header = h.header;
      }
    }
    if (found === undefined && conf.key_in_query) {
      const values = queryValues(ctx.request.query, name);
      if (values.length > 1) return DUPLICATE;
      if (values.length === 1) found = values[0];
    }
    if (found === undefined && conf.key_in_body) {
      if (body === undefined) return NEED_BODY;
      const v = bodyValue(body, name);
      if (v === DUPLICATE) return DUPLICATE;
      if (typeof v === 'string') found = v;
    }
    if (found === undefined) continue;
    key = found;
    foundName = name;
    foundHeader = header;
    break;
  }
  if (key !== undefined && conf.hide_credentials) {
    const name = foundName!;
    // As in Kong, the name leaves the body too, wherever the key was found.
    if (conf.key_in_body && body === undefined) return NEED_BODY;
    const q = ctx.request.upstreamQuery;
    if (q.length > 1) {
      const stripped = withoutQueryArg(q, name);
      if (stripped !== q) ctx.request.setUpstreamQuery(stripped);
    }
    ctx.request.removeHeader(foundHeader ?? name);
    if (body !== undefined) hideInBody(ctx, body, name);
  }
  if (key === undefined || key === '') return NO_KEY;
  const match = ctx.consumers.findCredential('keyauth_credentials', 'key', key);
  if (match === null) return INVALID;
  ctx.authenticate(match.consumer, { id: match.credential.id });
  return null;
}

function conclude(ctx: PluginContext, conf: Prepared, failure: Failure | null): void {
  if (conf.anonymous !== null) {
    if (failure !== null) ctx.authenticate(anonymousConsumer(ctx, conf.anonymous), null);
    return;
  }
  if (failure !== null) ctx.respond(401, { message: failure.message }, { 'WWW-Authenticate': conf.challenge });
}

/** The `anonymous` consumer, by id or username (not custom_id, as in Kong). */
export function anonymousConsumer(ctx: PluginContext, anonymous: string): ConsumerRef {
  const c = ctx.consumers.findConsumer(anonymous);
  if (c === null || (c.id !== anonymous && c.username !== anonymous)) {
    // Kong fails the request with a 500 too: the configuration names a consumer that does not exist.
    throw new Error(`anonymous consumer "${anonymous}" is configured but doesn't exist`);
  }
  return c;
}

export default definePlugin({
  name: 'key-auth',
  version: '0.1.0',
  priority: 1250,
  schema: KeyAuthSchema,
  prepare: (c: KeyAuthConfig): Prepared => ({
    ...c,
    challenge: c.realm === null ? 'Key' : `Key realm="${c.realm.replace(/["\\]/g, '\\$&')}"`,
  }),
  phases: {
    access(ctx, conf) {
      if (!conf.run_on_preflight && ctx.request.method === 'OPTIONS') return;
      // Logical OR: another auth plugin already authenticated the request.
      if (conf.anonymous !== null && ctx.credential !== null) return;
      const r = authenticateByKey(ctx, conf, undefined);
      if (r !== NEED_BODY) return conclude(ctx, conf, r);
      return readParsedBody(ctx).then((body) => {
        const again = authenticateByKey(ctx, conf, body);
        conclude(ctx, conf, again === NEED_BODY ? NO_KEY : again);
      });
    },
  },
});
