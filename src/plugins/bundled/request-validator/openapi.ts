// OpenAPI 3 mode: an API description (JSON or YAML, 3.0 or 3.1) compiled once into operation
// matchers, parameter validators and request-body validators. Local $refs ("#/components/…")
// are resolved: the whole document is added to ajv under one key, and every schema is
// compiled as a $ref into it, so recursive component schemas work. Remote $refs are refused.

import { parse as parseYaml } from 'yaml';
import type { ValidateFunction } from 'ajv';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { compileTemplate, matchTemplate, sortTemplates, type PathTemplate } from './path-template.js';
import { DEFAULT_STYLE, shapeOf, type ParamIn, type ParamSpec } from './params.js';
import { fromDraft4, makeAjv } from './schemas.js';
import { parseMediaType, type MediaType } from './content-type.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const DOC = 'turnpike-openapi.json';

export interface BodyMedia {
  readonly key: string;
  readonly media: MediaType;
  readonly validate: ValidateFunction | null;
}

export interface Operation {
  readonly method: string;
  readonly label: string;
  readonly params: readonly ParamSpec[];
  /** null: the operation declares no request body (whatever is sent is passed on). */
  readonly body: { readonly required: boolean; readonly media: readonly BodyMedia[] } | null;
}

interface PathEntry {
  readonly path: PathTemplate;
  readonly operations: ReadonlyMap<string, Operation>;
}

export interface ApiSpec {
  readonly paths: readonly PathEntry[];
}

export type Lookup =
  | { kind: 'found'; op: Operation; pathParams: Record<string, string> }
  | { kind: 'no-path' }
  | { kind: 'no-method'; allow: string[] };

type Json = Record<string, unknown>;
const isObj = (x: unknown): x is Json => x !== null && typeof x === 'object' && !Array.isArray(x);
const esc = (seg: string) => seg.replace(/~/g, '~0').replace(/\//g, '~1');
const pointer = (segs: readonly string[]) => '#/' + segs.map(esc).join('/');
const uriPointer = (segs: readonly string[]) => '#/' + segs.map((s) => encodeURIComponent(esc(s))).join('/');

/** Parses the description: JSON when it looks like JSON, else YAML. */
export function parseSpecText(text: string): unknown {
  const t = text.trimStart();
  if (t.startsWith('{')) return JSON.parse(text);
  return parseYaml(text);
}

/** Compiles an OpenAPI 3 description; throws a PluginConfigFieldError naming `field`. */
export function compileSpec(text: string, field: string): ApiSpec {
  const fail = (msg: string): never => {
    throw new PluginConfigFieldError(field, msg);
  };
  let raw: unknown;
  try {
    raw = parseSpecText(text);
  } catch (err) {
    return fail(`is neither valid JSON nor valid YAML: ${(err as Error).message}`);
  }
  if (!isObj(raw) || typeof raw.openapi !== 'string' || !/^3\.[01](\.|$)/.test(raw.openapi))
    return fail('must be an OpenAPI 3.0 or 3.1 description (an object with openapi: "3.0.x" or "3.1.x")');
  const v31 = raw.openapi.startsWith('3.1');
  const doc = (v31 ? structuredClone(raw) : fromDraft4(raw)) as Json;
  if (!isObj(doc.paths)) return fail("has no 'paths' object");

  const bodyAjv = makeAjv(v31 ? 'openapi31' : 'openapi30', false);
  const paramAjv = makeAjv(v31 ? 'openapi31' : 'openapi30', true);
  bodyAjv.addSchema(doc, DOC, undefined, false);
  paramAjv.addSchema(doc, DOC, undefined, false);

  /** Follows local $refs; returns the object and where it lives. */
  const deref = (value: unknown, at: string[]): { value: unknown; at: string[] } => {
    const seen = new Set<string>();
    while (isObj(value) && typeof value.$ref === 'string') {
      const ref = value.$ref;
      if (!ref.startsWith('#/'))
        fail(`${pointer(at)}: only local $refs ("#/components/…") are supported, not '${ref}'`);
      if (seen.has(ref)) fail(`${pointer(at)}: $ref cycle through '${ref}'`);
      seen.add(ref);
      at = ref
        .slice(2)
        .split('/')
        .map((s) => decodeURIComponent(s).replace(/~1/g, '/').replace(/~0/g, '~'));
      value = at.reduce<unknown>(
        (cur, seg) => (isObj(cur) || Array.isArray(cur) ? (cur as Json)[seg] : undefined),
        doc,
      );
      if (value === undefined) fail(`$ref '${ref}' points at nothing`);
    }
    return { value, at };
  };

  const compileAt = (ajv: typeof bodyAjv, at: string[]): ValidateFunction => {
    try {
      return ajv.compile({ $ref: DOC + uriPointer(at) });
    } catch (err) {
      return fail(`${pointer(at)}: the schema does not compile: ${(err as Error).message}`);
    }
  };

  const param = (p: unknown, at: string[]): ParamSpec | null => {
    const r = deref(p, at);
    const d = r.value;
    if (!isObj(d) || typeof d.name !== 'string' || typeof d.in !== 'string')
      return fail(`${pointer(r.at)}: a parameter needs 'name' and 'in'`);
    if (d.in === 'cookie') return null; // not validated (documented)
    if (d.in !== 'query' && d.in !== 'header' && d.in !== 'path')
      return fail(`${pointer(r.at)}: 'in' must be query, header, path or cookie`);
    const where: ParamIn = d.in;
    const style = typeof d.style === 'string' ? d.style : DEFAULT_STYLE[where];
    const schemaAt = d.schema !== undefined ? [...r.at, 'schema'] : null;
    const shape = schemaAt ? shapeOf(deref(d.schema, schemaAt).value) : 'primitive';
    const resolved = schemaAt ? deref(d.schema, schemaAt).value : null;
    const properties = isObj(resolved) && isObj(resolved.properties) ? Object.keys(resolved.properties) : [];
    return {
      name: d.name,
      in: where,
      required: d.required === true || where === 'path',
      style,
      explode: typeof d.explode === 'boolean' ? d.explode : style === 'form',
      shape,
      properties,
      validate: schemaAt ? compileAt(paramAjv, schemaAt) : null,
    };
  };

  const entries: PathEntry[] = [];
  for (const [tpl, itemRaw] of Object.entries(doc.paths as Json)) {
    let path: PathTemplate;
    try {
      path = compileTemplate(tpl);
    } catch (err) {
      return fail(`paths: ${(err as Error).message}`);
    }
    const item = deref(itemRaw, ['paths', tpl]);
    if (!isObj(item.value)) continue;
    const shared = Array.isArray(item.value.parameters)
      ? item.value.parameters.map((p, i) => param(p, [...item.at, 'parameters', String(i)]))
      : [];
    const operations = new Map<string, Operation>();
    for (const m of METHODS) {
      const op = item.value[m];
      if (!isObj(op)) continue;
      const opAt = [...item.at, m];
      const own = Array.isArray(op.parameters)
        ? op.parameters.map((p, i) => param(p, [...opAt, 'parameters', String(i)]))
        : [];
      const byKey = new Map<string, ParamSpec>();
      for (const p of [...shared, ...own])
        if (p) byKey.set(`${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`, p);
      for (const p of byKey.values()) {
        if (p.in === 'path' && !path.names.includes(p.name))
          fail(`${pointer(opAt)}: path parameter '${p.name}' is not in the template '${tpl}'`);
      }
      let body: Operation['body'] = null;
      if (op.requestBody !== undefined) {
        const rb = deref(op.requestBody, [...opAt, 'requestBody']);
        if (isObj(rb.value) && isObj(rb.value.content)) {
          const media: BodyMedia[] = [];
          for (const [key, mt] of Object.entries(rb.value.content)) {
            const parsed = parseMediaType(key);
            if (!parsed) return fail(`${pointer([...rb.at, 'content'])}: '${key}' is not a media type`);
            const validate =
              isObj(mt) && mt.schema !== undefined ? compileAt(bodyAjv, [...rb.at, 'content', key, 'schema']) : null;
            media.push({ key, media: parsed, validate });
          }
          // Most specific media range first: type/subtype, then type/*, then */*.
          const rank = (b: BodyMedia) => (b.media.type === '*' ? 2 : b.media.subtype === '*' ? 1 : 0);
          media.sort((a, b) => rank(a) - rank(b));
          body = { required: rb.value.required === true, media };
        }
      }
      operations.set(m.toUpperCase(), {
        method: m.toUpperCase(),
        label: `${m.toUpperCase()} ${tpl}`,
        params: [...byKey.values()],
        body,
      });
    }
    entries.push({ path, operations });
  }
  return { paths: sortTemplates(entries) };
}

/** Finds the operation for a method and path (the path with any base path already removed). */
export function findOperation(spec: ApiSpec, method: string, path: string): Lookup {
  const allow = new Set<string>();
  for (const e of spec.paths) {
    const pathParams = matchTemplate(e.path, path);
    if (!pathParams) continue;
    const op = e.operations.get(method);
    if (op) return { kind: 'found', op, pathParams };
    for (const m of e.operations.keys()) allow.add(m);
  }
  return allow.size ? { kind: 'no-method', allow: [...allow] } : { kind: 'no-path' };
}
