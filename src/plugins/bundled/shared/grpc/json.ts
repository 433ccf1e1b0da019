// Protobuf messages ↔ JSON, the proto3 JSON mapping as the gRPC plugins speak it (Kong's
// grpc-gateway and grpc-web `+json`): lowerCamelCase field names (the original snake_case
// ones are accepted on input), 64-bit integers as strings, enums by name, bytes as base64,
// every field present on output (defaults included). protobufjs does the binary encoding; its
// `fromObject` is lenient (a string "abc" for an int32 becomes 0), so values are checked here
// first and a wrong one is a clear error naming the field.

import type protobuf from 'protobufjs';
import { protobufModule as pb } from '../lazy-modules.js';

export class JsonMappingError extends Error {}

const INT32 = new Set(['int32', 'sint32', 'sfixed32', 'uint32', 'fixed32']);
const INT64 = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

/** Field of `type` named `name` in JSON (lowerCamelCase) or proto (snake_case) form. */
export function findField(type: protobuf.Type, name: string): protobuf.Field | null {
  return type.fields[name] ?? type.fields[pb().util.camelCase(name)] ?? null;
}

function scalar(field: protobuf.Field, value: unknown, where: string, fromText: boolean): unknown {
  const t = field.type;
  const bad = (want: string): JsonMappingError =>
    new JsonMappingError(`${where}: ${JSON.stringify(value)} is not ${want}`);
  if (field.resolvedType instanceof pb().Enum) {
    const e = field.resolvedType;
    if (typeof value === 'string' && Object.hasOwn(e.values, value)) return value;
    const n =
      typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
    if (Number.isInteger(n)) return n;
    throw bad(`a value of enum ${e.name} (${Object.keys(e.values).join(', ')})`);
  }
  if (INT32.has(t)) {
    const n =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^-?\d+$/.test(value.trim())
          ? Number(value)
          : NaN;
    const unsigned = t === 'uint32' || t === 'fixed32';
    if (!Number.isInteger(n) || n > (unsigned ? 0xffffffff : 0x7fffffff) || n < (unsigned ? 0 : -0x80000000))
      throw bad(`a ${t}`);
    return n;
  }
  if (INT64.has(t)) {
    const s =
      typeof value === 'number' && Number.isInteger(value)
        ? String(value)
        : typeof value === 'string'
          ? value.trim()
          : '';
    if (!/^-?\d+$/.test(s) || (t.startsWith('u') || t === 'fixed64' ? s.startsWith('-') : false))
      throw bad(`a ${t} (an integer, as a number or a string)`);
    return s;
  }
  if (t === 'double' || t === 'float') {
    if (typeof value === 'number') return value;
    if (value === 'NaN') return NaN;
    if (value === 'Infinity') return Infinity;
    if (value === '-Infinity') return -Infinity;
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
    throw bad(`a ${t}`);
  }
  if (t === 'bool') {
    if (typeof value === 'boolean') return value;
    if (fromText && value === 'true') return true;
    if (fromText && value === 'false') return false;
    throw bad('a boolean');
  }
  if (t === 'string') {
    if (typeof value === 'string') return value;
    throw bad('a string');
  }
  if (t === 'bytes') {
    if (typeof value === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) return Buffer.from(value, 'base64');
    throw bad('base64 bytes');
  }
  throw new JsonMappingError(`${where}: unsupported field type ${t}`);
}

/**
 * One field's JSON value, checked and converted for `type.fromObject`. `fromText`: the value
 * comes from a URL (path or query), where every scalar is a string.
 */
export function fieldValue(field: protobuf.Field, value: unknown, where: string, fromText = false): unknown {
  if (field.map) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new JsonMappingError(`${where}: must be an object (a map)`);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = single(field, v, `${where}.${k}`, fromText);
    return out;
  }
  if (field.repeated) {
    if (value === null) return [];
    const list = Array.isArray(value) ? value : fromText ? [value] : null;
    if (list === null) throw new JsonMappingError(`${where}: must be an array`);
    return list.map((v, i) => single(field, v, `${where}[${i}]`, fromText));
  }
  return single(field, value, where, fromText);
}

function single(field: protobuf.Field, value: unknown, where: string, fromText: boolean): unknown {
  const rt = field.resolvedType;
  if (rt instanceof pb().Type) {
    if (value === null) return null;
    return messageObject(rt, value, where);
  }
  return scalar(field, value, where, fromText);
}

/** A JSON object checked against `type`: keys mapped to protobufjs' field names, values converted. Unknown fields are errors (as protojson). */
export function messageObject(type: protobuf.Type, value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new JsonMappingError(`${where || type.name}: must be a JSON object`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const f = findField(type, k);
    const at = where === '' ? k : `${where}.${k}`;
    if (f === null) throw new JsonMappingError(`${at}: unknown field of ${type.fullName.replace(/^\./, '')}`);
    if (v === null && !f.repeated && !f.map && !(f.resolvedType instanceof pb().Type)) continue; // null: the default
    const conv = fieldValue(f, v, at);
    if (conv !== null) out[f.name] = conv;
  }
  return out;
}

/** Encodes a checked object (from `messageObject`) as the message's binary form. */
export function encodeMessage(type: protobuf.Type, obj: Record<string, unknown>): Buffer {
  return Buffer.from(type.encode(type.fromObject(obj)).finish());
}

/** The options that make protobufjs' `toObject` the proto3 JSON mapping (as Kong's grpc plugins give it). */
export const TO_JSON: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: String,
  defaults: true,
  json: true,
};

/** Decodes a binary message into its JSON object. */
export function decodeMessage(type: protobuf.Type, payload: Buffer): Record<string, unknown> {
  return inFieldOrder(type, type.toObject(type.decode(payload), TO_JSON));
}

/**
 * The same object with its keys in the .proto's field order, as grpc-gateway and protojson
 * write them (protobufjs' `toObject` puts repeated and map fields first).
 */
function inFieldOrder(type: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of type.fieldsArray) {
    if (!Object.hasOwn(obj, f.name)) continue;
    const v = obj[f.name];
    const rt = f.resolvedType;
    if (rt instanceof pb().Type && v !== null && typeof v === 'object') {
      if (f.map)
        out[f.name] = Object.fromEntries(
          Object.entries(v).map(([k, x]) => [
            k,
            x !== null && typeof x === 'object' ? inFieldOrder(rt, x as Record<string, unknown>) : x,
          ]),
        );
      else if (Array.isArray(v))
        out[f.name] = v.map((x) =>
          x !== null && typeof x === 'object' ? inFieldOrder(rt, x as Record<string, unknown>) : x,
        );
      else out[f.name] = inFieldOrder(rt, v as Record<string, unknown>);
    } else out[f.name] = v;
  }
  // Anything else toObject produced (oneof discriminators, if asked for) keeps its place after.
  for (const k of Object.keys(obj)) if (!Object.hasOwn(out, k)) out[k] = obj[k];
  return out;
}
