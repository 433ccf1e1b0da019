// The Admin API's own paths in its OpenAPI document (everything but the entities): node
// information and status, the configuration, schemas, health, clustering, RBAC tokens and
// the audit log, with the schemas they name.
import type { Json } from './http.js';
import { COMMON_ERRORS, errorResponse, jsonContent, listParams, pathParam, ref, simple } from './openapi-common.js';

export function systemSchemas(): Json {
  return {
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
}

export function systemPaths(): Json {
  return {
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
}
