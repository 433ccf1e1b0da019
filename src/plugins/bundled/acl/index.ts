// acl: allows or denies an authenticated consumer by the groups of its `acls` credentials
// (Kong 3.x semantics, priority 950, so it runs after the authentication plugins). With
// `allow`, a consumer in none of the groups is refused; with `deny`, one in any of them is.
// No consumer at all: 401. Refused: 403 "You cannot consume this service". An allowed
// consumer's groups go upstream in X-Consumer-Groups unless hide_groups_header.

import { definePlugin } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { AclSchema, type AclConfig } from './schema.js';

interface Prepared {
  readonly deny: boolean;
  readonly groups: ReadonlySet<string>;
  readonly hideHeader: boolean;
}

function prepare(c: AclConfig): Prepared {
  const allow = c.allow !== null && c.allow.length > 0;
  const deny = c.deny !== null && c.deny.length > 0;
  // Kong's entity checks, same wording.
  if (allow && deny)
    throw new PluginConfigFieldError('', "only one of these fields must be non-empty: 'config.allow', 'config.deny'");
  if (!allow && !deny)
    throw new PluginConfigFieldError(
      '',
      "at least one of these fields must be non-empty: 'config.allow', 'config.deny'",
    );
  return { deny, groups: new Set(deny ? c.deny! : c.allow!), hideHeader: c.hide_groups_header };
}

const REFUSED = { message: 'You cannot consume this service' };

export default definePlugin({
  name: 'acl',
  version: '0.1.0',
  priority: 950,
  schema: AclSchema,
  prepare,
  // Kong 2.x names, still found in older files.
  upgrade: (c) => {
    const out = { ...c };
    if ('whitelist' in out && !('allow' in out)) out.allow = out.whitelist;
    if ('blacklist' in out && !('deny' in out)) out.deny = out.blacklist;
    delete out.whitelist;
    delete out.blacklist;
    return out;
  },
  phases: {
    access(ctx, p) {
      const consumer = ctx.consumer;
      if (consumer === null) {
        if (ctx.credential !== null) return ctx.respond(403, REFUSED);
        ctx.log.warn('no consumer: add an authentication plugin before acl');
        return ctx.respond(401, { message: 'Unauthorized' });
      }
      const groups: string[] = [];
      for (const cred of ctx.consumers.credentialsOf(consumer.id, 'acls')) {
        if (typeof cred.group === 'string') groups.push(cred.group);
      }
      const inGroup = groups.some((g) => p.groups.has(g));
      if (p.deny ? inGroup : !inGroup) return ctx.respond(403, REFUSED);
      if (p.hideHeader) ctx.request.removeHeader('X-Consumer-Groups');
      else ctx.request.setHeader('X-Consumer-Groups', groups.join(', '));
    },
  },
});
