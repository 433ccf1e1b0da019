// Loading: Kong's rules for one entity that a JSON Schema cannot say (a service's
// url, a route's protocols and the fields they need, an upstream's hashing), and its
// normalization (a target's default port, an SNI in lower case). A kind without rules here
// needs no entry: most new kinds are checked by their schema alone.
import { parseCidr } from '../../router/stream.js';
import { isObj, isSet, get, type Obj } from '../values.js';
import type { Entry, Kind, Reporter } from '../reporter.js';
import { checkCaCertificate, checkCertificate } from '../certificates.js';
import { expandServiceUrl, overriddenByUrl } from '../service-url.js';
import { upgradeRoutePaths } from './upgrade.js';

const HTTP_FAMILY_FIELDS: Record<string, string[]> = {
  http: ['methods', 'hosts', 'headers', 'paths'],
  https: ['methods', 'hosts', 'headers', 'paths', 'snis'],
  grpc: ['hosts', 'headers', 'paths'],
  grpcs: ['hosts', 'headers', 'paths', 'snis'],
  ws: ['hosts', 'headers', 'paths'],
  wss: ['hosts', 'headers', 'paths', 'snis'],
  tcp: ['sources', 'destinations'],
  tls: ['sources', 'destinations', 'snis'],
  tls_passthrough: ['snis'],
  udp: ['sources', 'destinations'],
};

function checkService(rep: Reporter, e: Entry, rawNode: Obj): void {
  const s = e.node;
  // `url` may also come from decK's _info.defaults: read it from the node, the fields beside it from the file.
  if (typeof s.url === 'string') {
    const expanded = expandServiceUrl(s.url);
    if (!expanded.ok) rep.add([...e.at, 'url'], expanded.message);
    else {
      for (const [f, given, used] of overriddenByUrl(rawNode, expanded.fields)) {
        rep.warn(
          [...e.at, f],
          `${f} ${JSON.stringify(given)} is overridden by 'url' (${f} becomes ${JSON.stringify(used)}): as in Kong, 'url' sets protocol, host, port and path; remove one or the other`,
          { key: true },
        );
      }
      Object.assign(s, expanded.fields);
    }
  } else if (!('host' in s)) {
    rep.add(e.at, "missing required field 'host' (or give a 'url' such as http://users.internal:8080)");
  }
  delete s.url;
  if (s.path !== null && s.path !== undefined && !['http', 'https', 'ws', 'wss'].includes(String(s.protocol))) {
    rep.add(
      [...e.at, 'path'],
      `can only be set when 'protocol' is http, https, ws or wss (protocol is '${String(s.protocol)}')`,
    );
  }
  if (
    (isSet(s.tls_verify) || isSet(s.tls_verify_depth)) &&
    !['https', 'grpcs', 'tls', 'wss'].includes(String(s.protocol))
  ) {
    rep.add(e.at, `'tls_verify' and 'tls_verify_depth' only apply to TLS protocols (https, grpcs, tls, wss)`);
  }
  for (const f of ['ca_certificates', 'client_certificate']) {
    if (isSet(s[f]) && !['https', 'grpcs', 'tls', 'wss'].includes(String(s.protocol))) {
      rep.add(
        [...e.at, f],
        `only applies to TLS protocols (https, grpcs, tls, wss); the protocol is '${String(s.protocol)}'`,
      );
    }
  }
}

function checkRoute(rep: Reporter, e: Entry, rawNode: Obj, version: string): void {
  const r = e.node;
  const protocols = Array.isArray(r.protocols) ? (r.protocols as string[]) : [];
  upgradeRoutePaths(rep, e, version);
  if (isObj(r.headers)) {
    const out: Record<string, string[]> = {};
    for (const [name, values] of Object.entries(r.headers)) {
      const lower = name.toLowerCase();
      if (lower === 'host') {
        rep.add([...e.at, 'headers', name], "cannot match the 'host' header here; use the route's 'hosts' field", {
          key: true,
        });
        continue;
      }
      if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(lower)) {
        rep.add([...e.at, 'headers', name], `'${name}' is not a valid HTTP header name`, { key: true });
        continue;
      }
      if (lower in out) {
        rep.add(
          [...e.at, 'headers', name],
          `header '${lower}' is listed twice (header names are case-insensitive); merge the values`,
          { key: true },
        );
        continue;
      }
      out[lower] = values as string[];
    }
    r.headers = out;
  }
  const grpcOnly = protocols.length > 0 && protocols.every((p) => p === 'grpc' || p === 'grpcs');
  if (grpcOnly) {
    if (rawNode.strip_path === true)
      rep.add(
        [...e.at, 'strip_path'],
        "cannot be true when 'protocols' is grpc/grpcs (Kong rule); remove it or set it to false",
      );
    r.strip_path = false;
    if (isSet(r.methods))
      rep.add([...e.at, 'methods'], "cannot be set when 'protocols' is grpc/grpcs; gRPC requests are always POST");
  }
  const stream = protocols.filter((p) => ['tcp', 'tls', 'udp', 'tls_passthrough'].includes(p));
  if (stream.length > 0 && stream.length < protocols.length) {
    rep.add(
      [...e.at, 'protocols'],
      `cannot mix stream protocols (${stream.join(', ')}) with HTTP protocols in one route; make two routes`,
    );
    return;
  }
  if (stream.includes('udp')) {
    rep.add([...e.at, 'protocols'], "udp stream routes are not available yet; use 'tcp' or 'tls_passthrough'");
  }
  for (const field of ['sources', 'destinations'] as const) {
    const list = r[field];
    if (!Array.isArray(list)) continue;
    if (list.length > 0 && stream.length === 0) {
      rep.add([...e.at, field], 'only applies to stream routes (protocols tcp, tls, tls_passthrough)');
      continue;
    }
    list.forEach((entry, i) => {
      if (!isObj(entry) || typeof entry.ip !== 'string') return;
      try {
        parseCidr(entry.ip);
      } catch (err) {
        rep.add([...e.at, field, i, 'ip'], (err as Error).message);
      }
    });
  }
  for (const p of protocols) {
    const fields = HTTP_FAMILY_FIELDS[p];
    if (!fields) continue;
    if (!fields.some((f) => isSet(r[f]))) {
      rep.add(
        e.at,
        `must set at least one of ${fields.map((f) => `'${f}'`).join(', ')} when 'protocols' includes '${p}'`,
      );
      break;
    }
  }
}

function checkUpstream(rep: Reporter, e: Entry): void {
  const u = e.node;
  const need: [string, string, string][] = [
    ['hash_on', 'header', 'hash_on_header'],
    ['hash_fallback', 'header', 'hash_fallback_header'],
    ['hash_on', 'cookie', 'hash_on_cookie'],
    ['hash_fallback', 'cookie', 'hash_on_cookie'],
    ['hash_on', 'query_arg', 'hash_on_query_arg'],
    ['hash_fallback', 'query_arg', 'hash_fallback_query_arg'],
    ['hash_on', 'uri_capture', 'hash_on_uri_capture'],
    ['hash_fallback', 'uri_capture', 'hash_fallback_uri_capture'],
  ];
  for (const [field, value, required] of need) {
    if (u[field] === value && !isSet(u[required])) {
      rep.add([...e.at, required], `is required when '${field}' is '${value}'`);
    }
  }
  if ((u.hash_on === 'none' || u.hash_on === 'cookie') && u.hash_fallback !== 'none') {
    rep.add([...e.at, 'hash_fallback'], `must be 'none' when 'hash_on' is '${String(u.hash_on)}'`);
  } else if (
    u.hash_on === u.hash_fallback &&
    u.hash_on !== 'none' &&
    !['header', 'query_arg', 'uri_capture'].includes(String(u.hash_on))
  ) {
    rep.add([...e.at, 'hash_fallback'], `must differ from 'hash_on' ('${String(u.hash_on)}')`);
  }
  for (const [a, b] of [
    ['hash_on_header', 'hash_fallback_header'],
    ['hash_on_query_arg', 'hash_fallback_query_arg'],
    ['hash_on_uri_capture', 'hash_fallback_uri_capture'],
  ] as const) {
    const va = typeof u[a] === 'string' ? (u[a] as string).toLowerCase() : undefined;
    if (va !== undefined && u.hash_on === u.hash_fallback && va === String(u[b] ?? '').toLowerCase()) {
      rep.add([...e.at, b], `must differ from '${a}'`);
    }
  }
  if (u.algorithm === 'consistent-hashing' && u.hash_on === 'none') {
    // Kong accepts this and hashes on nothing (every request to the same target); keep it, as Kong does.
  }
}

/** "host[:port]" → "host:port" with Kong's default port 8000. */
export function normalizeTarget(target: string): { ok: true; target: string } | { ok: false; message: string } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(target);
  if (!m)
    return {
      ok: false,
      message: `must be 'host' or 'host:port' (got "${target}"); write IPv6 addresses as '[::1]:8080'`,
    };
  const port = m[2] !== undefined ? Number(m[2]) : 8000;
  if (port > 65535) return { ok: false, message: `port ${port} is out of range 0-65535` };
  return { ok: true, target: `${m[1]}:${port}` };
}

type Check = (rep: Reporter, e: Entry, rawNode: Obj, version: string) => void;

const CHECKS: Partial<Record<Kind, Check>> = {
  service: (rep, e, rawNode) => checkService(rep, e, rawNode),
  route: checkRoute,
  upstream: (rep, e) => checkUpstream(rep, e),
  certificate: (rep, e) => checkCertificate(rep, e),
  ca_certificate: (rep, e) => checkCaCertificate(rep, e),
  sni: (_rep, e) => {
    if (typeof e.node.name === 'string') e.node.name = e.node.name.toLowerCase();
  },
  target: (rep, e) => {
    if (typeof e.node.target !== 'string') return;
    const t = normalizeTarget(e.node.target);
    if (t.ok) e.node.target = t.target;
    else rep.add([...e.at, 'target'], t.message);
  },
  consumer: (rep, e) => {
    if (!isSet(e.node.username) && !isSet(e.node.custom_id))
      rep.add(e.at, "must set at least one of 'username' or 'custom_id'");
  },
};

/** Runs each entity's rules; `raw` is the file as written (before defaults), `version` its `_format_version`. */
export function checkEntities(rep: Reporter, entries: readonly Entry[], raw: unknown, version: string): void {
  for (const e of entries) {
    const check = CHECKS[e.kind];
    if (check === undefined) continue;
    try {
      check(rep, e, (get(raw, e.at) ?? {}) as Obj, version);
    } catch {
      // A shape error was already reported for this entity; its semantic checks are skipped.
    }
  }
}
