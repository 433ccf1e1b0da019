// Loading, first stage: the file's text (from disk) and its YAML/JSON document, with the
// positions every later error points at. YAML 1.2 with merge keys; a key given twice is an error.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { ConfigError } from '../errors.js';

export type Parsed = { ok: true; doc: Document; lc: LineCounter; raw: unknown } | { ok: false; errors: ConfigError[] };

/** The document of a declarative file's text, and its data as plain JS values. */
export function parseText(text: string): Parsed {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false, merge: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
        return {
          entity: '',
          path: '',
          line: pos.line,
          column: pos.col,
          message: `${e.code === 'DUPLICATE_KEY' ? 'duplicate key' : 'invalid YAML/JSON'}: ${e.message.split('\n')[0]}`,
        };
      }),
    };
  }
  try {
    return { ok: true, doc, lc, raw: doc.toJS({ maxAliasCount: 1000 }) };
  } catch (err) {
    return {
      ok: false,
      errors: [
        { entity: '', path: '', line: 1, column: 1, message: `cannot read the document: ${(err as Error).message}` },
      ],
    };
  }
}

/** The text of a declarative file, or why it cannot be read (the caller puts the path in front). */
export async function readDeclarativeText(
  path: string,
): Promise<{ ok: true; text: string } | { ok: false; errors: ConfigError[] }> {
  try {
    return { ok: true, text: await readFile(path, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'file not found; check the path, or pass --config / TURNPIKE_DECLARATIVE_CONFIG with an existing kong.yml'
        : code === 'EACCES'
          ? 'permission denied; make the file readable by the user running turnpike'
          : code === 'EISDIR'
            ? 'is a directory; give the path of a .yml/.yaml/.json file inside it'
            : `cannot be read (${(err as Error).message})`;
    return { ok: false, errors: [{ entity: '', path: '', line: null, column: null, message: why }] };
  }
}
