// Kong's rules beyond the JSON Schema (a route needs paths, hosts, methods or headers; hash_on
// settings go together; a certificate's key must match it; a plugin's config must suit the
// plugin; …) live in the declarative loader. Rather than restate them, one entity is written
// into a one-entity declarative document and run through the loader itself: a write is
// accepted when a file holding that entity would be, and is stored the way the loader
// normalizes it. References are left out of that document (the store checks those itself).
import { parseDeclarative } from '../../config/load.js';
import { PluginRegistry } from '../../plugins/registry.js';
import { ENTITY_TABLE, referenceFields } from '../../config/entities/index.js';
import type { Kind } from './entities.js';
import { SchemaViolation } from './errors.js';

type Obj = Record<string, unknown>;

/** The kinds the loader has rules for. */
const CHECKED: ReadonlySet<Kind> = new Set<Kind>([
  'services',
  'routes',
  'upstreams',
  'consumers',
  'certificates',
  'ca_certificates',
  'plugins',
]);

/** A kind's reference fields, left out of the document: its row's foreign keys and lists of ids. */
const REFERENCES = Object.fromEntries(ENTITY_TABLE.map((r) => [r.name, referenceFields(r)])) as Record<Kind, string[]>;

const TLS_PROTOCOLS = ['https', 'grpcs', 'tls', 'wss'];
const empty = new PluginRegistry();

/**
 * Checks `e` (references resolved, not yet schema-validated) with the loader's rules and
 * returns the loader's normalized entity; throws SchemaViolation naming each field. Plugins
 * are checked only with a registry (the plugins this node knows).
 */
export function checkWithLoader(kind: Kind, e: Obj, registry: PluginRegistry | null): Obj {
  if (!CHECKED.has(kind) || (kind === 'plugins' && registry === null)) return e;
  const strip = REFERENCES[kind];
  const doc: Obj = { ...e };
  for (const f of strip) delete doc[f];
  const res = parseDeclarative(JSON.stringify({ _format_version: '3.0', [kind]: [doc] }), kind, registry ?? empty);
  if (!res.ok) {
    const fields: Record<string, string> = {};
    for (const err of res.errors) {
      // "routes[0].paths[1]" → "paths.1"; "routes[0]" → the entity as a whole.
      const field = err.path
        .replace(/^[a-z_]+\[0\]\.?/, '')
        .replace(/\[(\d+)\]/g, '.$1')
        .replace(/\["([^"]*)"\]/g, '.$1')
        .replace(/^\./, '');
      const key = field === '' ? '@entity' : field;
      fields[key] = fields[key] === undefined ? err.message : `${fields[key]}; ${err.message}`;
    }
    throw new SchemaViolation(fields);
  }
  const out = (res.config as unknown as Record<string, Obj[]>)[kind]![0]!;
  for (const f of strip) {
    if (e[f] !== undefined) out[f] = e[f];
  }
  if (kind === 'services') {
    // The one rule about the references left out: only TLS services use them (as the loader says).
    for (const f of ['ca_certificates', 'client_certificate']) {
      const v = out[f];
      const set = v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0);
      if (set && !TLS_PROTOCOLS.includes(String(out.protocol))) {
        throw new SchemaViolation({
          [f]: `only applies to TLS protocols (${TLS_PROTOCOLS.join(', ')}); the protocol is '${String(out.protocol)}'`,
        });
      }
    }
  }
  if (kind === 'consumers') delete out.credentials;
  return out;
}
