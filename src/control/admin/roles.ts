// RBAC roles of the Admin API. `admin` may do everything; `read-only` may read everything
// (no endpoint ever returns a token's secret) and change nothing.

export const ROLES = ['admin', 'read-only'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  admin: 'every endpoint, every method: configuration, tokens, the audit log',
  'read-only': 'GET (and HEAD, OPTIONS) on every endpoint; no changes',
};

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether `role` may make this request. */
export function allows(role: Role, method: string): boolean {
  return role === 'admin' || READS.has(method);
}

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}
