// One proxied request: route → balancer → pooled upstream connection → response streamed
// back → metrics and access log. The Exchange is the only per-request object; it is its own
// balancer context and upstream handler, so the hot path allocates no closures.

import { performance } from 'node:perf_hooks';
import type { RequestHead } from '../http1/request-head.js';
import { Skip } from '../http1/request-head.js';
import { Framing, type ResponseHead } from '../http1/response-head.js';
import type { ClientConnection, UpstreamFailure, UpstreamHandler } from '../http1/client-connection.js';
import type { Http1ServerConnection } from '../http1/server-connection.js';
import type { WorkerContext } from '../context.js';
import type { CompiledRoute, CompiledService, Snapshot } from '../../snapshot/types.js';
import type { BalanceContext, Endpoint } from '../../upstream/types.js';
import type { MatchInput, MatchResult } from '../../router/types.js';
import { buildUpstreamPath } from '../../router/upstream-path.js';
import { errorResponse, KONG_MESSAGES, reason } from '../errors.js';
import {
  encodeGrpcMessage,
  grpcErrorResponse,
  grpcFailureTrailers,
  grpcStatusFor,
  isGrpcContentType,
} from '../grpc/errors.js';
import type { UpstreamConnection } from './upstream-connection.js';
import { PluginRun } from './plugin-run.js';
import type { PluginHost } from './plugin-request.js';
import { HeaderList } from './header-list.js';
import { BodyPipeline, PIPELINE_HIGH_WATER, type NamedFilter } from './body-pipeline.js';
import { ChunkedParser } from '../http1/chunked.js';
import { logNameResolutionFailure } from '../upstream-failure.js';
import type { ConsumerStore, HeaderMap, Phase, PluginMetrics, RequestOutcome } from '../../plugins/sdk.js';
import type { TunnelObserver } from '../ws/tunnel.js';
import { stdSink } from '../../observe/stdio.js';

let seq = 0;

/** Request ids: unique per worker (pid prefix) and cheap (a counter, not random bytes). */
export function nextRequestId(ctx: WorkerContext): string {
  return ctx.requestIdPrefix + (++seq).toString(36);
}

/** Reused per worker: the router reads the current request through it. */
class RequestMatchInput implements MatchInput {
  method = '';
  host = '';
  port = 0;
  path = '';
  protocol = 'http';
  head: RequestHead | null = null;
  header(name: string): string | undefined {
    return this.head!.header(name);
  }
}
const matchInput = new RequestMatchInput();
const matchResult: MatchResult<CompiledRoute> = { route: null, matchLength: 0, captures: null };

/** Trailer fields ("name: value\n"…: ChunkedParser.trailers, already validated) as a map with lower-case names. */
function parseTrailers(text: string): HeaderMap {
  const map: HeaderMap = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = map[name];
    if (prev === undefined) map[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else map[name] = [prev, value];
  }
  return map;
}

/** A trailer line a filter left or set: checked like a header (no CR/LF injection, a token name). */
function trailerLine(name: string, value: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new Error(`invalid trailer name ${JSON.stringify(name)}`);
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value))
    throw new Error(`invalid value for trailer ${name}: control characters are not allowed`);
  return name + ': ' + value + '\r\n';
}

const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

export class Exchange implements UpstreamHandler, BalanceContext, PluginHost, TunnelObserver {
  readonly requestId: string;
  readonly startedAt = performance.now();
  snapshot: Snapshot;
  route: CompiledRoute | null = null;
  service: CompiledService | null = null;
  endpoint: Endpoint | null = null;
  upstream: UpstreamConnection | null = null;
  captures: Record<string, string> | null = null;
  matchLength = 0;
  status = 0;
  bytesIn = 0;
  bytesOut = 0;
  upstreamStart = 0;
  upstreamLatency = -1;
  tried: Set<Endpoint> | null = null;
  attempts = 0;
  staleRetried = false;
  bodyStreamed = false;
  requestEnded = false;
  responseStarted = false;
  finished = false;
  /** Wrap an until-close upstream body in chunked framing for the client. */
  chunkOut = false;
  keepAlive: boolean;
  // BalanceContext
  setCookie: string | null = null;
  // Plugins (PluginHost): only requests on routes with plugins touch these.
  run: PluginRun | null = null;
  upstreamPath: string | null = null;
  upstreamQuery: string | null = null;
  hostOverride: string | null = null;
  methodOverride: string | null = null;
  /** The client's body once buffered for a plugin (readBody), or null while it streams. */
  private reqBody: Buffer | null = null;
  /** A body a plugin put in place of the client's (setBody). */
  private bodyReplacement: Buffer | null = null;
  private bodyRead: Promise<Buffer> | null = null;
  private bodyResolve: ((body: Buffer) => void) | null = null;
  private bodyChunks: Buffer[] | null = null;
  private bodySize = 0;
  /** The client's body is being read into memory (or dropped, when replaced). */
  private buffering = false;
  /** The access phase is over and waits for `buffering` to end. */
  private waitingBody = false;
  /** Body filters (body phase) and the de-chunker feeding them, for filtered responses. */
  private pipeline: BodyPipeline | null = null;
  private dechunk: ChunkedParser | null = null;
  /**
   * A gRPC response relayed chunked from an HTTP/2 upstream (whole chunks only): when the
   * upstream fails in the middle, the body can still end with grpc-status trailers (the call
   * fails with UNAVAILABLE / DEADLINE_EXCEEDED) instead of a cut connection.
   */
  private grpcTrailersOnFail = false;
  /** For the log phase: what went upstream and what came back. */
  private upstreamStatus = 0;
  private sentUri: string | null = null;
  private responseLines = '';
  get upstreamStatusSeen(): number | null {
    return this.upstreamStatus === 0 ? null : this.upstreamStatus;
  }
  get upstreamUriSent(): string | null {
    return this.sentUri;
  }
  get responseLinesSent(): string {
    return this.responseLines;
  }

  constructor(
    readonly conn: Http1ServerConnection,
    readonly ctx: WorkerContext,
    readonly head: RequestHead,
  ) {
    this.requestId = nextRequestId(ctx);
    this.snapshot = ctx.snapshot;
    this.keepAlive = head.keepAlive && !ctx.draining;
    this.bytesIn = head.size;
  }

  // ── BalanceContext ────────────────────────────────────────────────────────
  get clientIp(): string {
    return this.conn.clientIp;
  }
  get path(): string {
    return this.head.path;
  }
  header(name: string): string | undefined {
    return this.head.header(name);
  }
  cookie(name: string): string | undefined {
    const c = this.head.header('cookie');
    if (c === undefined) return undefined;
    const parts = c.split(';');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      const eq = p.indexOf('=');
      if (eq !== -1 && p.slice(0, eq).trim() === name) return p.slice(eq + 1).trim();
    }
    return undefined;
  }
  queryArg(name: string): string | undefined {
    const q = this.head.query;
    if (q.length < 2) return undefined;
    const v = new URLSearchParams(q.slice(1)).get(name);
    return v === null ? undefined : v;
  }
  uriCapture(name: string): string | undefined {
    return this.captures === null ? undefined : this.captures[name];
  }
  get consumerId(): string | null {
    return this.run?.consumer?.id ?? null;
  }

  /** The protocol the client spoke, as nginx's $server_protocol says it. */
  get httpVersion(): string {
    return this.conn.listener.http2 === true ? 'HTTP/2.0' : this.head.httpMinor === 1 ? 'HTTP/1.1' : 'HTTP/1.0';
  }

  // ── PluginHost ────────────────────────────────────────────────────────────
  get scheme(): 'http' | 'https' {
    return this.conn.listener.scheme;
  }
  get port(): number {
    return this.conn.listener.port;
  }
  get routeInfo(): { id: string; name: string } | null {
    return this.route;
  }
  get serviceInfo(): { id: string; name: string } | null {
    return this.service;
  }
  get consumerStore(): ConsumerStore {
    return this.snapshot.consumers;
  }
  get pluginMetrics(): PluginMetrics {
    return this.ctx.pluginMetrics;
  }

  readRequestBody(): Promise<Buffer> {
    if (this.bodyReplacement !== null) return Promise.resolve(this.bodyReplacement);
    if (this.reqBody !== null) return Promise.resolve(this.reqBody);
    return this.startBuffering();
  }

  private startBuffering(): Promise<Buffer> {
    if (this.bodyRead !== null) return this.bodyRead;
    this.bodyRead = new Promise((resolve) => {
      this.bodyResolve = resolve;
    });
    this.buffering = true;
    this.bodyChunks = [];
    this.bodySize = 0;
    this.conn.startBody(true); // may end the body at once (none sent): onRequestEnd resolves
    return this.bodyRead;
  }

  setRequestBody(body: Buffer): void {
    this.bodyReplacement = body;
    // The client's own body must still be read off the connection (and dropped).
    if (this.reqBody === null && this.bodyRead === null && this.conn.hasBody) void this.startBuffering();
  }

  private bodyTooLarge(): void {
    this.buffering = false;
    this.bodyChunks = null;
    this.bodyResolve = null;
    this.failReason = `request body larger than client_body_buffer_limit (${this.ctx.clientBodyBufferLimit} bytes), which a plugin needed to read`;
    this.run?.cancel();
    this.respondError(413, 'Request size limit exceeded');
  }

  pluginRespond(status: number, body: Buffer, headers: [string, string][]): void {
    if (status >= 400) {
      // A plugin refusing a gRPC call (key-auth's 401, rate-limiting's 429…): in gRPC form.
      const ct = this.grpcContentType();
      if (ct !== null) return this.respondGrpcError(status, pluginMessage(body, status), ct, headers);
    }
    this.status = status;
    if (this.conn.bodyPending || this.ctx.draining) this.keepAlive = false;
    const list = new HeaderList(status);
    for (const [k, v] of headers) {
      list.names.push(k);
      list.values.push(v);
    }
    if (this.run !== null) {
      this.run.runResponse(list);
      this.responseLines = list.toLines();
      status = this.status = list.status; // a plugin's setStatus
    }
    const noBody = this.head.method === 'HEAD' || status === 204 || status === 304 || status < 200;
    const h =
      'HTTP/1.1 ' +
      status +
      ' ' +
      reason(status) +
      '\r\n' +
      list.toLines() +
      (status === 204 || status === 304 || status < 200 ? '' : 'Content-Length: ' + body.length + '\r\n') +
      'Server: ' +
      this.ctx.serverToken +
      '\r\n' +
      (this.keepAlive ? '' : 'Connection: close\r\n') +
      '\r\n';
    const out = noBody ? Buffer.from(h, 'latin1') : Buffer.concat([Buffer.from(h, 'latin1'), body]);
    this.bytesOut += out.length;
    if (!this.conn.destroyed) this.conn.write(out);
    this.finish();
  }

  pluginFailed(plugin: string, phase: Phase, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.failReason = `plugin ${plugin} failed in the ${phase} phase: ${message}`;
    stdSink('stderr').write(
      JSON.stringify({
        level: 'error',
        time: new Date().toISOString(),
        plugin,
        phase,
        request_id: this.requestId,
        msg: this.failReason,
      }) + '\n',
    );
    if (this.finished) return;
    this.respondError(500, KONG_MESSAGES.internal);
  }

  // ── Request ───────────────────────────────────────────────────────────────
  start(): void {
    const head = this.head;
    const mi = matchInput;
    mi.method = head.method;
    mi.host = head.hostname;
    mi.port = this.conn.listener.port;
    mi.path = head.path;
    mi.protocol = this.conn.listener.scheme;
    mi.head = head;
    const mr = matchResult;
    const router = this.snapshot.router;
    // A WebSocket handshake matches routes with protocols ws/wss first, then (as Kong's open
    // source gateway does) routes with http/https. A plain request never matches a ws-only route.
    let matched: boolean;
    if (head.upgradeWebSocket) {
      mi.protocol = mi.protocol === 'https' ? 'wss' : 'ws';
      matched = router.match(mi, mr);
      if (!matched) {
        mi.protocol = this.conn.listener.scheme;
        matched = router.match(mi, mr);
      }
    } else if (this.snapshot.grpcRoutes && isGrpcContentType(head.header('content-type'))) {
      // A gRPC call matches routes with protocols grpc/grpcs first, then http/https ones.
      mi.protocol = mi.protocol === 'https' ? 'grpcs' : 'grpc';
      matched = router.match(mi, mr);
      if (!matched) {
        mi.protocol = this.conn.listener.scheme;
        matched = router.match(mi, mr);
      }
    } else {
      matched = router.match(mi, mr);
      if (!matched && this.snapshot.grpcRoutes && this.matchesAsGrpc(mi, mr)) {
        // Only on the 404 path: a route that takes this request as a gRPC call says so.
        mi.head = null;
        this.failReason =
          'the route accepts gRPC calls only (protocols grpc/grpcs); the request has no application/grpc content-type';
        return this.respondError(415, 'This route takes gRPC calls only (content-type application/grpc)');
      }
      if (!matched) {
        // Only on the 404 path: a route that would take this request as a WebSocket says so.
        mi.protocol = mi.protocol === 'https' ? 'wss' : 'ws';
        const wsOnly = router.match(mi, mr);
        mr.route = null;
        mr.captures = null;
        if (wsOnly) {
          mi.head = null;
          this.failReason = 'the route accepts WebSocket handshakes only (protocols ws/wss)';
          return this.respondError(426, 'Upgrade Required');
        }
        mi.protocol = this.conn.listener.scheme;
      }
    }
    if (!matched) {
      // Plain HTTP that matches nothing may still match a route that takes https only: match
      // again as https (only when such a route exists; the matching request path is unchanged).
      if (!this.snapshot.httpsOnlyRoutes || mi.protocol !== 'http' || !this.matchAsHttps(mi, mr)) {
        mi.head = null;
        return this.respondError(404, KONG_MESSAGES.noRoute);
      }
      if (!this.forwardedHttps()) {
        mi.head = null;
        return this.answerHttpsOnly(mr.route!);
      }
    }
    mi.head = null;
    const route = mr.route!;
    this.route = route;
    this.matchLength = mr.matchLength;
    this.captures = mr.captures;
    mr.route = null;
    mr.captures = null;
    this.service = route.service;
    if (route.plugins !== null) {
      // Plugins may answer themselves (a route without a service can still terminate).
      this.run = new PluginRun(route.plugins, this);
      this.run.runRequestPhases(); // → requestPhasesDone()
      return;
    }
    this.afterAccess();
  }

  /** Would a grpc/grpcs route take this request? Leaves no match behind (404 path only). */
  private matchesAsGrpc(mi: RequestMatchInput, mr: MatchResult<CompiledRoute>): boolean {
    const scheme = mi.protocol;
    mi.protocol = scheme === 'https' ? 'grpcs' : 'grpc';
    const hit = this.snapshot.router.match(mi, mr);
    mr.route = null;
    mr.captures = null;
    mi.protocol = scheme;
    return hit;
  }

  /** The request is a gRPC call (or was routed as one): gateway-made errors take gRPC form. */
  private grpcContentType(): string | null {
    const ct = this.head.header('content-type');
    if (isGrpcContentType(ct)) return ct!;
    return this.route !== null && this.route.grpcOnly ? 'application/grpc' : null;
  }

  private matchAsHttps(mi: RequestMatchInput, mr: MatchResult<CompiledRoute>): boolean {
    mi.protocol = 'https';
    return this.snapshot.router.match(mi, mr);
  }

  /** A trusted proxy in front (trusted_ips) terminated TLS and says so: the request counts as https. */
  private forwardedHttps(): boolean {
    const i = this.head.xfProtoIndex;
    return this.conn.trusted && i !== -1 && this.head.values[i]!.trim().toLowerCase() === 'https';
  }

  /** Kong's https_redirect_status_code: 426 with a JSON message, or a redirect to the https URL. */
  private answerHttpsOnly(route: CompiledRoute): void {
    const mr = matchResult;
    mr.route = null;
    mr.captures = null;
    this.route = route;
    this.service = route.service;
    const status = route.httpsRedirectStatus;
    if (status === 426) return this.respondError(426, 'Please use HTTPS protocol');
    this.status = status;
    if (this.conn.bodyPending || this.ctx.draining) this.keepAlive = false;
    const location = 'https://' + this.head.hostname + this.head.rawPath + this.head.query;
    const out =
      'HTTP/1.1 ' +
      status +
      ' ' +
      reason(status) +
      '\r\nLocation: ' +
      location +
      '\r\nContent-Length: 0\r\nServer: ' +
      this.ctx.serverToken +
      (this.keepAlive ? '' : '\r\nConnection: close') +
      '\r\n\r\n';
    this.bytesOut += out.length;
    if (!this.conn.destroyed) this.conn.write(out);
    this.finish();
  }

  requestPhasesDone(): void {
    this.afterAccess();
  }

  private afterAccess(): void {
    if (this.finished) return;
    if (this.buffering) {
      this.waitingBody = true; // a replaced body: the client's is still being read off
      return;
    }
    if (this.service === null) return this.respondError(503, KONG_MESSAGES.noService);
    this.connect();
  }

  private connect(): void {
    const svc = this.service!;
    const cluster = svc.cluster;
    const ep = cluster.available() ? cluster.balancer.pick(this, this.tried) : null;
    if (ep === null) {
      if (this.tried !== null) return this.respondError(502, KONG_MESSAGES.badGateway);
      this.failReason = `no healthy target in ${cluster.name}`;
      return this.respondError(503, KONG_MESSAGES.noPeer);
    }
    this.endpoint = ep;
    cluster.balancer.onStart(ep);
    this.attempts++;
    this.upstreamStart = 0;
    // TLS connections are pooled apart from plain ones to the same address, per TLS settings.
    const tls = svc.upstreamTls;
    const key = tls === null ? ep.key : tls.poolPrefix + ep.key;
    if (svc.http2) {
      // A stream on the endpoint's shared HTTP/2 session, driven like a pooled connection.
      const st = this.ctx.pools.h2.open(key, ep.host, ep.port, svc.connectTimeout, tls);
      this.upstream = st;
      if (st.connecting) st.handler = this;
      else this.onUpstreamReady(st);
      return;
    }
    const idle = this.ctx.pools.takeIdle(key);
    if (idle !== null) {
      this.upstream = idle;
      this.onUpstreamReady(idle);
      return;
    }
    const c = this.ctx.pools.connect(key, ep.host, ep.port, svc.connectTimeout, tls);
    c.handler = this;
    this.upstream = c;
  }

  onUpstreamReady(conn: UpstreamConnection): void {
    const svc = this.service!;
    conn.readTimeout = svc.readTimeout;
    conn.writeTimeout = svc.writeTimeout;
    conn.begin(this, this.head.method === 'HEAD', this.head.upgradeWebSocket);
    this.upstreamStart = performance.now();
    const body = this.bodyReplacement ?? this.reqBody;
    if (body === null) {
      conn.write(this.buildUpstreamHead(-1), 'latin1');
      this.conn.startBody();
      return;
    }
    // A body held in memory (a plugin read or replaced it): sent whole, with its length.
    conn.write(this.buildUpstreamHead(body.length), 'latin1');
    if (body.length > 0) conn.write(body);
    if (this.requestEnded) conn.requestSent();
    else this.conn.startBody(); // the client sent none: this ends the request at once
  }

  /** `bodyLength` ≥ 0: the body goes from memory with that Content-Length; -1: it streams as the client frames it. */
  private buildUpstreamHead(bodyLength: number): string {
    const head = this.head;
    const route = this.route!;
    const svc = this.service!;
    const ep = this.endpoint!;
    const path =
      this.upstreamPath ??
      buildUpstreamPath(svc.path, head.path, this.matchLength, route.stripPath, route.pathHandling);
    const host = this.hostOverride ?? (route.preserveHost && head.host !== '' ? head.host : svc.cluster.hostHeader(ep));
    const method = this.methodOverride ?? head.method;
    const query = this.upstreamQuery ?? head.query;
    if (this.run !== null) this.sentUri = method + ' ' + path + query;
    let s =
      method +
      ' ' +
      path +
      query +
      (head.httpMinor === 1 ? ' HTTP/1.1\r\nHost: ' : ' HTTP/1.0\r\nHost: ') +
      host +
      '\r\n';
    const names = head.names;
    const values = head.values;
    const skip = head.skip;
    let via = '';
    let xff = '';
    for (let i = 0; i < head.count; i++) {
      const k = skip[i];
      if (k === Skip.Keep) {
        if (bodyLength < 0 || head.lnames[i] !== 'content-length') s += names[i] + ': ' + values[i] + '\r\n';
      } else if (k === Skip.Via) via = via === '' ? values[i] : via + ', ' + values[i];
      else if (k === Skip.Forwarded && head.lnames[i] === 'x-forwarded-for')
        xff = xff === '' ? values[i] : xff + ', ' + values[i];
    }
    const trusted = this.conn.trusted;
    const ip = this.conn.clientIp;
    const listener = this.conn.listener;
    const realIp = trusted ? head.header('x-real-ip') : undefined;
    s += 'X-Real-IP: ' + (realIp !== undefined ? realIp : ip) + '\r\n';
    s += 'X-Forwarded-For: ' + (trusted && xff !== '' ? xff + ', ' + ip : ip) + '\r\n';
    s +=
      'X-Forwarded-Proto: ' +
      (trusted && head.xfProtoIndex !== -1 ? head.values[head.xfProtoIndex] : listener.scheme) +
      '\r\n';
    s +=
      'X-Forwarded-Host: ' +
      (trusted && head.xfHostIndex !== -1 ? head.values[head.xfHostIndex] : head.hostname) +
      '\r\n';
    s +=
      'X-Forwarded-Port: ' +
      (trusted && head.xfPortIndex !== -1 ? head.values[head.xfPortIndex] : listener.port) +
      '\r\n';
    s +=
      'X-Forwarded-Path: ' +
      (trusted && head.xfPathIndex !== -1 ? head.values[head.xfPathIndex] : head.rawPath) +
      '\r\n';
    if (trusted && head.xfPrefixIndex !== -1) s += 'X-Forwarded-Prefix: ' + head.values[head.xfPrefixIndex] + '\r\n';
    else if (route.stripPath && this.matchLength > 1) {
      const prefix = head.path.slice(0, this.matchLength);
      if (prefix !== '/') s += 'X-Forwarded-Prefix: ' + prefix + '\r\n';
    }
    s += 'Via: ' + (via === '' ? '1.1 ' + this.ctx.serverToken : via + ', 1.1 ' + this.ctx.serverToken) + '\r\n';
    // The one upgrade that is forwarded (Sec-WebSocket-* are end-to-end and copied above).
    if (head.upgradeWebSocket) s += 'Connection: Upgrade\r\nUpgrade: websocket\r\n';
    if (bodyLength >= 0) {
      if (bodyLength > 0 || head.chunked || head.contentLength !== -1) s += 'Content-Length: ' + bodyLength + '\r\n';
    } else if (head.chunked) s += 'Transfer-Encoding: chunked\r\n';
    return s + '\r\n';
  }

  onRequestData(buf: Buffer, start: number, end: number): void {
    if (this.buffering) {
      // Decoded body bytes in buffers this exchange may keep (one per socket read).
      if (this.finished) return;
      this.bytesIn += end - start;
      if (this.bodyReplacement !== null) return; // replaced: the client's bytes are dropped
      this.bodySize += end - start;
      if (this.bodySize > this.ctx.clientBodyBufferLimit) return this.bodyTooLarge();
      this.bodyChunks!.push(buf.subarray(start, end));
      return;
    }
    const up = this.upstream;
    this.bytesIn += end - start;
    this.bodyStreamed = true;
    if (up === null) return; // upstream already gone (early response); the body is discarded
    up.touchWrite();
    if (!up.write(start === 0 && end === buf.length ? buf : buf.subarray(start, end))) this.conn.pauseBody();
  }

  onRequestEnd(): void {
    this.requestEnded = true;
    if (this.buffering) {
      this.buffering = false;
      const chunks = this.bodyChunks!;
      this.bodyChunks = null;
      this.reqBody = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.bodySize);
      const resolve = this.bodyResolve;
      this.bodyResolve = null;
      if (resolve !== null) resolve(this.bodyReplacement ?? this.reqBody);
      if (this.waitingBody) {
        this.waitingBody = false;
        this.afterAccess();
      }
      return;
    }
    if (this.upstream !== null) this.upstream.requestSent();
  }

  onUpstreamDrain(): void {
    this.conn.resumeBody();
  }

  // ── Response ──────────────────────────────────────────────────────────────
  onResponseHead(rh: ResponseHead, buf: Buffer, start: number, end: number): void {
    this.upstreamLatency = performance.now() - this.upstreamStart;
    this.status = rh.status;
    this.upstreamStatus = rh.status;
    this.responseStarted = true;
    const minor = this.head.httpMinor;
    let lines = rh.headerLines;
    const run = this.run;
    let filters: NamedFilter[] | null = null;
    if (run !== null) {
      const chain = run.chain;
      if (chain.response.length > 0 || chain.body.length > 0) {
        const list = HeaderList.fromLines(rh.status, lines);
        if (chain.response.length === 0 || run.runResponse(list)) {
          if (chain.body.length > 0 && rh.framing !== Framing.None) {
            const f = run.openBodyFilters(list);
            if (f.length > 0) {
              filters = f;
              list.removeHeader('content-length'); // the filters decide the length
            }
          }
          lines = list.toLines();
          this.status = list.status;
        }
      }
      this.responseLines = lines;
    }
    let statusLine = rh.statusLine;
    if (this.status !== rh.status) statusLine = 'HTTP/1.1 ' + this.status + ' ' + reason(this.status) + '\r\n'; // a plugin's setStatus
    let h = statusLine + lines + 'Via: 1.1 ' + this.ctx.serverToken + '\r\n';
    if (filters !== null) {
      this.startFiltering(filters, rh.framing === Framing.Chunked);
      if (minor === 1) {
        this.chunkOut = true;
        h += 'Transfer-Encoding: chunked\r\n';
      } else this.keepAlive = false;
    } else if (rh.framing === Framing.Chunked) {
      if (this.service!.http2 && /(^|\r\n)content-type: *application\/grpc/i.test(rh.headerLines))
        this.grpcTrailersOnFail = true;
      // An HTTP/1.0 client's request goes upstream as HTTP/1.0, so a conforming upstream never
      // answers it chunked; chunked framing is forwarded to HTTP/1.1 clients unchanged.
      h += 'Transfer-Encoding: chunked\r\n';
    } else if (rh.framing === Framing.UntilClose) {
      if (minor === 1) {
        this.chunkOut = true;
        h += 'Transfer-Encoding: chunked\r\n';
      } else this.keepAlive = false;
    }
    if (this.setCookie !== null) h += 'Set-Cookie: ' + this.setCookie + '\r\n';
    if (this.ctx.draining) this.keepAlive = false; // shutdown began while this request ran
    if (!this.keepAlive) h += 'Connection: close\r\n';
    else if (minor === 0) h += 'Connection: keep-alive\r\n';
    h += '\r\n';
    const conn = this.conn;
    const bodyLen = end - start;
    if (this.pipeline !== null) {
      this.bytesOut += h.length;
      conn.write(h);
      if (bodyLen > 0) this.filterData(buf, start, end);
      return;
    }
    if (bodyLen === 0) {
      this.bytesOut += h.length;
      if (!conn.write(h)) this.upstream?.pauseReading();
      return;
    }
    // Head and first body bytes in one write: one syscall for a typical small response.
    const hl = h.length;
    const out = Buffer.allocUnsafe(hl + bodyLen + (this.chunkOut ? 32 : 0));
    out.write(h, 0, 'latin1');
    let o = hl;
    if (this.chunkOut) {
      o += out.write(bodyLen.toString(16) + '\r\n', o, 'latin1');
      o += buf.copy(out, o, start, end);
      o += out.write('\r\n', o, 'latin1');
    } else {
      o += buf.copy(out, o, start, end);
    }
    this.bytesOut += o;
    if (!conn.write(o === out.length ? out : out.subarray(0, o))) this.upstream?.pauseReading();
  }

  /**
   * The upstream switched to WebSocket: forward its 101 (response-phase plugins may add
   * headers; body filters do not apply), record the handshake as finished (access log line
   * and metrics with status 101 now), and hand both connections to a tunnel. The balancer
   * counts the connection as in flight until the tunnel closes (least-connections sees
   * long-lived WebSockets).
   */
  onUpgrade(rh: ResponseHead, buf: Buffer, start: number, end: number): void {
    const up = this.upstream!;
    this.upstreamLatency = performance.now() - this.upstreamStart;
    this.status = 101;
    this.upstreamStatus = 101;
    this.responseStarted = true;
    let lines = rh.headerLines;
    const run = this.run;
    if (run !== null) {
      if (run.chain.response.length > 0) {
        const list = HeaderList.fromLines(101, lines);
        if (run.runResponse(list)) lines = list.toLines();
      }
      this.responseLines = lines;
    }
    const h =
      rh.statusLine +
      lines +
      'Connection: Upgrade\r\nUpgrade: websocket\r\nVia: 1.1 ' +
      this.ctx.serverToken +
      '\r\n\r\n';
    this.bytesOut += h.length;
    const conn = this.conn;
    conn.write(h);
    const passive = this.service!.cluster.passive;
    if (passive !== null) passive.report(this.endpoint!, 'success', 101);
    const svc = this.service!;
    const ext = /(^|\r\n)sec-websocket-extensions:/i.test(rh.headerLines);
    // Only an HTTP/1.1 connection answers 101 (an HTTP/2 stream refuses upgrades).
    const tunnel = conn.startTunnel(
      up as ClientConnection,
      { idleTimeout: svc.readTimeout, writeTimeout: svc.writeTimeout, checkFrames: true, rsv1: ext },
      this,
    );
    this.finished = true;
    this.keepAlive = false;
    this.upstream = null;
    this.record();
    // The upstream's first frames, if they came with the 101.
    if (end > start) tunnel.onTunnelData(buf, start, end);
  }

  onTunnelClosed(fromClient: number, toClient: number): void {
    this.service!.cluster.balancer.onEnd(this.endpoint!, this.upstreamLatency, false);
    const m = this.route!.metrics;
    m.bytesIn += fromClient;
    m.bytesOut += toClient;
  }

  onResponseData(buf: Buffer, start: number, end: number): void {
    if (end <= start) return;
    if (this.pipeline !== null) return this.filterData(buf, start, end);
    const conn = this.conn;
    // A copy: `buf` is the worker's shared upstream read buffer and the write may be queued.
    const data = Buffer.allocUnsafe(end - start);
    buf.copy(data, 0, start, end);
    let ok: boolean;
    if (this.chunkOut) {
      conn.socket.cork();
      conn.write((end - start).toString(16) + '\r\n');
      conn.write(data);
      ok = conn.write(CRLF);
      conn.socket.uncork();
    } else ok = conn.write(data);
    this.bytesOut += end - start;
    if (!ok) this.upstream?.pauseReading();
  }

  onClientDrain(): void {
    this.upstream?.resumeReading();
  }

  onResponseEnd(): void {
    const svc = this.service!;
    const ep = this.endpoint!;
    svc.cluster.balancer.onEnd(ep, this.upstreamLatency, false);
    const passive = svc.cluster.passive;
    if (passive !== null) passive.report(ep, 'success', this.upstreamStatus); // the upstream's, whatever a plugin made of it
    this.upstream = null;
    if (this.pipeline !== null) {
      // Finishes once the filters have had the last word (on the body and its trailers).
      const t = this.dechunk?.trailers;
      this.pipeline.end(t === undefined || t === null || t === '' ? {} : parseTrailers(t));
      return;
    }
    if (this.chunkOut) {
      this.conn.write(LAST_CHUNK);
      this.bytesOut += 5;
    }
    this.finish();
  }

  // ── Body filters (the body phase) ─────────────────────────────────────────
  private startFiltering(filters: NamedFilter[], chunked: boolean): void {
    this.pipeline = new BodyPipeline(filters, {
      write: (data) => this.filteredWrite(data),
      finish: (trailers) => this.filteredEnd(trailers),
      fail: (plugin, err) => this.filterFailed(plugin, err),
      idle: () => {
        if (!this.conn.socket.writableNeedDrain) this.upstream?.resumeReading();
      },
    });
    if (chunked) {
      // The filters get the body without its chunk framing (already validated upstream-side).
      const d = new ChunkedParser();
      d.sink = (b, s, e) => this.pipeline!.push(Buffer.from(b.subarray(s, e)));
      d.trailers = ''; // collected: the filters' `end` sees them
      this.dechunk = d;
    }
  }

  private filterData(buf: Buffer, start: number, end: number): void {
    const p = this.pipeline!;
    if (this.dechunk !== null) this.dechunk.feed(buf, start, end);
    else p.push(Buffer.from(buf.subarray(start, end))); // a copy: `buf` is the shared read buffer
    if (p.backlog >= PIPELINE_HIGH_WATER) this.upstream?.pauseReading();
  }

  private filteredWrite(data: Buffer): void {
    if (this.finished) return;
    const conn = this.conn;
    let ok: boolean;
    if (this.chunkOut) {
      conn.socket.cork();
      conn.write(data.length.toString(16) + '\r\n');
      conn.write(data);
      ok = conn.write(CRLF);
      conn.socket.uncork();
    } else ok = conn.write(data);
    this.bytesOut += data.length;
    if (!ok) this.upstream?.pauseReading();
  }

  private filteredEnd(trailers: HeaderMap): void {
    if (this.finished) return;
    if (this.chunkOut) {
      let last = '0\r\n';
      for (const name in trailers) {
        const v = trailers[name];
        if (typeof v === 'string') last += trailerLine(name, v);
        else if (Array.isArray(v)) for (const x of v) last += trailerLine(name, String(x));
      }
      last += '\r\n';
      this.conn.write(last);
      this.bytesOut += last.length;
    }
    this.finish();
  }

  private filterFailed(plugin: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.failReason = `plugin ${plugin} failed in the body phase: ${message}`;
    stdSink('stderr').write(
      JSON.stringify({
        level: 'error',
        time: new Date().toISOString(),
        plugin,
        phase: 'body',
        request_id: this.requestId,
        msg: this.failReason,
      }) + '\n',
    );
    if (this.finished) return;
    const up = this.upstream;
    this.upstream = null;
    if (up !== null) {
      up.destroy();
      this.service!.cluster.balancer.onEnd(this.endpoint!, this.sinceUpstreamStart(), true);
    }
    // The head is out: cutting the connection is how the client learns the body is incomplete.
    this.keepAlive = false;
    this.conn.close();
    this.finish();
  }

  onUpstreamFailure(kind: UpstreamFailure, message: string): void {
    const svc = this.service!;
    const ep = this.endpoint!;
    const up = this.upstream;
    this.upstream = null;
    svc.cluster.balancer.onEnd(ep, this.sinceUpstreamStart(), true);
    const passive = svc.cluster.passive;
    if (passive !== null)
      passive.report(ep, kind === 'timeout' || kind === 'connect_timeout' ? 'timeout' : 'tcp_failure');
    if (this.finished) return;
    if (this.responseStarted && this.grpcTrailersOnFail) {
      this.failReason = message;
      const status = kind === 'timeout' ? 504 : 502;
      const out = grpcFailureTrailers(status, kind === 'timeout' ? KONG_MESSAGES.timeout : KONG_MESSAGES.badGateway);
      this.bytesOut += out.length;
      this.conn.write(out);
      this.finish();
      return;
    }
    if (this.responseStarted) {
      // Too late for an error page: cut the client connection so it sees the truncation.
      this.pipeline?.abort();
      this.failReason = message;
      this.keepAlive = false;
      this.conn.close();
      this.finish();
      return;
    }
    // A pooled connection the upstream had closed while idle: retry once on a fresh one.
    if (
      kind === 'reset' &&
      up !== null &&
      up.reused &&
      up.responseBytes === 0 &&
      !this.bodyStreamed &&
      !this.staleRetried
    ) {
      this.staleRetried = true;
      this.attempts--;
      return this.connect();
    }
    const endpoints = svc.cluster.balancer.endpoints.length;
    // A target whose name does not resolve is skipped without spending a retry (Kong's
    // balancer never picks a target with no address); only targets not tried yet are left.
    if (kind === 'dns' && !this.bodyStreamed && (this.tried?.size ?? 0) + 1 < endpoints) {
      (this.tried ??= new Set()).add(ep);
      this.attempts--;
      return this.connect();
    }
    // Connection failures move to the next target, up to the service's retries.
    if ((kind === 'connect' || kind === 'connect_timeout') && !this.bodyStreamed && this.attempts <= svc.retries) {
      (this.tried ??= new Set()).add(ep);
      if (this.tried.size >= endpoints) this.tried.clear();
      return this.connect();
    }
    this.failReason = message;
    if (kind === 'dns') {
      logNameResolutionFailure(message, this.requestId);
      this.respondError(503, KONG_MESSAGES.nameResolution);
    } else if (kind === 'timeout' || kind === 'connect_timeout') this.respondError(504, KONG_MESSAGES.timeout);
    else this.respondError(502, KONG_MESSAGES.badGateway);
  }

  failReason = '';

  /** ms since the request went upstream; 0 when it never got that far (connect failed). */
  private sinceUpstreamStart(): number {
    return this.upstreamStart === 0 ? 0 : performance.now() - this.upstreamStart;
  }

  /** The client went away, or its request body broke. */
  abort(reason: string, status = 499): void {
    if (this.finished) return;
    this.failReason = reason;
    const up = this.upstream;
    this.upstream = null;
    if (up !== null) {
      up.destroy();
      if (this.endpoint !== null) this.service!.cluster.balancer.onEnd(this.endpoint, this.sinceUpstreamStart(), true);
    }
    if (this.status === 0 || !this.responseStarted) this.status = status;
    this.keepAlive = false;
    this.finished = true;
    this.pipeline?.abort();
    this.run?.cancel();
    this.record();
  }

  private respondError(status: number, message: string): void {
    const ct = this.grpcContentType();
    if (ct !== null) return this.respondGrpcError(status, message, ct);
    this.status = status;
    // A request body we have not read forces a close (it would be parsed as the next request).
    if (this.conn.bodyPending || this.ctx.draining) this.keepAlive = false;
    const body = errorResponse(
      status,
      message,
      this.requestId,
      this.ctx.serverToken,
      !this.keepAlive,
      this.head.method === 'HEAD',
    );
    if (this.run !== null) this.responseLines = 'Content-Type: application/json; charset=utf-8\r\n';
    this.bytesOut += body.length;
    if (!this.conn.destroyed) this.conn.write(body);
    this.finish();
  }

  /**
   * A gateway-made error to a gRPC call: HTTP 200 with grpc-status and grpc-message in the
   * headers (trailers-only). The status recorded (logs, metrics) stays the HTTP one it stands for.
   */
  private respondGrpcError(
    status: number,
    message: string,
    contentType: string,
    extra: readonly [string, string][] = [],
  ): void {
    this.status = status;
    if (this.conn.bodyPending || this.ctx.draining) this.keepAlive = false;
    let out: string;
    const run = this.run;
    if (run === null) out = grpcErrorResponse(status, message, contentType, this.ctx.serverToken, !this.keepAlive);
    else {
      // The response phase runs as on any answer: grpc-web adds its CORS headers, without which
      // a browser cannot read the error of a cross-origin call; a plugin's own headers
      // (WWW-Authenticate, Retry-After…) go along as metadata.
      const list = new HeaderList(200);
      list.names.push('Content-Type', 'grpc-status', 'grpc-message');
      list.values.push(contentType, String(grpcStatusFor(status)), encodeGrpcMessage(message));
      for (const [k, v] of extra) {
        const l = k.toLowerCase();
        if (l === 'content-type' || l === 'content-length') continue;
        list.names.push(k);
        list.values.push(v);
      }
      run.runResponse(list);
      this.responseLines = list.toLines();
      out =
        'HTTP/1.1 200 OK\r\n' +
        this.responseLines +
        'Content-Length: 0\r\nServer: ' +
        this.ctx.serverToken +
        '\r\n' +
        (this.keepAlive ? '' : 'Connection: close\r\n') +
        '\r\n';
    }
    this.bytesOut += out.length;
    if (!this.conn.destroyed) this.conn.write(out);
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.record();
    this.conn.exchangeDone(this.keepAlive);
  }

  /** Metrics and access log (the log phase). */
  private record(): void {
    const latency = performance.now() - this.startedAt;
    const run = this.run;
    if (run !== null && run.chain.log.length > 0) {
      // The connection reuses its request head for the next request: it copies it for us first if so.
      this.conn.lendHead(run);
      queueLog(new Outcome(this, latency, run, this.conn));
    }
    const route = this.route;
    const m = route !== null ? route.metrics : this.ctx.unmatched;
    m.countStatus(this.status);
    m.latency.observe(latency);
    if (this.upstreamLatency >= 0) m.upstreamLatency.observe(this.upstreamLatency);
    m.bytesIn += this.bytesIn;
    m.bytesOut += this.bytesOut;
    const log = this.ctx.accessLog;
    if (log !== null) {
      log.write({
        requestId: this.requestId,
        clientIp: this.conn.clientIp,
        method: this.head.method,
        path: this.head.rawPath,
        protocol: this.httpVersion,
        status: this.status,
        latencyMs: latency,
        upstreamLatencyMs: this.upstreamLatency,
        target: this.endpoint !== null ? this.endpoint.key : '',
        bytesIn: this.bytesIn,
        bytesOut: this.bytesOut,
        service: this.service !== null ? this.service.name : '',
        route: route !== null ? route.name : '',
        error: this.failReason,
      });
    }
  }
}

/** Read once: the getter is not free and it never changes. */
const TIME_ORIGIN = performance.timeOrigin;

/** The message of a plugin's answer ({"message": …} as Kong's plugins send), for grpc-message. */
function pluginMessage(body: Buffer, status: number): string {
  if (body.length > 0 && body.length < 4096) {
    try {
      const v = JSON.parse(body.toString('utf8')) as unknown;
      if (v !== null && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string')
        return (v as { message: string }).message;
    } catch {
      // not JSON: the text itself
      return body.toString('utf8').trim();
    }
  }
  return reason(status);
}

/** A finished request, as the log phase sees it; header maps are built when asked for. */
class Outcome implements RequestOutcome {
  readonly status: number;
  readonly startedAt: number;
  readonly upstreamLatencyMs: number | null;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly target: string | null;
  readonly upstreamStatus: number | null;
  readonly upstreamUri: string | null;
  readonly error: string;
  readonly protocol: string;
  private readonly lines: string;
  private resMap: HeaderMap | null = null;
  private reqMap: HeaderMap | null = null;

  constructor(
    ex: Exchange,
    readonly latencyMs: number,
    readonly run: PluginRun,
    readonly conn: Http1ServerConnection,
  ) {
    this.status = ex.status;
    this.startedAt = TIME_ORIGIN + ex.startedAt;
    this.upstreamLatencyMs = ex.upstreamLatency < 0 ? null : ex.upstreamLatency;
    this.bytesIn = ex.bytesIn;
    this.bytesOut = ex.bytesOut;
    this.target = ex.endpoint !== null ? ex.endpoint.key : null;
    this.upstreamStatus = ex.upstreamStatusSeen;
    this.upstreamUri = ex.upstreamUriSent;
    this.error = ex.failReason;
    this.protocol = ex.httpVersion;
    this.lines = ex.responseLinesSent;
  }

  get responseHeaders(): HeaderMap {
    return (this.resMap ??= new HeaderList(this.status, this.lines).getHeaders());
  }

  get requestHeaders(): HeaderMap {
    return (this.reqMap ??= this.run.getHeaders());
  }
}

// The log phase runs off the request path: finished requests queue up and one immediate
// runs them all (a timer per request would cost more than most log handlers).
let logQueue: Outcome[] = [];
let logScheduled = false;

function queueLog(outcome: Outcome): void {
  logQueue.push(outcome);
  if (!logScheduled) {
    logScheduled = true;
    setImmediate(flushLogs);
  }
}

function flushLogs(): void {
  const q = logQueue;
  logQueue = [];
  logScheduled = false;
  for (let i = 0; i < q.length; i++) {
    const outcome = q[i];
    const run = outcome.run;
    // A handler still running may read the request later: it keeps its own copy of the head.
    if (run.runLog(outcome)) run.detach();
    outcome.conn.returnHead(run);
  }
}
