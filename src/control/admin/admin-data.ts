// The Admin API's own data in the node's database: tokens (RBAC) and the audit log. In
// database mode these tables live beside the entities (so every control plane on one
// PostgreSQL shares them); a DB-less node keeps them in $TURNPIKE_PREFIX/admin.db.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Backend, Row } from '../store/backend.js';
import { mapDbError } from '../store/db-errors.js';
import { InvalidOffset, NotFound, SchemaViolation, UniqueViolation } from '../store/errors.js';
import { decodeOffset, encodeOffset, pageSize } from '../store/paging.js';
import { isRole, ROLES, type Role } from './roles.js';

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  created_at: number;
  comment: string | null;
}

export interface AuditEntry {
  id: string;
  /** ISO time of the request. */
  at: string;
  actor: string;
  role: string;
  remote: string;
  method: string;
  path: string;
  status: number;
  /** The entity kind and id the change touched, when it touched one. */
  entity: { kind: string; id: string | null; name: string | null } | null;
  /** Kong's error message when the change was refused. */
  error: string | null;
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Tokens are `tpk_` and 32 random bytes, base64url: recognisable in a leak scanner, never guessable. */
export const newTokenSecret = (): string => `tpk_${randomBytes(32).toString('base64url')}`;

function toToken(r: Row): TokenRecord {
  return {
    id: String(r.id),
    name: String(r.name),
    role: String(r.role) as Role,
    created_at: Number(r.created_at),
    comment: (r.comment as string | null) ?? null,
  };
}

export class AdminData {
  private auditSeq = 0;
  /** `backend` opens (or returns) the database; it may fail while the database is away. */
  constructor(private readonly backend: () => Promise<Backend>) {}

  private async q(sql: string, params: (string | number | null)[] = []): Promise<Row[]> {
    let db: Backend | null = null;
    try {
      db = await this.backend();
      return await db.query(sql, params);
    } catch (err) {
      throw mapDbError(err, db?.location ?? 'database');
    }
  }

  // -- tokens ---------------------------------------------------------------------------

  /** Every token with its hash, for the authenticator's cache. */
  async tokenHashes(): Promise<Map<string, TokenRecord>> {
    const rows = await this.q(`SELECT * FROM "admin_tokens"`);
    return new Map(rows.map((r) => [String(r.token_hash), toToken(r)]));
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.q(`SELECT * FROM "admin_tokens" ORDER BY "name"`)).map(toToken);
  }

  async getToken(key: string): Promise<TokenRecord | null> {
    const rows = await this.q(`SELECT * FROM "admin_tokens" WHERE ${UUID.test(key) ? '"id"' : '"name"'} = ?`, [
      UUID.test(key) ? key.toLowerCase() : key,
    ]);
    return rows.length === 0 ? null : toToken(rows[0]!);
  }

  /** Creates a token; the secret is returned once and only its hash is stored. */
  async createToken(input: Record<string, unknown>): Promise<TokenRecord & { token: string }> {
    const errors: Record<string, string> = {};
    for (const k of Object.keys(input))
      if (!['name', 'role', 'token', 'comment'].includes(k))
        errors[k] = 'unknown field; valid fields: name, role, token, comment';
    if (typeof input.name !== 'string' || !/^[A-Za-z0-9._~-]{1,64}$/.test(input.name))
      errors.name =
        typeof input.name === 'string' ? 'must be 1-64 letters, digits or . _ ~ -' : 'required field missing';
    if (!isRole(input.role)) errors.role = `expected one of: ${ROLES.join(', ')}`;
    if (input.token !== undefined && (typeof input.token !== 'string' || input.token.length < 16))
      errors.token = 'must be a string of at least 16 characters (leave it out and one is generated)';
    if (input.comment !== undefined && input.comment !== null && typeof input.comment !== 'string')
      errors.comment = 'expected a string';
    if (Object.keys(errors).length > 0) throw new SchemaViolation(errors);
    const token = (input.token as string | undefined) ?? newTokenSecret();
    const rec: TokenRecord = {
      id: randomUUID(),
      name: input.name as string,
      role: input.role as Role,
      created_at: Math.floor(Date.now() / 1000),
      comment: (input.comment as string | undefined) ?? null,
    };
    if ((await this.getToken(rec.name)) !== null) throw new UniqueViolation({ name: rec.name });
    try {
      await this.q(
        `INSERT INTO "admin_tokens" ("id", "name", "role", "token_hash", "created_at", "comment") VALUES (?, ?, ?, ?, ?, ?)`,
        [rec.id, rec.name, rec.role, hashToken(token), rec.created_at, rec.comment],
      );
    } catch (e) {
      // The name was free a moment ago: the constraint that fired is the secret's.
      if (e instanceof UniqueViolation && !('name' in e.fields))
        throw new UniqueViolation({ token: 'already in use by another token' });
      throw e;
    }
    return { ...rec, token };
  }

  async updateToken(key: string, patch: Record<string, unknown>): Promise<TokenRecord> {
    const cur = await this.getToken(key);
    if (cur === null) throw new NotFound('token', key);
    const errors: Record<string, string> = {};
    for (const k of Object.keys(patch))
      if (!['role', 'comment'].includes(k))
        errors[k] =
          k === 'token' || k === 'name'
            ? 'cannot be changed; create a new token and delete this one'
            : 'unknown field; valid fields: role, comment';
    if (patch.role !== undefined && !isRole(patch.role)) errors.role = `expected one of: ${ROLES.join(', ')}`;
    if (Object.keys(errors).length > 0) throw new SchemaViolation(errors);
    const next = {
      ...cur,
      role: (patch.role as Role | undefined) ?? cur.role,
      comment: patch.comment === undefined ? cur.comment : ((patch.comment as string | null) ?? null),
    };
    await this.q(`UPDATE "admin_tokens" SET "role" = ?, "comment" = ? WHERE "id" = ?`, [
      next.role,
      next.comment,
      cur.id,
    ]);
    return next;
  }

  async deleteToken(key: string): Promise<TokenRecord | null> {
    const cur = await this.getToken(key);
    if (cur !== null) await this.q(`DELETE FROM "admin_tokens" WHERE "id" = ?`, [cur.id]);
    return cur;
  }

  // -- audit log --------------------------------------------------------------------------

  async record(entry: Omit<AuditEntry, 'id'>): Promise<void> {
    const ms = Date.parse(entry.at);
    // Time first, so the primary key is the paging order; a counter and random bits keep two
    // requests of one millisecond (or of two control planes) apart.
    const id = `${String(ms).padStart(15, '0')}-${String(++this.auditSeq % 1e6).padStart(6, '0')}-${randomBytes(4).toString('hex')}`;
    const full: AuditEntry = { id, ...entry };
    await this.q(`INSERT INTO "admin_audit" ("id", "at", "entry") VALUES (?, ?, ?)`, [id, ms, JSON.stringify(full)]);
  }

  /** Newest first. */
  async listAudit(size: unknown, offset: string | null): Promise<{ data: AuditEntry[]; offset: string | null }> {
    const n = pageSize(size as string | number | undefined);
    let after: string | null = null;
    if (offset !== null && offset !== '') {
      try {
        after = decodeOffset(offset);
      } catch {
        throw new InvalidOffset(offset);
      }
    }
    const rows = await this.q(
      `SELECT "entry" FROM "admin_audit"${after !== null ? ' WHERE "id" < ?' : ''} ORDER BY "id" DESC LIMIT ${n + 1}`,
      after !== null ? [after] : [],
    );
    const data = rows
      .slice(0, n)
      .map((r) => (typeof r.entry === 'string' ? JSON.parse(r.entry) : r.entry) as AuditEntry);
    return { data, offset: rows.length > n ? encodeOffset(data[data.length - 1]!.id) : null };
  }
}
