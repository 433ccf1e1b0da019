// request-transformer: edits the request before it goes upstream, as Kong's request-transformer
// does: its path (replace.uri), method (http_method), headers, body (JSON and form-urlencoded)
// and query string, each in Kong's order of operations remove → rename → replace → add →
// append. Kong priority 801.
//
// Not available yet, and refused at load so that a Kong file never silently loses them:
// $(...) template values (Kong renders them with Lua). Multipart bodies pass unchanged.

import { definePlugin, type PluginContext } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { parseList, refuseTemplate, type Pair } from './pairs.js';
import { parseQuery, serializeQuery, type Query } from './query.js';
import {
  appendJson,
  bodyKind,
  getOwn,
  luaTruthy,
  setOwn,
  parseForm,
  parseJsonObject,
  serializeForm,
  type JsonObject,
} from '../shared/body.js';
import { RequestTransformerSchema, type RequestTransformerConfig } from './schema.js';

const OPS = ['remove', 'rename', 'replace', 'add', 'append'] as const;

interface Ops {
  readonly remove: readonly Pair[];
  readonly rename: readonly Pair[];
  readonly replace: readonly Pair[];
  readonly add: readonly Pair[];
  readonly append: readonly Pair[];
}

export interface Prepared {
  readonly uri: string | null;
  readonly method: string | null;
  readonly headers: Ops;
  readonly body: Ops | null;
  readonly query: Ops | null;
}

/** Methods after which Kong also copies a form body's arguments into the query string. */
const BODYLESS = new Set(['GET', 'HEAD', 'TRACE']);

export function prepare(c: RequestTransformerConfig): Prepared {
  const method = c.http_method;
  if (method === 'CONNECT') throw new PluginConfigFieldError('http_method', 'CONNECT cannot be proxied');
  if (method === 'HEAD') {
    throw new PluginConfigFieldError(
      'http_method',
      'Turnpike cannot turn a request into HEAD (the client expects a body the upstream would not send); use another method',
    );
  }
  const uri = c.replace.uri;
  if (uri !== null) {
    refuseTemplate(uri, 'replace.uri');
    if (!uri.startsWith('/') || /[\s\x00-\x1f\x7f?#]/.test(uri))
      throw new PluginConfigFieldError(
        'replace.uri',
        `'${uri}' must be a path starting with '/' (no spaces, '?' or '#')`,
      );
  }
  const headers: Ops = {
    remove: parseList(c.remove.headers, 'remove.headers', { headers: true }).map((p) => ({
      name: p.name,
      value: null,
    })),
    rename: parseList(c.rename.headers, 'rename.headers', { headers: true, valueIsHeaderName: true, settable: true }),
    replace: parseList(c.replace.headers, 'replace.headers', { headers: true, settable: true }),
    add: parseList(c.add.headers, 'add.headers', { headers: true, settable: true }),
    append: parseList(c.append.headers, 'append.headers', { headers: true, settable: true }),
  };
  const q: Ops = {
    remove: c.remove.querystring.map((name) => ({ name, value: null })),
    rename: parseList(c.rename.querystring, 'rename.querystring', { headers: false }),
    replace: parseList(c.replace.querystring, 'replace.querystring', { headers: false }),
    add: parseList(c.add.querystring, 'add.querystring', { headers: false }),
    append: parseList(c.append.querystring, 'append.querystring', { headers: false }),
  };
  const anyQuery = OPS.some((op) => q[op].length > 0);
  const b: Ops = {
    remove: c.remove.body.map((name) => ({ name, value: null })),
    rename: parseList(c.rename.body, 'rename.body', { headers: false }),
    replace: parseList(c.replace.body, 'replace.body', { headers: false }),
    add: parseList(c.add.body, 'add.body', { headers: false }),
    append: parseList(c.append.body, 'append.body', { headers: false }),
  };
  const anyBody = OPS.some((op) => b[op].length > 0);
  return { uri, method, headers, body: anyBody ? b : null, query: anyQuery ? q : null };
}

const isHost = (name: string): boolean => name.toLowerCase() === 'host';

/** Kong's transform_headers. The Host header is special, as in Kong: only replace (and append) set it. */
export function transformHeaders(ctx: PluginContext, h: Ops): void {
  const req = ctx.request;
  for (const { name } of h.remove) if (!isHost(name)) req.removeHeader(name);
  for (const { name: from, value: to } of h.rename) {
    if (to === null || isHost(from)) continue;
    const v = req.getHeader(from);
    if (v === undefined) continue;
    req.removeHeader(from);
    req.setHeader(to, v);
  }
  for (const { name, value } of h.replace) {
    if (value === null) continue;
    if (isHost(name) || req.getHeader(name) !== undefined) req.setHeader(name, value);
  }
  for (const { name, value } of h.add) {
    if (value === null || isHost(name)) continue;
    if (req.getHeader(name) === undefined) req.setHeader(name, value);
  }
  for (const { name, value } of h.append) {
    if (value === null) continue;
    if (isHost(name)) req.setHeader(name, value);
    else req.addHeader(name, value);
  }
}

/** Kong's transform_querystrings; returns the new query ("" or "?…"). */
export function transformQuery(query: string, o: Ops): string {
  const q = parseQuery(query);
  for (const { name } of o.remove) q.delete(name);
  for (const { name: from, value: to } of o.rename) {
    if (to === null) continue;
    const v = q.get(from);
    if (v === undefined) continue;
    q.delete(from);
    q.set(to, v);
  }
  for (const { name, value } of o.replace) if (value !== null && q.has(name)) q.set(name, [value]);
  for (const { name, value } of o.add) if (value !== null && !q.has(name)) q.set(name, [value]);
  for (const { name, value } of o.append) {
    if (value === null) continue;
    const prev = q.get(name);
    if (prev) prev.push(value);
    else q.set(name, [value]);
  }
  return serializeQuery(q);
}

/**
 * Kong's transform_json_body on a decoded object (edited in place). Values are strings, as in
 * Kong. An empty body (`hadBody` false) only gets add and append. Returns whether to re-encode.
 */
export function transformJsonBody(o: JsonObject, b: Ops, hadBody: boolean): boolean {
  let changed = false;
  if (hadBody) {
    for (const { name } of b.remove) {
      delete o[name];
      changed = true;
    }
    for (const { name: from, value: to } of b.rename) {
      if (to === null || from === to) continue;
      // As in Kong: the new name takes the old one's value, whatever it is (absent included).
      const v = getOwn(o, from);
      if (v === undefined) delete o[to];
      else setOwn(o, to, v);
      delete o[from];
      changed = true;
    }
    for (const { name, value } of b.replace) {
      if (value === null || !luaTruthy(getOwn(o, name))) continue;
      setOwn(o, name, value);
      changed = true;
    }
  }
  for (const { name, value } of b.add) {
    if (value === null || luaTruthy(getOwn(o, name))) continue;
    setOwn(o, name, value);
    changed = true;
  }
  for (const { name, value } of b.append) {
    if (value === null) continue;
    setOwn(o, name, appendJson(getOwn(o, name), value));
    changed = true;
  }
  return changed;
}

/** Kong's transform_url_encoded_body on decoded arguments (edited in place). Returns whether to re-encode. */
export function transformFormBody(q: Query, b: Ops, hadBody: boolean): boolean {
  let changed = false;
  if (hadBody) {
    for (const { name } of b.remove) {
      q.delete(name);
      changed = true;
    }
    for (const { name: from, value: to } of b.rename) {
      if (to === null || from === to) continue;
      const v = q.get(from);
      if (v === undefined) q.delete(to);
      else q.set(to, v);
      q.delete(from);
      changed = true;
    }
    for (const { name, value } of b.replace) {
      if (value === null || !q.has(name)) continue;
      q.set(name, [value]);
      changed = true;
    }
  }
  for (const { name, value } of b.add) {
    if (value === null || q.has(name)) continue;
    q.set(name, [value]);
    changed = true;
  }
  for (const { name, value } of b.append) {
    if (value === null) continue;
    const prev = q.get(name);
    // A bare argument ("?flag", the value true) is replaced, as Kong's append_value does.
    if (prev === undefined || (prev.length === 1 && prev[0] === true)) q.set(name, [value]);
    else prev.push(value);
    changed = true;
  }
  return changed;
}

async function transformBody(ctx: PluginContext, b: Ops): Promise<void> {
  const kind = bodyKind(ctx.request.getHeader('content-type'));
  // Only JSON and form bodies are read; anything else (multipart included) passes as it came.
  if (kind !== 'json' && kind !== 'form') return;
  const body = await ctx.request.readBody();
  const hadBody = body.length > 0;
  if (kind === 'json') {
    let o: JsonObject | null = {};
    if (hadBody) o = parseJsonObject(body);
    // Malformed JSON (or an array, a scalar) goes upstream as the client sent it, as in Kong.
    if (o === null) return;
    if (transformJsonBody(o, b, hadBody)) ctx.request.setBody(JSON.stringify(o));
    return;
  }
  const q = parseForm(body);
  if (transformFormBody(q, b, hadBody)) ctx.request.setBody(serializeForm(q));
}

/** Kong's transform_method: sets the method; to GET/TRACE, a form body's arguments are also appended to the query. */
async function transformMethod(ctx: PluginContext, method: string): Promise<void> {
  const req = ctx.request;
  // A HEAD request stays HEAD (its client expects no body): see the docs.
  if (req.method === 'HEAD') return;
  req.setMethod(method);
  if (!BODYLESS.has(method) || bodyKind(req.getHeader('content-type')) !== 'form') return;
  const args = parseForm(await req.readBody());
  if (args.size === 0) return;
  const q = parseQuery(req.upstreamQuery);
  for (const [name, values] of args) {
    const prev = q.get(name);
    if (prev) prev.push(...values);
    else q.set(name, values);
  }
  req.setUpstreamQuery(serializeQuery(q));
}

async function access(ctx: PluginContext, p: Prepared): Promise<void> {
  // Kong's order: uri, method, headers, body, querystring.
  if (p.uri !== null) ctx.request.setUpstreamPath(p.uri);
  if (p.method !== null) await transformMethod(ctx, p.method);
  transformHeaders(ctx, p.headers);
  if (p.body !== null) await transformBody(ctx, p.body);
  if (p.query !== null) ctx.request.setUpstreamQuery(transformQuery(ctx.request.upstreamQuery, p.query));
}

export default definePlugin({
  name: 'request-transformer',
  version: '0.1.0',
  priority: 801,
  schema: RequestTransformerSchema,
  prepare,
  phases: { access },
});
