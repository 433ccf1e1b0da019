// Building blocks shared by the entity schemas. The schemas describe the NORMALIZED entity
// (every field present, Kong's default filled in); the loader derives the schema of what a
// file may contain from them (see ./declarative.ts). `x-error` is our own annotation: the
// friendly message given when a `pattern`/`format` check fails.
import { Type, type TSchema, type Static, type SchemaOptions } from '@sinclair/typebox';

/** A string limited to a set of values; static type is the literal union. */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/**
 * `T | null` as a single JSON-schema `type` array (not `anyOf`), which keeps validation
 * errors short. Works for schemas with a single `type` keyword.
 */
export function Nullable<T extends TSchema>(schema: T, options: SchemaOptions = {}) {
  const s = schema as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { ...s, ...options, type: [s.type, 'null'] };
  if (Array.isArray(s.enum)) out.enum = [...(s.enum as unknown[]), null];
  if (!('default' in options)) out.default = null;
  return Type.Unsafe<Static<T> | null>(out);
}

export const Id = Type.String({
  format: 'uuid',
  'x-error': 'must be a UUID such as 7b3ac1f2-5a4e-4a28-9f3e-2d5c7c0d9a10',
});
export const Ref = Type.Object({ id: Id }, { additionalProperties: false });
export const Tags = Type.Array(
  Type.String({
    minLength: 1,
    pattern: '^[^,\\s]+(?: [^,\\s]+)*$',
    'x-error': 'must be a tag without commas or leading/trailing spaces',
  }),
  { default: [] },
);
export const Port = Type.Integer({ minimum: 0, maximum: 65535 });
export const Timeout = Type.Integer({ minimum: 1, maximum: 2147483646, default: 60000 });
export const HeaderName = Type.String({
  pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
  'x-error': "must be a valid HTTP header name (letters, digits and !#$%&'*+.^_`|~-)",
});
// Kong's hostname/IP check, loosely: labels of letters, digits, '-' and '_'; or an IPv4 / [IPv6].
export const HOST_PATTERN =
  '^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})?(?:\\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})?)*\\.?|\\[?[0-9A-Fa-f:.]+\\]?)$';
export const Host = Type.String({
  minLength: 1,
  pattern: HOST_PATTERN,
  'x-error': 'must be a hostname or IP address such as api.internal or 10.0.0.5 (no scheme, port or path)',
});
export const Path = Type.String({
  pattern: '^/[^\\s?#]*$',
  'x-error': "must be a path starting with '/' and without spaces, '?' or '#'",
});
export const HttpStatus = Type.Integer({ minimum: 100, maximum: 999 });

/** Protocols of services, routes and plugins, as in Kong 3. */
export const PROTOCOLS = [
  'http',
  'https',
  'grpc',
  'grpcs',
  'tcp',
  'tls',
  'tls_passthrough',
  'udp',
  'ws',
  'wss',
] as const;
export type Protocol = (typeof PROTOCOLS)[number];
