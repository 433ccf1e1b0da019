// Finding the bearer token: `Authorization: Bearer <token>` and the `access_token` query
// argument (RFC 6750 §2.1 and §2.3), as enabled by bearer_token_param_type.

import type { PluginContext } from '../../sdk.js';

const BEARER = /^\s*[Bb]earer\s+(\S+)\s*$/;

/** The one token of the request, null when there is none, or `multiple` when they differ. */
export function findBearerToken(
  ctx: PluginContext,
  header: boolean,
  query: boolean,
): { token: string } | { multiple: true } | null {
  const found = new Set<string>();
  if (header) {
    const h = ctx.request.getHeader('authorization');
    const m = h === undefined ? null : BEARER.exec(h);
    if (m !== null) found.add(m[1]!);
  }
  if (query) {
    const q = ctx.request.query;
    if (q.length > 1)
      for (const v of new URLSearchParams(q.slice(1)).getAll('access_token')) if (v !== '') found.add(v);
  }
  if (found.size === 0) return null;
  if (found.size > 1) return { multiple: true };
  return { token: [...found][0]! };
}
