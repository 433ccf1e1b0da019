// Loads a Kong-compatible declarative file (YAML or JSON) into the normalized `Config`.
// Stages: YAML parse (with positions) → JSON-Schema validation (ajv, defaults filled) →
// Kong's semantic checks and normalization → flattening, ids, references → plugin configs.
// Every stage collects all the errors it finds; each error carries a line and column.
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { LineCounter, parseDocument } from 'yaml';
import type { ErrorObject } from 'ajv';
import { declarativeValidator } from './declarative-validator.js';
import type { PluginRegistry } from '../plugins/registry.js';
import type {
  CaCertificate,
  Certificate,
  Config,
  Consumer,
  Plugin,
  Ref,
  Route,
  Service,
  Sni,
  Target,
  Upstream,
} from './types.js';
import {
  CaCertificateSchema,
  CertificateSchema,
  SniSchema,
  ConfigSchema,
  ConsumerSchema,
  PluginSchema,
  RouteSchema,
  ServiceSchema,
  TargetSchema,
  UNSUPPORTED_FIELDS,
  UpstreamSchema,
} from './schema/index.js';
import { describeValue, didYouMean, pathToString, typeWords, type ConfigError, type Segment } from './errors.js';
import { configHash, UUID_RE, uuidV5 } from './ids.js';
import { parseCidr } from '../router/stream.js';
import { get, isObj, isSet, type Obj } from './values.js';
import { Reporter, type Entry, type Kind } from './reporter.js';
import { checkCaCertificate, checkCertificate, warnExpiredCertificates } from './certificates.js';
import { attachCredentials, checkCredentialUniqueness, collectCredentials, isCredential } from './credentials.js';
import { applyDeckInfo, checkWorkspaces, normalizeEntityMeta } from './metadata.js';
import { UNSUPPORTED_TOP_LEVEL, unsupportedNested } from './unsupported.js';
import { expandServiceUrl, overriddenByUrl } from './service-url.js';

export type { ConfigError } from './errors.js';
export { formatConfigErrors, formatConfigWarnings } from './errors.js';

/** A loaded file, with what loads but deserves a word (`warnings`: an expired certificate…), or why it does not load. */
export type LoadResult =
  { ok: true; config: Config; hash: string; warnings: ConfigError[] } | { ok: false; errors: ConfigError[] };

// ---------------------------------------------------------------------------------------------
// ajv errors → friendly messages

function segsOf(instancePath: string, data: unknown): Segment[] {
  if (instancePath === '') return [];
  const segs: Segment[] = [];
  let cur = data;
  for (const part of instancePath.slice(1).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: Segment = Array.isArray(cur) && /^\d+$/.test(key) ? Number(key) : key;
    segs.push(seg);
    cur = get(cur, [seg]);
  }
  return segs;
}

function reportSchemaErrors(rep: Reporter, errs: ErrorObject[], data: unknown): void {
  // Collapse the branches of `anyOf` (references) into the one message of the `anyOf`.
  const anyOfPaths = errs.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath + '/');
  // A value of the wrong type also fails its enum/pattern: report the type only.
  const typeFailed = new Set(errs.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const seen = new Set<string>();
  for (const e of errs) {
    if (e.keyword !== 'anyOf' && anyOfPaths.some((p) => e.schemaPath.startsWith(p))) continue;
    if (e.keyword !== 'type' && typeFailed.has(e.instancePath)) continue;
    const segs = segsOf(e.instancePath, data);
    const ps = (e.parentSchema ?? {}) as Obj;
    const custom = typeof ps['x-error'] === 'string' ? (ps['x-error'] as string) : undefined;
    let target = segs;
    let key = false;
    let message: string;
    switch (e.keyword) {
      case 'additionalProperties': {
        const field = String((e.params as { additionalProperty: string }).additionalProperty);
        target = [...segs, field];
        key = true;
        const valid = Object.keys((ps.properties as Obj) ?? {});
        if (UNSUPPORTED_FIELDS[field] && !valid.includes(field)) {
          message = `field '${field}' is not supported: ${UNSUPPORTED_FIELDS[field]}`;
        } else if (segs.length === 0 && UNSUPPORTED_TOP_LEVEL[field]) {
          message = UNSUPPORTED_TOP_LEVEL[field]!;
        } else if (unsupportedNested(rep.kindOf(segs), field) !== undefined) {
          message = unsupportedNested(rep.kindOf(segs), field)!;
        } else {
          const guess = didYouMean(field, valid);
          message = `unknown field '${field}'${guess ? `; did you mean '${guess}'?` : ''} Valid fields: ${valid.join(', ')}`;
          if (guess) message = message.replace('? Valid', '? Valid');
          else message = message.replace(`'${field}' Valid`, `'${field}'. Valid`);
        }
        break;
      }
      case 'required': {
        const field = String((e.params as { missingProperty: string }).missingProperty);
        target = [...segs, field];
        message = `missing required field '${field}'`;
        break;
      }
      case 'enum': {
        const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).filter((v) => v !== null);
        if (custom) message = `${custom} (got ${describeValue(e.data)})`;
        else {
          const guess = typeof e.data === 'string' ? didYouMean(e.data, allowed.map(String)) : undefined;
          message = `must be one of ${allowed.join(', ')} (got ${describeValue(e.data)})${guess ? `; did you mean '${guess}'?` : ''}`;
        }
        break;
      }
      case 'type': {
        const t = (e.params as { type: string | string[] }).type;
        if (segs.length === 1 && segs[0] === '_format_version' && typeof e.data === 'number') {
          message = `must be a quoted string such as "3.0" (YAML read ${e.data} as a number); write _format_version: "${e.data === 3 ? '3.0' : e.data}"`;
        } else message = `must be ${typeWords(t)} (got ${describeValue(e.data)})`;
        break;
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        const min = ps.minimum as number | undefined;
        const max = ps.maximum as number | undefined;
        message =
          min !== undefined && max !== undefined
            ? `must be between ${min} and ${max} (got ${describeValue(e.data)})`
            : min !== undefined
              ? `must be at least ${min} (got ${describeValue(e.data)})`
              : `must be at most ${max} (got ${describeValue(e.data)})`;
        break;
      }
      case 'pattern':
      case 'format':
        message = `${custom ?? `must match ${String((e.params as Obj).pattern ?? (e.params as Obj).format)}`} (got ${describeValue(e.data)})`;
        break;
      case 'minLength':
        message = 'must not be empty';
        break;
      case 'minItems':
        message =
          (e.params as { limit: number }).limit === 1
            ? 'must list at least one value'
            : `must list at least ${(e.params as { limit: number }).limit} values`;
        break;
      case 'anyOf':
        message = `${custom ?? 'does not match any allowed form'} (got ${describeValue(e.data)})`;
        break;
      default:
        message = e.message ?? 'is invalid';
    }
    const dedupe = `${pathToString(target)}|${message}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    rep.add(target, message, { key });
  }
}

// ---------------------------------------------------------------------------------------------
// Entities

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
const NOT_REGEX = /^[a-zA-Z0-9._~/%-]*$/;

/** Kong 3 treats a pre-3.0 path with regex characters as a regex: prefix it with `~`. */
export function migrateLegacyPath(path: string): string {
  if (path.startsWith('~') || NOT_REGEX.test(path)) return path;
  return `~${path}`;
}

const PCRE_ONLY: [RegExp, string][] = [
  [
    /\(\?[a-zA-Z]*(?:-[a-zA-Z]+)?\)/,
    "inline flags such as '(?i)' are not supported by JavaScript regular expressions; match both cases explicitly, e.g. '[Uu]sers'",
  ],
  [
    /\(\?[a-zA-Z]+(?:-[a-zA-Z]+)?:/,
    "inline flag groups such as '(?i:...)' are not supported by JavaScript regular expressions",
  ],
  [/\(\?>/, "atomic groups '(?>...)' are not supported by JavaScript regular expressions"],
  [/\(\?\|/, "branch reset groups '(?|...)' are not supported by JavaScript regular expressions"],
  [/\(\?#/, "comments '(?#...)' are not supported by JavaScript regular expressions"],
  [/\(\?(?:R|\d+|P>|&)/, 'recursive patterns are not supported by JavaScript regular expressions'],
  [
    /(?:^|[^\\])(?:\\\\)*\\[AZzGQE]/,
    'the anchors/escapes \\A, \\Z, \\z, \\G, \\Q...\\E are not supported by JavaScript regular expressions; use ^ and $',
  ],
  [/[*+?}]\+/, "possessive quantifiers such as '*+' are not supported by JavaScript regular expressions"],
  [
    /\[:[a-z]+:\]/,
    "POSIX classes such as '[:alpha:]' are not supported by JavaScript regular expressions; use e.g. [A-Za-z]",
  ],
];

/** Converts a Kong (PCRE) regex path body to JavaScript syntax, or explains why it can't. */
export function convertPcre(source: string): { ok: true; source: string } | { ok: false; message: string } {
  for (const [re, msg] of PCRE_ONLY) if (re.test(source)) return { ok: false, message: msg };
  const js = source
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>');
  try {
    new RegExp(js);
  } catch (err) {
    return {
      ok: false,
      message: `is not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`,
    };
  }
  return { ok: true, source: js };
}

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
  if (Array.isArray(r.paths)) {
    r.paths = (r.paths as unknown[]).map((p, i) => {
      if (typeof p !== 'string') return p;
      let path = version === '3.0' ? p : migrateLegacyPath(p);
      if (path.startsWith('~')) {
        const conv = convertPcre(path.slice(1));
        if (!conv.ok)
          rep.add(
            [...e.at, 'paths', i],
            `regex path "${p}" ${conv.message.startsWith('is ') ? conv.message : `cannot be used: ${conv.message}`}`,
          );
        else path = `~${conv.source}`;
      } else if (path.startsWith('/') && /\s/.test(path)) {
        rep.add([...e.at, 'paths', i], 'must not contain whitespace');
      }
      return path;
    });
  }
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

// ---------------------------------------------------------------------------------------------

function pick<T>(schema: { properties: Obj }, node: Obj, extra: Obj = {}): T {
  const out: Obj = {};
  for (const k of Object.keys(schema.properties)) {
    if (k in extra) out[k] = extra[k];
    else if (k in node) out[k] = node[k];
  }
  return out as T;
}

/** Parses and validates a declarative file's text. `source` names the file in errors. */
export function parseDeclarative(text: string, source: string, registry: PluginRegistry): LoadResult {
  void source;
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false, merge: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
        return {
          entity: '',
          path: '',
          line: pos.line,
          column: pos.col,
          message: `${e.code === 'DUPLICATE_KEY' ? 'duplicate key' : 'invalid YAML/JSON'}: ${e.message.split('\n')[0]}`,
        };
      }),
    };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return {
      ok: false,
      errors: [
        { entity: '', path: '', line: 1, column: 1, message: `cannot read the document: ${(err as Error).message}` },
      ],
    };
  }
  const rep = new Reporter(doc, lc, raw);
  if (!isObj(raw)) {
    rep.add(
      [],
      'the file must be a mapping with at least `_format_version: "3.0"`, e.g. `_format_version: "3.0"` followed by `services:`',
    );
    return { ok: false, errors: rep.errors };
  }

  // 1. Shape, types, constraints and defaults (JSON Schema).
  const data = structuredClone(raw);
  for (const k of Object.keys(UNSUPPORTED_TOP_LEVEL)) {
    if (k in data) {
      rep.add([k], UNSUPPORTED_TOP_LEVEL[k]!, { key: true });
      delete data[k];
    }
  }
  if (Array.isArray(data.certificates)) {
    for (const c of data.certificates as unknown[]) {
      if (isObj(c) && Array.isArray(c.snis))
        c.snis = (c.snis as unknown[]).map((n) => (typeof n === 'string' ? { name: n } : n));
    }
  }
  checkWorkspaces(rep, data);
  const selectTags = applyDeckInfo(rep, data, (errs) => reportSchemaErrors(rep, errs, raw));
  const validate = declarativeValidator();
  if (!validate(data)) reportSchemaErrors(rep, validate.errors ?? [], data);
  const version = typeof data._format_version === 'string' ? data._format_version : '3.0';

  // 2. Collect entities (flattening the nested forms).
  const entries: Entry[] = [];
  const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as unknown[]).map((x) => (isObj(x) ? x : {})) : []);
  const add = (kind: Kind, at: Segment[], node: Obj, parent?: Entry): Entry => {
    const e: Entry = { kind, at, node, parent };
    entries.push(e);
    return e;
  };
  const addPlugins = (list: unknown, at: Segment[], parent?: Entry) =>
    arr(list).forEach((p, i) => add('plugin', [...at, 'plugins', i], p, parent));
  arr(data.services).forEach((s, i) => {
    const se = add('service', ['services', i], s);
    arr(s.routes).forEach((r, j) => {
      const re = add('route', ['services', i, 'routes', j], r, se);
      addPlugins(r.plugins, re.at, re);
    });
    addPlugins(s.plugins, se.at, se);
  });
  arr(data.routes).forEach((r, i) => {
    const re = add('route', ['routes', i], r);
    addPlugins(r.plugins, re.at, re);
  });
  arr(data.upstreams).forEach((u, i) => {
    const ue = add('upstream', ['upstreams', i], u);
    arr(u.targets).forEach((t, j) => add('target', ['upstreams', i, 'targets', j], t, ue));
  });
  arr(data.targets).forEach((t, i) => add('target', ['targets', i], t));
  arr(data.consumers).forEach((c, i) => {
    const ce = add('consumer', ['consumers', i], c);
    addPlugins(c.plugins, ce.at, ce);
    collectCredentials(c, ce.at, add, ce);
  });
  collectCredentials(data, [], add);
  addPlugins(data.plugins, []);
  arr(data.certificates).forEach((c, i) => {
    const ce = add('certificate', ['certificates', i], c);
    arr(c.snis).forEach((n, j) => add('sni', ['certificates', i, 'snis', j], n, ce));
  });
  arr(data.snis).forEach((n, i) => add('sni', ['snis', i], n));
  arr(data.ca_certificates).forEach((c, i) => add('ca_certificate', ['ca_certificates', i], c));
  const of = (k: Kind) => entries.filter((e) => e.kind === k);
  for (const e of entries) normalizeEntityMeta(e.node, selectTags);

  // 3. Kong's semantic checks and per-entity normalization.
  for (const e of entries) {
    const rawNode = (get(raw, e.at) ?? {}) as Obj;
    try {
      if (e.kind === 'service') checkService(rep, e, rawNode);
      else if (e.kind === 'route') checkRoute(rep, e, rawNode, version);
      else if (e.kind === 'upstream') checkUpstream(rep, e);
      else if (e.kind === 'certificate') checkCertificate(rep, e);
      else if (e.kind === 'ca_certificate') checkCaCertificate(rep, e);
      else if (e.kind === 'sni' && typeof e.node.name === 'string') e.node.name = e.node.name.toLowerCase();
      else if (e.kind === 'target' && typeof e.node.target === 'string') {
        const t = normalizeTarget(e.node.target);
        if (t.ok) e.node.target = t.target;
        else rep.add([...e.at, 'target'], t.message);
      } else if (e.kind === 'consumer') {
        if (!isSet(e.node.username) && !isSet(e.node.custom_id))
          rep.add(e.at, "must set at least one of 'username' or 'custom_id'");
      }
    } catch {
      // A shape error was already reported for this entity; its semantic checks are skipped.
    }
  }

  // 4. Ids: the file's id, or a deterministic one (v5 UUID of kind and natural key).
  const nameKey = (e: Entry): string | undefined => {
    const n = e.node;
    const v =
      e.kind === 'consumer'
        ? (n.username ??
          (n.custom_id !== null && n.custom_id !== undefined ? `custom_id:${String(n.custom_id)}` : undefined))
        : n.name;
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const assignId = (e: Entry, key: string) => {
    e.id =
      typeof e.node.id === 'string' && UUID_RE.test(e.node.id) ? e.node.id.toLowerCase() : uuidV5(`${e.kind}:${key}`);
  };
  for (const e of [...of('service'), ...of('upstream'), ...of('consumer'), ...of('route'), ...of('sni')]) {
    const n = nameKey(e);
    assignId(e, n !== undefined ? `name:${n}` : `at:${e.parent?.id ?? ''}:${pathToString(e.at)}`);
  }
  // A certificate has no name: its id derives from the certificate text itself.
  for (const e of of('certificate')) {
    assignId(
      e,
      `cert:${createHash('sha256')
        .update(String(e.node.cert ?? pathToString(e.at)).trim())
        .digest('hex')}`,
    );
  }
  for (const e of of('ca_certificate')) {
    assignId(
      e,
      `cert:${createHash('sha256')
        .update(String(e.node.cert ?? pathToString(e.at)).trim())
        .digest('hex')}`,
    );
  }

  // 5. References.
  const index = (kind: Kind, keys: string[]) => {
    const m = new Map<string, Entry>();
    for (const e of of(kind)) {
      for (const k of keys) if (typeof e.node[k] === 'string') m.set(`${k}:${e.node[k] as string}`, e);
      if (e.id) m.set(`id:${e.id}`, e);
    }
    return m;
  };
  const maps: Partial<Record<Kind, Map<string, Entry>>> = {
    service: index('service', ['name']),
    route: index('route', ['name']),
    upstream: index('upstream', ['name']),
    consumer: index('consumer', ['username', 'custom_id']),
    certificate: index('certificate', []),
    ca_certificate: index('ca_certificate', []),
  };
  const refKeys: Partial<Record<Kind, string[]>> = {
    service: ['name'],
    route: ['name'],
    upstream: ['name'],
    consumer: ['username', 'custom_id'],
    certificate: [],
  };
  const plural: Partial<Record<Kind, string>> = {
    service: 'services',
    route: 'routes',
    upstream: 'upstreams',
    consumer: 'consumers',
    target: 'targets',
    plugin: 'plugins',
    certificate: 'certificates',
    sni: 'snis',
    ca_certificate: 'ca_certificates',
  };
  const resolve = (from: Entry, kind: Kind, field: string = kind): Ref | null | undefined => {
    const ref = from.node[field];
    if (ref === undefined || ref === null) return null;
    const m = maps[kind]!;
    let found: Entry | undefined;
    let shown = '';
    if (typeof ref === 'string') {
      shown = `'${ref}'`;
      found = m.get(`id:${ref.toLowerCase()}`) ?? refKeys[kind]!.map((k) => m.get(`${k}:${ref}`)).find((x) => x);
    } else if (isObj(ref)) {
      const [k, v] = Object.entries(ref)[0] ?? [];
      if (typeof v !== 'string') return undefined;
      shown = `${k} '${v}'`;
      found = m.get(k === 'id' ? `id:${v.toLowerCase()}` : `${k}:${v}`);
    } else return undefined;
    if (!found) {
      const names = [...new Set(of(kind).map((e) => nameKey(e) ?? e.id!))];
      rep.add(
        [...from.at, field],
        `references ${kind} ${shown}, which is not defined in this file; defined ${plural[kind]}: ${names.length ? names.join(', ') : 'none'}`,
      );
      return undefined;
    }
    return { id: found.id! };
  };
  const refs = new Map<Entry, Record<string, Ref | null>>();
  for (const e of entries) {
    const r: Record<string, Ref | null> = {};
    if (e.kind === 'route') r.service = e.parent ? { id: e.parent.id! } : (resolve(e, 'service') ?? null);
    if (e.kind === 'target') r.upstream = e.parent ? { id: e.parent.id! } : (resolve(e, 'upstream') ?? null);
    if (e.kind === 'sni') r.certificate = e.parent ? { id: e.parent.id! } : (resolve(e, 'certificate') ?? null);
    // Kong's upstream.client_certificate: the certificate active https health checks present.
    if (e.kind === 'upstream' && isSet(e.node.client_certificate))
      r.client_certificate = resolve(e, 'certificate', 'client_certificate') ?? null;
    if (e.kind === 'service') {
      if (isSet(e.node.client_certificate))
        r.client_certificate = resolve(e, 'certificate', 'client_certificate') ?? null;
      // ca_certificates are named by id only (as in Kong).
      if (Array.isArray(e.node.ca_certificates)) {
        const ids: string[] = [];
        (e.node.ca_certificates as unknown[]).forEach((v, i) => {
          if (typeof v !== 'string') return;
          const found = maps.ca_certificate!.get(`id:${v.toLowerCase()}`);
          if (found === undefined) {
            const known = of('ca_certificate').map((c) => c.id!);
            rep.add(
              [...e.at, 'ca_certificates', i],
              `references ca_certificate '${v}', which is not defined in this file; defined ca_certificates: ${known.length ? known.join(', ') : 'none'}`,
            );
          } else if (!ids.includes(found.id!)) ids.push(found.id!);
        });
        e.node.ca_certificates = ids;
      }
    }
    if (e.kind === 'plugin') {
      for (const k of ['service', 'route', 'consumer'] as const) {
        r[k] = e.parent?.kind === k ? { id: e.parent.id! } : (resolve(e, k) ?? null);
      }
    }
    if (isCredential(e) && e.parent === undefined) r.consumer = resolve(e, 'consumer') ?? null;
    refs.set(e, r);
  }
  for (const e of of('target')) {
    assignId(e, `${refs.get(e)!.upstream?.id ?? pathToString(e.at)}:${String(e.node.target)}`);
  }
  for (const e of of('plugin')) {
    const r = refs.get(e)!;
    const inst = typeof e.node.instance_name === 'string' ? e.node.instance_name : '';
    assignId(e, `${String(e.node.name)}:${inst}:${r.service?.id ?? ''}:${r.route?.id ?? ''}:${r.consumer?.id ?? ''}`);
  }

  // 6. Uniqueness.
  const unique = (kind: Kind, field: string, keyOf: (e: Entry) => string | undefined, shown?: (e: Entry) => string) => {
    const seen = new Map<string, Entry>();
    for (const e of of(kind)) {
      const k = keyOf(e);
      if (k === undefined) continue;
      const first = seen.get(k);
      if (first) {
        const what = shown ? shown(e) : `${field} '${k}'`;
        rep.add(
          field === 'plugin' ? e.at : [...e.at, field],
          `${what} is already used by ${rep.label(first.kind, first.at)}; ${shown ? 'configure it once' : `each ${kind} needs a unique ${field}`}`,
        );
      } else seen.set(k, e);
    }
  };
  const str = (f: string) => (e: Entry) => (typeof e.node[f] === 'string' ? (e.node[f] as string) : undefined);
  for (const kind of ['service', 'route', 'upstream'] as const) unique(kind, 'name', str('name'));
  unique('consumer', 'username', str('username'));
  unique('consumer', 'custom_id', str('custom_id'));
  unique('sni', 'name', str('name'));
  for (const kind of [
    'service',
    'route',
    'upstream',
    'consumer',
    'target',
    'plugin',
    'certificate',
    'sni',
    'ca_certificate',
  ] as const) {
    unique(kind, 'id', (e) => str('id')(e)?.toLowerCase());
  }
  unique(
    'target',
    'target',
    (e) => (typeof e.node.target === 'string' ? `${refs.get(e)!.upstream?.id ?? ''}|${e.node.target}` : undefined),
    (e) => `target '${String(e.node.target)}' in this upstream`,
  );
  unique(
    'plugin',
    'plugin',
    (e) => {
      const r = refs.get(e)!;
      return `${String(e.node.name)}|${String(e.node.instance_name ?? '')}|${r.service?.id ?? ''}|${r.route?.id ?? ''}|${r.consumer?.id ?? ''}`;
    },
    (e) => `plugin '${String(e.node.name)}' for the same service/route/consumer`,
  );
  checkCredentialUniqueness(rep, entries);
  warnExpiredCertificates(rep, entries, refs);

  // 7. Plugins: known to this build, and their config valid.
  for (const e of of('plugin')) {
    const name = e.node.name;
    if (typeof name !== 'string') continue;
    const def = registry.get(name);
    if (!def) {
      rep.add([...e.at, 'name'], registry.explainUnavailable(name));
      continue;
    }
    const config = isObj(e.node.config) ? e.node.config : {};
    e.node.config = config;
    for (const fe of def.validate(config)) {
      const fieldSegs = fe.field === '' ? [] : fe.field.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      rep.add([...e.at, 'config', ...fieldSegs], fe.message);
    }
  }

  if (rep.errors.length > 0) {
    rep.errors.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
    return { ok: false, errors: rep.errors };
  }

  // 8. Assemble the normalized Config.
  attachCredentials(entries, refs);
  const build = <T>(kind: Kind, schema: { properties: Obj }) =>
    of(kind).map((e) => pick<T>(schema, e.node, { id: e.id, ...refs.get(e) }));
  const config: Config = {
    _format_version: '3.0',
    _transform: data._transform !== false,
    ...(typeof data._comment === 'string' ? { _comment: data._comment } : {}),
    ...(typeof data._workspace === 'string' ? { _workspace: data._workspace } : {}),
    services: build<Service>('service', ServiceSchema as unknown as { properties: Obj }),
    routes: build<Route>('route', RouteSchema as unknown as { properties: Obj }),
    upstreams: build<Upstream>('upstream', UpstreamSchema as unknown as { properties: Obj }),
    targets: build<Target>('target', TargetSchema as unknown as { properties: Obj }),
    consumers: build<Consumer>('consumer', ConsumerSchema as unknown as { properties: Obj }),
    plugins: build<Plugin>('plugin', PluginSchema as unknown as { properties: Obj }),
    certificates: build<Certificate>('certificate', CertificateSchema as unknown as { properties: Obj }),
    snis: build<Sni>('sni', SniSchema as unknown as { properties: Obj }),
    ca_certificates: build<CaCertificate>('ca_certificate', CaCertificateSchema as unknown as { properties: Obj }),
  };
  void ConfigSchema;
  rep.warnings.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
  return { ok: true, config, hash: configHash(config), warnings: rep.warnings };
}

/** Reads and parses a declarative file. */
export async function loadDeclarativeFile(path: string, registry: PluginRegistry): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'file not found; check the path, or pass --config / TURNPIKE_DECLARATIVE_CONFIG with an existing kong.yml'
        : code === 'EACCES'
          ? 'permission denied; make the file readable by the user running turnpike'
          : code === 'EISDIR'
            ? 'is a directory; give the path of a .yml/.yaml/.json file inside it'
            : `cannot be read (${(err as Error).message})`;
    return { ok: false, errors: [{ entity: '', path: '', line: null, column: null, message: why }] }; // formatConfigErrors puts the path in front
  }
  return parseDeclarative(text, path, registry);
}
