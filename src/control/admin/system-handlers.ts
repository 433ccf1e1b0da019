// The Admin API's endpoints that are not entity CRUD: node information (GET /), /status,
// the whole configuration (/config), JSON Schemas (/schemas), the enabled plugins, the OpenAPI
// document, target health and the control plane's data planes.
import os from 'node:os';
import { stringify } from 'yaml';
import { tooDeepMessage, yamlTooDeep } from './depth.js';
import type { PluginRegistry } from '../../plugins/registry.js';
import type { WorkerStats } from '../../process/messages.js';
import { VERSION } from '../../version.js';
import { mergeHealth } from '../../observe/status-server.js';
import { ENTITIES, KINDS, SchemaViolation, type Kind, type Store } from '../store/index.js';
import { validateEntity } from '../store/validate.js';
import { allowMethods, HttpError, notFound, ok, type AdminRequest, type AdminResponse, type Json } from './http.js';
import { openApiDocument } from './openapi.js';
import { TOP_LEVEL } from './entity-paths.js';

export interface ConfigReplaceResult {
  /** 201 applied, 304 unchanged (check_hash), 400 invalid. */
  status: number;
  body: unknown;
}

export interface SystemContext {
  store(): Promise<Store>;
  registry: PluginRegistry;
  nodeId: string;
  /** Settings shown by GET / (nothing secret). */
  configuration: Json;
  configHash(): string;
  collect(): Promise<WorkerStats[]>;
  /** DB-less mode: replaces the whole configuration (POST /config); null in database mode. */
  replaceConfig: ((text: string, checkHash: boolean) => Promise<ConfigReplaceResult>) | null;
  /** A control plane's data planes; null on other roles. */
  dataPlanes: (() => unknown[]) | null;
  database: 'off' | 'sqlite' | 'postgres';
}

const schemaOf = (kind: Kind): unknown => JSON.parse(JSON.stringify(ENTITIES[kind].schema));

/** /schemas/<kind>: the kind as Kong names it (services, key-auths, ...) or singular (service). */
function kindOf(name: string): Kind | null {
  for (const [seg, kind] of TOP_LEVEL)
    if (seg === name || ENTITIES[kind].singular === name || kind === name) return kind;
  for (const k of KINDS) if (k === name) return k;
  return null;
}

export async function handleSystem(req: AdminRequest, ctx: SystemContext): Promise<AdminResponse | null> {
  const s = req.segments;
  if (s.length === 0) {
    allowMethods(req, ['GET']);
    const plugins = ctx.registry.names().sort();
    return ok({
      tagline: 'Welcome to turnpike',
      version: VERSION,
      edition: 'community',
      hostname: os.hostname(),
      node_id: ctx.nodeId,
      plugins: {
        available_on_server: Object.fromEntries(
          plugins.map((n) => [n, { version: ctx.registry.get(n)!.version, priority: ctx.registry.get(n)!.priority }]),
        ),
        enabled_in_cluster: await enabledPlugins(ctx),
      },
      configuration: ctx.configuration,
      pids: { master: process.pid },
    });
  }
  const [a, b, c, d] = s;
  if (a === 'status' && s.length === 1) {
    allowMethods(req, ['GET']);
    let reachable = ctx.database === 'off';
    let error: string | null = null;
    if (ctx.database !== 'off') {
      try {
        await (await ctx.store()).configVersion();
        reachable = true;
      } catch (err) {
        error = (err as Error).message;
      }
    }
    const stats = await ctx.collect();
    return ok({
      database: { reachable, ...(error !== null ? { error } : {}) },
      server: {
        connections_active: stats.reduce((n, w) => n + w.connections, 0),
        workers: stats.map((w) => ({ index: w.index, pid: w.pid, config_hash: w.hash })),
      },
      configuration_hash: ctx.configHash(),
    });
  }
  if (a === 'config' && s.length === 1) {
    allowMethods(req, ['GET', 'POST']);
    if (req.method === 'POST') {
      if (ctx.replaceConfig === null)
        throw new HttpError(
          400,
          'this endpoint is only available when Turnpike runs without a database (DB-less mode); in database mode change entities, or use `turnpike apply -f FILE`',
        );
      const text = declarativeText(req);
      const r = await ctx.replaceConfig(text, ['1', 'true'].includes(req.query.get('check_hash') ?? ''));
      return {
        status: r.status,
        body: r.body,
        audit: r.status === 201 ? { kind: 'config', id: null, name: null } : undefined,
      };
    }
    const decl = await (await ctx.store()).toDeclarative();
    return ok({ config: stringify(decl, { aliasDuplicateObjects: false }) });
  }
  if (a === 'openapi.json' && s.length === 1) {
    allowMethods(req, ['GET']);
    return ok(openApiDocument());
  }
  if (a === 'plugins' && b === 'enabled' && s.length === 2) {
    allowMethods(req, ['GET']);
    return ok({ enabled_plugins: ctx.registry.names().sort() });
  }
  if (a === 'plugins' && b === 'schema' && c !== undefined && s.length === 3) {
    allowMethods(req, ['GET']);
    return ok(pluginSchema(ctx, c));
  }
  if (a === 'schemas') {
    if (b === 'plugins' && c === 'validate' && s.length === 3) {
      allowMethods(req, ['POST']);
      return validatePlugin(req, ctx);
    }
    if (b === 'plugins' && c !== undefined && s.length === 3) {
      allowMethods(req, ['GET']);
      return ok(pluginSchema(ctx, c));
    }
    if (b !== undefined && s.length <= 3) {
      const kind = kindOf(b);
      if (kind === null)
        throw new HttpError(404, `No entity named '${b}'; entities: ${TOP_LEVEL.map(([x]) => x).join(', ')}`);
      if (c === 'validate') {
        allowMethods(req, ['POST']);
        validateEntity(kind, structuredClone(req.body ?? {}));
        return ok({ message: 'schema validation successful' });
      }
      if (c !== undefined) return null;
      allowMethods(req, ['GET']);
      return ok(schemaOf(kind));
    }
  }
  if (a === 'clustering' && b === 'data-planes' && s.length === 2) {
    allowMethods(req, ['GET']);
    if (ctx.dataPlanes === null)
      throw new HttpError(
        400,
        'this node is not a control plane: /clustering/data-planes is served with --role control_plane',
      );
    return ok({ data: ctx.dataPlanes(), next: null });
  }
  if (a === 'upstreams' && c === 'health' && s.length === 3) {
    allowMethods(req, ['GET']);
    const up = await (await ctx.store()).get('upstreams', b!);
    if (up === null) throw notFound();
    // Worst state per target across the workers, as the status listener reports it.
    const merged = mergeHealth(await ctx.collect()).get(String(up.name));
    const targets = (merged?.targets ?? []).map((t) => ({ target: t.target, health: t.health }));
    return ok({ data: targets, next: null, node_id: ctx.nodeId });
  }
  if (a === 'routes' && c === 'service' && d === undefined && s.length === 3) {
    allowMethods(req, ['GET']);
    const store = await ctx.store();
    const route = await store.get('routes', b!);
    if (route === null) throw notFound();
    const ref = route.service as { id: string } | null;
    const svc = ref === null ? null : await store.get('services', ref.id);
    if (svc === null) throw notFound();
    return ok(svc);
  }
  return null;
}

async function enabledPlugins(ctx: SystemContext): Promise<string[]> {
  try {
    const store = await ctx.store();
    const names = new Set<string>();
    let offset: string | null = null;
    do {
      const page = await store.list('plugins', { size: 1000, offset });
      for (const p of page.data) names.add(String(p.name));
      offset = page.offset;
    } while (offset !== null);
    return [...names].sort();
  } catch {
    return [];
  }
}

function pluginSchema(ctx: SystemContext, name: string): unknown {
  const def = ctx.registry.get(name);
  if (def === undefined)
    throw new HttpError(404, `No plugin named '${name}'; enabled plugins: ${ctx.registry.names().sort().join(', ')}`);
  const schema = (def.module as { schema?: unknown } | undefined)?.schema;
  return {
    name,
    version: def.version,
    priority: def.priority,
    config: schema === undefined ? null : JSON.parse(JSON.stringify(schema)),
  };
}

function validatePlugin(req: AdminRequest, ctx: SystemContext): AdminResponse {
  const body = structuredClone(req.body ?? {});
  validateEntity('plugins', body);
  const def = ctx.registry.get(String(body.name));
  if (def === undefined)
    throw new SchemaViolation({
      name: `plugin '${String(body.name)}' not enabled; add it to the 'plugins' configuration property`,
    });
  const errors = def.validate((body.config as Record<string, unknown>) ?? {});
  if (errors.length > 0)
    throw new SchemaViolation({
      config: errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; '),
    });
  return ok({ message: 'schema validation successful' });
}

/** POST /config takes Kong's forms: {"config": "<yaml or json text>"}, the declarative object itself as JSON, or YAML text. */
function declarativeText(req: AdminRequest): string {
  if (req.body !== null) {
    // A JSON body was depth-checked when it was parsed; text inside it was not.
    if (typeof req.body.config === 'string') return checkedDepth(req.body.config);
    if (typeof req.body.config === 'object' && req.body.config !== null) return JSON.stringify(req.body.config);
    if ('_format_version' in req.body) return JSON.stringify(req.body);
    throw new HttpError(
      400,
      'expected a declarative configuration: a JSON/YAML document with _format_version, or {"config": "<its text>"}',
    );
  }
  if (req.rawBody.trim() === '') throw new HttpError(400, 'expected a declarative configuration in the request body');
  return checkedDepth(req.rawBody);
}

/** YAML/JSON text for the yaml library, refused with a 400 when it nests too deep for it. */
function checkedDepth(text: string): string {
  if (yamlTooDeep(text)) throw new HttpError(400, `Cannot parse the declarative configuration: ${tooDeepMessage()}`);
  return text;
}
