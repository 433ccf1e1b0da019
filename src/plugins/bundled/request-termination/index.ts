// request-termination: answers every request (or only those carrying a trigger header or
// query argument) from the gateway with a fixed status and message or body. Kong priority 2.

import { definePlugin, type PluginContext } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { RequestTerminationSchema, type RequestTerminationConfig } from './schema.js';

/** Kong's default messages for statuses given without `message` (kong/plugins/request-termination/handler.lua). */
export const DEFAULT_MESSAGES: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  404: 'Not found',
  405: 'Method not allowed',
  500: 'An unexpected error occurred',
  502: 'Bad Gateway',
  503: 'Service unavailable',
};

/** Kong documents this as content_type's default for a raw `body`. */
const DEFAULT_CONTENT_TYPE = 'application/json; charset=utf-8';

interface Prepared {
  readonly status: number;
  readonly trigger: string | null;
  readonly echo: boolean;
  readonly message: string | null;
  /** The answer when not echoing: `{ message }`, a raw body, or nothing. */
  readonly body: string | Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;
}

const present = (v: string | null | undefined): v is string => typeof v === 'string' && v.length > 0;

function prepare(c: RequestTerminationConfig): Prepared {
  // Kong's custom_validator, same rules and messages.
  if (present(c.message) && (present(c.content_type) || present(c.body))) {
    throw new PluginConfigFieldError('', 'message cannot be used with content_type or body');
  }
  if (present(c.content_type) && !present(c.body)) throw new PluginConfigFieldError('', 'content_type requires a body');
  if (c.echo && (present(c.content_type) || present(c.body))) {
    throw new PluginConfigFieldError('', 'echo cannot be used with content_type and body');
  }
  const message = c.message ?? DEFAULT_MESSAGES[c.status_code] ?? null;
  if (c.body !== null) {
    return {
      status: c.status_code,
      trigger: c.trigger,
      echo: c.echo,
      message,
      body: c.body,
      headers: { 'Content-Type': c.content_type ?? DEFAULT_CONTENT_TYPE },
    };
  }
  return {
    status: c.status_code,
    trigger: c.trigger,
    echo: c.echo,
    message,
    body: message === null ? undefined : { message },
    headers: undefined,
  };
}

function parseQuery(query: string): Record<string, string | string[] | boolean> {
  const out: Record<string, string | string[] | boolean> = {};
  const q = query.startsWith('?') ? query.slice(1) : query;
  if (q === '') return out;
  for (const part of q.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        return s;
      }
    };
    const k = decode(eq < 0 ? part : part.slice(0, eq));
    // Kong gives `true` for an argument without "=".
    const v: string | boolean = eq < 0 ? true : decode(part.slice(eq + 1));
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (typeof v === 'string')
      out[k] = Array.isArray(prev) ? [...prev, v] : typeof prev === 'string' ? [prev, v] : [v];
  }
  return out;
}

function echoBody(ctx: PluginContext, p: Prepared): Record<string, unknown> {
  const r = ctx.request;
  return {
    message: p.message,
    request: {
      scheme: r.scheme,
      host: r.host,
      port: r.port,
      method: r.method,
      path: r.path,
      raw_path: r.rawPath,
      query: parseQuery(r.query),
    },
    matched_route: ctx.route,
    matched_service: ctx.service,
  };
}

export default definePlugin({
  name: 'request-termination',
  version: '0.1.0',
  priority: 2,
  schema: RequestTerminationSchema,
  prepare,
  phases: {
    access(ctx, p) {
      if (
        p.trigger !== null &&
        ctx.request.getHeader(p.trigger) === undefined &&
        ctx.request.getQueryArg(p.trigger) === undefined
      )
        return;
      if (p.echo) return ctx.respond(p.status, echoBody(ctx, p));
      ctx.respond(p.status, p.body, p.headers);
    },
  },
});
