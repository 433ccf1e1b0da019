// JSON Schema compilation for request-validator: one ajv per dialect and purpose, Kong's
// draft4 and "kong" dialects translated to what ajv runs. Everything here runs in `prepare`,
// once per configuration; a schema that does not compile throws a PluginConfigFieldError
// naming the field.

import type { ErrorObject, ValidateFunction } from 'ajv';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { newAjv, type AjvInstance } from '../../../config/ajv.js';
import type { Dialect } from './schema.js';

export type AjvCore = AjvInstance;

/**
 * A fresh ajv for one dialect. `coerce`: parameter values arrive as strings, so parameter
 * schemas coerce ("12" is an integer); body schemas never do.
 */
export function makeAjv(dialect: Dialect | 'openapi30' | 'openapi31', coerce: boolean): AjvCore {
  const opts = {
    allErrors: true,
    strict: false,
    coerceTypes: coerce ? ('array' as const) : false,
    useDefaults: false,
    validateFormats: true,
  };
  return newAjv(
    opts,
    dialect === 'draft201909'
      ? '2019-09'
      : dialect === 'draft202012' || dialect === 'openapi31'
        ? '2020-12'
        : 'draft-07',
  );
}

/**
 * Draft 4 → what a draft-7 validator runs: boolean exclusiveMinimum/exclusiveMaximum become
 * numbers, `id` is dropped. Used for draft4 and for OpenAPI 3.0 schemas (same rule). Copies.
 */
export function fromDraft4(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(fromDraft4);
  if (s === null || typeof s !== 'object') return s;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s as Record<string, unknown>)) {
    // Property names under `properties` are data, not keywords: recurse without translating them.
    if (
      (k === 'properties' || k === 'patternProperties' || k === 'definitions') &&
      v !== null &&
      typeof v === 'object' &&
      !Array.isArray(v)
    ) {
      out[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([n, sub]) => [n, fromDraft4(sub)]));
    } else if (k === 'id' && typeof v === 'string') {
      continue;
    } else {
      out[k] = fromDraft4(v);
    }
  }
  for (const [bool, num] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof out[bool] === 'boolean') {
      if (out[bool] === true && typeof out[num] === 'number') {
        out[bool] = out[num];
        delete out[num];
      } else delete out[bool];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Kong's own schema dialect (version "kong"): an array of { fieldName: fieldDef } records, the
// field definitions of Kong's DAO schemas. The common attributes are translated to JSON
// Schema; any other attribute is refused at load rather than silently ignored.

const KONG_TYPES: Record<string, string> = {
  string: 'string',
  number: 'number',
  integer: 'integer',
  boolean: 'boolean',
  array: 'array',
  set: 'array',
  map: 'object',
  record: 'object',
};
const KONG_KNOWN = new Set([
  'type',
  'required',
  'default',
  'between',
  'gt',
  'len_eq',
  'len_min',
  'len_max',
  'one_of',
  'not_one_of',
  'elements',
  'fields',
  'keys',
  'values',
  'uuid',
  'starts_with',
  'eq',
  'ne',
  'description',
  'nullable',
]);

function kongField(def: unknown, where: string): Record<string, unknown> {
  if (def === null || typeof def !== 'object' || Array.isArray(def))
    throw new Error(`${where}: a field definition must be an object`);
  const d = def as Record<string, unknown>;
  for (const k of Object.keys(d))
    if (!KONG_KNOWN.has(k))
      throw new Error(
        `${where}: the kong schema attribute '${k}' is not supported (use version draft4 or later for JSON Schema)`,
      );
  const type = KONG_TYPES[String(d.type)];
  if (!type)
    throw new Error(`${where}: unknown type '${String(d.type)}' (one of: ${Object.keys(KONG_TYPES).join(', ')})`);
  const s: Record<string, unknown> = { type };
  const num = type === 'number' || type === 'integer';
  const lenMin = type === 'string' ? 'minLength' : type === 'array' ? 'minItems' : 'minProperties';
  const lenMax = type === 'string' ? 'maxLength' : type === 'array' ? 'maxItems' : 'maxProperties';
  if (Array.isArray(d.between) && num) [s.minimum, s.maximum] = d.between;
  if (typeof d.gt === 'number') s.exclusiveMinimum = d.gt;
  if (typeof d.len_eq === 'number') s[lenMin] = s[lenMax] = d.len_eq;
  if (typeof d.len_min === 'number') s[lenMin] = d.len_min;
  if (typeof d.len_max === 'number') s[lenMax] = d.len_max;
  if (Array.isArray(d.one_of)) s.enum = d.one_of;
  if (Array.isArray(d.not_one_of)) s.not = { enum: d.not_one_of };
  if ('eq' in d) s.const = d.eq;
  if ('ne' in d) s.not = { const: d.ne };
  if (d.uuid === true) s.format = 'uuid';
  if (typeof d.starts_with === 'string') s.pattern = '^' + d.starts_with.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (d.type === 'set') s.uniqueItems = true;
  if (d.elements !== undefined) s.items = kongField(d.elements, `${where}.elements`);
  if (d.values !== undefined) s.additionalProperties = kongField(d.values, `${where}.values`);
  if (d.keys !== undefined) s.propertyNames = kongField(d.keys, `${where}.keys`);
  if (d.fields !== undefined) Object.assign(s, kongRecord(d.fields, `${where}.fields`));
  if (d.nullable === true || (d.required !== true && type !== 'object')) s.type = [type, 'null'];
  return s;
}

function kongRecord(fields: unknown, where: string): Record<string, unknown> {
  if (!Array.isArray(fields)) throw new Error(`${where}: must be an array of { name: definition } records`);
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  fields.forEach((f, i) => {
    if (f === null || typeof f !== 'object' || Array.isArray(f) || Object.keys(f).length !== 1)
      throw new Error(`${where}[${i}]: must be a record with exactly one field name`);
    const [name, def] = Object.entries(f as Record<string, unknown>)[0]!;
    properties[name] = kongField(def, `${where}[${i}].${name}`);
    if ((def as Record<string, unknown>).required === true) required.push(name);
  });
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false };
}

/** Kong's dialect as a JSON Schema (exported for tests). */
export function fromKongSchema(parsed: unknown): Record<string, unknown> {
  return kongRecord(parsed, 'body_schema');
}

/** Parses and compiles a JSON-string schema from the config; throws naming `field`. */
export function compileConfigSchema(ajv: AjvCore, text: string, dialect: Dialect, field: string): ValidateFunction {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PluginConfigFieldError(field, `is not valid JSON: ${(err as Error).message}`);
  }
  try {
    let schema: unknown;
    if (dialect === 'kong') schema = fromKongSchema(parsed);
    else {
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        if (typeof parsed !== 'boolean') throw new Error('a JSON Schema must be an object');
      }
      schema = dialect === 'draft4' ? fromDraft4(parsed) : parsed;
      if (schema !== null && typeof schema === 'object') delete (schema as Record<string, unknown>).$schema;
    }
    return ajv.compile(schema as object);
  } catch (err) {
    throw new PluginConfigFieldError(
      field,
      `is not a valid ${dialect === 'kong' ? 'kong' : 'JSON Schema ' + dialect} schema: ${(err as Error).message}`,
    );
  }
}

/** One line per ajv error: "name: must be string". `where` is "body", "query 'id'", …. */
export function describeErrors(where: string, errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const at = e.instancePath === '' ? '' : e.instancePath.slice(1).split('/').join('.');
    const p = e.params as Record<string, unknown>;
    let msg = e.message ?? 'is not valid';
    if (e.keyword === 'additionalProperties') msg = `has an unknown property '${String(p.additionalProperty)}'`;
    if (e.keyword === 'enum')
      msg = `must be one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    return `${where}${at === '' ? '' : ` ${at}`}: ${msg}`;
  });
}
