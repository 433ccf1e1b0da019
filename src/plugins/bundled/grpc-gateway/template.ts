// google.api.http path templates (the grammar in google/api/http.proto):
//   Template = "/" Segments [ Verb ] ;  Segments = Segment { "/" Segment } ;
//   Segment  = "*" | "**" | LITERAL | Variable ;  Variable = "{" FieldPath [ "=" Segments ] "}" ;
//   FieldPath = IDENT { "." IDENT } ;  Verb = ":" LITERAL ;
// compiled once per configuration into a list of segment matchers. `**` (any number of
// segments, zero included) may only come last, as the grammar's users (grpc-gateway, ESP)
// require; that keeps matching linear.

export type Segment = { kind: 'literal'; value: string } | { kind: 'one' } | { kind: 'rest' };

export interface Variable {
  /** Dotted field path as written (`user_id`, `book.name`). */
  readonly field: string;
  /** Index of its first segment. */
  readonly start: number;
  /** Index just past its last segment (for a trailing `**`: the template's length). */
  readonly end: number;
}

export interface PathTemplate {
  readonly source: string;
  readonly segments: readonly Segment[];
  readonly variables: readonly Variable[];
  readonly verb: string | null;
  /** How specific it is, for choosing among templates that match the same path. */
  readonly literals: number;
}

export class TemplateError extends Error {}

const IDENT_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function plainSegment(raw: string, source: string): Segment {
  if (raw === '*') return { kind: 'one' };
  if (raw === '**') return { kind: 'rest' };
  if (raw === '' || /[{}*=]/.test(raw))
    throw new TemplateError(`path template ${JSON.stringify(source)}: invalid segment ${JSON.stringify(raw)}`);
  return { kind: 'literal', value: raw };
}

export function compileTemplate(source: string): PathTemplate {
  if (!source.startsWith('/')) throw new TemplateError(`path template ${JSON.stringify(source)} must start with "/"`);
  // Split on "/" outside braces; a ":" after the last such "/" (outside braces) starts the verb.
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  let verb: string | null = null;
  for (let i = 1; i < source.length; i++) {
    const c = source[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    if (depth < 0 || depth > 1)
      throw new TemplateError(`path template ${JSON.stringify(source)}: unbalanced or nested braces`);
    if (c === '/' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else if (c === ':' && depth === 0) {
      verb = source.slice(i + 1);
      if (verb === '' || verb.includes('/'))
        throw new TemplateError(`path template ${JSON.stringify(source)}: the verb after ":" must be one literal`);
      break;
    } else cur += c;
  }
  if (depth !== 0) throw new TemplateError(`path template ${JSON.stringify(source)}: unbalanced braces`);
  parts.push(cur);
  const segments: Segment[] = [];
  const variables: Variable[] = [];
  const fields = new Set<string>();
  for (const p of parts) {
    if (p.startsWith('{')) {
      if (!p.endsWith('}'))
        throw new TemplateError(
          `path template ${JSON.stringify(source)}: a variable must be a whole segment ({field} or {field=pattern})`,
        );
      const inner = p.slice(1, -1);
      const eq = inner.indexOf('=');
      const field = eq === -1 ? inner : inner.slice(0, eq);
      if (!IDENT_PATH.test(field))
        throw new TemplateError(
          `path template ${JSON.stringify(source)}: ${JSON.stringify(field)} is not a field path`,
        );
      if (fields.has(field))
        throw new TemplateError(`path template ${JSON.stringify(source)}: variable ${field} appears twice`);
      fields.add(field);
      const start = segments.length;
      const sub = eq === -1 ? ['*'] : inner.slice(eq + 1).split('/');
      for (const s of sub) segments.push(plainSegment(s, source));
      variables.push({ field, start, end: segments.length });
    } else segments.push(plainSegment(p, source));
  }
  const restAt = segments.findIndex((s) => s.kind === 'rest');
  if (restAt !== -1 && restAt !== segments.length - 1)
    throw new TemplateError(`path template ${JSON.stringify(source)}: "**" may only be the last segment`);
  const literals = segments.filter((s) => s.kind === 'literal').length;
  return { source, segments, variables, verb, literals };
}

function decode(seg: string): string | null {
  try {
    return decodeURIComponent(seg);
  } catch {
    return null;
  }
}

/**
 * Matches a request path (as sent, percent-encoded, without the query) against `t`. Returns the
 * variables' values (percent-decoded; a multi-segment variable's segments joined with "/"),
 * or null.
 */
export function matchTemplate(t: PathTemplate, rawPath: string): Record<string, string> | null {
  let path = rawPath;
  if (t.verb !== null) {
    const suffix = ':' + t.verb;
    if (!path.endsWith(suffix)) return null;
    path = path.slice(0, -suffix.length);
  }
  if (!path.startsWith('/')) return null;
  const segs = path.slice(1).split('/');
  const ts = t.segments;
  const hasRest = ts.length > 0 && ts[ts.length - 1].kind === 'rest';
  if (hasRest ? segs.length < ts.length - 1 : segs.length !== ts.length) return null;
  const decoded: string[] = [];
  for (let i = 0; i < segs.length; i++) {
    const d = decode(segs[i]);
    if (d === null) return null;
    decoded.push(d);
  }
  for (let i = 0; i < ts.length; i++) {
    const s = ts[i];
    if (s.kind === 'rest') break;
    if (s.kind === 'literal' ? decoded[i] !== s.value : segs[i] === '') return null;
  }
  const out: Record<string, string> = {};
  for (const v of t.variables) {
    const end = v.end === ts.length && hasRest ? segs.length : v.end;
    out[v.field] = decoded.slice(v.start, end).join('/');
  }
  return out;
}
