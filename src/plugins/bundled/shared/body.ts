// Request and response bodies as Kong's body-aware plugins see them: the kind of a body from its
// Content-Type (a case-insensitive substring match, as Kong does), JSON objects, and
// form-urlencoded bodies as name → values (an argument without "=" is the value `true`).

import { parseQuery, serializeQuery, type Query } from '../request-transformer/query.js';

export type BodyKind = 'json' | 'form' | 'multipart';

/** Kong's content-type sniffing: JSON first, then multipart, then form-urlencoded; null for anything else. */
export function bodyKind(contentType: string | undefined): BodyKind | null {
  if (contentType === undefined) return null;
  const ct = contentType.toLowerCase();
  if (ct.includes('application/json')) return 'json';
  if (ct.includes('multipart/form-data')) return 'multipart';
  if (ct.includes('application/x-www-form-urlencoded')) return 'form';
  return null;
}

export type JsonObject = Record<string, unknown>;

/** The body as a JSON object; null when it is not valid JSON or not an object (arrays, scalars). */
export function parseJsonObject(body: Buffer | string): JsonObject | null {
  let v: unknown;
  try {
    v = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return null;
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : null;
}

/** A form-urlencoded body as name → values, in order ("+" is a space; bad escapes kept as sent). */
export function parseForm(body: Buffer | string): Query {
  return parseQuery(typeof body === 'string' ? body : body.toString('utf8'));
}

/** Encodes a form body: names in lexicographic order, each value percent-encoded. */
export function serializeForm(q: Query): string {
  return serializeQuery(q).slice(1);
}

/** Lua truthiness of a decoded JSON value: absent and `false` are "not there" (JSON null is there). */
export const luaTruthy = (v: unknown): boolean => v !== undefined && v !== false;

/** Kong's append_value: a string becomes [old, new], an array grows, anything else is replaced by [new]. */
export function appendJson(current: unknown, value: unknown): unknown[] {
  if (typeof current === 'string') return [current, value];
  if (Array.isArray(current)) {
    current.push(value);
    return current;
  }
  return [value];
}

/** A member of a decoded JSON object, own properties only ("constructor" is not there unless sent). */
export const getOwn = (o: JsonObject, name: string): unknown => (Object.hasOwn(o, name) ? o[name] : undefined);

/** Sets a member as an own, enumerable property (so "__proto__" is a plain key, as JSON.parse makes it). */
export function setOwn(o: JsonObject, name: string, value: unknown): void {
  Object.defineProperty(o, name, { value, writable: true, enumerable: true, configurable: true });
}
