// One request's trip upstream: the endpoint the balancer picked, the connection (a pooled
// HTTP/1.1 one, or a stream on the endpoint's HTTP/2 session) and the attempts made. It is
// the handler the connection reports to, and passes the response on to its owner (the
// exchange) — a failure only once the retry policy (retry.ts) says it is final, in the
// manner of undici's RetryHandler wrapping a dispatch handler. The balancer and passive
// health checks hear about every attempt here. One per request that goes upstream, however
// many attempts it takes.

import { performance } from 'node:perf_hooks';
import type { ResponseHead } from '../http1/response-head.js';
import type { UpstreamFailure } from '../upstream-failure.js';
import type { CompiledRoute, CompiledService } from '../../snapshot/types.js';
import type { BalanceContext, Endpoint } from '../../upstream/types.js';
import type { TunnelObserver } from '../ws/tunnel.js';
import type { H2RequestHead, RequestHeadSource, UpstreamConnection, UpstreamHandler } from './upstream-connection.js';
import { buildUpstreamH2Head, buildUpstreamHead, type UpstreamHeadSource } from './upstream-head.js';
import { Retry, retryFor, type Attempts } from './retry.js';
import type { TrailerPairs } from './downstream.js';

/** What the call needs from the exchange it works for. */
export interface UpstreamCallOwner extends BalanceContext, UpstreamHeadSource {
  readonly finished: boolean;
  readonly responseStarted: boolean;
  readonly bodyStreamed: boolean;
  /** The connection (or stream) is ready: write the request on it. */
  sendRequest(call: UpstreamCall, conn: UpstreamConnection): void;
  onResponseHead(call: UpstreamCall, head: ResponseHead, buf: Buffer, start: number, end: number): void;
  onResponseData(buf: Buffer, start: number, end: number): void;
  onResponseEnd(call: UpstreamCall, trailers: TrailerPairs | null): void;
  onUpgrade(call: UpstreamCall, head: ResponseHead, buf: Buffer, start: number, end: number): void;
  onUpstreamDrain(): void;
  /** A retry found no endpoint left (`retried`: one failed already, else none was available). */
  noEndpoint(retried: boolean): void;
  /** The failure is final: no retry is allowed or left. */
  upstreamFailed(kind: UpstreamFailure, message: string): void;
}

/** A healthy endpoint of the service, skipping `tried`; null when there is none. */
export function pickEndpoint(
  svc: CompiledService,
  ctx: BalanceContext,
  tried: ReadonlySet<Endpoint> | null,
): Endpoint | null {
  const cluster = svc.cluster;
  return cluster.available() ? cluster.balancer.pick(ctx, tried) : null;
}

export class UpstreamCall implements UpstreamHandler, RequestHeadSource, TunnelObserver, Attempts {
  /** The connection or stream carrying the request; null once the response ended or failed. */
  conn: UpstreamConnection | null = null;
  /** performance.now() when the request went on the wire; 0 while connecting. */
  private start = 0;
  /** ms from the request write to the response head; -1 before it. */
  latency = -1;
  /** The upstream's status (whatever a plugin makes of it for the client); 0 before the head. */
  status = 0;
  attempts = 0;
  staleRetried = false;
  private tried: Set<Endpoint> | null = null;

  constructor(
    private readonly owner: UpstreamCallOwner,
    readonly route: CompiledRoute,
    readonly service: CompiledService,
    public endpoint: Endpoint,
  ) {}

  get triedCount(): number {
    return this.tried === null ? 0 : this.tried.size;
  }

  /** Starts an attempt on `endpoint`: an idle pooled connection, a new one, or an HTTP/2 stream. */
  open(): void {
    const svc = this.service;
    const ep = this.endpoint;
    svc.cluster.balancer.onStart(ep);
    this.attempts++;
    this.start = 0;
    const pools = this.owner.ctx.pools;
    // TLS connections are pooled apart from plain ones to the same address, per TLS settings.
    const tls = svc.upstreamTls;
    const key = tls === null ? ep.key : tls.poolPrefix + ep.key;
    if (svc.http2) {
      // A stream on the endpoint's shared HTTP/2 session, driven like a pooled connection.
      const st = pools.h2.open(key, ep.host, ep.port, svc.connectTimeout, tls);
      this.conn = st;
      if (st.connecting) st.handler = this;
      else this.onUpstreamReady(st);
      return;
    }
    const idle = pools.takeIdle(key);
    if (idle !== null) {
      this.conn = idle;
      this.onUpstreamReady(idle);
      return;
    }
    const c = pools.connect(key, ep.host, ep.port, svc.connectTimeout, tls);
    c.handler = this;
    this.conn = c;
  }

  /** ms since the request went upstream; 0 when it never got that far (connect failed). */
  private sinceStart(): number {
    return this.start === 0 ? 0 : performance.now() - this.start;
  }

  /** The exchange gave up (client gone, a body filter failed): the connection is dropped. */
  cancel(): void {
    const up = this.conn;
    if (up === null) return;
    this.conn = null;
    up.destroy();
    this.service.cluster.balancer.onEnd(this.endpoint, this.sinceStart(), true);
  }

  // ── RequestHeadSource: the head in the connection's form ──────────────────
  http1Head(bodyLength: number): string {
    return buildUpstreamHead(this.owner, this, bodyLength);
  }

  http2Head(bodyLength: number, scheme: 'http' | 'https'): H2RequestHead {
    return buildUpstreamH2Head(this.owner, this, bodyLength, scheme);
  }

  // ── UpstreamHandler ───────────────────────────────────────────────────────
  onUpstreamReady(conn: UpstreamConnection): void {
    const svc = this.service;
    const head = this.owner.head;
    conn.readTimeout = svc.readTimeout;
    conn.writeTimeout = svc.writeTimeout;
    conn.begin(this, head.method === 'HEAD', head.upgradeWebSocket);
    this.start = performance.now();
    this.owner.sendRequest(this, conn);
  }

  onResponseHead(head: ResponseHead, buf: Buffer, start: number, end: number): void {
    this.latency = performance.now() - this.start;
    this.status = head.status;
    this.owner.onResponseHead(this, head, buf, start, end);
  }

  onResponseData(buf: Buffer, start: number, end: number): void {
    this.owner.onResponseData(buf, start, end);
  }

  onResponseEnd(trailers?: TrailerPairs | null): void {
    const cluster = this.service.cluster;
    cluster.balancer.onEnd(this.endpoint, this.latency, false);
    const passive = cluster.passive;
    if (passive !== null) passive.report(this.endpoint, 'success', this.status);
    this.conn = null;
    this.owner.onResponseEnd(this, trailers ?? null);
  }

  onUpstreamDrain(): void {
    this.owner.onUpstreamDrain();
  }

  /** A 101: the exchange answers the client and hands both connections to a tunnel. */
  onUpgrade(head: ResponseHead, buf: Buffer, start: number, end: number): void {
    this.latency = performance.now() - this.start;
    this.status = 101;
    const passive = this.service.cluster.passive;
    if (passive !== null) passive.report(this.endpoint, 'success', 101);
    this.owner.onUpgrade(this, head, buf, start, end);
  }

  /** The tunnel closed: the balancer counted the connection as in flight until now. */
  onTunnelClosed(fromClient: number, toClient: number): void {
    this.service.cluster.balancer.onEnd(this.endpoint, this.latency, false);
    const m = this.route.metrics;
    m.bytesIn += fromClient;
    m.bytesOut += toClient;
  }

  onUpstreamFailure(kind: UpstreamFailure, message: string): void {
    const ep = this.endpoint;
    const cluster = this.service.cluster;
    const up = this.conn;
    this.conn = null;
    cluster.balancer.onEnd(ep, this.sinceStart(), true);
    const passive = cluster.passive;
    if (passive !== null)
      passive.report(ep, kind === 'timeout' || kind === 'connect_timeout' ? 'timeout' : 'tcp_failure');
    const owner = this.owner;
    if (owner.finished) return;
    if (!owner.responseStarted && !owner.bodyStreamed) {
      const endpoints = cluster.balancer.endpoints.length;
      switch (retryFor(kind, up, this, endpoints, this.service.retries)) {
        case Retry.Fresh:
          this.staleRetried = true;
          this.attempts--;
          return this.retry();
        case Retry.Skip:
          (this.tried ??= new Set()).add(ep);
          this.attempts--;
          return this.retry();
        case Retry.Next:
          (this.tried ??= new Set()).add(ep);
          if (this.tried.size >= endpoints) this.tried.clear();
          return this.retry();
        case Retry.No:
          break;
      }
    }
    owner.upstreamFailed(kind, message);
  }

  /** Another attempt, on the endpoint the balancer picks now. */
  private retry(): void {
    const ep = pickEndpoint(this.service, this.owner, this.tried);
    if (ep === null) return this.owner.noEndpoint(this.tried !== null);
    this.endpoint = ep;
    this.open();
  }
}
