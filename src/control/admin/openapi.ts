// The OpenAPI 3.1 document of the Admin API, built from the same entity JSON Schemas the
// store validates with and the paths the router serves, so it cannot drift from either.
import { VERSION } from '../../version.js';
import { ENTITIES, type Kind } from '../store/index.js';
import { writeSchema } from '../store/validate.js';
import { NESTED, TOP_LEVEL } from './entity-paths.js';
import type { Json } from './http.js';

const clone = (x: unknown): Json => JSON.parse(JSON.stringify(x)) as Json;
const ident = (kind: Kind) => ENTITIES[kind].singular.replace(/[^a-z0-9]+/gi, '_');
const title = (kind: Kind) =>
  ident(kind)
    .split('_')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: unknown) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({ description, content: jsonContent(ref('Error')) });

const COMMON_ERRORS = {
  '401': errorResponse('no token, or an invalid one (when the Admin API requires tokens)'),
  '403': errorResponse("the token's role does not allow this request"),
  '503': errorResponse('the database is unreachable; traffic is still served from the last configuration'),
};

function listParams(): Json[] {
  return [
    {
      name: 'size',
      in: 'query',
      schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      description: 'entities per page',
    },
    { name: 'offset', in: 'query', schema: { type: 'string' }, description: 'the `offset` of the previous page' },
    {
      name: 'tags',
      in: 'query',
      schema: { type: 'string' },
      description: '`a,b`: entities with every tag; `a/b`: with any of them',
    },
  ];
}

const pathParam = (name: string, what: string): Json => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: what,
});

function collection(kind: Kind, params: Json[], under: string): Json {
  const t = title(kind);
  return {
    get: {
      operationId: `list${t}${under}`,
      summary: `List ${kind}${under ? ` of the ${under.replace(/^Of/, '').toLowerCase()}` : ''}`,
      tags: [kind],
      parameters: [...params, ...listParams()],
      responses: {
        '200': {
          description: 'a page',
          content: jsonContent({
            type: 'object',
            required: ['data', 'next'],
            properties: {
              data: { type: 'array', items: ref(t) },
              next: { type: ['string', 'null'] },
              offset: { type: 'string' },
            },
          }),
        },
        '400': errorResponse('bad size, offset or tags'),
        '404': errorResponse('no such parent'),
        ...COMMON_ERRORS,
      },
    },
    post: {
      operationId: `create${t}${under}`,
      summary: `Create a ${ENTITIES[kind].singular}`,
      tags: [kind],
      parameters: params,
      requestBody: {
        required: true,
        content: {
          ...jsonContent(ref(`${t}Input`)),
          'application/x-www-form-urlencoded': { schema: ref(`${t}Input`) },
        },
      },
      responses: {
        '201': { description: 'created', content: jsonContent(ref(t)) },
        '400': errorResponse('schema, foreign key or primary key violation'),
        '405': errorResponse('DB-less mode: entities cannot be changed'),
        '409': errorResponse('unique constraint violation'),
        ...COMMON_ERRORS,
      },
    },
  };
}

function item(kind: Kind, params: Json[], under: string): Json {
  const t = title(kind);
  const body = {
    required: true,
    content: { ...jsonContent(ref(`${t}Input`)), 'application/x-www-form-urlencoded': { schema: ref(`${t}Input`) } },
  };
  const entity = { description: 'the entity', content: jsonContent(ref(t)) };
  const writeErrors = {
    '400': errorResponse('schema or foreign key violation'),
    '405': errorResponse('DB-less mode: entities cannot be changed'),
    '409': errorResponse('unique constraint violation'),
    ...COMMON_ERRORS,
  };
  return {
    get: {
      operationId: `get${t}${under}`,
      summary: `Read a ${ENTITIES[kind].singular}`,
      tags: [kind],
      parameters: params,
      responses: { '200': entity, '404': errorResponse('not found'), ...COMMON_ERRORS },
    },
    put: {
      operationId: `upsert${t}${under}`,
      summary: `Create or replace a ${ENTITIES[kind].singular}`,
      tags: [kind],
      parameters: params,
      requestBody: body,
      responses: { '200': entity, ...writeErrors },
    },
    patch: {
      operationId: `update${t}${under}`,
      summary: `Change fields of a ${ENTITIES[kind].singular}`,
      tags: [kind],
      parameters: params,
      requestBody: body,
      responses: { '200': entity, '404': errorResponse('not found'), ...writeErrors },
    },
    delete: {
      operationId: `delete${t}${under}`,
      summary: `Delete a ${ENTITIES[kind].singular} (204 also when it did not exist)`,
      tags: [kind],
      parameters: params,
      responses: {
        '204': { description: 'deleted' },
        '400': errorResponse('still referenced'),
        '405': errorResponse('DB-less mode'),
        ...COMMON_ERRORS,
      },
    },
  };
}

const simple = (operationId: string, summary: string, tag: string, schema: unknown = { type: 'object' }): Json => ({
  get: {
    operationId,
    summary,
    tags: [tag],
    responses: { '200': { description: 'ok', content: jsonContent(schema) }, ...COMMON_ERRORS },
  },
});

let cached: Json | null = null;

export function openApiDocument(): Json {
  if (cached !== null) return cached;
  const schemas: Json = {
    Error: {
      type: 'object',
      required: ['message'],
      properties: {
        code: { type: 'integer' },
        name: { type: 'string' },
        message: { type: 'string' },
        fields: { type: 'object' },
      },
    },
    Token: {
      type: 'object',
      properties: {
        id: { type: 'string', format: 'uuid' },
        name: { type: 'string' },
        role: { enum: ['admin', 'read-only'] },
        created_at: { type: 'integer' },
        comment: { type: ['string', 'null'] },
        token: { type: 'string', description: 'the secret: in the answer to the creation only' },
      },
    },
    TokenInput: {
      type: 'object',
      required: ['name', 'role'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', pattern: '^[A-Za-z0-9._~-]{1,64}$' },
        role: { enum: ['admin', 'read-only'] },
        token: { type: 'string', minLength: 16 },
        comment: { type: ['string', 'null'] },
      },
    },
  };
  const kinds = new Set<Kind>([...TOP_LEVEL.map(([, k]) => k), ...NESTED.map((n) => n[3])]);
  for (const k of kinds) {
    schemas[title(k)] = clone(ENTITIES[k].schema);
    schemas[`${title(k)}Input`] = clone(writeSchema(k));
  }
  const paths: Json = {
    '/': simple('nodeInfo', 'Node information: version, hostname, node id, plugins, settings', 'node'),
    '/status': simple('nodeStatus', 'Database reachability, connections, configuration hash', 'node'),
    '/config': {
      get: {
        operationId: 'getConfig',
        summary: 'The whole configuration as a declarative file (YAML text)',
        tags: ['config'],
        responses: {
          '200': {
            description: 'ok',
            content: jsonContent({ type: 'object', properties: { config: { type: 'string' } } }),
          },
          ...COMMON_ERRORS,
        },
      },
      post: {
        operationId: 'replaceConfig',
        summary: 'DB-less mode: replace the whole configuration',
        tags: ['config'],
        parameters: [
          {
            name: 'check_hash',
            in: 'query',
            schema: { type: 'string', enum: ['0', '1', 'true', 'false'] },
            description: '1: answer 304 when the configuration is unchanged',
          },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { type: 'object' } },
            'application/yaml': { schema: { type: 'string' } },
          },
        },
        responses: {
          '201': {
            description:
              'applied; {message, config_hash}, and warnings (one line each) when the file loaded with warnings',
          },
          '304': { description: 'unchanged (check_hash)' },
          '400': errorResponse('invalid configuration, or database mode'),
          ...COMMON_ERRORS,
        },
      },
    },
    '/openapi.json': simple('openApi', 'This document', 'node'),
    '/schemas/{entity}': {
      get: {
        operationId: 'entitySchema',
        summary: 'JSON Schema of an entity',
        tags: ['schemas'],
        parameters: [pathParam('entity', 'services, routes, ...')],
        responses: { '200': { description: 'JSON Schema' }, '404': errorResponse('no such entity'), ...COMMON_ERRORS },
      },
    },
    '/schemas/{entity}/validate': {
      post: {
        operationId: 'validateEntity',
        summary: 'Validate an entity without saving it',
        tags: ['schemas'],
        parameters: [pathParam('entity', 'services, routes, ...')],
        requestBody: { required: true, content: jsonContent({ type: 'object' }) },
        responses: { '200': { description: 'valid' }, '400': errorResponse('schema violation'), ...COMMON_ERRORS },
      },
    },
    '/schemas/plugins/{name}': {
      get: {
        operationId: 'pluginSchema',
        summary: "JSON Schema of a plugin's config",
        tags: ['schemas'],
        parameters: [pathParam('name', 'plugin name')],
        responses: { '200': { description: 'schema' }, '404': errorResponse('no such plugin'), ...COMMON_ERRORS },
      },
    },
    '/plugins/enabled': simple('enabledPlugins', 'The plugins this node has', 'plugins'),
    '/upstreams/{upstream}/health': {
      get: {
        operationId: 'upstreamHealth',
        summary: 'Health of the targets of an upstream',
        tags: ['upstreams'],
        parameters: [pathParam('upstream', 'id or name')],
        responses: { '200': { description: 'ok' }, '404': errorResponse('not found'), ...COMMON_ERRORS },
      },
    },
    '/routes/{route}/service': {
      get: {
        operationId: 'serviceOfRoute',
        summary: 'The service of a route',
        tags: ['routes'],
        parameters: [pathParam('route', 'id or name')],
        responses: {
          '200': { description: 'ok', content: jsonContent(ref('Service')) },
          '404': errorResponse('not found'),
          ...COMMON_ERRORS,
        },
      },
    },
    '/clustering/data-planes': simple(
      'dataPlanes',
      'Control plane: its data planes, with version, config hash, last seen and sync state',
      'clustering',
    ),
    '/rbac/roles': simple('roles', 'The roles tokens can have', 'rbac'),
    '/rbac/tokens': {
      get: {
        operationId: 'listTokens',
        summary: 'Admin API tokens (never their secrets)',
        tags: ['rbac'],
        responses: {
          '200': {
            description: 'ok',
            content: jsonContent({ type: 'object', properties: { data: { type: 'array', items: ref('Token') } } }),
          },
          ...COMMON_ERRORS,
        },
      },
      post: {
        operationId: 'createToken',
        summary: 'Create a token; its secret is in this answer only',
        tags: ['rbac'],
        requestBody: { required: true, content: jsonContent(ref('TokenInput')) },
        responses: {
          '201': { description: 'created', content: jsonContent(ref('Token')) },
          '400': errorResponse('schema violation'),
          '409': errorResponse('name taken'),
          ...COMMON_ERRORS,
        },
      },
    },
    '/rbac/tokens/{token}': {
      get: {
        operationId: 'getToken',
        summary: 'A token (without its secret)',
        tags: ['rbac'],
        parameters: [pathParam('token', 'id or name')],
        responses: {
          '200': { description: 'ok', content: jsonContent(ref('Token')) },
          '404': errorResponse('not found'),
          ...COMMON_ERRORS,
        },
      },
      patch: {
        operationId: 'updateToken',
        summary: "Change a token's role or comment",
        tags: ['rbac'],
        parameters: [pathParam('token', 'id or name')],
        requestBody: {
          required: true,
          content: jsonContent({
            type: 'object',
            properties: { role: { enum: ['admin', 'read-only'] }, comment: { type: ['string', 'null'] } },
          }),
        },
        responses: {
          '200': { description: 'ok', content: jsonContent(ref('Token')) },
          '404': errorResponse('not found'),
          ...COMMON_ERRORS,
        },
      },
      delete: {
        operationId: 'deleteToken',
        summary: 'Revoke a token',
        tags: ['rbac'],
        parameters: [pathParam('token', 'id or name')],
        responses: { '204': { description: 'revoked' }, ...COMMON_ERRORS },
      },
    },
    '/audit/requests': {
      get: {
        operationId: 'auditLog',
        summary: 'Every change request: who, what, when (newest first)',
        tags: ['audit'],
        parameters: listParams().slice(0, 2),
        responses: { '200': { description: 'a page' }, ...COMMON_ERRORS },
      },
    },
  };
  for (const [seg, kind] of TOP_LEVEL) {
    paths[`/${seg}`] = collection(kind, [], '');
    paths[`/${seg}/{${ident(kind)}}`] = item(kind, [pathParam(ident(kind), 'id or name')], '');
  }
  for (const [parent, field, child, kind] of NESTED) {
    const under = `Of${field[0]!.toUpperCase()}${field.slice(1)}`;
    const pp = pathParam(field, `the ${field}: id or name`);
    const childParam = ident(kind) === field ? `${ident(kind)}_key` : ident(kind);
    paths[`/${parent}/{${field}}/${child}`] = collection(kind, [pp], under + child.replace(/[^a-z0-9]/gi, ''));
    paths[`/${parent}/{${field}}/${child}/{${childParam}}`] = item(
      kind,
      [pp, pathParam(childParam, 'id or name')],
      under + child.replace(/[^a-z0-9]/gi, ''),
    );
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Turnpike Admin API',
      version: VERSION,
      description:
        "Kong-compatible Admin API of Turnpike. Entity paths, semantics and error bodies follow Kong's; /rbac and /audit are Turnpike's.",
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: 'http://127.0.0.1:8001' }],
    security: [{ bearer: [] }, {}],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'TURNPIKE_ADMIN_TOKEN, or a token from POST /rbac/tokens',
        },
      },
      schemas,
    },
    paths,
  };
  return cached;
}
