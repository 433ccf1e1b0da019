// How deeply a request body nests, counted on the raw text before any parser sees it: JSON.parse,
// the body coercion and the YAML composer all recurse, and a body nested 100,000 deep would
// exhaust the stack (a 500, or worse) instead of getting a 400. Both scans are O(n) and keep
// no stack of their own.
import { Lexer } from 'yaml';

/** Deeper than any Kong entity or declarative file nests (a plugin's config is about 6 levels down). */
export const MAX_DEPTH = 64;

/**
 * Whether JSON text opens more than `max` objects/arrays inside each other. Brackets inside
 * strings (with their backslash escapes) do not count. Invalid JSON is not judged here.
 */
export function jsonTooDeep(text: string, max = MAX_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return false;
}

/**
 * The same for YAML (and JSON read as YAML): flow collections counted on the yaml library's
 * tokens, so quoted scalars, comments and block scalars holding brackets do not count. Block
 * nesting (indentation) costs a line per level; the yaml library reports it as an error when
 * it is too deep for its composer.
 */
export function yamlTooDeep(text: string, max = MAX_DEPTH): boolean {
  // The lexer costs about 0.3 s on 4 MB: skipped when the text cannot nest that deep (too few
  // brackets at all), and JSON text (the usual POST /config body) gets the plain scan.
  if (!hasMoreThan(text, max)) return false;
  const first = text.trimStart().charCodeAt(0);
  if (first === 0x7b /* { */ || first === 0x5b /* [ */) return jsonTooDeep(text, max);
  let depth = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      if (++depth > max) return true;
    } else if (token === ']' || token === '}') depth--;
  }
  return false;
}

/** Whether the text holds more than `max` opening brackets in all. */
function hasMoreThan(text: string, max: number): boolean {
  let n = 0;
  for (let i = text.indexOf('['); i !== -1 && n <= max; i = text.indexOf('[', i + 1)) n++;
  for (let i = text.indexOf('{'); i !== -1 && n <= max; i = text.indexOf('{', i + 1)) n++;
  return n > max;
}

export function tooDeepMessage(max = MAX_DEPTH): string {
  return `nested deeper than ${max} levels`;
}
