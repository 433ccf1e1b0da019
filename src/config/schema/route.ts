// Kong `routes` entity (kong/db/schema/entities/routes.lua, traditional router), normalized form.
import { Type } from '@sinclair/typebox';
import { Id, Nullable, Port, PROTOCOLS, Ref, StringEnum, Tags } from './common.js';
import { EntityName } from './service.js';

export const HTTP_METHOD = Type.String({
  pattern: '^[A-Z]+$',
  'x-error': 'must be an HTTP method in upper case such as GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS',
});

// Kong's wildcard hosts: one '*' as the leftmost or rightmost label, optional port.
export const RouteHost = Type.String({
  pattern:
    '^(?:\\*\\.)?[A-Za-z0-9_](?:[A-Za-z0-9_-]*)(?:\\.[A-Za-z0-9_-]+)*(?:\\.\\*)?(?::[0-9]{1,5})?$|^\\[[0-9A-Fa-f:.]+\\](?::[0-9]{1,5})?$',
  'x-error':
    "must be a hostname such as api.example.com, optionally with one wildcard label ('*.example.com' or 'example.*') and a port",
});

export const RoutePath = Type.String({
  pattern: '^[/~]',
  'x-error': "must start with '/' (prefix match) or '~' (regular expression), e.g. '/users' or '~/users/(?<id>\\d+)$'",
});

export const CidrPort = Type.Object(
  { ip: Type.Optional(Type.String({ minLength: 1 })), port: Type.Optional(Port) },
  { additionalProperties: false, minProperties: 1 },
);

export const RouteSchema = Type.Object(
  {
    id: Id,
    name: Nullable(EntityName),
    service: Nullable(Ref),
    protocols: Type.Array(Type.String({ enum: [...PROTOCOLS] }), { minItems: 1, default: ['http', 'https'] }),
    methods: Nullable(Type.Array(HTTP_METHOD)),
    hosts: Nullable(Type.Array(RouteHost)),
    paths: Nullable(Type.Array(RoutePath)),
    headers: Nullable(Type.Record(Type.String(), Type.Array(Type.String(), { minItems: 1 }))),
    strip_path: Type.Boolean({ default: true }),
    preserve_host: Type.Boolean({ default: false }),
    regex_priority: Type.Integer({ default: 0 }),
    path_handling: StringEnum(['v0', 'v1'] as const, { default: 'v0' }),
    https_redirect_status_code: Type.Unsafe<number>({ type: 'integer', enum: [426, 301, 302, 307, 308], default: 426 }),
    request_buffering: Type.Boolean({ default: true }),
    response_buffering: Type.Boolean({ default: true }),
    tags: Tags,
    snis: Type.Optional(Nullable(Type.Array(Type.String({ minLength: 1 })))),
    sources: Type.Optional(Nullable(Type.Array(CidrPort))),
    destinations: Type.Optional(Nullable(Type.Array(CidrPort))),
  },
  { $id: 'Route', additionalProperties: false },
);
