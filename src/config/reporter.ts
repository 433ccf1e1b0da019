// Where a problem is in the file (line and column from the YAML document) and which entity it
// belongs to; the loader and its helper modules report through one Reporter.
import { isMap, isScalar, type Document, type LineCounter } from 'yaml';
import { pathToString, type ConfigError, type Segment } from './errors.js';
import { get, isObj, type Obj } from './values.js';
import type { CREDENTIAL_KEYS } from './schema/consumer.js';

/** The credential collections (under a consumer, or at the top level) and their entity kinds. */
export const CREDENTIAL_COLLECTIONS = {
  keyauth_credentials: 'keyauth_credential',
  basicauth_credentials: 'basicauth_credential',
  hmacauth_credentials: 'hmacauth_credential',
  jwt_secrets: 'jwt_secret',
  acls: 'acl',
  oauth2_credentials: 'oauth2_credential',
} as const satisfies Record<(typeof CREDENTIAL_KEYS)[number], string>;
export type CredentialKey = keyof typeof CREDENTIAL_COLLECTIONS;
export type CredentialKind = (typeof CREDENTIAL_COLLECTIONS)[CredentialKey];
const credentialKeys = Object.keys(CREDENTIAL_COLLECTIONS) as CredentialKey[];

export const COLLECTIONS: Record<string, { kind: Kind; nested: string[] }> = {
  services: { kind: 'service', nested: ['routes', 'plugins'] },
  routes: { kind: 'route', nested: ['plugins'] },
  upstreams: { kind: 'upstream', nested: ['targets'] },
  targets: { kind: 'target', nested: [] },
  consumers: { kind: 'consumer', nested: ['plugins', ...credentialKeys] },
  plugins: { kind: 'plugin', nested: [] },
  certificates: { kind: 'certificate', nested: ['snis'] },
  snis: { kind: 'sni', nested: [] },
  ca_certificates: { kind: 'ca_certificate', nested: [] },
  ...Object.fromEntries(credentialKeys.map((k) => [k, { kind: CREDENTIAL_COLLECTIONS[k], nested: [] }])),
};
export type Kind =
  | 'service'
  | 'route'
  | 'upstream'
  | 'target'
  | 'consumer'
  | 'plugin'
  | 'certificate'
  | 'sni'
  | 'ca_certificate'
  | CredentialKind;

/** The field that names an entity in messages; none for credentials whose identifying value is a secret. */
const NAME_FIELD: Partial<Record<Kind, string>> = {
  target: 'target',
  acl: 'group',
  basicauth_credential: 'username',
  hmacauth_credential: 'username',
  oauth2_credential: 'name',
  keyauth_credential: '',
  jwt_secret: '',
};

export class Reporter {
  readonly errors: ConfigError[] = [];
  /** What loads, as Kong loads it, but deserves a word (an expired certificate, a field 'url' overrides). */
  readonly warnings: ConfigError[] = [];
  constructor(
    private readonly doc: Document,
    private readonly lc: LineCounter,
    private readonly raw: unknown,
  ) {}

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
    return typeof coll === 'string' ? COLLECTIONS[coll]?.kind : undefined;
  }

  /** The entity a location belongs to: its label and its own path. */
  entityOf(segs: readonly Segment[]): { label: string; path: Segment[] } {
    let coll: string | undefined;
    let at: Segment[] = [];
    let i = 0;
    let allowed = Object.keys(COLLECTIONS);
    while (
      i + 1 < segs.length &&
      typeof segs[i] === 'string' &&
      allowed.includes(segs[i] as string) &&
      typeof segs[i + 1] === 'number'
    ) {
      coll = segs[i] as string;
      at = segs.slice(0, i + 2) as Segment[];
      allowed = COLLECTIONS[coll]!.nested;
      i += 2;
    }
    if (!coll) return { label: '', path: [] };
    return { label: this.label(COLLECTIONS[coll]!.kind, at), path: at };
  }

  label(kind: Kind, at: readonly Segment[]): string {
    const node = get(this.raw, at);
    let name: unknown;
    if (isObj(node)) {
      name = kind === 'consumer' ? (node.username ?? node.custom_id) : node[NAME_FIELD[kind] ?? 'name'];
    }
    if (kind === 'sni' && typeof node === 'string') name = node;
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
