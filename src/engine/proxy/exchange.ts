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
import { HeaderList, PluginRun, type PluginHost } from './plugin-run.js';
import type { ConsumerStore, Phase } from '../../plugins/sdk.js';

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

const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

export class Exchange implements UpstreamHandler, BalanceContext, PluginHost {
  readonly requestId: string;
  readonly startedAt = performance.now();
  snapshot: Snapshot;
  route: CompiledRoute | null = null;
  service: CompiledService | null = null;
  endpoint: Endpoint | null = null;
  upstream: ClientConnection | null = null;
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

  pluginRespond(status: number, body: Buffer, headers: [string, string][]): void {
    this.status = status;
    if (this.conn.bodyPending || this.ctx.draining) this.keepAlive = false;
    const list = new HeaderList(status);
    for (const [k, v] of headers) {
      list.names.push(k);
      list.values.push(v);
    }
    this.run?.runResponse(list);
    const noBody = this.head.method === 'HEAD' || status === 204 || status === 304 || status < 200;
    const h =
      'HTTP/1.1 ' + status + ' ' + reason(status) + '\r\n' + list.toLines() +
      (status === 204 || status === 304 || status < 200 ? '' : 'Content-Length: ' + body.length + '\r\n') +
      'Server: ' + this.ctx.serverToken + '\r\n' +
      (this.keepAlive ? '' : 'Connection: close\r\n') + '\r\n';
    const out = noBody ? Buffer.from(h, 'latin1') : Buffer.concat([Buffer.from(h, 'latin1'), body]);
    this.bytesOut += out.length;
    if (!this.conn.destroyed) this.conn.write(out);
    this.finish();
  }

  pluginFailed(plugin: string, phase: Phase, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.failReason = `plugin ${plugin} failed in the ${phase} phase: ${message}`;
    process.stderr.write(JSON.stringify({ level: 'error', time: new Date().toISOString(), plugin, phase, request_id: this.requestId, msg: this.failReason }) + '\n');
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
    if (!this.snapshot.router.match(mi, mr)) {
      mi.head = null;
      return this.respondError(404, KONG_MESSAGES.noRoute);
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
      this.run.runRequestPhases(() => this.afterAccess());
      return;
    }
    this.afterAccess();
  }

  private afterAccess(): void {
    if (this.finished) return;
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
    const idle = this.ctx.pools.takeIdle(ep.key);
    if (idle !== null) {
      this.upstream = idle;
      this.onUpstreamReady(idle);
      return;
    }
    const c = this.ctx.pools.connect(ep.key, ep.host, ep.port, svc.connectTimeout);
    c.handler = this;
    this.upstream = c;
  }

  onUpstreamReady(conn: ClientConnection): void {
    const svc = this.service!;
    conn.readTimeout = svc.readTimeout;
    conn.writeTimeout = svc.writeTimeout;
    conn.begin(this, this.head.method === 'HEAD');
    this.upstreamStart = performance.now();
    conn.write(this.buildUpstreamHead(), 'latin1');
    this.conn.startBody();
  }

  private buildUpstreamHead(): string {
    const head = this.head;
    const route = this.route!;
    const svc = this.service!;
    const ep = this.endpoint!;
    const path = this.upstreamPath ?? buildUpstreamPath(svc.path, head.path, this.matchLength, route.stripPath, route.pathHandling);
    const host = this.hostOverride ?? (route.preserveHost && head.host !== '' ? head.host : svc.cluster.hostHeader(ep));
    let s = head.method + ' ' + path + (this.upstreamQuery ?? head.query) + (head.httpMinor === 1 ? ' HTTP/1.1\r\nHost: ' : ' HTTP/1.0\r\nHost: ') + host + '\r\n';
    const names = head.names;
    const values = head.values;
    const skip = head.skip;
    let via = '';
    let xff = '';
    for (let i = 0; i < head.count; i++) {
      const k = skip[i];
      if (k === Skip.Keep) s += names[i] + ': ' + values[i] + '\r\n';
      else if (k === Skip.Via) via = via === '' ? values[i] : via + ', ' + values[i];
      else if (k === Skip.Forwarded && head.lnames[i] === 'x-forwarded-for') xff = xff === '' ? values[i] : xff + ', ' + values[i];
    }
    const trusted = this.conn.trusted;
    const ip = this.conn.clientIp;
    const listener = this.conn.listener;
    const realIp = trusted ? head.header('x-real-ip') : undefined;
    s += 'X-Real-IP: ' + (realIp !== undefined ? realIp : ip) + '\r\n';
    s += 'X-Forwarded-For: ' + (trusted && xff !== '' ? xff + ', ' + ip : ip) + '\r\n';
    s += 'X-Forwarded-Proto: ' + (trusted && head.xfProtoIndex !== -1 ? head.values[head.xfProtoIndex] : listener.scheme) + '\r\n';
    s += 'X-Forwarded-Host: ' + (trusted && head.xfHostIndex !== -1 ? head.values[head.xfHostIndex] : head.hostname) + '\r\n';
    s += 'X-Forwarded-Port: ' + (trusted && head.xfPortIndex !== -1 ? head.values[head.xfPortIndex] : listener.port) + '\r\n';
    s += 'X-Forwarded-Path: ' + (trusted && head.xfPathIndex !== -1 ? head.values[head.xfPathIndex] : head.rawPath) + '\r\n';
    if (trusted && head.xfPrefixIndex !== -1) s += 'X-Forwarded-Prefix: ' + head.values[head.xfPrefixIndex] + '\r\n';
    else if (route.stripPath && this.matchLength > 1) {
      const prefix = head.path.slice(0, this.matchLength);
      if (prefix !== '/') s += 'X-Forwarded-Prefix: ' + prefix + '\r\n';
    }
    s += 'Via: ' + (via === '' ? '1.1 ' + this.ctx.serverToken : via + ', 1.1 ' + this.ctx.serverToken) + '\r\n';
    if (head.chunked) s += 'Transfer-Encoding: chunked\r\n';
    return s + '\r\n';
  }

  onRequestData(buf: Buffer, start: number, end: number): void {
    const up = this.upstream;
    this.bytesIn += end - start;
    this.bodyStreamed = true;
    if (up === null) return; // upstream already gone (early response); the body is discarded
    up.touchWrite();
    if (!up.write(start === 0 && end === buf.length ? buf : buf.subarray(start, end))) this.conn.pauseBody();
  }

  onRequestEnd(): void {
    this.requestEnded = true;
    if (this.upstream !== null) this.upstream.requestSent();
  }

  onUpstreamDrain(): void {
    this.conn.resumeBody();
  }

  // ── Response ──────────────────────────────────────────────────────────────
  onResponseHead(rh: ResponseHead, buf: Buffer, start: number, end: number): void {
    this.upstreamLatency = performance.now() - this.upstreamStart;
    this.status = rh.status;
    this.responseStarted = true;
    const minor = this.head.httpMinor;
    let lines = rh.headerLines;
    const run = this.run;
    if (run !== null && run.chain.response.length > 0) {
      const list = HeaderList.fromLines(rh.status, lines);
      if (run.runResponse(list)) lines = list.toLines();
    }
    let h = rh.statusLine + lines + 'Via: 1.1 ' + this.ctx.serverToken + '\r\n';
    // An HTTP/1.0 client's request goes upstream as HTTP/1.0, so a conforming upstream never
    // answers it chunked; chunked framing is forwarded to HTTP/1.1 clients unchanged.
    if (rh.framing === Framing.Chunked) {
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

  onResponseData(buf: Buffer, start: number, end: number): void {
    if (end <= start) return;
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
    if (this.chunkOut) {
      this.conn.write(LAST_CHUNK);
      this.bytesOut += 5;
    }
    const svc = this.service!;
    const ep = this.endpoint!;
    svc.cluster.balancer.onEnd(ep, this.upstreamLatency, false);
    const passive = svc.cluster.passive;
    if (passive !== null) passive.report(ep, 'success', this.status);
    this.upstream = null;
    this.finish();
  }

  onUpstreamFailure(kind: UpstreamFailure, message: string): void {
    const svc = this.service!;
    const ep = this.endpoint!;
    const up = this.upstream;
    this.upstream = null;
    svc.cluster.balancer.onEnd(ep, this.sinceUpstreamStart(), true);
    const passive = svc.cluster.passive;
    if (passive !== null) passive.report(ep, kind === 'timeout' || kind === 'connect_timeout' ? 'timeout' : 'tcp_failure');
    if (this.finished) return;
    if (this.responseStarted) {
      // Too late for an error page: cut the client connection so it sees the truncation.
      this.failReason = message;
      this.keepAlive = false;
      this.conn.close();
      this.finish();
      return;
    }
    // A pooled connection the upstream had closed while idle: retry once on a fresh one.
    if (kind === 'reset' && up !== null && up.reused && up.responseBytes === 0 && !this.bodyStreamed && !this.staleRetried) {
      this.staleRetried = true;
      this.attempts--;
      return this.connect();
    }
    // Connection failures move to the next target, up to the service's retries.
    if ((kind === 'connect' || kind === 'connect_timeout') && !this.bodyStreamed && this.attempts <= svc.retries) {
      (this.tried ??= new Set()).add(ep);
      if (this.tried.size >= svc.cluster.balancer.endpoints.length) this.tried.clear();
      return this.connect();
    }
    this.failReason = message;
    if (kind === 'timeout' || kind === 'connect_timeout') this.respondError(504, KONG_MESSAGES.timeout);
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
    this.run?.cancel();
    this.record();
  }

  private respondError(status: number, message: string): void {
    this.status = status;
    // A request body we have not read forces a close (it would be parsed as the next request).
    if (this.conn.bodyPending || this.ctx.draining) this.keepAlive = false;
    const body = errorResponse(status, message, this.requestId, this.ctx.serverToken, !this.keepAlive, this.head.method === 'HEAD');
    this.bytesOut += body.length;
    if (!this.conn.destroyed) this.conn.write(body);
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
      const outcome = {
        status: this.status,
        latencyMs: latency,
        upstreamLatencyMs: this.upstreamLatency < 0 ? null : this.upstreamLatency,
        bytesIn: this.bytesIn,
        bytesOut: this.bytesOut,
        target: this.endpoint !== null ? this.endpoint.key : null,
      };
      // Off the request path: after this response is written.
      setImmediate(() => run.runLog(outcome));
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
