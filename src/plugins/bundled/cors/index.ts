// cors: answers CORS preflight requests from the gateway (access phase) and adds the CORS
// headers to normal responses (response phase), as Kong's cors plugin does. Kong priority 2000.
//
// Origins: "*" (or none) allows every origin; an entry made only of letters, digits and
// ".:/-" is a literal origin; anything else is a regular expression, anchored at both ends as
// Kong anchors it, matched against the request origin's host when the entry has no ":", else
// against the whole normalized origin (scheme://host[:port], default ports dropped).

import { definePlugin, type PluginContext } from '../../sdk.js';
import { compileRegex } from '../shared/config-error.js';
import { CORS_METHODS, CorsSchema, type CorsConfig } from './schema.js';

type Matcher = { kind: 'regex'; re: RegExp; byHost: boolean } | { kind: 'literal'; domain: string };

interface Prepared {
  /** No origins, or exactly ["*"]: ACAO is "*". */
  readonly allowAll: boolean;
  /** One literal origin: ACAO is that value whatever the request says. */
  readonly fixed: string | null;
  /** "*" appears among several entries: ACAO "*" once the request has an Origin. */
  readonly starInList: boolean;
  readonly matchers: readonly Matcher[];
  readonly allowHeaders: string | null;
  readonly exposeHeaders: string | null;
  readonly methods: string;
  readonly maxAge: string | null;
  readonly credentials: boolean;
  readonly privateNetwork: boolean;
  readonly preflightContinue: boolean;
  readonly allowOriginAbsent: boolean;
}

const LITERAL = /^[A-Za-z0-9.:/-]+$/;
const SKIP = 'cors.skip_response_headers';

interface Origin {
  domain: string;
  host: string;
}

/** Kong's normalize_origin: scheme://host[:port] without the default port; unparsable → itself. */
export function normalizeOrigin(origin: string): Origin {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/.exec(origin);
  if (!m) return { domain: origin, host: origin };
  const scheme = m[1]!;
  let authority = m[2]!;
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  let host = authority;
  let port: string | null = null;
  const v6 = /^(\[[^\]]*\])(?::(\d*))?$/.exec(authority);
  if (v6) {
    host = v6[1]!;
    port = v6[2] || null;
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon >= 0) {
      host = authority.slice(0, colon);
      port = authority.slice(colon + 1) || null;
    }
  }
  if (host === '') return { domain: origin, host: origin };
  if ((scheme === 'http' && port === '80') || (scheme === 'https' && port === '443')) port = null;
  return { domain: `${scheme}://${host}${port ? `:${port}` : ''}`, host };
}

function prepare(c: CorsConfig): Prepared {
  const origins = c.origins ?? [];
  const matchers: Matcher[] = [];
  let starInList = false;
  origins.forEach((entry, i) => {
    if (entry === '*') {
      starInList = true;
      return;
    }
    // Kong validates every entry as a regex (literals are valid regexes too).
    compileRegex(entry, `origins.${i}`);
    const byHost = !entry.includes(':');
    if (!LITERAL.test(entry)) {
      // Kong anchors the start (ngx.re "a" flag, all alternatives) and appends "$" when missing.
      let src = entry.endsWith('$') ? entry : `${entry}$`;
      if (src.startsWith('^')) src = src.slice(1);
      matchers.push({ kind: 'regex', re: compileRegex(`^(?:${src})`, `origins.${i}`), byHost });
    } else {
      matchers.push({ kind: 'literal', domain: normalizeOrigin(entry).domain });
    }
  });
  const allowAll = origins.length === 0 || (origins.length === 1 && origins[0] === '*');
  return {
    allowAll,
    fixed: origins.length === 1 && LITERAL.test(origins[0]!) ? origins[0]! : null,
    starInList,
    matchers,
    allowHeaders: c.headers && c.headers.length > 0 ? c.headers.join(',') : null,
    exposeHeaders: c.exposed_headers && c.exposed_headers.length > 0 ? c.exposed_headers.join(',') : null,
    methods: (c.methods ?? CORS_METHODS).join(','),
    maxAge: c.max_age === null ? null : String(c.max_age),
    credentials: c.credentials,
    privateNetwork: c.private_network,
    preflightContinue: c.preflight_continue,
    allowOriginAbsent: c.allow_origin_absent,
  };
}

/** Where the plugin writes headers: the preflight answer being built, or the upstream's response. */
interface Sink {
  set(name: string, value: string): void;
  /** Adds "Vary: Origin" (appended on responses, set on preflight answers). */
  vary(): void;
  clear(name: string): void;
}

/** Kong's configure_origin; returns true when every origin is allowed ("*"). */
function configureOrigin(p: Prepared, sink: Sink, reqOrigin: string | undefined): boolean {
  if (p.allowAll) {
    sink.set('Access-Control-Allow-Origin', '*');
    return true;
  }
  sink.vary();
  if (p.fixed !== null) {
    sink.set('Access-Control-Allow-Origin', p.fixed);
    return false;
  }
  if (reqOrigin !== undefined) {
    if (p.starInList) {
      sink.set('Access-Control-Allow-Origin', '*');
      return true;
    }
    const o = normalizeOrigin(reqOrigin);
    for (const m of p.matchers) {
      const found = m.kind === 'regex' ? m.re.test(m.byHost ? o.host : o.domain) : m.domain === o.domain;
      if (found) {
        sink.set('Access-Control-Allow-Origin', o.domain);
        return false;
      }
    }
  }
  sink.clear('Access-Control-Allow-Origin');
  return false;
}

/** Kong's configure_credentials. */
function configureCredentials(p: Prepared, sink: Sink, allowAll: boolean, reqOrigin: string | undefined): void {
  if (!p.credentials) return;
  if (!allowAll) {
    sink.set('Access-Control-Allow-Credentials', 'true');
    return;
  }
  // "*" cannot go with credentials: echo the request's origin instead.
  if (reqOrigin !== undefined) {
    sink.vary();
    sink.set('Access-Control-Allow-Origin', reqOrigin);
    sink.set('Access-Control-Allow-Credentials', 'true');
  }
}

function preflight(ctx: PluginContext, p: Prepared): void {
  const req = ctx.request;
  const reqOrigin = req.getHeader('origin');
  if (
    req.method !== 'OPTIONS' ||
    reqOrigin === undefined ||
    req.getHeader('access-control-request-method') === undefined
  )
    return;
  // Kong: no response headers for a preflight, whether the gateway answers it or the upstream does.
  ctx.shared[SKIP] = true;
  if (p.preflightContinue) return;

  const headers: Record<string, string> = {};
  const sink: Sink = {
    set: (n, v) => {
      headers[n] = v;
    },
    vary: () => {
      headers['Vary'] = 'Origin';
    },
    clear: (n) => {
      delete headers[n];
    },
  };
  const allowAll = configureOrigin(p, sink, reqOrigin);
  configureCredentials(p, sink, allowAll, reqOrigin);
  if (p.allowHeaders !== null) headers['Access-Control-Allow-Headers'] = p.allowHeaders;
  else {
    const acrh = req.getHeader('access-control-request-headers');
    if (acrh !== undefined) headers['Access-Control-Allow-Headers'] = acrh;
  }
  headers['Access-Control-Allow-Methods'] = p.methods;
  if (p.maxAge !== null) headers['Access-Control-Max-Age'] = p.maxAge;
  if (p.privateNetwork && req.getHeader('access-control-request-private-network') === 'true') {
    headers['Access-Control-Allow-Private-Network'] = 'true';
  }
  ctx.respond(200, undefined, headers);
}

function onResponse(ctx: PluginContext, p: Prepared): void {
  const res = ctx.response;
  if (res === null || ctx.shared[SKIP] === true) return;
  const reqOrigin = ctx.request.getHeader('origin');
  if (reqOrigin === undefined && !p.allowOriginAbsent) return;
  const sink: Sink = {
    set: (n, v) => res.setHeader(n, v),
    vary: () => res.addHeader('Vary', 'Origin'),
    clear: (n) => res.removeHeader(n),
  };
  const allowAll = configureOrigin(p, sink, reqOrigin);
  configureCredentials(p, sink, allowAll, reqOrigin);
  if (p.exposeHeaders !== null) res.setHeader('Access-Control-Expose-Headers', p.exposeHeaders);
}

export default definePlugin({
  name: 'cors',
  version: '0.1.0',
  priority: 2000,
  schema: CorsSchema,
  prepare,
  phases: { access: preflight, response: onResponse },
});
