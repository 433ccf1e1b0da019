// Loading: the file's entities as one list of entries, nested forms flattened
// (a route under its service, a credential under its consumer), walked as the entity table
// says; then the ids of the entities a file may leave without one.
import { createHash } from 'node:crypto';
import { childrenOf, type EntityKind, type EntityTable } from '../entities/index.js';
import { pathToString, type Segment } from '../errors.js';
import { UUID_RE, uuidV5 } from '../ids.js';
import { isObj, type Obj } from '../values.js';
import type { Entry, Kind } from '../reporter.js';

/**
 * Every entity of the file, each followed by the ones nested in it. The order within a kind is
 * the file's (nested ones in their parent's place): the loaded lists and the ids keep it.
 */
export function collectEntries(table: EntityTable, data: Obj): Entry[] {
  const entries: Entry[] = [];
  const walk = (row: EntityKind, list: unknown, at: Segment[], parent?: Entry): void => {
    if (!Array.isArray(list)) return;
    (list as unknown[]).forEach((x, i) => {
      const e: Entry = { kind: row.one as Kind, at: [...at, row.name, i], node: isObj(x) ? x : {}, parent };
      entries.push(e);
      for (const child of childrenOf(table, row)) walk(child, e.node[child.name], e.at, e);
    });
  };
  for (const row of table) walk(row, data[row.name], []);
  return entries;
}

/** What names an entity in an id and a message: its first endpoint key that is set (later ones prefixed, `custom_id:…`). */
export function naturalKey(row: EntityKind, node: Obj): string | undefined {
  for (const [i, k] of row.endpointKeys.entries()) {
    const v = node[k];
    if (v === undefined || v === null) continue;
    const key = i === 0 ? v : `${k}:${String(v)}`;
    return typeof key === 'string' && key !== '' ? key : undefined;
  }
  return undefined;
}

/** The file's id when it is a UUID, or a deterministic one: a v5 UUID of the kind and `key`. */
export function assignId(e: Entry, key: string): void {
  e.id =
    typeof e.node.id === 'string' && UUID_RE.test(e.node.id) ? e.node.id.toLowerCase() : uuidV5(`${e.kind}:${key}`);
}

/**
 * Ids that do not depend on references: by natural key (its path when it has none), then by
 * certificate text. Parents come before their nested entities in the table, so a nested
 * entity without a name can use its parent's id.
 */
export function assignNaturalIds(table: EntityTable, of: (row: EntityKind) => Entry[]): void {
  for (const row of table) {
    if (row.file.id !== 'natural') continue;
    for (const e of of(row)) {
      const n = naturalKey(row, e.node);
      assignId(e, n !== undefined ? `name:${n}` : `at:${e.parent?.id ?? ''}:${pathToString(e.at)}`);
    }
  }
  // A certificate has no name: its id derives from the certificate text itself.
  for (const row of table) {
    if (row.file.id !== 'certificate') continue;
    for (const e of of(row)) {
      const digest = createHash('sha256')
        .update(String(e.node.cert ?? pathToString(e.at)).trim())
        .digest('hex');
      assignId(e, `cert:${digest}`);
    }
  }
}
