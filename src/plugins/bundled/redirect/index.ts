// redirect: answers every request with a redirect to `location` (Kong 3.9's plugin, priority
// 779: after rate limiting, validation and transformation plugins). With keep_incoming_path
// the request's path and query replace those of `location` (its scheme, host and port stay).
// The body is Kong's "redirecting".

import { definePlugin } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { RedirectSchema, type RedirectConfig } from './schema.js';

interface Prepared {
  readonly status: number;
  readonly location: string;
  /** The parsed location when the incoming path is kept. */
  readonly base: URL | null;
}

function prepare(c: RedirectConfig): Prepared {
  // Kong's typedefs.url: an absolute URL with a scheme and a host.
  let url: URL;
  try {
    url = new URL(c.location);
  } catch {
    throw new PluginConfigFieldError(
      'location',
      `'${c.location}' is not a valid URL (expected e.g. https://example.com/path)`,
    );
  }
  if (url.host === '') throw new PluginConfigFieldError('location', `'${c.location}' is missing a host`);
  return { status: c.status_code, location: c.location, base: c.keep_incoming_path ? url : null };
}

export default definePlugin({
  name: 'redirect',
  version: '0.1.0',
  priority: 779,
  schema: RedirectSchema,
  prepare,
  phases: {
    access(ctx, p) {
      let location = p.location;
      if (p.base !== null) {
        const u = new URL(p.base.href);
        u.pathname = ctx.request.path;
        u.search = ctx.request.query;
        location = u.href;
      }
      ctx.respond(p.status, 'redirecting', { Location: location });
    },
  },
});
