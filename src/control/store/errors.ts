// Typed store errors carrying Kong's error shape (kong/db/errors.lua): a numeric `code`, a
// `name`, a `message` and `fields`, plus the HTTP status Kong's Admin API answers with, so
// the Admin API can send `error.body` as is and a Kong client reads the errors it knows.

export interface KongErrorBody {
  code: number;
  name: string;
  message: string;
  fields: Record<string, unknown>;
}

export abstract class StoreError extends Error {
  abstract readonly code: number;
  abstract readonly kongName: string;
  abstract readonly status: number;
  readonly fields: Record<string, unknown>;

  constructor(message: string, fields: Record<string, unknown> = {}) {
    super(message);
    this.fields = fields;
  }

  get body(): KongErrorBody {
    return { code: this.code, name: this.kongName, message: this.message, fields: this.fields };
  }
}

/** The input breaks the entity's JSON Schema (or a rule of the store); `fields` maps each field to what is wrong. */
export class SchemaViolation extends StoreError {
  readonly code = 2;
  readonly kongName = 'schema violation';
  readonly status = 400;
  constructor(fields: Record<string, string>) {
    const parts = Object.entries(fields).map(([k, v]) => (k === '@entity' ? v : `${k}: ${v}`));
    super(`schema violation (${parts.join('; ')})`, fields);
  }
}

/** An entity with this id exists already (insert with an explicit id). */
export class PrimaryKeyViolation extends StoreError {
  readonly code = 3;
  readonly kongName = 'primary key violation';
  readonly status = 400;
  constructor(id: string) {
    super(`primary key violation on key '{id="${id}"}'`, { id });
  }
}

/**
 * A reference that does not resolve (insert/update), or a delete refused because other
 * entities still reference this one (`fields['@referenced_by']`, as Kong).
 */
export class ForeignKeyViolation extends StoreError {
  readonly code = 4;
  readonly kongName = 'foreign key violation';
  readonly status = 400;
  static missing(field: string, key: Record<string, unknown>, referenced: string): ForeignKeyViolation {
    return new ForeignKeyViolation(
      `the foreign key '${luaKey(key)}' does not reference an existing '${referenced}' entity.`,
      { [field]: key },
    );
  }
  static referencedBy(referencing: string, entity: string): ForeignKeyViolation {
    return new ForeignKeyViolation(`an existing '${referencing}' entity references this '${entity}' entity`, {
      '@referenced_by': referencing,
    });
  }
}

/** Another entity already has this value of a unique field (or set of fields). */
export class UniqueViolation extends StoreError {
  readonly code = 5;
  readonly kongName = 'unique constraint violation';
  readonly status = 409;
  constructor(key: Record<string, unknown>) {
    super(`UNIQUE violation detected on '${luaKey(key)}'`, key);
  }
}

export class NotFound extends StoreError {
  readonly code = 6;
  readonly kongName = 'not found';
  readonly status = 404;
  constructor(entity: string, key: string) {
    super(`could not find the ${entity} '${key}'`, { key });
  }
}

/** `offset` that this store did not hand out, or that no longer decodes. */
export class InvalidOffset extends StoreError {
  readonly code = 7;
  readonly kongName = 'invalid offset';
  readonly status = 400;
  constructor(offset: string) {
    super(`'${offset}' is not a valid offset: bad base64 encoding or not a cursor from a previous page`);
  }
}

export class InvalidSize extends StoreError {
  readonly code = 9;
  readonly kongName = 'invalid size';
  readonly status = 400;
  constructor(size: unknown) {
    super(`size must be an integer between 1 and 1000 (got ${String(size)})`);
  }
}

/** A bad `tags` filter or another option the store cannot honour. */
export class InvalidOptions extends StoreError {
  readonly code = 11;
  readonly kongName = 'invalid options';
  readonly status = 400;
}

/** The database could not be reached or failed: the Admin API answers 503 with this message. */
export class DatabaseError extends StoreError {
  readonly code = 8;
  readonly kongName = 'database error';
  readonly status = 503;
}

/** Kong prints keys as Lua tables in its messages: {name="foo"}, {upstream={id="..."},target="x"}. */
export function luaKey(key: Record<string, unknown>): string {
  const v = (x: unknown): string => {
    if (x !== null && typeof x === 'object') return luaKey(x as Record<string, unknown>);
    return typeof x === 'string' ? JSON.stringify(x) : String(x);
  };
  return `{${Object.entries(key)
    .map(([k, x]) => `${k}=${v(x)}`)
    .join(',')}}`;
}
