// Kong's "name:value" config entries (request- and response-transformer): the name runs up to
// the first ":", the colons after it are skipped, the value is the rest ("x:a:b" → x, "a:b").
// An empty value means "no value" (Kong skips such add/replace/append entries).

import { GATEWAY_HEADERS } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';

export interface Pair {
  readonly name: string;
  /** null when the entry has no value ("name" or "name:"). */
  readonly value: string | null;
}

export function parsePair(entry: string): Pair {
  const m = /^([^:]+):*([\s\S]*)$/.exec(entry);
  if (!m) return { name: entry, value: null };
  return { name: m[1]!, value: m[2] === '' ? null : m[2]! };
}

/** Header names (RFC 9110 tokens), checked at load so a request never fails on them. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// eslint-disable-next-line no-control-regex
const HEADER_VALUE = /^[^\x00-\x08\x0a-\x1f\x7f]*$/;

/** Framing and hop-by-hop headers belong to the gateway: plugins cannot set them. */
export { GATEWAY_HEADERS };

export function checkHeaderName(name: string, field: string): void {
  if (!HEADER_NAME.test(name)) throw new PluginConfigFieldError(field, `'${name}' is not a valid header`);
}

export function checkHeaderValue(value: string, field: string): void {
  if (!HEADER_VALUE.test(value))
    throw new PluginConfigFieldError(field, 'header values cannot contain control characters');
}

/** Kong renders "$(...)" values as Lua templates; Turnpike does not run them yet. */
export function refuseTemplate(value: string | null, field: string): void {
  if (value !== null && /\$\(.*\)/s.test(value)) {
    throw new PluginConfigFieldError(
      field,
      `template values such as '${value}' are not supported yet (Kong renders $(...) as a Lua template); give a literal value`,
    );
  }
}

/** Parses a list of entries, checking header names and values when `headers` is set. */
export function parseList(
  entries: readonly string[],
  field: string,
  opts: { headers: boolean; valueIsHeaderName?: boolean; settable?: boolean },
): Pair[] {
  return entries.map((entry, i) => {
    const where = `${field}.${i}`;
    const p = parsePair(entry);
    refuseTemplate(p.value, where);
    if (opts.headers) {
      checkHeaderName(p.name, where);
      if (p.value !== null) {
        if (opts.valueIsHeaderName) checkHeaderName(p.value, where);
        else checkHeaderValue(p.value, where);
      }
      if (opts.settable) {
        const target = opts.valueIsHeaderName ? p.value : p.name;
        if (target !== null && GATEWAY_HEADERS.has(target.toLowerCase())) {
          throw new PluginConfigFieldError(
            where,
            `header '${target}' is managed by the gateway and cannot be set by a plugin`,
          );
        }
      }
    }
    return p;
  });
}
