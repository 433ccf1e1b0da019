// A service's `url`: Kong's shorthand for protocol, host, port and path. In Kong it is a
// shorthand field (kong/db/schema/entities/services.lua): expanded before validation, and what
// it expands to overwrites protocol/host/port/path given beside it (Schema:process_auto_fields
// lets a non-deprecated shorthand win), including a path the url does not have (null).
import { HOST_PATTERN, PROTOCOLS } from './schema/index.js';

export interface UrlFields {
  protocol: string;
  host: string;
  port: number;
  path: string | null;
}

// Kong takes 80 for every scheme but https; Turnpike takes the TLS port for the other TLS
// schemes too, and wants a port for the stream ones, which have no usual port.
const DEFAULT_PORTS: Record<string, number> = { http: 80, ws: 80, grpc: 80, https: 443, wss: 443, grpcs: 443 };
const HOST_RE = new RegExp(HOST_PATTERN);

/** The fields `url` stands for, or why it is not a service URL. */
export function expandServiceUrl(url: string): { ok: true; fields: UrlFields } | { ok: false; message: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, message: `must be a URL such as http://users.internal:8080/v1 (got "${url}")` };
  }
  const protocol = u.protocol.replace(/:$/, '');
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
    return { ok: false, message: `scheme '${protocol}' is not a service protocol; use one of ${PROTOCOLS.join(', ')}` };
  }
  if (u.username || u.password || u.search || u.hash) {
    return {
      ok: false,
      message: 'must not contain credentials, a query string or a fragment; only scheme://host[:port][/path]',
    };
  }
  if (!host || !HOST_RE.test(host)) return { ok: false, message: `has an invalid host '${host}'` };
  const port = u.port !== '' ? Number(u.port) : DEFAULT_PORTS[protocol];
  if (port === undefined)
    return { ok: false, message: `must include a port for protocol '${protocol}', e.g. ${protocol}://${host}:9000` };
  // WHATWG URLs always have a path ('/'); Kong's has none unless the text gives one.
  const hasPath = /^[a-z][a-z0-9+.-]*:\/\/[^/]+\//i.test(url);
  return { ok: true, fields: { protocol, host, port, path: hasPath ? decodeURI(u.pathname) : null } };
}

/** The fields given beside `url` that it overrides with another value: [field, given value, url's value]. */
export function overriddenByUrl(
  given: Record<string, unknown>,
  fields: UrlFields,
): [keyof UrlFields, unknown, unknown][] {
  const out: [keyof UrlFields, unknown, unknown][] = [];
  for (const f of ['protocol', 'host', 'port', 'path'] as const) {
    const v = given[f];
    if (v === undefined || v === null || v === fields[f]) continue;
    out.push([f, v, fields[f]]);
  }
  return out;
}
