// OpenAPI path templates ("/users/{id}/posts/{postId}") compiled to matchers. Pure helpers,
// unit-tested. A template variable matches one whole or partial path segment (never "/");
// concrete paths win over templated ones, as OpenAPI requires ("/users/me" before
// "/users/{id}"), then templates with fewer variables, then the spec's order.

export interface PathTemplate {
  readonly template: string;
  readonly names: readonly string[];
  readonly regex: RegExp;
  /** Literal characters, for ordering: more literal text is more specific. */
  readonly literalLength: number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Compiles a template; throws on an unbalanced brace or a repeated variable name. */
export function compileTemplate(template: string): PathTemplate {
  if (!template.startsWith('/')) throw new Error(`path '${template}' must start with "/"`);
  const names: string[] = [];
  let re = '^';
  let literal = 0;
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const close = template.indexOf('}', i);
    if (open < 0) {
      if (close >= 0) throw new Error(`path '${template}' has an unbalanced "}"`);
      re += escape(template.slice(i));
      literal += template.length - i;
      break;
    }
    if (close >= 0 && close < open) throw new Error(`path '${template}' has an unbalanced "}"`);
    const end = template.indexOf('}', open);
    if (end < 0) throw new Error(`path '${template}' has an unbalanced "{"`);
    const name = template.slice(open + 1, end);
    if (name === '' || /[{}/]/.test(name)) throw new Error(`path '${template}' has an invalid variable "{${name}}"`);
    if (names.includes(name)) throw new Error(`path '${template}' repeats the variable "{${name}}"`);
    names.push(name);
    re += escape(template.slice(i, open)) + '([^/]+)';
    literal += open - i;
    i = end + 1;
  }
  // A trailing slash in the request is tolerated when the template has none, and vice versa.
  re = re.replace(/\/$/, '') + '/?$';
  return { template, names, regex: new RegExp(re), literalLength: literal };
}

/** Orders templates most specific first (see the file comment). Stable. */
export function sortTemplates<T extends { readonly path: PathTemplate }>(list: readonly T[]): T[] {
  return list
    .map((x, i) => ({ x, i }))
    .sort(
      (a, b) =>
        a.x.path.names.length - b.x.path.names.length || b.x.path.literalLength - a.x.path.literalLength || a.i - b.i,
    )
    .map((e) => e.x);
}

/** Matches a request path; variables are percent-decoded (kept raw when not decodable). */
export function matchTemplate(t: PathTemplate, path: string): Record<string, string> | null {
  const m = t.regex.exec(path === '' ? '/' : path);
  if (!m) return null;
  const out: Record<string, string> = {};
  t.names.forEach((n, k) => {
    const raw = m[k + 1]!;
    try {
      out[n] = decodeURIComponent(raw);
    } catch {
      out[n] = raw;
    }
  });
  return out;
}
