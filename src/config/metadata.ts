// What a file holds about its entities rather than entities to serve: Kong's `_comment` and
// `_ignore`, the timestamps, `parameters` and `workspaces` that `kong config db_export` writes,
// and decK's `_info`, `_workspace` and `_konnect`. The schema checks their types; this module
// applies what has an effect (decK's defaults and select_tags) and drops the rest.
import type { ErrorObject } from 'ajv';
import { compileSchema } from './ajv.js';
import { DeckInfoSchema } from './schema/declarative.js';
import { DECK_RESTRICTED_DEFAULTS, ENTITY_META_FIELDS } from './schema/file-meta.js';
import type { Reporter } from './reporter.js';
import { isObj, type Obj } from './values.js';

const META = Object.keys(ENTITY_META_FIELDS);

/**
 * Normalizes one validated entity: drops the file-only fields, turns db_export's `tags: null`
 * into no tags (Kong's meaning), and adds decK's select_tags as decK does when it syncs.
 */
export function normalizeEntityMeta(node: Obj, selectTags: readonly string[]): void {
  for (const f of META) delete node[f];
  if (node.tags === null) node.tags = [];
  if (selectTags.length > 0 && Array.isArray(node.tags)) {
    for (const t of selectTags) if (!(node.tags as unknown[]).includes(t)) (node.tags as unknown[]).push(t);
  }
}

/**
 * Kong OSS has one workspace, `default`, and db_export may write it; any other workspace is
 * Kong Enterprise. The list is then dropped: every entity is in the one configuration.
 */
export function checkWorkspaces(rep: Reporter, data: Obj): void {
  if (!Array.isArray(data.workspaces)) return;
  (data.workspaces as unknown[]).forEach((w, i) => {
    if (isObj(w) && typeof w.name === 'string' && w.name !== 'default') {
      rep.add(
        ['workspaces', i, 'name'],
        `workspace '${w.name}': workspaces other than 'default' are a Kong Enterprise feature that Turnpike does not have; a Turnpike configuration is one workspace`,
      );
    }
  });
}

let infoValidator: ReturnType<typeof compileSchema> | undefined;

/** Where decK's defaults apply: each list of services, routes, upstreams and targets, nested or not. */
function* defaultable(data: Obj): Generator<[string, Obj]> {
  const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as unknown[]).filter(isObj) : []);
  for (const s of list(data.services)) {
    yield ['service', s];
    for (const r of list(s.routes)) yield ['route', r];
  }
  for (const r of list(data.routes)) yield ['route', r];
  for (const u of list(data.upstreams)) {
    yield ['upstream', u];
    for (const t of list(u.targets)) yield ['target', t];
  }
  for (const t of list(data.targets)) yield ['target', t];
}

/** Gives `target` each value of `defaults` it lacks (absent or null), records merged field by field. */
function fill(target: Obj, defaults: Obj): void {
  for (const [k, v] of Object.entries(defaults)) {
    if (target[k] === undefined || target[k] === null) target[k] = structuredClone(v);
    else if (isObj(target[k]) && isObj(v)) fill(target[k] as Obj, v);
  }
}

/**
 * decK's `_info`: checked on its own (its errors are given to `report`, with paths from the top
 * of the file), then taken off `data`. Its `defaults` go into the services, routes, upstreams
 * and targets that lack those fields, before they are validated, as decK fills them before it
 * syncs; returns the select_tags, which every entity then gets.
 */
export function applyDeckInfo(rep: Reporter, data: Obj, report: (errors: ErrorObject[]) => void): string[] {
  if (!('_info' in data)) return [];
  const info = data._info;
  delete data._info;
  if (isObj(info) && isObj(info.defaults)) {
    for (const [kind, fields] of Object.entries(DECK_RESTRICTED_DEFAULTS)) {
      const d = info.defaults[kind];
      if (!isObj(d)) continue;
      for (const f of fields) {
        if (f in d)
          rep.add(
            ['_info', 'defaults', kind, f],
            `decK does not allow '${f}' in _info.defaults.${kind}: it identifies one ${kind}, so it cannot be a default`,
            { key: true },
          );
      }
    }
  }
  infoValidator ??= compileSchema(DeckInfoSchema);
  const probe = structuredClone(info);
  if (!infoValidator(probe)) {
    report(
      (infoValidator.errors ?? [])
        .filter((e) => !(e.keyword === 'additionalProperties' && isRestricted(e)))
        .map((e) => ({ ...e, instancePath: `/_info${e.instancePath}` })),
    );
    return [];
  }
  const d = probe as { defaults?: Record<string, Obj>; select_tags?: string[] };
  if (d.defaults !== undefined) {
    for (const [kind, entity] of defaultable(data)) {
      const defaults = d.defaults[kind];
      if (defaults !== undefined) fill(entity, defaults);
    }
  }
  return d.select_tags ?? [];
}

/** A restricted field already reported with its own message. */
function isRestricted(e: ErrorObject): boolean {
  const m = /^\/defaults\/(service|route|upstream|target)$/.exec(e.instancePath);
  const field = (e.params as { additionalProperty?: string }).additionalProperty;
  return m !== null && field !== undefined && (DECK_RESTRICTED_DEFAULTS[m[1]!] ?? []).includes(field);
}
