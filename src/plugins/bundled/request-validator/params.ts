// Request parameters (query, header, path) read and deserialized as OpenAPI 3 describes
// (style + explode), then validated with a coercing ajv (values arrive as strings).

import type { ValidateFunction } from 'ajv';
import type { HeaderMap } from '../../sdk.js';
import { describeErrors } from './schemas.js';

export type ParamIn = 'query' | 'header' | 'path';
export type ParamShape = 'array' | 'object' | 'primitive';

export interface ParamSpec {
  readonly name: string;
  readonly in: ParamIn;
  readonly required: boolean;
  readonly style: string;
  readonly explode: boolean;
  readonly shape: ParamShape;
  /** Property names of an object schema (form + explode reads them as separate query args). */
  readonly properties: readonly string[];
  readonly validate: ValidateFunction | null;
}

export const DEFAULT_STYLE: Record<ParamIn, string> = { query: 'form', header: 'simple', path: 'simple' };

/** What the validator reads parameters from. */
export interface ParamSource {
  query: URLSearchParams;
  headers: HeaderMap;
  path: Record<string, string>;
}

/** The shape a schema describes at its top level (after the caller resolved a top-level $ref). */
export function shapeOf(schema: unknown): ParamShape {
  if (schema === null || typeof schema !== 'object') return 'primitive';
  const t = (schema as Record<string, unknown>).type;
  const types = Array.isArray(t) ? t : [t];
  if (types.includes('array')) return 'array';
  if (types.includes('object')) return 'object';
  return 'primitive';
}

function pairs(list: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) o[list[i]!] = list[i + 1]!;
  return o;
}

function keyValues(list: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq > 0) o[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return o;
}

/** Deserializes "simple"-style text (headers, path): "a,b" → array, "k,v,k2,v2" / "k=v,k2=v2" → object. */
function simple(text: string, p: ParamSpec): unknown {
  if (p.shape === 'array') return text === '' ? [] : text.split(',');
  if (p.shape === 'object') return p.explode ? keyValues(text.split(',')) : pairs(text.split(','));
  return text;
}

function fromPath(raw: string, p: ParamSpec): unknown {
  if (p.style === 'label') {
    if (!raw.startsWith('.')) return raw;
    const parts = raw.slice(1).split(p.explode ? '.' : ',');
    if (p.shape === 'array') return parts;
    if (p.shape === 'object') return p.explode ? keyValues(parts) : pairs(parts);
    return raw.slice(1);
  }
  if (p.style === 'matrix') {
    const segs = raw.split(';').filter((s) => s !== '');
    if (p.shape === 'object' && p.explode) return keyValues(segs);
    const values = segs.map((s) => (s.startsWith(p.name + '=') ? s.slice(p.name.length + 1) : s === p.name ? '' : s));
    if (p.shape === 'array') return p.explode ? values : (values[0] ?? '').split(',');
    if (p.shape === 'object') return pairs((values[0] ?? '').split(','));
    return values[0] ?? '';
  }
  return simple(raw, p);
}

function fromQuery(q: URLSearchParams, p: ParamSpec): unknown {
  if (p.shape === 'object' && p.style === 'deepObject') {
    const o: Record<string, string> = {};
    const prefix = p.name + '[';
    for (const [k, v] of q) if (k.startsWith(prefix) && k.endsWith(']')) o[k.slice(prefix.length, -1)] = v;
    return Object.keys(o).length ? o : undefined;
  }
  if (p.shape === 'object' && p.explode) {
    const o: Record<string, string> = {};
    for (const name of p.properties) {
      const v = q.get(name);
      if (v !== null) o[name] = v;
    }
    return Object.keys(o).length ? o : undefined;
  }
  const all = q.getAll(p.name);
  if (all.length === 0) return undefined;
  if (p.shape === 'array') {
    if (p.explode && p.style === 'form') return all;
    const sep = p.style === 'spaceDelimited' ? ' ' : p.style === 'pipeDelimited' ? '|' : ',';
    return all[0] === '' ? [] : all[0]!.split(sep);
  }
  if (p.shape === 'object') return pairs(all[0]!.split(','));
  return all[0];
}

/** The parameter's value, or undefined when the request does not carry it. */
export function readParam(src: ParamSource, p: ParamSpec): unknown {
  if (p.in === 'query') return fromQuery(src.query, p);
  if (p.in === 'header') {
    const h = src.headers[p.name.toLowerCase()];
    if (h === undefined) return undefined;
    return simple(Array.isArray(h) ? h.join(',') : h, p);
  }
  const raw = src.path[p.name];
  return raw === undefined ? undefined : fromPath(raw, p);
}

/** Validates every parameter; returns one line per problem (empty when all are fine). */
export function checkParams(src: ParamSource, params: readonly ParamSpec[]): string[] {
  const problems: string[] = [];
  for (const p of params) {
    const value = readParam(src, p);
    const where = `${p.in} '${p.name}'`;
    if (value === undefined) {
      if (p.required) problems.push(`${where}: is required`);
      continue;
    }
    if (p.validate && !p.validate(value)) problems.push(...describeErrors(where, p.validate.errors));
  }
  return problems;
}
