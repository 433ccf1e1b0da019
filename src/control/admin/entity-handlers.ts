// CRUD of entities with Kong's semantics: GET lists (paged, tag-filtered) and reads, POST
// creates (201), PUT upserts by id or name (200), PATCH changes given fields (200), DELETE
// answers 204 whether or not the entity existed. Nested paths scope every operation to
// their parent. Errors are the store's, in Kong's shape.
import type { PluginRegistry } from '../../plugins/registry.js';
import { ENTITIES, type Kind, type Store } from '../store/index.js';
import { coerce } from './body.js';
import {
  allowMethods,
  HttpError,
  noContent,
  notFound,
  ok,
  type AdminRequest,
  type AdminResponse,
  type Json,
} from './http.js';
import type { EntityPath } from './entity-paths.js';

export interface EntityContext {
  store(): Promise<Store>;
  /** Why this node cannot change entities (DB-less), or null when it can. */
  readOnly: string | null;
  registry: PluginRegistry;
}

const VERB: Record<string, string> = { POST: 'create', PUT: 'create or update', PATCH: 'update', DELETE: 'delete' };

export async function handleEntity(req: AdminRequest, p: EntityPath, ctx: EntityContext): Promise<AdminResponse> {
  const { kind, scope, key } = p;
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  allowMethods(req, key === null ? ['GET', 'POST'] : ['GET', 'PUT', 'PATCH', 'DELETE']);
  if (method !== 'GET' && ctx.readOnly !== null) {
    throw new HttpError(405, `cannot ${VERB[method]} '${kind}' entities when not using a database (${ctx.readOnly})`);
  }
  const store = await ctx.store();
  if (key === null) {
    if (method === 'GET') {
      const page = await store.list(kind, {
        size: req.query.get('size') ?? undefined,
        offset: req.query.get('offset'),
        tags: req.query.get('tags'),
        scope,
      });
      const body: Json = { data: page.data, next: null };
      if (page.offset !== null) {
        const q = new URLSearchParams();
        for (const k of ['size', 'tags']) {
          const v = req.query.get(k);
          if (v !== null) q.set(k, v);
        }
        q.set('offset', page.offset);
        body.offset = page.offset;
        body.next = `${req.path}?${q.toString()}`;
      }
      return ok(body);
    }
    const created = await store.insert(kind, input(req, kind, ctx), { scope });
    return { status: 201, body: created, audit: auditOf(kind, created) };
  }
  switch (method) {
    case 'GET': {
      const e = await store.get(kind, key, { scope });
      if (e === null) throw notFound();
      return ok(e);
    }
    case 'PUT': {
      const e = await store.upsert(kind, key, input(req, kind, ctx), { scope });
      return { status: 200, body: e, audit: auditOf(kind, e) };
    }
    case 'PATCH': {
      const e = await store.update(kind, key, input(req, kind, ctx), { scope });
      return { status: 200, body: e, audit: auditOf(kind, e) };
    }
    default: {
      const e = await store.delete(kind, key, { scope });
      return { ...noContent(), audit: e === null ? { kind, id: null, name: key } : auditOf(kind, e) };
    }
  }
}

function auditOf(kind: Kind, e: Json & { id: string }): AdminResponse['audit'] {
  const keyField = ENTITIES[kind].endpointKeys[0];
  const name = keyField !== undefined && typeof e[keyField] === 'string' ? (e[keyField] as string) : null;
  return { kind, id: e.id, name };
}

/** The body of a write; form fields are typed by the entity's schema (and a plugin's config by the plugin's). */
function input(req: AdminRequest, kind: Kind, ctx: EntityContext): Json {
  const body = req.body ?? {};
  if (!req.contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) return body;
  coerce(body, ENTITIES[kind].schema as unknown as Record<string, unknown>);
  if (kind === 'plugins' && typeof body.name === 'string' && typeof body.config === 'object' && body.config !== null) {
    const schema = ctx.registry.get(body.name)?.module?.schema as Record<string, unknown> | undefined;
    coerce(body.config, schema);
  }
  return body;
}
