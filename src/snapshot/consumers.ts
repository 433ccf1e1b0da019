// The consumers and credentials of a configuration, indexed for plugins (ConsumerStore).
// Indexes are built lazily, per (kind, field), the first time a plugin asks: a config with
// 100,000 key-auth keys pays for the key index once per reload, not per request.

import type { Config } from '../config/types.js';
import type { ConsumerRef, ConsumerStore, CredentialMatch } from '../plugins/sdk.js';

type Cred = Record<string, unknown> & { id: string };

export class ConfigConsumers implements ConsumerStore {
  private readonly byKey = new Map<string, ConsumerRef>();
  private readonly refs = new Map<string, ConsumerRef>();
  private readonly creds = new Map<string, Map<string, Cred[]>>(); // kind → consumer id → credentials
  private readonly indexes = new Map<string, Map<string, CredentialMatch>>(); // kind\0field → value → match

  readonly transform: boolean;

  constructor(config: Config) {
    this.transform = (config as { _transform?: boolean })._transform !== false;
    for (const c of config.consumers) {
      const ref: ConsumerRef = { id: c.id, username: c.username, custom_id: c.custom_id };
      this.refs.set(c.id, ref);
      this.byKey.set(c.id, ref);
      if (c.username !== null) this.byKey.set(c.username, ref);
      if (c.custom_id !== null && !this.byKey.has(c.custom_id)) this.byKey.set(c.custom_id, ref);
      const all = (c as { credentials?: Record<string, Record<string, unknown>[]> }).credentials ?? {};
      for (const [kind, list] of Object.entries(all)) {
        let perKind = this.creds.get(kind);
        if (perKind === undefined) this.creds.set(kind, (perKind = new Map()));
        perKind.set(
          c.id,
          list.map((cred, i) => ({ ...cred, id: typeof cred.id === 'string' ? cred.id : `${c.id}:${kind}:${i}` })),
        );
      }
    }
  }

  findConsumer(idOrName: string): ConsumerRef | null {
    return this.byKey.get(idOrName) ?? null;
  }

  // The index asked for last: an auth plugin asks for the same (kind, field) on every request,
  // and comparing two strings is cheaper than building and hashing a key.
  private lastKind = '';
  private lastField = '';
  private lastIndex: Map<string, CredentialMatch> | null = null;

  findCredential(kind: string, field: string, value: string): CredentialMatch | null {
    if (this.lastIndex !== null && kind === this.lastKind && field === this.lastField)
      return this.lastIndex.get(value) ?? null;
    const key = kind + '\u0000' + field;
    let index = this.indexes.get(key);
    if (index === undefined) {
      index = new Map();
      const perKind = this.creds.get(kind);
      if (perKind !== undefined) {
        for (const [consumerId, list] of perKind) {
          const consumer = this.refs.get(consumerId)!;
          for (const cred of list) {
            const v = cred[field];
            if (typeof v === 'string' && !index.has(v)) index.set(v, { consumer, credential: cred });
          }
        }
      }
      this.indexes.set(key, index);
    }
    this.lastKind = kind;
    this.lastField = field;
    this.lastIndex = index;
    return index.get(value) ?? null;
  }

  credentialsOf(consumerId: string, kind: string): readonly Cred[] {
    return this.creds.get(kind)?.get(consumerId) ?? [];
  }
}
