// The Admin API's request and response shapes, kept apart from node:http so handlers are
// plain functions of a parsed request (and the router can be read without the socket code).
import type { Role } from './roles.js';

export type Json = Record<string, unknown>;

export interface Actor {
  /** The token's name; 'bootstrap' for TURNPIKE_ADMIN_TOKEN; 'anonymous' when no token is required. */
  name: string;
  role: Role;
  /** The token's id (null for the bootstrap token and anonymous access). */
  tokenId: string | null;
}

export interface AdminRequest {
  method: string;
  /** The path, percent-decoded per segment. */
  segments: string[];
  path: string;
  query: URLSearchParams;
  /** The parsed body (JSON or form); null without one. */
  body: Json | null;
  /** The raw body text, for POST /config (YAML). */
  rawBody: string;
  contentType: string;
  actor: Actor;
  remote: string;
}

export interface AdminResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** What the audit log records for a change: the entity kind and id it touched. */
  audit?: { kind: string; id: string | null; name?: string | null };
}

/** An error the Admin API answers with: the status and Kong's body (`message`, maybe more). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Json = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const ok = (body: unknown, status = 200): AdminResponse => ({ status, body });
export const noContent = (): AdminResponse => ({ status: 204 });
/** Kong's 404 for a path or entity that is not there. */
export const notFound = (): HttpError => new HttpError(404, 'Not found');

/** 405 (with Allow) unless the request's method is one of `methods`; HEAD counts as GET. */
export function allowMethods(req: { method: string }, methods: readonly string[]): void {
  const m = req.method === 'HEAD' ? 'GET' : req.method;
  if (!methods.includes(m))
    throw new HttpError(405, 'Method not allowed', {}, { allow: [...methods, 'HEAD', 'OPTIONS'].join(', ') });
}
