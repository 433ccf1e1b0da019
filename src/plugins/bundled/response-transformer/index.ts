// response-transformer: edits the response headers before they reach the client, as Kong's
// response-transformer does, in Kong's order remove → rename → replace → add → append. Kong
// priority 800. Runs on the upstream's responses and on the gateway's own answers alike.
//
// As in Kong, rename/replace/add look at the headers as they were before the plugin ran:
// "remove X" then "add X:v" leaves X removed when the upstream sent X.
//
// JSON body transformations are not available yet (the SDK has no response body API); they are
// refused at load so that a Kong file never silently loses them.

import { definePlugin, type PluginContext } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { parseList, type Pair } from '../request-transformer/pairs.js';
import { ResponseTransformerSchema, type ResponseTransformerConfig } from './schema.js';

const OPS = ['remove', 'rename', 'replace', 'add', 'append'] as const;

export interface Prepared {
  readonly remove: readonly string[];
  readonly rename: readonly Pair[];
  readonly replace: readonly Pair[];
  readonly add: readonly Pair[];
  readonly append: readonly Pair[];
  /** Header names whose original values rename/replace/add look at. */
  readonly looked: readonly string[];
}

export function prepare(c: ResponseTransformerConfig): Prepared {
  for (const op of OPS) {
    if (c[op].json.length > 0) {
      throw new PluginConfigFieldError(`${op}.json`, 'JSON body transformations are not available yet in Turnpike (the plugin SDK has no response body API); remove the json entries');
    }
  }
  const remove = parseList(c.remove.headers, 'remove.headers', { headers: true }).map((p) => p.name);
  const rename = parseList(c.rename.headers, 'rename.headers', { headers: true, valueIsHeaderName: true, settable: true });
  const replace = parseList(c.replace.headers, 'replace.headers', { headers: true, settable: true });
  const add = parseList(c.add.headers, 'add.headers', { headers: true, settable: true });
  const append = parseList(c.append.headers, 'append.headers', { headers: true, settable: true });
  const looked = [...new Set([...rename, ...replace, ...add].map((p) => p.name.toLowerCase()))];
  return { remove, rename, replace, add, append, looked };
}

function response(ctx: PluginContext, p: Prepared): void {
  const res = ctx.response;
  if (res === null) return;
  const before = new Map<string, string | undefined>();
  for (const n of p.looked) before.set(n, res.getHeader(n));
  const had = (name: string): string | undefined => before.get(name.toLowerCase());

  for (const name of p.remove) res.removeHeader(name);
  for (const { name: from, value: to } of p.rename) {
    const v = had(from);
    if (v === undefined || to === null) continue;
    res.setHeader(to, v);
    // Kong clears the old name after setting the new one (a rename that only changes case keeps it).
    if (from.toLowerCase() !== to.toLowerCase()) res.removeHeader(from);
  }
  for (const { name, value } of p.replace) if (value !== null && had(name) !== undefined) res.setHeader(name, value);
  for (const { name, value } of p.add) if (value !== null && had(name) === undefined) res.setHeader(name, value);
  for (const { name, value } of p.append) if (value !== null) res.addHeader(name, value);
}

export default definePlugin({
  name: 'response-transformer',
  version: '0.1.0',
  priority: 800,
  schema: ResponseTransformerSchema,
  prepare,
  phases: { response },
});
