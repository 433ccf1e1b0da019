// Tokens and roles (RBAC) and the audit log, under /rbac and /audit. A token's secret is in
// the answer to its creation only; lists and reads never show it.
import type { AdminData } from './admin-data.js';
import type { Authenticator } from './auth.js';
import { allowMethods, noContent, notFound, ok, type AdminRequest, type AdminResponse } from './http.js';
import { ROLE_DESCRIPTIONS, ROLES } from './roles.js';

export interface SecurityContext {
  data: AdminData;
  auth: Authenticator;
}

export async function handleSecurity(req: AdminRequest, ctx: SecurityContext): Promise<AdminResponse | null> {
  const [a, b, c] = req.segments;
  if (a === 'rbac' && b === 'roles' && c === undefined) {
    allowMethods(req, ['GET']);
    return ok({ data: ROLES.map((name) => ({ name, allows: ROLE_DESCRIPTIONS[name] })), next: null });
  }
  if (a === 'rbac' && b === 'tokens') {
    if (req.segments.length === 2) {
      allowMethods(req, ['GET', 'POST']);
      if (req.method === 'POST') {
        const t = await ctx.data.createToken(req.body ?? {});
        ctx.auth.invalidate();
        return { status: 201, body: t, audit: { kind: 'rbac_tokens', id: t.id, name: t.name } };
      }
      return ok({ data: await ctx.data.listTokens(), next: null });
    }
    if (req.segments.length === 3) {
      allowMethods(req, ['GET', 'PATCH', 'DELETE']);
      const key = c!;
      if (req.method === 'PATCH') {
        const t = await ctx.data.updateToken(key, req.body ?? {});
        ctx.auth.invalidate();
        return { status: 200, body: t, audit: { kind: 'rbac_tokens', id: t.id, name: t.name } };
      }
      if (req.method === 'DELETE') {
        const t = await ctx.data.deleteToken(key);
        ctx.auth.invalidate();
        return { ...noContent(), audit: { kind: 'rbac_tokens', id: t?.id ?? null, name: t?.name ?? key } };
      }
      const t = await ctx.data.getToken(key);
      if (t === null) throw notFound();
      return ok(t);
    }
  }
  if (a === 'audit' && b === 'requests' && c === undefined) {
    allowMethods(req, ['GET']);
    const page = await ctx.data.listAudit(req.query.get('size') ?? undefined, req.query.get('offset'));
    const next =
      page.offset === null
        ? null
        : `/audit/requests?${new URLSearchParams({ ...(req.query.get('size') !== null ? { size: req.query.get('size')! } : {}), offset: page.offset }).toString()}`;
    return ok({ data: page.data, next, ...(page.offset !== null ? { offset: page.offset } : {}) });
  }
  return null;
}
