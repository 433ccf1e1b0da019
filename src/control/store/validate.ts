// Validation of one entity against its JSON Schema (the same schema the declarative loader
// uses), with Kong's defaults filled in. Errors come back as one message per field, the
// `fields` of Kong's schema-violation error.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { newLoaderAjv, type AjvInstance } from '../../config/ajv.js';
import { input } from '../../config/schema/declarative.js';
import { describeValue, typeWords } from '../../config/errors.js';
import { ENTITIES, type Kind } from './entities.js';
import { SchemaViolation } from './errors.js';

type Json = Record<string, unknown>;
// Its own instance: an entity's write schema and the loader's may share $ids.
let ajv: AjvInstance | undefined;
const compiled = new Map<Kind, ValidateFunction>();

/**
 * The schema an entity is written with: the normalized schema with `id` optional and every
 * field that has a default optional too (the default is filled in), nested records partial.
 */
export function writeSchema(kind: Kind): Json {
  const def = ENTITIES[kind];
  const s = def.schema as unknown as { properties: Record<string, Json>; required?: string[] };
  const required = (s.required ?? []).filter(
    (f) => f !== 'id' && !(def.omit ?? []).includes(f) && !('default' in (s.properties[f] ?? {})),
  );
  return input(def.schema, { omit: def.omit, required });
}

function validator(kind: Kind): ValidateFunction {
  let v = compiled.get(kind);
  if (v === undefined) {
    ajv ??= newLoaderAjv();
    v = ajv.compile(writeSchema(kind));
    compiled.set(kind, v);
  }
  return v;
}

/** Validates `entity` in place (defaults filled); throws SchemaViolation with a message per field. */
export function validateEntity(kind: Kind, entity: Json): void {
  const v = validator(kind);
  if (v(entity)) return;
  throw new SchemaViolation(fieldErrors(v.errors ?? []));
}

function fieldErrors(errs: ErrorObject[]): Record<string, string> {
  const out: Record<string, string> = {};
  const typeFailed = new Set(errs.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  for (const e of errs) {
    if (e.keyword !== 'type' && typeFailed.has(e.instancePath)) continue;
    const path = e.instancePath
      .slice(1)
      .split('/')
      .filter((p) => p !== '')
      .join('.');
    const ps = (e.parentSchema ?? {}) as Json;
    const custom = typeof ps['x-error'] === 'string' ? (ps['x-error'] as string) : undefined;
    let field = path;
    let message: string;
    switch (e.keyword) {
      case 'required':
        field = [path, (e.params as { missingProperty: string }).missingProperty].filter((p) => p !== '').join('.');
        message = 'required field missing';
        break;
      case 'additionalProperties':
        field = [path, (e.params as { additionalProperty: string }).additionalProperty]
          .filter((p) => p !== '')
          .join('.');
        message = `unknown field; valid fields: ${Object.keys((ps.properties as Json) ?? {}).join(', ')}`;
        break;
      case 'type':
        message = `expected ${typeWords((e.params as { type: string | string[] }).type)} (got ${describeValue(e.data)})`;
        break;
      case 'enum':
        message =
          custom ??
          `expected one of: ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).filter((x) => x !== null).join(', ')} (got ${describeValue(e.data)})`;
        break;
      case 'pattern':
      case 'format':
        message = `${custom ?? 'invalid value'} (got ${describeValue(e.data)})`;
        break;
      case 'minimum':
      case 'maximum':
        message = `value should be between ${String(ps.minimum ?? '-∞')} and ${String(ps.maximum ?? '∞')} (got ${describeValue(e.data)})`;
        break;
      case 'minLength':
        message = 'length must be at least 1';
        break;
      case 'minItems':
        message = `must have at least ${(e.params as { limit: number }).limit} element(s)`;
        break;
      case 'uniqueItems':
        message = 'must not list a value twice';
        break;
      default:
        message = custom ?? e.message ?? 'invalid value';
    }
    if (out[field || '@entity'] === undefined) out[field || '@entity'] = message;
  }
  return out;
}
