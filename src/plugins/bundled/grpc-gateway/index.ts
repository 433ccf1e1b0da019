// grpc-gateway (Kong's name, priority and field): REST/JSON calls transcoded to gRPC from the
// google.api.http annotations of a .proto file. access: the method and path pick a binding,
// the body, path variables and query become the request message, sent as
// `POST /<package>.<Service>/<Method>` with gRPC framing; response: the gRPC status becomes the
// HTTP status (as grpc-gateway maps it); body: each response message becomes JSON.

import path from 'node:path';
import zlib from 'node:zlib';
import { definePlugin, type BodyFilter, type HeaderMap, type PluginContext, type PrepareEnv } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { decodeMessage, encodeMessage, findField } from '../shared/grpc/json.js';
import { encodeFrame, FLAG_COMPRESSED, FLAG_TRAILER, FrameReader } from '../shared/grpc/framing.js';
import { decodeGrpcMessage, httpStatusFromGrpc } from '../shared/grpc/status.js';
import { findBinding, type Binding } from './bindings.js';
import { isMissing, loadBindings, ProtoState } from './proto-state.js';
import { buildRequest } from './request.js';
import { GrpcGatewaySchema, type GrpcGatewayConfig } from './schema.js';

/** What the access phase decided, for the response and body phases of the same request. */
interface CallState {
  binding: Binding;
  /** The upstream answered gRPC (set in the response phase); otherwise its answer passes unchanged. */
  grpc: boolean;
  /** A trailers-only answer's status (grpc-status in the headers), or null. */
  headerStatus: { code: number; message: string } | null;
  encoding: string | undefined;
}

const calls = new WeakMap<PluginContext, CallState>();

/** Kong answers preflights itself, with these headers. */
const CORS_HEADERS = {
  'Content-Type': 'application/json',
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET,POST,PATCH,DELETE',
  'Access-Control-Allow-Headers': 'content-type',
};

/** Kong's answer to a request it cannot transcode for lack of a .proto (the reason goes to the log, not to the client). */
const UNAVAILABLE = { message: 'An unexpected error occurred' };

function prepare(c: GrpcGatewayConfig, env: PrepareEnv): ProtoState {
  if (c.proto === null) {
    env.warn(
      "proto: no .proto file is configured (Kong's default, null); every request on it answers 500 until one is set",
    );
    return new ProtoState(null, null);
  }
  // A missing file loads with a warning, as Kong reads it lazily; a file that is there must be
  // valid now, so that a mistake in it refuses the configuration instead of failing requests.
  if (isMissing(c.proto)) {
    env.warn(
      `proto: ${path.resolve(c.proto)} does not exist; requests on it answer 500 until the file is there (it is read on the next request after it appears)`,
    );
    return new ProtoState(c.proto, null);
  }
  try {
    return new ProtoState(c.proto, loadBindings(c.proto));
  } catch (err) {
    throw new PluginConfigFieldError('proto', (err as Error).message);
  }
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function errorJson(code: number, message: string): string {
  return JSON.stringify({ code, message });
}

/** Turns the upstream's gRPC response frames into JSON: one object (unary) or one `{"result": …}` line per message (server streaming). */
class ToJson implements BodyFilter {
  private readonly reader = new FrameReader();
  private sent = 0;

  constructor(private readonly state: CallState) {}

  private message(payload: Buffer, flag: number): string {
    const b = this.state.binding;
    let data = payload;
    if ((flag & FLAG_COMPRESSED) !== 0) {
      const enc = (this.state.encoding ?? 'identity').toLowerCase();
      if (enc === 'gzip') data = zlib.gunzipSync(payload);
      else if (enc === 'deflate') data = zlib.inflateSync(payload);
      else
        throw new Error(
          `the upstream sent a message compressed with ${JSON.stringify(enc)}, which grpc-gateway cannot read`,
        );
    }
    let obj: unknown = decodeMessage(b.rpc.responseType, data);
    if (b.responseBody !== '')
      obj = (obj as Record<string, unknown>)[findField(b.rpc.responseType, b.responseBody)!.name];
    const streaming = b.rpc.serverStreaming;
    const text = streaming ? JSON.stringify({ result: obj }) + '\n' : (this.sent > 0 ? '\n' : '') + JSON.stringify(obj);
    this.sent++;
    return text;
  }

  chunk(data: Buffer): Buffer | null {
    let out = '';
    for (const f of this.reader.push(data)) if ((f.flag & FLAG_TRAILER) === 0) out += this.message(f.payload, f.flag);
    return out === '' ? null : Buffer.from(out);
  }

  end(trailers: HeaderMap): Buffer | null {
    if (this.reader.buffered > 0) throw new Error('the upstream body ended inside a gRPC frame');
    const hs = this.state.headerStatus;
    const codeText = first(trailers['grpc-status']);
    const code = hs !== null ? hs.code : codeText === undefined ? 0 : Number(codeText);
    const message = hs !== null ? hs.message : decodeGrpcMessage(first(trailers['grpc-message']) ?? '');
    // The JSON client gets the status in the body; gRPC's trailers mean nothing to it.
    for (const k of Object.keys(trailers)) delete trailers[k];
    if (code === 0) return this.sent === 0 && !this.state.binding.rpc.serverStreaming ? Buffer.from('{}') : null;
    // An error after messages went out (the HTTP status is already sent): said in the body.
    if (this.state.binding.rpc.serverStreaming) return Buffer.from(JSON.stringify({ error: { code, message } }) + '\n');
    return Buffer.from((this.sent > 0 ? '\n' : '') + errorJson(code, message));
  }
}

export default definePlugin({
  name: 'grpc-gateway',
  version: '0.1.0',
  priority: 998,
  schema: GrpcGatewaySchema,
  prepare,
  phases: {
    async access(ctx, state) {
      const req = ctx.request;
      if (req.method === 'OPTIONS') return ctx.respond(200, 'OK', CORS_HEADERS);
      const found = state.lookup();
      if (!found.ok) {
        if (found.log !== null)
          ctx.log.error(
            `grpc-gateway${ctx.route ? ` (route '${ctx.route.name}')` : ''}: cannot transcode, answering 500: ${found.log}`,
          );
        return ctx.respond(500, UNAVAILABLE);
      }
      const { match, pathKnown } = findBinding(found.bindings, req.method, req.rawPath);
      if (match === null) {
        if (pathKnown)
          return ctx.respond(405, {
            code: 12,
            message: `Method Not Allowed: no gRPC method is bound to ${req.method} ${req.path}`,
          });
        return ctx.respond(404, {
          code: 5,
          message: `Not Found: no gRPC method is bound to ${req.method} ${req.path}`,
        });
      }
      const b = match.binding;
      let payload: Buffer;
      try {
        const body = b.body === '' ? Buffer.alloc(0) : await req.readBody();
        payload = encodeMessage(b.rpc.requestType, buildRequest(b, match.vars, req.upstreamQuery, body));
      } catch (err) {
        // The body, a path variable or a query parameter does not fit the message.
        return ctx.respond(400, { code: 3, message: (err as Error).message });
      }
      calls.set(ctx, { binding: b, grpc: false, headerStatus: null, encoding: undefined });
      if (req.method !== 'POST') req.setMethod('POST');
      req.setUpstreamPath(b.rpc.grpcPath);
      req.setUpstreamQuery('');
      req.setHeader('Content-Type', 'application/grpc');
      req.setHeader('TE', 'trailers');
      req.removeHeader('content-encoding');
      req.setBody(encodeFrame(0, payload));
    },
    response(ctx) {
      const state = calls.get(ctx);
      const res = ctx.response;
      if (state === undefined || res === null) return;
      res.setHeader('Access-Control-Allow-Origin', '*');
      const ct = (res.getHeader('content-type') ?? '').toLowerCase();
      if (!ct.startsWith('application/grpc')) return; // not a gRPC answer (an HTTP error page…): passed on as it is
      state.grpc = true;
      state.encoding = res.getHeader('grpc-encoding');
      const hs = res.getHeader('grpc-status');
      if (hs !== undefined) {
        const code = Number(hs);
        state.headerStatus = { code, message: decodeGrpcMessage(res.getHeader('grpc-message') ?? '') };
        if (code !== 0) res.setStatus(httpStatusFromGrpc(code));
      }
      res.setHeader('Content-Type', 'application/json');
      res.removeHeader('trailer');
      res.removeHeader('grpc-encoding');
      res.removeHeader('grpc-accept-encoding');
    },
    body(ctx) {
      const state = calls.get(ctx);
      if (state === undefined || !state.grpc) return null;
      return new ToJson(state);
    },
  },
});
