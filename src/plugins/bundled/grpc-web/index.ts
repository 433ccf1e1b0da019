// grpc-web (Kong's name, priority and fields): browsers' gRPC-Web over HTTP/1.1 (or HTTP/2)
// translated to a gRPC backend. access: answers CORS preflights, decodes a base64 ("-text")
// body, re-encodes JSON messages ("+json") with the .proto, and sends the call upstream as
// `application/grpc` with `TE: trailers`; response: the client's content type back;
// body: the gRPC trailers (grpc-status, grpc-message…) become a trailer frame at the end of
// the body, the whole body base64 again for "-text". A trailers-only answer (grpc-status in
// the headers) keeps its status in the headers, which gRPC-Web allows.

import { definePlugin, type BodyFilter, type HeaderMap, type PluginContext } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { Base64Decoder, Base64Encoder } from '../shared/grpc/base64.js';
import { encodeFrame, FLAG_TRAILER, FrameReader, trailerFrame } from '../shared/grpc/framing.js';
import { decodeMessage, encodeMessage, messageObject } from '../shared/grpc/json.js';
import { encodeGrpcMessage } from '../shared/grpc/status.js';
import { loadProto, type RpcMethod } from '../shared/grpc/proto.js';
import { parseWebMime, WEB_MIME_TYPES, type WebMime } from './mime.js';
import { GrpcWebSchema, type GrpcWebConfig } from './schema.js';

interface Prepared {
  allowOrigin: string;
  passStrippedPath: boolean;
  /** RPCs of the .proto by gRPC path, for "+json"; null without a proto. */
  methods: Map<string, RpcMethod> | null;
}

interface CallState {
  web: WebMime;
  /** The RPC, for "+json". */
  rpc: RpcMethod | null;
  /** The upstream answered gRPC; otherwise its answer passes unchanged. */
  grpc: boolean;
  /** grpc-status came in the response headers (trailers-only). */
  trailersOnly: boolean;
}

const calls = new WeakMap<PluginContext, CallState>();

/**
 * Refuses a gRPC-Web call the way a gRPC-Web client reads it: HTTP 200 with grpc-status
 * INVALID_ARGUMENT (3) and grpc-message in the headers (trailers-only), CORS headers included
 * (a browser could not read a cross-origin error without them). Kong answers a plain 400.
 */
function refuse(ctx: PluginContext, web: WebMime, allowOrigin: string, message: string): void {
  ctx.respond(200, undefined, {
    'Content-Type': web.mime,
    'grpc-status': '3',
    'grpc-message': encodeGrpcMessage(`grpc-web: ${message}`),
    'Access-Control-Allow-Origin': allowOrigin,
    'Access-Control-Expose-Headers': EXPOSE,
  });
}

/** The headers gRPC-Web clients need to read from a cross-origin answer. */
const EXPOSE = 'grpc-status,grpc-message,grpc-status-details-bin';

function prepare(c: GrpcWebConfig): Prepared {
  let methods: Map<string, RpcMethod> | null = null;
  if (c.proto !== null) {
    try {
      methods = new Map(loadProto('grpc-web', c.proto).methods.map((m) => [m.grpcPath, m]));
    } catch (err) {
      throw new PluginConfigFieldError('proto', (err as Error).message);
    }
  }
  return { allowOrigin: c.allow_origin_header, passStrippedPath: c.pass_stripped_path === true, methods };
}

/** `/pkg.Service/Method` at the end of a path (whatever prefix the route has). */
function rpcPathOf(path: string): string {
  const parts = path.split('/');
  return parts.length < 3 ? path : '/' + parts.slice(-2).join('/');
}

/** Re-encodes every JSON message frame of `body` as protobuf. */
function jsonToProto(rpc: RpcMethod, body: Buffer): Buffer {
  const reader = new FrameReader();
  const out: Buffer[] = [];
  for (const f of reader.push(body)) {
    const obj: unknown = JSON.parse(f.payload.toString('utf8'));
    out.push(encodeFrame(0, encodeMessage(rpc.requestType, messageObject(rpc.requestType, obj, ''))));
  }
  if (reader.buffered > 0) throw new Error('the request body ends inside a gRPC-Web frame');
  return Buffer.concat(out);
}

class WebFilter implements BodyFilter {
  private readonly b64: Base64Encoder | null;
  private readonly reader: FrameReader | null;

  constructor(private readonly state: CallState) {
    this.b64 = state.web.text ? new Base64Encoder() : null;
    this.reader = state.rpc !== null ? new FrameReader() : null;
  }

  private out(data: Buffer): Buffer {
    return this.b64 === null ? data : this.b64.push(data);
  }

  chunk(data: Buffer): Buffer | null {
    if (this.reader === null) return this.out(data);
    // "+json": each response message decoded with the .proto and sent as JSON, reframed.
    const parts: Buffer[] = [];
    for (const f of this.reader.push(data)) {
      if ((f.flag & FLAG_TRAILER) !== 0) continue;
      const json = JSON.stringify(decodeMessage(this.state.rpc!.responseType, f.payload));
      parts.push(encodeFrame(0, Buffer.from(json)));
    }
    return parts.length === 0 ? null : this.out(Buffer.concat(parts));
  }

  end(trailers: HeaderMap): Buffer | null {
    if (this.reader !== null && this.reader.buffered > 0)
      throw new Error('the upstream body ended inside a gRPC frame');
    const parts: Buffer[] = [];
    if (!this.state.trailersOnly) {
      const t: HeaderMap = {};
      for (const k of Object.keys(trailers)) {
        t[k] = trailers[k];
        delete trailers[k]; // they travel in the body now
      }
      if (t['grpc-status'] === undefined) {
        // No status at all is an error in gRPC (grpc-js reports "missing status" the same way).
        t['grpc-status'] = '2';
        t['grpc-message'] = 'upstream response carried no grpc-status';
      }
      parts.push(this.out(trailerFrame(t)));
    }
    if (this.b64 !== null) parts.push(this.b64.end());
    const out = Buffer.concat(parts);
    return out.length === 0 ? null : out;
  }
}

export default definePlugin({
  name: 'grpc-web',
  version: '0.1.0',
  priority: 3,
  schema: GrpcWebSchema,
  prepare,
  phases: {
    async access(ctx, conf) {
      const req = ctx.request;
      if (req.method === 'OPTIONS') {
        return ctx.respond(200, 'OK', {
          'Content-Type': 'application/grpc-web-text',
          'Access-Control-Allow-Origin': conf.allowOrigin,
          'Access-Control-Allow-Methods': 'POST',
          'Access-Control-Allow-Headers':
            req.getHeader('access-control-request-headers') ?? 'content-type,x-grpc-web,x-user-agent,grpc-timeout',
          'Access-Control-Expose-Headers': EXPOSE,
          'Access-Control-Max-Age': '600',
        });
      }
      const ct = req.getHeader('content-type');
      const web = parseWebMime(ct);
      const plainGrpc = web === null && ct !== undefined && /^\s*application\/grpc(\+|;|\s*$)/i.test(ct);
      if (web === null && !plainGrpc) {
        return ctx.respond(400, {
          message: `grpc-web: unsupported Content-Type ${JSON.stringify(ct ?? '')}; use one of ${WEB_MIME_TYPES.join(', ')}`,
        });
      }
      // Kong sends gRPC calls with the client's path unless pass_stripped_path is set.
      if (!conf.passStrippedPath) req.setUpstreamPath(req.path);
      // Plain gRPC (an HTTP/2 client on the same route) needs no other translation.
      if (web === null) return;
      let rpc: RpcMethod | null = null;
      if (web.json) {
        if (conf.methods === null)
          return refuse(
            ctx,
            web,
            conf.allowOrigin,
            `${web.mime} needs the plugin's proto setting (a .proto file to encode JSON messages)`,
          );
        rpc = conf.methods.get(rpcPathOf(req.path)) ?? null;
        if (rpc === null)
          return refuse(
            ctx,
            web,
            conf.allowOrigin,
            `${rpcPathOf(req.path)} is not a method of the configured proto file`,
          );
      }
      if (web.text || web.json) {
        // Only these need the whole body: binary protobuf calls stream through untouched.
        let body = await req.readBody();
        try {
          if (web.text) {
            const d = new Base64Decoder();
            const decoded = d.push(body.toString('latin1'));
            d.end();
            body = decoded;
          }
          if (rpc !== null) body = jsonToProto(rpc, body);
        } catch (err) {
          return refuse(ctx, web, conf.allowOrigin, (err as Error).message);
        }
        req.setBody(body);
      }
      calls.set(ctx, { web, rpc, grpc: false, trailersOnly: false });
      req.setHeader('Content-Type', 'application/grpc');
      req.setHeader('TE', 'trailers');
    },
    response(ctx, conf) {
      const res = ctx.response;
      if (res === null) return;
      res.setHeader('Access-Control-Allow-Origin', conf.allowOrigin);
      const ct = (res.getHeader('content-type') ?? '').toLowerCase();
      const state = calls.get(ctx);
      if (state === undefined) {
        // Refused before this plugin's access phase ran (an auth plugin runs first): a
        // gateway-made gRPC-Web error still exposes its status to the browser.
        if (ct.startsWith('application/grpc')) res.setHeader('Access-Control-Expose-Headers', EXPOSE);
        return;
      }
      res.setHeader('Access-Control-Expose-Headers', EXPOSE);
      if (!ct.startsWith('application/grpc')) return; // not a gRPC answer: passed on as it is
      state.grpc = true;
      state.trailersOnly = res.getHeader('grpc-status') !== undefined;
      res.setHeader('Content-Type', state.web.mime);
      res.removeHeader('trailer');
    },
    body(ctx) {
      const state = calls.get(ctx);
      if (state === undefined || !state.grpc) return null;
      // Binary protobuf of a trailers-only answer: nothing to change.
      if (state.trailersOnly && !state.web.text && state.rpc === null) return null;
      return new WebFilter(state);
    },
  },
});
