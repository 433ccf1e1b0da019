// A request's header list checked as RFC 9113 §8.2–8.3 requires, split into the pseudo-header
// fields and the raw regular pairs. A malformed request is a stream error (PROTOCOL_ERROR):
// the caller resets that stream only.

import { CONNECTION_SPECIFIC } from './constants.js';

export interface RequestHead {
  method: string;
  scheme: string;
  authority: string;
  path: string;
  /** Regular fields as [name, value, …], lower-case names, in arrival order. */
  headers: string[];
  /** content-length when given (the body must match it), else -1. */
  contentLength: number;
}

/** A field name: lower-case token characters only (uppercase is malformed in HTTP/2, §8.2.1). */
const NAME_OK = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** A field value: no NUL, CR or LF, no leading or trailing space or tab (§8.2.1). */
const VALUE_BAD = /[\0\r\n]|^[ \t]|[ \t]$/;

/** Returns the head, or a string saying why the request is malformed. */
export function requestHead(pairs: string[]): RequestHead | string {
  let method = '';
  let scheme = '';
  let authority = '';
  let path = '';
  let pseudoDone = false;
  let contentLength = -1;
  const headers: string[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!;
    const value = pairs[i + 1]!;
    if (VALUE_BAD.test(value)) return `invalid value for ${name}`;
    if (name.charCodeAt(0) === 0x3a /* : */) {
      if (pseudoDone) return `pseudo-header ${name} after a regular field`;
      switch (name) {
        case ':method':
          if (method !== '') return 'duplicate :method';
          method = value;
          break;
        case ':scheme':
          if (scheme !== '') return 'duplicate :scheme';
          scheme = value;
          break;
        case ':authority':
          if (authority !== '') return 'duplicate :authority';
          authority = value;
          break;
        case ':path':
          if (path !== '') return 'duplicate :path';
          if (value === '') return 'empty :path';
          path = value;
          break;
        default:
          return `unknown pseudo-header ${name}`;
      }
      continue;
    }
    pseudoDone = true;
    if (!NAME_OK.test(name)) return `invalid field name ${JSON.stringify(name)}`;
    if (CONNECTION_SPECIFIC.has(name)) return `connection-specific field ${name}`;
    if (name === 'te' && value !== 'trailers') return 'te other than "trailers"';
    if (name === 'content-length') {
      if (!/^\d{1,15}$/.test(value)) return 'invalid content-length';
      const n = Number(value);
      if (contentLength !== -1 && contentLength !== n) return 'conflicting content-length';
      contentLength = n;
    }
    headers.push(name, value);
  }
  if (method === '') return 'missing :method';
  if (method === 'CONNECT') {
    if (authority === '' || scheme !== '' || path !== '') return 'CONNECT needs :authority and no :scheme or :path';
  } else if (scheme === '' || path === '') return 'missing :scheme or :path';
  return { method, scheme, authority, path, headers, contentLength };
}

/** Trailers: regular fields only, same name and value rules. Returns an error string or null. */
export function checkTrailers(pairs: string[]): string | null {
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!;
    if (name.charCodeAt(0) === 0x3a) return `pseudo-header ${name} in trailers`;
    if (!NAME_OK.test(name)) return `invalid trailer name ${JSON.stringify(name)}`;
    if (VALUE_BAD.test(pairs[i + 1]!)) return `invalid value for trailer ${name}`;
    if (CONNECTION_SPECIFIC.has(name)) return `connection-specific trailer ${name}`;
  }
  return null;
}
