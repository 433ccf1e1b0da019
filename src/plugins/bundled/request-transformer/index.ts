// request-transformer: edits the request before it goes upstream, as Kong's request-transformer
// does: its path (replace.uri), headers and query string, each in Kong's order of operations
// remove → rename → replace → add → append. Kong priority 801.
//
// Not available yet, and refused at load so that a Kong file never silently loses them:
// body transformations (no request body API in the SDK), `http_method` (the SDK cannot change
// the method) and $(...) template values (Kong renders them with Lua).

import { definePlugin, type PluginContext } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { parseList, refuseTemplate, type Pair } from './pairs.js';
import { parseQuery, serializeQuery } from './query.js';
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
  readonly headers: Ops;
  readonly query: Ops | null;
}

export function prepare(c: RequestTransformerConfig): Prepared {
  if (c.http_method !== null) {
    throw new PluginConfigFieldError('http_method', 'changing the request method is not available yet in Turnpike (the plugin SDK cannot set it); remove http_method');
  }
  for (const op of OPS) {
    if (c[op].body.length > 0) {
      throw new PluginConfigFieldError(`${op}.body`, 'body transformations are not available yet in Turnpike (the plugin SDK has no request body API); remove the body entries');
    }
  }
  const uri = c.replace.uri;
  if (uri !== null) {
    refuseTemplate(uri, 'replace.uri');
    if (!uri.startsWith('/') || /[\s\x00-\x1f\x7f?#]/.test(uri)) throw new PluginConfigFieldError('replace.uri', `'${uri}' must be a path starting with '/' (no spaces, '?' or '#')`);
  }
  const headers: Ops = {
    remove: parseList(c.remove.headers, 'remove.headers', { headers: true }).map((p) => ({ name: p.name, value: null })),
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
  return { uri, headers, query: anyQuery ? q : null };
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

function access(ctx: PluginContext, p: Prepared): void {
  // Kong's order: uri, (method), headers, (body), querystring.
  if (p.uri !== null) ctx.request.setUpstreamPath(p.uri);
  transformHeaders(ctx, p.headers);
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
