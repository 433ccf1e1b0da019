// Database errors → the store's typed errors, for both backends. The store's own checks
// (references, unique keys) catch the usual cases first with Kong's messages; these are what
// a concurrent writer, a missing table or an unreachable database leave.
import { columnOf, ENTITIES, KINDS, type Kind } from './entities.js';
import { DatabaseError, ForeignKeyViolation, StoreError, UniqueViolation } from './errors.js';

/** A database error as the store's typed error; one it does not know is returned as it is. */
export function mapDbError(err: unknown, location: string): unknown {
  if (err instanceof StoreError) return err;
  const e = err as { code?: string; message?: string; detail?: string; table?: string; constraint?: string };
  const code = String(e.code ?? '');
  const msg = String(e.message ?? err);
  // SQLite
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const m = /failed: [^.]+\.(\S+)/.exec(msg);
    return new UniqueViolation({ [m?.[1] ?? 'id']: 'already in use' });
  }
  // SQLite reports a RESTRICT refusal as a trigger failure.
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || (code === 'SQLITE_CONSTRAINT_TRIGGER' && /FOREIGN KEY/.test(msg)))
    return new ForeignKeyViolation(
      `a referenced entity was deleted, or is still referenced, by a concurrent write; retry`,
    );
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED')
    return new DatabaseError(`the database ${location} is locked by another process; retry`);
  if (
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_IOERR') ||
    code === 'SQLITE_FULL' ||
    code === 'SQLITE_READONLY'
  )
    return new DatabaseError(`the database ${location} cannot be written: ${msg}`);
  if (/no such table/.test(msg))
    return new DatabaseError(`the database ${location} has no Turnpike tables: run \`turnpike migrations up\``);
  // PostgreSQL
  if (code === '23505') {
    const m = /Key \((.+?)\)=\((.*)\) already exists/.exec(e.detail ?? '');
    return new UniqueViolation({ [m?.[1] ?? 'id']: m?.[2] ?? null });
  }
  if (code === '23503') {
    const referenced = /still referenced from table "([^"]+)"/.exec(e.detail ?? '');
    if (referenced) {
      // The constraint is <referencing table>_<column>_fkey; the entity deleted is what that column references.
      const def = (KINDS as readonly string[]).includes(referenced[1]!) ? ENTITIES[referenced[1] as Kind] : undefined;
      const fk = def?.foreign.find((f) => e.constraint === `${def.kind}_${columnOf(def, f.field)}_fkey`);
      return ForeignKeyViolation.referencedBy(referenced[1]!, fk?.references ?? 'entity');
    }
    return new ForeignKeyViolation(`a referenced entity does not exist (${e.detail ?? msg})`);
  }
  if (code === '42P01')
    return new DatabaseError(`the database ${location} has no Turnpike tables: run \`turnpike migrations up\``);
  if (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'ENOTFOUND',
      'EHOSTUNREACH',
      'EPIPE',
      '57P01',
      '57P02',
      '57P03',
      '53300',
    ].includes(code) ||
    code.startsWith('08') ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(msg)
  ) {
    return new DatabaseError(`the database ${location} is unavailable: ${msg}`);
  }
  return err;
}
