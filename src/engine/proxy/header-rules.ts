// What a plugin may set as a header, on the request or on a response: a valid token name,
// a value without control characters, and none of the fields the gateway itself manages
// (hop-by-hop and framing). Shared by the request API (plugin-request.ts), the response
// header list (header-list.ts) and plugin-made answers (plugin-run.ts).

import { GATEWAY_HEADERS } from '../../plugins/sdk.js';

/** A method name (RFC 9110 token). */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const HEADER_NAME = TOKEN;
/**
 * Names that passed the check, with their lower-case form: plugins set the same few names on
 * every request, so the name is checked and lower-cased once.
 */
const checkedNames = new Map<string, string>();

/** A plugin must not be able to set an invalid header name, or one the gateway manages. */
export function checkedName(name: string): string {
  const known = checkedNames.get(name);
  if (known !== undefined) return known;
  if (!HEADER_NAME.test(name)) throw new Error(`invalid header name ${JSON.stringify(name)}`);
  const l = name.toLowerCase();
  if (RESERVED.has(l)) throw new Error(`header ${name} is managed by the gateway`);
  if (checkedNames.size < 4096) checkedNames.set(name, l);
  return l;
}

/**
 * Request headers: as checkedName, except that `TE: trailers` is the one TE a plugin may send
 * (gRPC requires it; the HTTP/2 upstream bridge keeps it).
 */
export function requestHeaderName(name: string, value: string): string {
  if (name.length === 2 && name.toLowerCase() === 'te' && value.trim().toLowerCase() === 'trailers') return 'te';
  return checkedName(name);
}

/** A plugin must not be able to inject a header line: no control characters but tab (a loop: cheaper than a pattern on short values). */
export function checkValue(name: string, value: string): void {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127)
      throw new Error(`invalid value for header ${name}: control characters are not allowed`);
  }
}

/** Both checks, for headers set on the request. */
export function checkHeader(name: string, value: string): void {
  if (!HEADER_NAME.test(name)) throw new Error(`invalid header name ${JSON.stringify(name)}`);
  checkValue(name, value);
}

/** The headers `authenticate` owns on the upstream request. */
export const CONSUMER_HEADERS = new Set([
  'x-consumer-id',
  'x-consumer-username',
  'x-consumer-custom-id',
  'x-credential-identifier',
  'x-anonymous-consumer',
]);

/** Hop-by-hop and framing headers are the gateway's; plugins cannot set them. */
export const RESERVED = GATEWAY_HEADERS;
