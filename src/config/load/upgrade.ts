// Kong-format upgrades: what a `_format_version` 1.1 or 2.1 file means in 3.0 terms, Kong's
// PCRE regex paths in JavaScript syntax, and the shorthands a file may use for a nested entity
// (an SNI under its certificate written as its name).
import { childrenOf, ENTITY_TABLE, type EntityKind } from '../entities/index.js';
import type { Entry, Reporter } from '../reporter.js';
import { isObj, type Obj } from '../values.js';

const NOT_REGEX = /^[a-zA-Z0-9._~/%-]*$/;

/** Kong 3 treats a pre-3.0 path with regex characters as a regex: prefix it with `~`. */
export function migrateLegacyPath(path: string): string {
  if (path.startsWith('~') || NOT_REGEX.test(path)) return path;
  return `~${path}`;
}

const PCRE_ONLY: [RegExp, string][] = [
  [
    /\(\?[a-zA-Z]*(?:-[a-zA-Z]+)?\)/,
    "inline flags such as '(?i)' are not supported by JavaScript regular expressions; match both cases explicitly, e.g. '[Uu]sers'",
  ],
  [
    /\(\?[a-zA-Z]+(?:-[a-zA-Z]+)?:/,
    "inline flag groups such as '(?i:...)' are not supported by JavaScript regular expressions",
  ],
  [/\(\?>/, "atomic groups '(?>...)' are not supported by JavaScript regular expressions"],
  [/\(\?\|/, "branch reset groups '(?|...)' are not supported by JavaScript regular expressions"],
  [/\(\?#/, "comments '(?#...)' are not supported by JavaScript regular expressions"],
  [/\(\?(?:R|\d+|P>|&)/, 'recursive patterns are not supported by JavaScript regular expressions'],
  [
    /(?:^|[^\\])(?:\\\\)*\\[AZzGQE]/,
    'the anchors/escapes \\A, \\Z, \\z, \\G, \\Q...\\E are not supported by JavaScript regular expressions; use ^ and $',
  ],
  [/[*+?}]\+/, "possessive quantifiers such as '*+' are not supported by JavaScript regular expressions"],
  [
    /\[:[a-z]+:\]/,
    "POSIX classes such as '[:alpha:]' are not supported by JavaScript regular expressions; use e.g. [A-Za-z]",
  ],
];

/** Converts a Kong (PCRE) regex path body to JavaScript syntax, or explains why it can't. */
export function convertPcre(source: string): { ok: true; source: string } | { ok: false; message: string } {
  for (const [re, msg] of PCRE_ONLY) if (re.test(source)) return { ok: false, message: msg };
  const js = source
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>');
  try {
    new RegExp(js);
  } catch (err) {
    return {
      ok: false,
      message: `is not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`,
    };
  }
  return { ok: true, source: js };
}

/** A route's paths in 3.0 form: pre-3.0 regex paths marked with `~`, PCRE converted to JavaScript. */
export function upgradeRoutePaths(rep: Reporter, e: Entry, version: string): void {
  const r = e.node;
  if (!Array.isArray(r.paths)) return;
  r.paths = (r.paths as unknown[]).map((p, i) => {
    if (typeof p !== 'string') return p;
    let path = version === '3.0' ? p : migrateLegacyPath(p);
    if (path.startsWith('~')) {
      const conv = convertPcre(path.slice(1));
      if (!conv.ok)
        rep.add(
          [...e.at, 'paths', i],
          `regex path "${p}" ${conv.message.startsWith('is ') ? conv.message : `cannot be used: ${conv.message}`}`,
        );
      else path = `~${conv.source}`;
    } else if (path.startsWith('/') && /\s/.test(path)) {
      rep.add([...e.at, 'paths', i], 'must not contain whitespace');
    }
    return path;
  });
}

/** Nested entities written as their shorthand become objects (`snis: [a.example]` → `[{ name: a.example }]`), before validation. */
export function expandShorthands(data: Obj, table: readonly EntityKind[] = ENTITY_TABLE): void {
  for (const row of table) {
    const list = data[row.name];
    if (!Array.isArray(list)) continue;
    for (const parent of list as unknown[]) {
      if (!isObj(parent)) continue;
      for (const child of childrenOf(table, row)) {
        const field = child.file.shorthand;
        if (field === undefined || !Array.isArray(parent[child.name])) continue;
        parent[child.name] = (parent[child.name] as unknown[]).map((n) => (typeof n === 'string' ? { [field]: n } : n));
      }
    }
  }
}
