// The store's whole content as a declarative file (Kong's format 3.0): every table read in
// one read-only transaction, references as `{ id }`, credentials nested under their
// consumer, the kinds in the entity table's order (referenced kinds first).
import type { Backend } from './backend.js';
import { CREDENTIAL_KINDS, ENTITIES, KINDS, type EntityDef, type Kind } from './entities.js';
import type { DeclarativeObject, Entity } from './store.js';
import type { Obj } from './entity-shape.js';
import { decode, q } from './lookup.js';

/** Reads the whole configuration; the caller maps database errors. */
export async function exportDeclarative(db: Backend): Promise<DeclarativeObject> {
  const all = {} as Record<Kind, Entity[]>;
  // One snapshot for all the tables: a route written between two reads cannot refer to a
  // service this export does not hold.
  const meta = await db.transaction(
    async (tx) => {
      for (const kind of KINDS)
        all[kind] = (await tx.query(`SELECT "entity" FROM ${q(kind)} ORDER BY "id"`)).map(decode);
      return tx.query(`SELECT "value" FROM "store_meta" WHERE "key" = 'transform'`);
    },
    { readOnly: true },
  );
  const out: DeclarativeObject = { _format_version: '3.0', _transform: meta[0]?.value !== 'false' };
  const put = (key: string, list: Obj[]) => {
    if (list.length > 0) out[key] = list;
  };
  // References are written as { id }; a reference that is not set is left out, because
  // the file format takes a name or an id there, never null.
  const clean = (def: EntityDef, e: Entity, drop: string[] = []): Obj => {
    const o: Obj = {};
    for (const [k, v] of Object.entries(e)) {
      if (k === 'created_at' || k === 'updated_at' || drop.includes(k)) continue;
      if (v === null && (def.foreign.some((f) => f.field === k) || (def.idLists ?? []).some((l) => l.field === k)))
        continue;
      o[k] = v;
    }
    return o;
  };
  // The table's order (referenced kinds first); credentials nested under their consumer.
  for (const kind of KINDS) {
    if ((CREDENTIAL_KINDS as readonly string[]).includes(kind)) continue;
    if (kind !== 'consumers') {
      put(
        kind,
        all[kind].map((e) => clean(ENTITIES[kind], e)),
      );
      continue;
    }
    put(
      'consumers',
      all.consumers.map((c) => {
        const o = clean(ENTITIES.consumers, c);
        for (const ck of CREDENTIAL_KINDS) {
          const mine = all[ck].filter((cred) => (cred.consumer as { id: string }).id === c.id);
          if (mine.length > 0) o[ck] = mine.map((cred) => clean(ENTITIES[ck], cred, ['consumer']));
        }
        return o;
      }),
    );
  }
  return out;
}
