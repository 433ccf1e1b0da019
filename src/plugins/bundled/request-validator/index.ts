// request-validator: validates requests before they go upstream (Kong Enterprise's plugin of
// that name, priority 999): the Content-Type against `allowed_content_types`, query, header
// and path parameters against `parameter_schema`, the body against `body_schema` (JSON
// Schema draft 4 to 2020-12, or Kong's own schema dialect). Turnpike adds an OpenAPI 3 mode
// (`api_spec` / `api_spec_file`): the operation is found by method and path template and its
// parameters and request body are validated. Failures answer 400 with Kong's messages. The
// body is only read (buffered) when a body schema applies to the request.

import fs from 'node:fs';
import type { ValidateFunction } from 'ajv';
import { definePlugin, type PluginContext } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { bodyKind, mediaTypeMatches, parseMediaType, type MediaType } from './content-type.js';
import { compileSpec, findOperation, type ApiSpec, type BodyMedia } from './openapi.js';
import { checkParams, DEFAULT_STYLE, shapeOf, type ParamSpec } from './params.js';
import { RequestValidatorSchema, type RequestValidatorConfig } from './schema.js';
import { compileConfigSchema, describeErrors, makeAjv } from './schemas.js';

const MSG_BODY = "request body doesn't conform to schema";
const MSG_PARAM = "request param doesn't conform to schema";
const MSG_TYPE = 'specified Content-Type is not allowed';

interface Prepared {
  readonly verbose: boolean;
  readonly checkTypeParams: boolean;
  readonly allowed: readonly MediaType[];
  readonly params: readonly ParamSpec[];
  readonly body: ValidateFunction | null;
  readonly spec: ApiSpec | null;
  readonly basePath: string;
  readonly allowUnknown: boolean;
}

function prepare(c: RequestValidatorConfig): Prepared {
  const allowed = c.allowed_content_types.map((t, i) => {
    const m = parseMediaType(t);
    if (!m)
      throw new PluginConfigFieldError(
        `allowed_content_types.${i}`,
        `'${t}' is not a media type such as application/json or application/json; charset=utf-8`,
      );
    return m;
  });
  const common = {
    verbose: c.verbose_response,
    checkTypeParams: c.content_type_parameter_validation,
    allowed,
    basePath: c.api_spec_base_path.replace(/\/$/, ''),
    allowUnknown: c.allow_unknown_operations,
  };

  if (c.api_spec !== null || c.api_spec_file !== null) {
    if (c.api_spec !== null && c.api_spec_file !== null)
      throw new PluginConfigFieldError('', "only one of 'config.api_spec' and 'config.api_spec_file' may be set");
    if (c.body_schema !== null || c.parameter_schema !== null) {
      throw new PluginConfigFieldError(
        '',
        "'config.api_spec' / 'config.api_spec_file' cannot be combined with 'config.body_schema' or 'config.parameter_schema'",
      );
    }
    let text = c.api_spec;
    const field = text !== null ? 'api_spec' : 'api_spec_file';
    if (text === null) {
      try {
        text = fs.readFileSync(c.api_spec_file!, 'utf8');
      } catch (err) {
        throw new PluginConfigFieldError(field, `cannot read '${c.api_spec_file}': ${(err as Error).message}`);
      }
    }
    return { ...common, params: [], body: null, spec: compileSpec(text, field) };
  }

  if (c.body_schema === null && (c.parameter_schema === null || c.parameter_schema.length === 0)) {
    throw new PluginConfigFieldError(
      '',
      "at least one of these fields must be non-empty: 'config.body_schema', 'config.parameter_schema', 'config.api_spec', 'config.api_spec_file'",
    );
  }
  const body =
    c.body_schema === null
      ? null
      : compileConfigSchema(makeAjv(c.version, false), c.body_schema, c.version, 'body_schema');
  // Parameters are always JSON Schema (Kong: draft 4 under version "kong").
  const paramDialect = c.version === 'kong' ? 'draft4' : c.version;
  const paramAjv = makeAjv(paramDialect, true);
  const params = (c.parameter_schema ?? []).map((p, i): ParamSpec => {
    const field = `parameter_schema.${i}`;
    if (p.in === 'path') {
      throw new PluginConfigFieldError(
        `${field}.in`,
        "'path' parameters are not supported here: plugins do not see the route's regex captures; describe the path with 'config.api_spec' (OpenAPI path templates) instead",
      );
    }
    const validate =
      p.schema === null ? null : compileConfigSchema(paramAjv, p.schema, paramDialect, `${field}.schema`);
    const style = p.style ?? DEFAULT_STYLE[p.in];
    const parsed = p.schema === null ? null : (JSON.parse(p.schema) as unknown);
    const props =
      parsed !== null && typeof parsed === 'object' ? (parsed as { properties?: unknown }).properties : undefined;
    return {
      name: p.name,
      in: p.in,
      required: p.required,
      style,
      explode: p.explode ?? style === 'form',
      shape: shapeOf(parsed),
      properties: props !== null && typeof props === 'object' ? Object.keys(props) : [],
      validate,
    };
  });
  return { ...common, params, body, spec: null };
}

function refuse(ctx: PluginContext, p: Prepared, generic: string, problems: readonly string[]): void {
  ctx.respond(
    400,
    p.verbose && problems.length ? { message: problems.join('; '), errors: [...problems] } : { message: generic },
  );
}

/**
 * The request body, read only when a body schema applies. Content-Length: 0 is known empty
 * without reading; otherwise (a Content-Length, chunked, or no body at all: Transfer-Encoding
 * is hop-by-hop and not shown to plugins) the gateway's buffered body is read, empty when
 * there was none.
 */
async function readBody(ctx: PluginContext): Promise<Buffer> {
  const cl = ctx.request.getHeader('content-length');
  if (cl !== undefined && cl.trim() === '0') return Buffer.alloc(0);
  return ctx.request.readBody();
}

/** A Content-Length above zero: the client announced a body. */
function announcedBody(ctx: PluginContext): boolean {
  const cl = ctx.request.getHeader('content-length');
  return cl !== undefined && /^\s*\d+\s*$/.test(cl) && Number(cl) > 0;
}

/** Parses the body for validation; a string is the reason it could not be parsed. */
function parseBody(bytes: Buffer, kind: 'json' | 'form'): { value: unknown } | string {
  const text = bytes.toString('utf8');
  if (text.trim() === '') return { value: {} };
  if (kind === 'form') {
    const o: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(text)) {
      const prev = o[k];
      o[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return { value: o };
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return `body: is not valid JSON (${(err as Error).message})`;
  }
}

function validateBody(
  ctx: PluginContext,
  p: Prepared,
  validate: ValidateFunction | null,
  kind: 'json' | 'form',
  bytes: Buffer,
): void {
  if (!validate) return;
  const parsed = parseBody(bytes, kind);
  if (typeof parsed === 'string') return refuse(ctx, p, MSG_BODY, [parsed]);
  if (!validate(parsed.value)) refuse(ctx, p, MSG_BODY, describeErrors('body', validate.errors));
}

function contentType(ctx: PluginContext): MediaType | null | 'invalid' {
  const raw = ctx.request.getHeader('content-type');
  if (raw === undefined || raw.trim() === '') return null;
  return parseMediaType(raw) ?? 'invalid';
}

async function access(ctx: PluginContext, p: Prepared): Promise<void> {
  let params = p.params;
  let pathParams: Record<string, string> = {};
  let opBody: { required: boolean; media: readonly BodyMedia[] } | null = null;

  if (p.spec) {
    let path = ctx.request.path;
    if (p.basePath !== '')
      path = path === p.basePath || path.startsWith(p.basePath + '/') ? path.slice(p.basePath.length) || '/' : '\0';
    const found = findOperation(p.spec, ctx.request.method, path);
    if (found.kind !== 'found') {
      if (p.allowUnknown) return;
      if (found.kind === 'no-path')
        return ctx.respond(404, { message: 'no operation in the API description matches this path' });
      return ctx.respond(
        405,
        { message: 'method not allowed by the API description' },
        { allow: found.allow.join(', ') },
      );
    }
    params = found.op.params;
    pathParams = found.pathParams;
    opBody = found.op.body;
  }

  if (params.length) {
    const q = ctx.request.query;
    const problems = checkParams(
      {
        query: new URLSearchParams(q.startsWith('?') ? q.slice(1) : q),
        headers: ctx.request.getHeaders(),
        path: pathParams,
      },
      params,
    );
    if (problems.length) return refuse(ctx, p, MSG_PARAM, problems);
  }

  const type = contentType(ctx);

  if (p.spec) {
    if (!opBody) return;
    if (type === null) {
      // No Content-Type: only an empty body is acceptable, and only when the body is optional.
      if (announcedBody(ctx) || (await readBody(ctx)).length > 0) return refuse(ctx, p, MSG_TYPE, []);
      if (opBody.required) refuse(ctx, p, MSG_BODY, ['body: is required']);
      return;
    }
    const media = type === 'invalid' ? null : opBody.media.find((m) => mediaTypeMatches(m.media, type, false));
    if (!media || type === 'invalid') return refuse(ctx, p, MSG_TYPE, []);
    const kind = bodyKind(type);
    if (kind === null || !media.validate) return; // not parsed here (multipart, text, …): passed on
    const bytes = await readBody(ctx);
    if (bytes.length === 0) {
      if (opBody.required) refuse(ctx, p, MSG_BODY, ['body: is required']);
      return;
    }
    return validateBody(ctx, p, media.validate, kind, bytes);
  }

  if (!p.body) return;
  if (type === null) {
    // Kong checks the Content-Type whenever a body schema is set; a request with neither a
    // body nor a Content-Type (a plain GET) is validated as an empty object.
    if (announcedBody(ctx)) return refuse(ctx, p, MSG_TYPE, []);
    const bytes = await readBody(ctx);
    if (bytes.length > 0) return refuse(ctx, p, MSG_TYPE, []);
    return validateBody(ctx, p, p.body, 'json', bytes);
  }
  if (type === 'invalid' || !p.allowed.some((a) => mediaTypeMatches(a, type, p.checkTypeParams)))
    return refuse(ctx, p, MSG_TYPE, []);
  const kind = bodyKind(type);
  if (kind === null) return; // an allowed type this plugin cannot parse (multipart, text, …): passed on
  validateBody(ctx, p, p.body, kind, await readBody(ctx));
}

export default definePlugin({
  name: 'request-validator',
  version: '0.1.0',
  priority: 999,
  schema: RequestValidatorSchema,
  prepare,
  phases: { access },
});
