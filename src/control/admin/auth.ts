// Who is calling the Admin API. With no token configured and none created, the API is open
// (it listens on loopback by default, as Kong's does). Once TURNPIKE_ADMIN_TOKEN (or
// admin_token_file) is set, or any token exists in the database, every request needs one:
// `Authorization: Bearer <token>` (Kong Enterprise's `Kong-Admin-Token` header works too).
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { hashToken, type AdminData, type TokenRecord } from './admin-data.js';
import { HttpError, type Actor } from './http.js';
import { allows } from './roles.js';

/** Tokens in the database are re-read at most this often (a token revoked on another control plane stops working within it). */
const REFRESH_MS = 2000;

export class Authenticator {
  private tokens = new Map<string, TokenRecord>();
  private loadedAt = 0;
  private everLoaded = false;
  private loading: Promise<void> | null = null;
  private readonly bootstrapHash: Buffer | null;

  constructor(
    private readonly data: AdminData,
    bootstrapToken: string | null,
    private readonly log: Logger,
  ) {
    this.bootstrapHash = bootstrapToken === null ? null : Buffer.from(hashToken(bootstrapToken), 'hex');
  }

  /** Forget the cached tokens (after this node changed them). */
  invalidate(): void {
    this.loadedAt = 0;
  }

  private async refresh(): Promise<void> {
    if (Date.now() - this.loadedAt < REFRESH_MS) return;
    this.loading ??= this.data.tokenHashes().then(
      (t) => {
        this.tokens = t;
        this.loadedAt = Date.now();
        this.everLoaded = true;
        this.loading = null;
      },
      (err: Error) => {
        // The database is away: the tokens last read keep working (and the bootstrap token).
        this.loading = null;
        this.log.warn(
          `admin tokens could not be read (${err.message}); using the ${this.tokens.size} known from before`,
        );
      },
    );
    await this.loading;
  }

  /** The actor of a request, or an HttpError 401. */
  async authenticate(headers: Record<string, string | string[] | undefined>): Promise<Actor> {
    await this.refresh();
    const required = this.bootstrapHash !== null || this.tokens.size > 0;
    const presented = bearer(headers);
    if (!this.everLoaded && this.bootstrapHash === null) {
      // The tokens were never read (the database has been away since the start): whether
      // tokens are required is unknown, so nothing is let through rather than everything.
      throw new HttpError(
        503,
        'the Admin API cannot check tokens: the database is unavailable; retry when it is back (set admin_token to keep access during an outage)',
      );
    }
    if (!required) return { name: 'anonymous', role: 'admin', tokenId: null };
    if (presented === null) {
      throw new HttpError(
        401,
        'Unauthorized: this Admin API needs a token; send "Authorization: Bearer <token>"',
        {},
        { 'www-authenticate': 'Bearer realm="turnpike-admin"' },
      );
    }
    const h = hashToken(presented);
    let actor: Actor | null = null;
    if (this.bootstrapHash !== null && timingSafeEqual(this.bootstrapHash, Buffer.from(h, 'hex')))
      actor = { name: 'bootstrap', role: 'admin', tokenId: null };
    else {
      const t = this.tokens.get(h);
      if (t !== undefined) actor = { name: t.name, role: t.role, tokenId: t.id };
    }
    if (actor === null) {
      throw new HttpError(
        401,
        'Unauthorized: invalid token',
        {},
        { 'www-authenticate': 'Bearer realm="turnpike-admin", error="invalid_token"' },
      );
    }
    return actor;
  }

  /** 403 when the actor's role does not allow the method. */
  authorize(actor: Actor, method: string): void {
    if (!allows(actor.role, method)) {
      throw new HttpError(
        403,
        `Forbidden: the token "${actor.name}" has the ${actor.role} role, which cannot ${method}; use a token with the admin role`,
      );
    }
  }
}

function bearer(headers: Record<string, string | string[] | undefined>): string | null {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m !== null) return m[1]!;
  }
  for (const h of ['turnpike-admin-token', 'kong-admin-token']) {
    const v = headers[h];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
  }
  return null;
}
