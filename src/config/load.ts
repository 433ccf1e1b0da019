// Loads a Kong-compatible declarative file (YAML or JSON) into the normalized `Config`.
// Stages, one module each under ./load/: parse (YAML/JSON with positions) → shape (JSON
// Schema, defaults filled; Kong-format upgrades and shorthands first) → collect (nested forms
// flattened, ids) → entity checks (Kong's rules per entity) → cross-entity (references,
// unique keys) → plugin configs → assembly. The entity table (./entities/) drives every stage;
// each stage collects all the errors it finds, each with a line and column.
import type { PluginRegistry } from '../plugins/registry.js';
import type { Config } from './types.js';
import { ENTITY_TABLE, listedOrder, type EntityKind, type EntityTable } from './entities/index.js';
import { schemaOf } from './entities/schemas.js';
import { configHash } from './ids.js';
import { isObj, type Obj } from './values.js';
import { Reporter, type Entry } from './reporter.js';
import { warnExpiredCertificates } from './certificates.js';
import { attachCredentials, checkCredentialUniqueness } from './credentials.js';
import { normalizeEntityMeta } from './metadata.js';
import type { ConfigError } from './errors.js';
import { parseText, readDeclarativeText } from './load/parse.js';
import { checkShape } from './load/schema-check.js';
import { assignNaturalIds, collectEntries } from './load/collect.js';
import { checkEntities } from './load/entity-checks.js';
import { assignKeyIds, checkUniqueness, resolveReferences, type Refs } from './load/cross-entity.js';

export type { ConfigError } from './errors.js';
export { formatConfigErrors, formatConfigWarnings } from './errors.js';
export { convertPcre, migrateLegacyPath } from './load/upgrade.js';
export { normalizeTarget } from './load/entity-checks.js';

/** A loaded file, with what loads but deserves a word (`warnings`: an expired certificate…), or why it does not load. */
export type LoadResult =
  { ok: true; config: Config; hash: string; warnings: ConfigError[] } | { ok: false; errors: ConfigError[] };

const byPosition = (a: ConfigError, b: ConfigError) =>
  (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0);

/**
 * Parses and validates a declarative file's text. `source` names the file in errors; `table`
 * is the entity table the file's kinds come from (a test may pass one of its own).
 */
export function parseDeclarative(
  text: string,
  source: string,
  registry: PluginRegistry,
  table: EntityTable = ENTITY_TABLE,
): LoadResult {
  void source;
  const parsed = parseText(text);
  if (!parsed.ok) return parsed;
  const { doc, lc, raw } = parsed;
  const rep = new Reporter(doc, lc, raw, table);
  if (!isObj(raw)) {
    rep.add(
      [],
      'the file must be a mapping with at least `_format_version: "3.0"`, e.g. `_format_version: "3.0"` followed by `services:`',
    );
    return { ok: false, errors: rep.errors };
  }

  // 1. Shape, types, constraints and defaults (JSON Schema).
  const { data, selectTags } = checkShape(rep, raw, table);
  const version = typeof data._format_version === 'string' ? data._format_version : '3.0';

  // 2. The entities, nested forms flattened.
  const entries = collectEntries(table, data);
  const byKind = new Map<string, Entry[]>(table.map((r) => [r.one, []]));
  for (const e of entries) byKind.get(e.kind)!.push(e);
  const of = (row: EntityKind) => byKind.get(row.one)!;
  for (const e of entries) normalizeEntityMeta(e.node, selectTags);

  // 3. Kong's semantic checks and per-entity normalization.
  checkEntities(rep, entries, raw, version);

  // 4. Ids: the file's id, or a deterministic one (v5 UUID of kind and natural key).
  assignNaturalIds(table, of);

  // 5. References, the ids that derive from them, uniqueness.
  const refs = resolveReferences(rep, table, entries, of);
  assignKeyIds(table, of, refs);
  checkUniqueness(rep, table, of, refs);
  checkCredentialUniqueness(rep, entries);
  warnExpiredCertificates(rep, entries, refs);

  // 6. Plugins: known to this build, and their config valid.
  checkPluginConfigs(rep, byKind.get('plugin') ?? [], registry);

  if (rep.errors.length > 0) {
    rep.errors.sort(byPosition);
    return { ok: false, errors: rep.errors };
  }

  // 7. Assemble the normalized Config: one list per kind, credentials under their consumer.
  attachCredentials(entries, refs);
  const config = assemble(table, data, of, refs);
  rep.warnings.sort(byPosition);
  return { ok: true, config, hash: configHash(config), warnings: rep.warnings };
}

function checkPluginConfigs(rep: Reporter, plugins: readonly Entry[], registry: PluginRegistry): void {
  for (const e of plugins) {
    const name = e.node.name;
    if (typeof name !== 'string') continue;
    const def = registry.get(name);
    if (!def) {
      rep.add([...e.at, 'name'], registry.explainUnavailable(name));
      continue;
    }
    const config = isObj(e.node.config) ? e.node.config : {};
    e.node.config = config;
    for (const fe of def.validate(config)) {
      const fieldSegs = fe.field === '' ? [] : fe.field.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      rep.add([...e.at, 'config', ...fieldSegs], fe.message);
    }
  }
}

/** The schema's fields of an entity, in the schema's order: references resolved, the rest as loaded. */
function pick(schema: { properties: Obj }, node: Obj, extra: Obj): Obj {
  const out: Obj = {};
  for (const k of Object.keys(schema.properties)) {
    if (k in extra) out[k] = extra[k];
    else if (k in node) out[k] = node[k];
  }
  return out;
}

function assemble(table: readonly EntityKind[], data: Obj, of: (row: EntityKind) => Entry[], refs: Refs): Config {
  const config: Obj = {
    _format_version: '3.0',
    _transform: data._transform !== false,
    ...(typeof data._comment === 'string' ? { _comment: data._comment } : {}),
    ...(typeof data._workspace === 'string' ? { _workspace: data._workspace } : {}),
  };
  for (const row of listedOrder(table)) {
    if (row.credential) continue;
    const schema = schemaOf(row) as unknown as { properties: Obj };
    config[row.name] = of(row).map((e) => pick(schema, e.node, { id: e.id, ...refs.get(e) }));
  }
  return config as unknown as Config;
}

/** Reads and parses a declarative file. */
export async function loadDeclarativeFile(path: string, registry: PluginRegistry): Promise<LoadResult> {
  const read = await readDeclarativeText(path);
  if (!read.ok) return read; // formatConfigErrors puts the path in front
  return parseDeclarative(read.text, path, registry);
}
