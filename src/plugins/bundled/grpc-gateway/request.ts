// Builds the gRPC request message from a REST call, as google.api.http defines it: the body
// (all of it for `body: "*"`, or one field), then the path variables, then (unless the body
// took every field) the query parameters for the fields still unset. Values from the URL are
// text and are converted by the field's type.

import type protobuf from 'protobufjs';
import { protobufModule as pb } from '../shared/lazy-modules.js';
import { fieldValue, JsonMappingError, messageObject } from '../shared/grpc/json.js';
import { fieldPath, type Binding } from './bindings.js';

/** Sets `dotted` (a field path) in `obj` to `raw` (text from the URL), creating the messages on the way. */
function setFromText(
  type: protobuf.Type,
  obj: Record<string, unknown>,
  dotted: string,
  raw: string | string[],
  where: string,
): boolean {
  let fields: protobuf.Field[];
  try {
    fields = fieldPath(type, dotted, where);
  } catch {
    return false;
  }
  let o = obj;
  for (let i = 0; i < fields.length - 1; i++) {
    const name = fields[i].name;
    const next = o[name];
    if (typeof next !== 'object' || next === null) o[name] = {};
    o = o[name] as Record<string, unknown>;
  }
  const last = fields[fields.length - 1];
  if (last.map) return false; // maps cannot be set from a query string
  if (last.resolvedType instanceof pb().Type) return false; // nor whole messages
  const value = Array.isArray(raw) && !last.repeated ? raw[raw.length - 1] : raw;
  o[last.name] = fieldValue(last, value, `${where} ${dotted}`, true);
  return true;
}

/** Whether `dotted` is already set in `obj` (by the body or a path variable). */
function isSet(type: protobuf.Type, obj: Record<string, unknown>, dotted: string): boolean {
  let fields: protobuf.Field[];
  try {
    fields = fieldPath(type, dotted, '');
  } catch {
    return false;
  }
  let o: unknown = obj;
  for (const f of fields) {
    if (typeof o !== 'object' || o === null) return false;
    o = (o as Record<string, unknown>)[f.name];
  }
  return o !== undefined;
}

/**
 * The request message as a checked object for `type.fromObject`. Throws JsonMappingError
 * (a 400 for the client) on a body that is not JSON or does not fit the message.
 */
export function buildRequest(
  binding: Binding,
  vars: Record<string, string>,
  query: string,
  body: Buffer,
): Record<string, unknown> {
  const type = binding.rpc.requestType;
  let obj: Record<string, unknown> = {};
  if (binding.body !== '') {
    const text = body.toString('utf8').trim();
    if (text !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw new JsonMappingError(`the request body is not JSON: ${(err as Error).message}`);
      }
      if (binding.body === '*') obj = messageObject(type, parsed, '');
      else {
        const f = fieldPath(type, binding.body, 'body')[0];
        if (parsed !== null) obj[f.name] = fieldValue(f, parsed, binding.body);
      }
    }
  }
  for (const [field, value] of Object.entries(vars)) setFromText(type, obj, field, value, 'path variable');
  if (binding.body !== '*' && query.length > 1) {
    const params = new Map<string, string[]>();
    for (const [k, v] of new URLSearchParams(query.slice(1))) {
      const list = params.get(k);
      if (list === undefined) params.set(k, [v]);
      else list.push(v);
    }
    for (const [k, values] of params) {
      if (isSet(type, obj, k)) continue; // the path and body win over the query
      setFromText(type, obj, k, values, 'query parameter'); // unknown parameters (an API key…) are ignored
    }
  }
  return obj;
}
