// Query strings as Kong's request-transformer sees them: each name maps to its values in order;
// an argument without "=" is the value `true` (Kong's get_query). Serialized as Kong's
// set_query does: names in lexicographic order, values of one name in their order,
// percent-encoded (everything but A–Z a–z 0–9 - . _ ~).

export type QueryValue = string | true;
export type Query = Map<string, QueryValue[]>;

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

export function parseQuery(query: string): Query {
  const out: Query = new Map();
  const q = query.startsWith('?') ? query.slice(1) : query;
  if (q === '') return out;
  for (const part of q.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    const value: QueryValue = eq < 0 ? true : decode(part.slice(eq + 1));
    const prev = out.get(name);
    if (prev) prev.push(value);
    else out.set(name, [value]);
  }
  return out;
}

const escape = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

/** "" for no arguments, else "?a=1&b". */
export function serializeQuery(q: Query): string {
  const names = [...q.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: string[] = [];
  for (const n of names) for (const v of q.get(n)!) parts.push(v === true ? escape(n) : `${escape(n)}=${escape(v)}`);
  return parts.length === 0 ? '' : '?' + parts.join('&');
}
