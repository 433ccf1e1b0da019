// Where a problem is in the file (line and column from the YAML document) and which entity it
// belongs to; the loader and its helper modules report through one Reporter.
import { isMap, isScalar, type Document, type LineCounter } from 'yaml';
import { pathToString, type ConfigError, type Segment } from './errors.js';
import { get, isObj, type Obj } from './values.js';
import { childrenOf, ENTITY_TABLE, type EntityKind, type EntityOne, type EntityTable } from './entities/index.js';

/** A kind of entity as the loader's messages name it ("service", "keyauth_credential"). */
export type Kind = EntityOne;

/** The file's collections (top-level keys, and the same keys nested): the kind of their entities and the collections nested in one. */
export function collectionsOf(table: EntityTable): Record<string, { kind: string; nested: string[] }> {
  return Object.fromEntries(
    table.map((r) => [r.name, { kind: r.one, nested: childrenOf(table, r).map((c) => c.name) }]),
  );
}

export class Reporter {
  readonly errors: ConfigError[] = [];
  /** What loads, as Kong loads it, but deserves a word (an expired certificate, a field 'url' overrides). */
  readonly warnings: ConfigError[] = [];
  private readonly collections: Record<string, { kind: Kind; nested: string[] }>;
  private readonly rows: Map<string, EntityKind>;

  constructor(
    private readonly doc: Document,
    private readonly lc: LineCounter,
    private readonly raw: unknown,
    table: EntityTable = ENTITY_TABLE,
  ) {
    this.collections = collectionsOf(table) as Record<string, { kind: Kind; nested: string[] }>;
    this.rows = new Map(table.map((r) => [r.one, r]));
  }

  private pos(offset: number): { line: number; column: number } {
    const p = this.lc.linePos(offset);
    return { line: p.line, column: p.col };
  }

  /** Position of `segs` in the file; with `key`, of the key of the last segment. */
  locate(segs: readonly Segment[], key = false): { line: number | null; column: number | null } {
    if (key && segs.length > 0) {
      const parent = segs.length === 1 ? this.doc.contents : this.doc.getIn(segs.slice(0, -1), true);
      if (isMap(parent)) {
        const last = segs[segs.length - 1];
        const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last));
        const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
        if (range) return this.pos(range[0]);
      }
    }
    for (let n = segs.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(segs.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range) {
        // For a field that is missing, point at its parent's first key rather than its end.
        return this.pos(range[0]);
      }
    }
    return { line: null, column: null };
  }

  /** The kind of the entity a location belongs to. */
  kindOf(segs: readonly Segment[]): Kind | undefined {
    const { path } = this.entityOf(segs);
    const coll = path[path.length - 2];
    return typeof coll === 'string' ? this.collections[coll]?.kind : undefined;
  }

  /** The entity a location belongs to: its label and its own path. */
  entityOf(segs: readonly Segment[]): { label: string; path: Segment[] } {
    let coll: string | undefined;
    let at: Segment[] = [];
    let i = 0;
    let allowed = Object.keys(this.collections);
    while (
      i + 1 < segs.length &&
      typeof segs[i] === 'string' &&
      allowed.includes(segs[i] as string) &&
      typeof segs[i + 1] === 'number'
    ) {
      coll = segs[i] as string;
      at = segs.slice(0, i + 2) as Segment[];
      allowed = this.collections[coll]!.nested;
      i += 2;
    }
    if (!coll) return { label: '', path: [] };
    return { label: this.label(this.collections[coll]!.kind, at), path: at };
  }

  label(kind: Kind, at: readonly Segment[]): string {
    const node = get(this.raw, at);
    const row = this.rows.get(kind);
    let name: unknown;
    if (isObj(node)) {
      // The first label field set; none for a credential whose identifying value is a secret.
      for (const f of row?.file.label ?? ['name']) if ((name = node[f]) !== undefined && name !== null) break;
    }
    // A nested entity written as its shorthand (an SNI as its name).
    if (row?.file.shorthand !== undefined && typeof node === 'string') name = node;
    const shown = typeof name === 'string' && name !== '' ? ` '${name}'` : '';
    return `${kind}${shown} (${pathToString(at)})`;
  }

  add(segs: readonly Segment[], message: string, opts: { key?: boolean; entity?: string } = {}): void {
    const { line, column } = this.locate(segs, opts.key);
    this.errors.push({
      entity: opts.entity ?? this.entityOf(segs).label,
      path: pathToString(segs),
      line,
      column,
      message,
    });
  }

  warn(segs: readonly Segment[], message: string, opts: { key?: boolean } = {}): void {
    const { line, column } = this.locate(segs, opts.key);
    this.warnings.push({ entity: this.entityOf(segs).label, path: pathToString(segs), line, column, message });
  }
}

export interface Entry {
  kind: Kind;
  at: Segment[];
  node: Obj; // validated (defaults filled) data, normalized in place
  parent?: Entry;
  id?: string;
}
