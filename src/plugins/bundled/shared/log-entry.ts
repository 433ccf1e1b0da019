// Kong's basic log serializer (kong.log.serialize, kong/pdk/log.lua in 3.x) as far as the
// plugin SDK gives the data: the JSON object file-log, http-log and other log plugins write
// for one request. Built in the log phase (after the response went out), never on the
// request path.
//
// What the SDK cannot give yet, and so is absent or reduced:
// - `request.headers` / `response.headers`: the SDK reads headers by name only, so the
//   entry carries the well-known headers below when present (not the whole set).
//   Response headers are only seen when the route runs a response phase (the log plugins
//   declare an empty one for that reason).
// - `upstream_uri`, `upstream_status`: not exposed by the SDK; absent.
// - `route` / `service`: `{ id, name }`, not Kong's whole entity.
// - `tries`: one entry from the endpoint that served the request, without retries.

import type { PluginContext } from '../../sdk.js';
import { PluginConfigFieldError } from './config-error.js';
import { processLog } from '../../../observe/logger.js';

/** Request headers copied into the entry when present (lower case, as Kong's keys). */
export const LOGGED_REQUEST_HEADERS: readonly string[] = [
  'host',
  'user-agent',
  'accept',
  'accept-encoding',
  'accept-language',
  'content-type',
  'content-length',
  'authorization',
  'proxy-authorization',
  'cookie',
  'origin',
  'referer',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-real-ip',
  'x-request-id',
  'kong-request-id',
  'x-consumer-id',
  'x-consumer-username',
];

/** Response headers copied into the entry when present. */
export const LOGGED_RESPONSE_HEADERS: readonly string[] = [
  'content-type',
  'content-length',
  'content-encoding',
  'cache-control',
  'location',
  'etag',
  'last-modified',
  'via',
  'server',
  'x-kong-upstream-latency',
  'x-kong-proxy-latency',
  'kong-request-id',
  'x-request-id',
];

/** Kong redacts credentials in the logged request headers. */
const REDACTED = new Set(['authorization', 'proxy-authorization']);

export type QueryArgs = Record<string, string | boolean | (string | boolean)[]>;

/** Kong's `kong.request.get_query()`: repeated keys become arrays, a key without "=" is `true`. */
export function parseQueryArgs(query: string): QueryArgs {
  const out: QueryArgs = {};
  const q = query.startsWith('?') ? query.slice(1) : query;
  if (q === '') return out;
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  for (const part of q.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = decode(eq < 0 ? part : part.slice(0, eq));
    const v: string | boolean = eq < 0 ? true : decode(part.slice(eq + 1));
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return out;
}

export interface LogEntry {
  request: {
    id: string;
    method: string;
    uri: string;
    url: string;
    querystring: QueryArgs;
    headers: Record<string, string>;
    size: number;
  };
  response: { status: number; headers: Record<string, string>; size: number };
  latencies: { request: number; proxy: number; kong: number };
  tries?: { ip: string; port: number }[];
  client_ip: string;
  started_at: number;
  route: { id: string; name: string } | null;
  service: { id: string; name: string } | null;
  consumer?: { id: string; username: string | null; custom_id: string | null };
  authenticated_entity?: { id: string; consumer_id?: string };
  source: 'upstream' | 'kong';
}

function splitTarget(target: string): { ip: string; port: number } | null {
  const i = target.lastIndexOf(':');
  if (i <= 0) return null;
  const port = Number(target.slice(i + 1));
  if (!Number.isInteger(port)) return null;
  let ip = target.slice(0, i);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  return { ip, port };
}

/** The entry for the request of `ctx` (log phase: `ctx.outcome` is set). */
export function serializeLogEntry(ctx: PluginContext): LogEntry {
  const r = ctx.request;
  const o = ctx.outcome;
  const status = o?.status ?? ctx.response?.status ?? 0;
  const latency = o?.latencyMs ?? 0;
  const upstream = o?.upstreamLatencyMs ?? null;

  const reqHeaders: Record<string, string> = {};
  for (const h of LOGGED_REQUEST_HEADERS) {
    const v = r.getHeader(h);
    if (v !== undefined) reqHeaders[h] = REDACTED.has(h) ? 'REDACTED' : v;
  }
  const resHeaders: Record<string, string> = {};
  const res = ctx.response;
  if (res !== null) {
    for (const h of LOGGED_RESPONSE_HEADERS) {
      const v = res.getHeader(h);
      if (v !== undefined) resHeaders[h] = v;
    }
  }

  const uri = r.rawPath + r.query;
  const defaultPort = (r.scheme === 'https' && r.port === 443) || (r.scheme === 'http' && r.port === 80);
  const hostOnly = r.host.replace(/:\d+$/, '');
  const entry: LogEntry = {
    request: {
      id: ctx.requestId,
      method: r.method,
      uri,
      url: r.scheme + '://' + hostOnly + (defaultPort ? '' : ':' + r.port) + uri,
      querystring: parseQueryArgs(r.query),
      headers: reqHeaders,
      size: o?.bytesIn ?? 0,
    },
    response: { status, headers: resHeaders, size: o?.bytesOut ?? 0 },
    latencies: {
      request: Math.round(latency),
      proxy: upstream === null ? -1 : Math.round(upstream),
      kong: Math.max(0, Math.round(upstream === null ? latency : latency - upstream)),
    },
    client_ip: r.clientIp,
    started_at: Math.round(Date.now() - latency),
    route: ctx.route === null ? null : { id: ctx.route.id, name: ctx.route.name },
    service: ctx.service === null ? null : { id: ctx.service.id, name: ctx.service.name },
    source: upstream === null ? 'kong' : 'upstream',
  };
  const t = o?.target ? splitTarget(o.target) : null;
  if (t !== null) entry.tries = [t];
  if (ctx.consumer !== null)
    entry.consumer = { id: ctx.consumer.id, username: ctx.consumer.username, custom_id: ctx.consumer.custom_id };
  if (ctx.credential !== null)
    entry.authenticated_entity =
      ctx.consumer === null ? { id: ctx.credential.id } : { id: ctx.credential.id, consumer_id: ctx.consumer.id };
  return entry;
}

/** A process-log line naming the plugin (for work done outside a request; see src/observe/logger.ts). */
export function pluginLog(
  level: 'info' | 'warn' | 'error',
  plugin: string,
  msg: string,
  fields?: Record<string, unknown>,
): void {
  processLog()[level]({ plugin, ...fields }, msg);
}

/** Kong's typedefs.lua_code fields (`custom_fields_by_lua`): accepted by the schema, refused by `prepare`. */
export function refuseLua(value: Record<string, string> | null | undefined): void {
  if (value !== null && value !== undefined && Object.keys(value).length > 0) {
    throw new PluginConfigFieldError(
      'custom_fields_by_lua',
      'Lua is not supported: Turnpike runs no Lua code; remove custom_fields_by_lua (or add the fields from a TypeScript plugin)',
    );
  }
}
