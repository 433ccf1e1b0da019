// One proxied request, in the order it meets its concerns: match (match.ts) → plugins'
// rewrite and access phases (plugin-run.ts) → request body, streamed or held for a plugin
// (request-body.ts) → the trip upstream with its retries (upstream-call.ts) and the head
// sent (upstream-head.ts) → the answer relayed (relay.ts), or made by the gateway (reply.ts)
// → record (record.ts). The Exchange is the only per-request object besides its
// UpstreamCall; it is its own balancer context, plugin host and filter host, so the hot
// path allocates no closures.

import type { RequestHead } from '../http1/request-head.js';
import type { ResponseHead } from '../http1/response-head.js';
import type { ClientConnection } from '../http1/client-connection.js';
import type { WorkerContext } from '../context.js';
import { KONG_MESSAGES } from '../errors.js';
import type { UpstreamFailure } from '../upstream-failure.js';
import type { BalanceContext } from '../../upstream/types.js';
import type { ConsumerStore, HeaderMap, Phase, PluginMetrics } from '../../plugins/sdk.js';
import { processLog } from '../../observe/logger.js';
import { PluginRun } from './plugin-run.js';
import type { PluginHost } from './plugin-request.js';
import type { Downstream, TrailerPairs } from './downstream.js';
import type { UpstreamConnection } from './upstream-connection.js';
import type { FilterHost } from './filtered-response.js';
import { ExchangeState } from './state.js';
import { matchRoute, Refusal, type MatchOut } from './match.js';
import { BufferedBody } from './request-body.js';
import { pickEndpoint, UpstreamCall, type UpstreamCallOwner } from './upstream-call.js';
import { endFiltered, relayData, relayEnd, relayHead, relayUpgrade, writeBody } from './relay.js';
import { replyError, replyHttpsOnly, replyNoEndpoint, replyPlugin, replyUpstreamFailure } from './reply.js';
import { record } from './record.js';

export { nextRequestId } from './state.js';

export class Exchange
  extends ExchangeState
  implements BalanceContext, PluginHost, UpstreamCallOwner, FilterHost, MatchOut
{
  /** Matched as https by a plain-http request (see match.ts). */
  viaHttps = false;

  constructor(conn: Downstream, ctx: WorkerContext, head: RequestHead) {
    super(conn, ctx, head);
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
  get pluginMetrics(): PluginMetrics {
    return this.ctx.pluginMetrics;
  }

  readRequestBody(): Promise<Buffer> {
    const b = (this.body ??= new BufferedBody());
    const ready = b.toSend;
    if (ready !== null) return Promise.resolve(ready);
    return this.startBuffering(b);
  }

  setRequestBody(body: Buffer): void {
    const b = (this.body ??= new BufferedBody());
    b.replacement = body;
    // The client's own body must still be read off the connection (and dropped).
    if (b.received === null && !b.started && this.conn.hasBody) void this.startBuffering(b);
  }

  private startBuffering(b: BufferedBody): Promise<Buffer> {
    if (b.started) return b.start();
    const p = b.start();
    this.conn.startBody(true); // may end the body at once (none sent): onRequestEnd resolves
    return p;
  }

  pluginRespond(status: number, body: Buffer, headers: [string, string][]): void {
    replyPlugin(this, status, body, headers);
  }

  pluginFailed(plugin: string, phase: Phase, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.failReason = `plugin ${plugin} failed in the ${phase} phase: ${message}`;
    processLog().error({ plugin, phase, request_id: this.requestId }, this.failReason);
    if (this.finished) return;
    replyError(this, 500, KONG_MESSAGES.internal);
  }

  // ── Match and request phases ──────────────────────────────────────────────
  start(): void {
    const r = matchRoute(this.snapshot, this.head, this.conn.listener, this);
    if (typeof r === 'number') {
      if (r === Refusal.GrpcOnly) {
        this.failReason =
          'the route accepts gRPC calls only (protocols grpc/grpcs); the request has no application/grpc content-type';
        return replyError(this, 415, 'This route takes gRPC calls only (content-type application/grpc)');
      }
      if (r === Refusal.WsOnly) {
        this.failReason = 'the route accepts WebSocket handshakes only (protocols ws/wss)';
        return replyError(this, 426, 'Upgrade Required');
      }
      return replyError(this, 404, KONG_MESSAGES.noRoute);
    }
    this.route = r;
    this.service = r.service;
    if (this.viaHttps && !this.forwardedHttps()) return replyHttpsOnly(this, r);
    if (r.plugins !== null) {
      // Plugins may answer themselves (a route without a service can still terminate).
      this.run = new PluginRun(r.plugins, this);
      this.run.runRequestPhases(); // → requestPhasesDone()
      return;
    }
    this.requestPhasesDone();
  }

  /** A trusted proxy in front (trusted_ips) terminated TLS and says so: the request counts as https. */
  private forwardedHttps(): boolean {
    const i = this.head.xfProtoIndex;
    return this.conn.trusted && i !== -1 && this.head.values[i].trim().toLowerCase() === 'https';
  }

  /** The rewrite and access phases are over (or there were none): go upstream. */
  requestPhasesDone(): void {
    if (this.finished) return;
    const b = this.body;
    if (b !== null && b.reading) {
      b.waiting = true; // a replaced body: the client's is still being read off
      return;
    }
    const route = this.route;
    const svc = this.service;
    if (route === null || svc === null) return replyError(this, 503, KONG_MESSAGES.noService);
    const ep = pickEndpoint(svc, this, null);
    if (ep === null) return replyNoEndpoint(this, false, svc.cluster.name);
    const call = new UpstreamCall(this, route, svc, ep);
    this.call = call;
    call.open();
  }

  // ── Request body and head (UpstreamCallOwner) ─────────────────────────────
  sendRequest(call: UpstreamCall, conn: UpstreamConnection): void {
    const body = this.body === null ? null : this.body.toSend;
    if (body === null) {
      conn.sendHead(call, -1);
      // An HTTP/2 client's body goes to an HTTP/2 upstream as plain bytes (its trailers with
      // the end); an HTTP/1.1 upstream gets it chunk-framed, an HTTP/1.1 client's as it came.
      this.conn.startBody(call.service.http2 && !this.conn.http1);
      return;
    }
    // A body held in memory (a plugin read or replaced it): sent whole, with its length.
    conn.sendHead(call, body.length);
    if (body.length > 0) conn.write(body);
    if (this.requestEnded) conn.requestSent();
    else this.conn.startBody(); // the client sent none: this ends the request at once
  }

  onRequestData(buf: Buffer, start: number, end: number): void {
    const b = this.body;
    if (b !== null && b.reading) {
      // Decoded body bytes in buffers this exchange may keep (one per socket read).
      if (this.finished) return;
      this.bytesIn += end - start;
      if (!b.push(buf, start, end, this.ctx.clientBodyBufferLimit)) this.bodyTooLarge();
      return;
    }
    this.bytesIn += end - start;
    this.bodyStreamed = true;
    const up = this.call?.conn ?? null;
    if (up === null) return; // upstream already gone (early response); the body is discarded
    up.touchWrite();
    if (!up.write(start === 0 && end === buf.length ? buf : buf.subarray(start, end))) this.conn.pauseBody();
  }

  /** `trailers`: an HTTP/2 client's, when its body came without chunk framing. */
  onRequestEnd(trailers?: string): void {
    this.requestEnded = true;
    const b = this.body;
    if (b !== null && b.reading) {
      b.end();
      if (b.waiting) {
        b.waiting = false;
        this.requestPhasesDone();
      }
      return;
    }
    this.call?.conn?.requestSent(trailers);
  }

  private bodyTooLarge(): void {
    this.failReason = `request body larger than client_body_buffer_limit (${this.ctx.clientBodyBufferLimit} bytes), which a plugin needed to read`;
    this.run?.cancel();
    replyError(this, 413, 'Request size limit exceeded');
  }

  onUpstreamDrain(): void {
    this.conn.resumeBody();
  }

  noEndpoint(retried: boolean): void {
    replyNoEndpoint(this, retried, this.service === null ? '' : this.service.cluster.name);
  }

  upstreamFailed(kind: UpstreamFailure, message: string): void {
    replyUpstreamFailure(this, kind, message);
  }

  // ── Response (UpstreamCallOwner, FilterHost) ──────────────────────────────
  onResponseHead(call: UpstreamCall, head: ResponseHead, buf: Buffer, start: number, end: number): void {
    relayHead(this, call, head, buf, start, end);
  }

  onResponseData(buf: Buffer, start: number, end: number): void {
    relayData(this, buf, start, end);
  }

  onResponseEnd(_call: UpstreamCall, trailers: TrailerPairs | null): void {
    relayEnd(this, trailers);
  }

  onUpgrade(call: UpstreamCall, head: ResponseHead, buf: Buffer, start: number, end: number): void {
    // Only an HTTP/1.1 connection answers 101 (an HTTP/2 stream refuses upgrades).
    const up = call.conn as ClientConnection;
    relayUpgrade(this, call, up, head, buf, start, end);
  }

  onClientDrain(): void {
    this.call?.conn?.resumeReading();
  }

  writeBody(data: Buffer): boolean {
    return writeBody(this, data);
  }

  endFiltered(trailers: HeaderMap): void {
    endFiltered(this, trailers);
  }

  get clientNeedsDrain(): boolean {
    return this.conn.writableNeedDrain;
  }

  pauseUpstream(): void {
    this.call?.conn?.pauseReading();
  }

  resumeUpstream(): void {
    this.call?.conn?.resumeReading();
  }

  filterFailed(plugin: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.failReason = `plugin ${plugin} failed in the body phase: ${message}`;
    processLog().error({ plugin, phase: 'body', request_id: this.requestId }, this.failReason);
    if (this.finished) return;
    this.call?.cancel();
    // The head is out: cutting the connection is how the client learns the body is incomplete.
    this.keepAlive = false;
    this.conn.close();
    this.finish();
  }

  // ── End ───────────────────────────────────────────────────────────────────
  /** The client went away, or its request body broke. */
  abort(reason: string, status = 499): void {
    if (this.finished) return;
    this.failReason = reason;
    this.call?.cancel();
    if (this.status === 0 || !this.responseStarted) this.status = status;
    this.keepAlive = false;
    this.finished = true;
    this.filtered?.abort();
    this.run?.cancel();
    record(this);
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    record(this);
    this.conn.exchangeDone(this.keepAlive);
  }
}
