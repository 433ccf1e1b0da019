// The entities of a loaded declarative configuration as the store keeps them: one list per
// kind, credentials taken out of their consumers with a reference to them. Shared by the
// import (`config db_import`) and the CLI's diff, which must derive the same ids.
import type { Config } from '../../config/types.js';
import { uuidV5 } from '../../config/ids.js';
import { CREDENTIAL_KINDS, ENTITIES, KINDS, type Kind } from './entities.js';

type Obj = Record<string, unknown>;

/** The entities of a loaded declarative configuration, per kind, with a label for errors. */
export function declarativeEntities(config: Config): Record<Kind, { entity: Obj; label: string }[]> {
  const out = Object.fromEntries(KINDS.map((k) => [k, []])) as unknown as Record<
    Kind,
    { entity: Obj; label: string }[]
  >;
  const label = (kind: Kind, e: Obj) => {
    const name = e.name ?? e.username ?? e.custom_id ?? e.target ?? e.id;
    return `${ENTITIES[kind].singular} '${String(name)}'`;
  };
  const add = (kind: Kind, list: readonly object[] | undefined) => {
    for (const x of list ?? []) out[kind].push({ entity: x as Obj, label: label(kind, x as Obj) });
  };
  // Every kind the loaded configuration lists (consumers apart: their credentials are split off).
  const lists = config as unknown as Record<string, readonly object[] | undefined>;
  for (const kind of KINDS) {
    if (kind !== 'consumers' && !(CREDENTIAL_KINDS as readonly string[]).includes(kind)) add(kind, lists[kind]);
  }
  for (const c of config.consumers) {
    const { credentials, ...consumer } = c as Obj & { credentials?: Record<string, Obj[]> };
    out.consumers.push({ entity: consumer, label: label('consumers', consumer) });
    for (const kind of CREDENTIAL_KINDS) {
      (credentials?.[kind] ?? []).forEach((cred, i) => {
        const def = ENTITIES[kind];
        // A credential written without an id gets one derived from its consumer and its
        // identifying value, so importing the same file twice updates rather than duplicates.
        const ident =
          def.unique[0]?.fields
            .filter((f) => f !== 'consumer')
            .map((f) => String(cred[f] ?? ''))
            .join('|') || String(i);
        const id = typeof cred.id === 'string' ? cred.id : uuidV5(`${kind}:${c.id}:${ident}`);
        out[kind].push({
          entity: { ...cred, id, consumer: { id: c.id } },
          label: `${label('consumers', consumer)} ${kind}[${i}]`,
        });
      });
    }
  }
  return out;
}
