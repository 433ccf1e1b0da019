// Consumers' credentials and ACL groups, written under their consumer or, as Kong's declarative
// format gives every entity a top-level key, at the top level naming their consumer
// (`consumer: alice`, by username or id, or `{ id: … }`). Both forms end up in the same place:
// the consumer's `credentials`, which is what the auth plugins and the store read, so a
// top-level key-auth key authenticates exactly as a nested one does.
import type { Ref } from './types.js';
import { ENTITY_TABLE } from './entities/index.js';
import type { Entry, Reporter } from './reporter.js';
import type { Obj } from './values.js';

/** The credential kinds of the entity table, with the one field Kong keeps unique across all consumers (none for acls). */
const CREDENTIALS = ENTITY_TABLE.flatMap((r) =>
  'credential' in r
    ? [
        {
          key: r.name,
          kind: r.one,
          singular: r.singular,
          unique: r.unique.find((u) => u.fields.length === 1)?.fields[0],
        },
      ]
    : [],
);
const KEYS = CREDENTIALS.map((c) => c.key);
const KEY_OF = new Map<string, string>(CREDENTIALS.map((c) => [c.kind, c.key]));

/** Whether an entry is a credential (of any kind). */
export const isCredential = (e: Entry): boolean => KEY_OF.has(e.kind);

/**
 * Kong's uniqueness rules for credentials, across nested and top-level ones alike: an id once
 * per kind, and the field Kong keys a credential by (a key-auth key, a basic-auth username…)
 * once across all consumers. The value itself is not repeated in the message: it may be a secret.
 */
export function checkCredentialUniqueness(rep: Reporter, entries: readonly Entry[]): void {
  for (const { kind, singular, unique } of CREDENTIALS) {
    const field = unique ?? null;
    const ids = new Map<string, Entry>();
    const values = new Map<string, Entry>();
    for (const e of entries) {
      if (e.kind !== kind) continue;
      const id = typeof e.node.id === 'string' ? e.node.id.toLowerCase() : undefined;
      if (id !== undefined) {
        const first = ids.get(id);
        if (first)
          rep.add(
            [...e.at, 'id'],
            `id '${id}' is already used by ${rep.label(first.kind, first.at)}; each ${kind} needs a unique id`,
          );
        else ids.set(id, e);
      }
      const value = field === null ? undefined : e.node[field];
      if (field !== null && typeof value === 'string') {
        const first = values.get(value);
        if (first)
          rep.add(
            [...e.at, field],
            `the same ${field} is already given to ${rep.label(first.kind, first.at)}; Kong keeps each ${singular}'s ${field} unique across all consumers`,
          );
        else values.set(value, e);
      }
    }
  }
}

/**
 * Puts every credential into its consumer's `credentials` (nested ones first, in file order,
 * then top-level ones), without the `consumer` reference, and takes the nested lists off the
 * consumer. A consumer keeps a list for each kind its file entry had, even an empty one.
 */
export function attachCredentials(
  entries: readonly Entry[],
  refs: ReadonlyMap<Entry, Record<string, Ref | null>>,
): void {
  const consumers = new Map<string, Record<string, Obj[]>>();
  for (const e of entries) {
    if (e.kind !== 'consumer') continue;
    const credentials: Record<string, Obj[]> = {};
    for (const k of KEYS) {
      if (Array.isArray(e.node[k])) credentials[k] = [];
      delete e.node[k];
    }
    e.node.credentials = credentials;
    if (e.id !== undefined) consumers.set(e.id, credentials);
  }
  for (const e of entries) {
    const k = KEY_OF.get(e.kind);
    if (k === undefined) continue;
    const owner = e.parent?.id ?? refs.get(e)?.consumer?.id;
    const credentials = owner === undefined ? undefined : consumers.get(owner);
    if (credentials === undefined) continue; // an unknown consumer: already reported
    const credential = { ...e.node };
    delete credential.consumer;
    (credentials[k] ??= []).push(credential);
  }
}
