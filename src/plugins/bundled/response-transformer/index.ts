// response-transformer: edits the response headers before they reach the client, as Kong's
// response-transformer does, in Kong's order remove → rename → replace → add → append. Kong
// priority 800. Runs on the upstream's responses and on the gateway's own answers alike.
//
// As in Kong, rename/replace/add look at the headers as they were before the plugin ran:
// "remove X" then "add X:v" leaves X removed when the upstream sent X.
//
// JSON body transformations (`*.json`, typed by `*.json_types`) run in the body phase on
// application/json responses from the upstream: the body is buffered (up to MAX_JSON_BODY),
// edited in the same order and re-serialised. Bodies that are not a JSON object, compressed or
// larger than the bound pass unchanged.

import { definePlugin, type BodyFilter, type PluginContext } from '../../sdk.js';
import { parseList, type Pair } from '../request-transformer/pairs.js';
import { appendJson, bodyKind, getOwn, luaTruthy, parseJsonObject, setOwn } from '../shared/body.js';
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
  /** JSON body operations, or null when there are none (no body filter then). */
  readonly json: JsonOps | null;
  /** Set once the "body too large" warning was logged for this plugin instance. */
  warned: boolean;
}

/** A JSON entry with its value already cast by json_types (undefined: the entry sets nothing). */
export interface JsonPair {
  readonly name: string;
  readonly value: unknown;
}

export interface JsonOps {
  readonly remove: readonly string[];
  readonly rename: readonly Pair[];
  readonly replace: readonly JsonPair[];
  readonly add: readonly JsonPair[];
  readonly append: readonly JsonPair[];
}

/** Bodies larger than this are passed through unchanged (and logged once per plugin instance). */
export const MAX_JSON_BODY = 8 * 1024 * 1024;

/** Lua's tonumber on a string: decimal, hex ("0x1f"), exponent; surrounding spaces allowed. */
function toNumber(v: string): number | undefined {
  const s = v.trim();
  if (!/^[+-]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/.test(s)) return undefined;
  const n = /^[+-]?0[xX]/.test(s) ? (s.startsWith('-') ? -1 : 1) * parseInt(s.replace(/^[+-]/, ''), 16) : Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** Kong's cast_value: `number` (no number: the entry sets nothing), `boolean` ("true" → true, else false), else the string. */
export function castJson(value: string, type: string | undefined): unknown {
  if (type === 'number') return toNumber(value);
  if (type === 'boolean') return value === 'true';
  return value;
}

function jsonPairs(entries: readonly string[], types: readonly string[], field: string): JsonPair[] {
  return parseList(entries, field, { headers: false }).map((p, i) => ({
    name: p.name,
    value: p.value === null ? undefined : castJson(p.value, types[i]),
  }));
}

export function prepare(c: ResponseTransformerConfig): Prepared {
  const remove = parseList(c.remove.headers, 'remove.headers', { headers: true }).map((p) => p.name);
  const rename = parseList(c.rename.headers, 'rename.headers', {
    headers: true,
    valueIsHeaderName: true,
    settable: true,
  });
  const replace = parseList(c.replace.headers, 'replace.headers', { headers: true, settable: true });
  const add = parseList(c.add.headers, 'add.headers', { headers: true, settable: true });
  const append = parseList(c.append.headers, 'append.headers', { headers: true, settable: true });
  const looked = [...new Set([...rename, ...replace, ...add].map((p) => p.name.toLowerCase()))];
  const json: JsonOps = {
    remove: c.remove.json,
    rename: parseList(c.rename.json, 'rename.json', { headers: false }),
    replace: jsonPairs(c.replace.json, c.replace.json_types, 'replace.json'),
    add: jsonPairs(c.add.json, c.add.json_types, 'add.json'),
    append: jsonPairs(c.append.json, c.append.json_types, 'append.json'),
  };
  const anyJson = OPS.some((op) => json[op].length > 0);
  return { remove, rename, replace, add, append, looked, json: anyJson ? json : null, warned: false };
}

/** Kong's transform_json_body on a decoded object (edited in place). */
export function transformJson(o: Record<string, unknown>, j: JsonOps): void {
  for (const name of j.remove) delete o[name];
  for (const { name: from, value: to } of j.rename) {
    const v = getOwn(o, from);
    if (to === null || from === to || v === undefined) continue;
    setOwn(o, to, v);
    delete o[from];
  }
  for (const { name, value } of j.replace)
    if (value !== undefined && luaTruthy(getOwn(o, name))) setOwn(o, name, value);
  for (const { name, value } of j.add) if (value !== undefined && !luaTruthy(getOwn(o, name))) setOwn(o, name, value);
  for (const { name, value } of j.append) if (value !== undefined) setOwn(o, name, appendJson(getOwn(o, name), value));
}

/** Buffers a JSON body and hands on the transformed one at the end; past MAX_JSON_BODY, passes everything through. */
class JsonBodyFilter implements BodyFilter {
  private parts: Buffer[] | null = [];
  private size = 0;
  constructor(
    private readonly ctx: PluginContext,
    private readonly p: Prepared,
    private readonly ops: JsonOps,
  ) {}

  chunk(data: Buffer): Buffer | null {
    if (this.parts === null) return data;
    this.size += data.length;
    if (this.size <= MAX_JSON_BODY) {
      this.parts.push(data);
      return null;
    }
    if (!this.p.warned) {
      this.p.warned = true;
      this.ctx.log.warn(
        'response body larger than the JSON transformation bound: passed through unchanged (logged once per plugin instance)',
        { bound: MAX_JSON_BODY },
      );
    }
    const out = Buffer.concat([...this.parts, data]);
    this.parts = null;
    return out;
  }

  end(): Buffer | null {
    if (this.parts === null) return null;
    const body = Buffer.concat(this.parts);
    this.parts = null;
    const o = parseJsonObject(body);
    // Malformed JSON, arrays and scalars pass as they came, as in Kong.
    if (o === null) return body.length === 0 ? null : body;
    transformJson(o, this.ops);
    return Buffer.from(JSON.stringify(o));
  }
}

function body(ctx: PluginContext, p: Prepared): BodyFilter | null {
  const res = ctx.response;
  if (p.json === null || res === null) return null;
  if (bodyKind(res.getHeader('content-type')) !== 'json') return null;
  // A compressed body cannot be edited without inflating it: passed unchanged (see the docs).
  const enc = res.getHeader('content-encoding');
  if (enc !== undefined && enc.trim() !== '' && enc.trim().toLowerCase() !== 'identity') return null;
  return new JsonBodyFilter(ctx, p, p.json);
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
  phases: { response, body },
});
