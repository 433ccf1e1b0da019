// Request bodies as Kong's Admin API takes them: JSON, or form fields
// (`curl -d name=users -d url=http://...`) with Kong's nesting (`config.minute=5`,
// `paths[]=/a`, `hosts[1]=x`, `service.id=...`). Form values are text, so they are turned into
// the types the entity's JSON Schema asks for ("5" → 5, "true" → true, one value → a list).
import { MAX_DEPTH, jsonTooDeep, tooDeepMessage } from './depth.js';
import { HttpError, type Json } from './http.js';

type Schema = Record<string, unknown>;

export function parseBody(raw: string, contentType: string): Json | null {
  if (raw.trim() === '') return null;
  const ct = contentType.split(';')[0]!.trim().toLowerCase();
  if (ct === 'application/x-www-form-urlencoded') {
    // `curl -d '{"name":…}'` sends JSON labelled as form fields: say so instead of failing on
    // a "form field" named after the whole JSON text.
    const start = raw.trimStart()[0];
    if (start === '{' || start === '[') {
      throw new HttpError(
        400,
        'the body looks like JSON but its Content-Type is application/x-www-form-urlencoded (what curl -d sends by default); ' +
          "send it with the header 'Content-Type: application/json' (curl -H 'Content-Type: application/json' -d '{...}'), or as form fields (-d name=value)",
      );
    }
    return parseForm(raw);
  }
  if (ct === 'multipart/form-data')
    throw new HttpError(
      415,
      'multipart/form-data bodies are not supported; send JSON (application/json) or form fields (application/x-www-form-urlencoded)',
    );
  if (ct === '' || ct === 'application/json' || ct.endsWith('+json') || raw.trimStart().startsWith('{')) {
    // Before JSON.parse: what recurses over the parsed value must not meet a 100,000-deep body.
    if (jsonTooDeep(raw)) throw new HttpError(400, `Cannot parse JSON body: ${tooDeepMessage()}`);
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (err) {
      const hint =
        ct === ''
          ? ' (the request has no Content-Type: send JSON with Content-Type: application/json, or form fields with application/x-www-form-urlencoded)'
          : '';
      throw new HttpError(400, `Cannot parse JSON body: ${(err as Error).message}${hint}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new HttpError(400, 'Cannot parse JSON body: expected a JSON object');
    return v as Json;
  }
  if (/yaml/.test(ct)) return null; // POST /config reads the raw text itself
  throw new HttpError(
    415,
    `content type "${ct}" is not supported; send JSON (application/json) or form fields (application/x-www-form-urlencoded)`,
  );
}

/** Form fields, with marks for what must become a list; the values stay text until coerced. */
function parseForm(raw: string): Json {
  const out: Json = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // "a.b[].c" / "a[b]" → ["a", "b", "[]", "c"]
    const parts: string[] = [];
    for (const seg of key.split('.')) {
      const m = /^([^[\]]*)((?:\[[^\]]*\])*)$/.exec(seg);
      if (m === null) throw new HttpError(400, `form field "${key}" is not a valid name`);
      if (m[1] !== '') parts.push(m[1]!);
      for (const b of m[2]!.match(/\[[^\]]*\]/g) ?? [])
        parts.push(b === '[]' ? '[]' : /^\[\d+\]$/.test(b) ? b : b.slice(1, -1));
    }
    if (parts.length === 0) throw new HttpError(400, `form field "${key}" is not a valid name`);
    if (parts.length > MAX_DEPTH) throw new HttpError(400, `form field "${key.slice(0, 80)}…" is ${tooDeepMessage()}`);
    let node: Json | unknown[] = out;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      const last = i === parts.length - 1;
      const next = parts[i + 1];
      const child = (): Json | unknown[] => (next === '[]' || /^\[\d+\]$/.test(next ?? '') ? [] : {});
      if (Array.isArray(node)) {
        const idx = p === '[]' ? node.length : Number(p.slice(1, -1)) - 1;
        if (last) node[idx] = value;
        else node = (node[idx] ??= child()) as Json | unknown[];
      } else {
        if (p === '[]' || /^\[\d+\]$/.test(p)) throw new HttpError(400, `form field "${key}" is not a valid name`);
        if (last) {
          // A repeated plain key makes a list (`-d paths=/a -d paths=/b`).
          const prev = node[p];
          node[p] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
        } else node = (node[p] ??= child()) as Json | unknown[];
      }
    }
  }
  return out;
}

/** Turns form text into the schema's types, in place where it can; returns the new value. */
export function coerce(value: unknown, schema: Schema | undefined): unknown {
  if (schema === undefined) return value;
  const types = typesOf(schema);
  if (typeof value === 'string') {
    if (value === '' && !types.has('string')) return null;
    if ((types.has('integer') || types.has('number')) && !types.has('string') && /^-?\d+(\.\d+)?$/.test(value))
      return Number(value);
    if (types.has('boolean') && !types.has('string') && (value === 'true' || value === 'false'))
      return value === 'true';
    if (types.has('array') && !types.has('string')) return [coerce(value, itemsOf(schema))];
    return value;
  }
  if (Array.isArray(value)) {
    const items = itemsOf(schema);
    return value.filter((v) => v !== undefined).map((v) => coerce(v, items));
  }
  if (typeof value === 'object' && value !== null) {
    const props = propsOf(schema);
    const o = value as Json;
    for (const k of Object.keys(o)) o[k] = coerce(o[k], props?.[k] ?? additionalOf(schema));
    return o;
  }
  return value;
}

function alternatives(s: Schema): Schema[] {
  const alts = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  return alts === undefined ? [s] : alts.flatMap(alternatives);
}

function typesOf(s: Schema): Set<string> {
  const out = new Set<string>();
  for (const a of alternatives(s)) {
    const t = a.type;
    if (typeof t === 'string') out.add(t);
    else if (Array.isArray(t)) for (const x of t) out.add(String(x));
    else if (Array.isArray(a.enum) && a.enum.every((x) => typeof x === 'string')) out.add('string');
  }
  return out;
}

function itemsOf(s: Schema): Schema | undefined {
  for (const a of alternatives(s)) if (a.items !== undefined) return a.items as Schema;
  return undefined;
}

function propsOf(s: Schema): Record<string, Schema> | undefined {
  for (const a of alternatives(s)) if (a.properties !== undefined) return a.properties as Record<string, Schema>;
  return undefined;
}

function additionalOf(s: Schema): Schema | undefined {
  for (const a of alternatives(s))
    if (typeof a.additionalProperties === 'object') return a.additionalProperties as Schema;
  return undefined;
}
