// Loading: the file's shape, types, constraints and defaults, by its JSON Schema
// (derived from the entity table; the validator is generated at build time). ajv's errors
// become messages that name the field, the value and what was expected, at the field's line.
import type { ErrorObject } from 'ajv';
import { fileValidator } from '../declarative-validator.js';
import type { EntityTable } from '../entities/index.js';
import { UNSUPPORTED_FIELDS } from '../schema/declarative.js';
import { describeValue, didYouMean, pathToString, typeWords, type Segment } from '../errors.js';
import { get, type Obj } from '../values.js';
import type { Reporter } from '../reporter.js';
import { applyDeckInfo, checkWorkspaces } from '../metadata.js';
import { UNSUPPORTED_TOP_LEVEL, unsupportedNested } from '../unsupported.js';
import { expandShorthands } from './upgrade.js';

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

/**
 * Validates a copy of the file's data (defaults filled in) after taking out the top-level keys
 * Turnpike refuses by name, expanding shorthands and applying decK's `_info`. Returns the copy
 * and decK's select tags.
 */
export function checkShape(rep: Reporter, raw: Obj, table: EntityTable): { data: Obj; selectTags: string[] } {
  const data = structuredClone(raw);
  for (const k of Object.keys(UNSUPPORTED_TOP_LEVEL)) {
    if (k in data) {
      rep.add([k], UNSUPPORTED_TOP_LEVEL[k]!, { key: true });
      delete data[k];
    }
  }
  expandShorthands(data, table);
  checkWorkspaces(rep, data);
  const selectTags = applyDeckInfo(rep, data, (errs) => reportSchemaErrors(rep, errs, raw));
  const validate = fileValidator(table);
  if (!validate(data)) reportSchemaErrors(rep, validate.errors ?? [], data);
  return { data, selectTags };
}
