// One client connection speaking HTTP/1.1. It parses request heads strictly, frames request
// bodies, runs one exchange at a time (pipelined requests wait, in order), and enforces the
// client-side timeouts. Listeners are attached once per socket; nothing is allocated per
// request here except the Exchange.

import type net from 'node:net';
import { HttpParseError, parseRequestHead, RequestHead } from './request-head.js';
import { ChunkedError, ChunkedParser } from './chunked.js';
import { watch, unwatch, type Expirable } from '../clock.js';
import type { ListenerInfo, WorkerContext } from '../context.js';
import { Exchange } from '../proxy/exchange.js';
import type { BodyMode, Downstream, ResponseOut, TrailerPairs } from '../proxy/downstream.js';
import type { ClientConnection } from './client-connection.js';
import { Http1ResponseWriter } from './response-writer.js';
import { sendRefusal, type RefusalOptions } from './refused-request.js';
import { WebSocketTunnel, type TunnelObserver, type TunnelSettings } from '../ws/tunnel.js';

const enum St {
  Head, // waiting for (the rest of) a request head
  Hold, // head parsed, exchange waiting for an upstream before the body flows
  Body, // request body streaming to the upstream
  Wait, // request fully read, response in progress
  Tunnel, // switched to WebSocket: bytes relayed by `tunnel` until either side closes
  Closing,
}

/** Bytes of pipelined or early data buffered before the socket is paused. */
const MAX_PENDING = 64 * 1024;

/** Why the client socket is paused; it reads again only when no reason is left. */
const PAUSE_PENDING = 1; // too much early or pipelined data buffered
const PAUSE_UPSTREAM = 2; // the upstream socket is not draining the request body

export class Http1ServerConnection implements Downstream, Expirable {
  readonly head = new RequestHead();
  readonly clientIp: string;
  readonly trusted: boolean;
  readonly http1 = true;
  deadline = 0;
  private readonly out: Http1ResponseWriter;
  private pending: Buffer | null = null;
  private state = St.Head;
  private exchange: Exchange | null = null;
  private tunnel: WebSocketTunnel | null = null;
  private bodyRemaining = 0;
  private readonly chunked = new ChunkedParser();
  private bodyChunked = false;
  /**
   * Who still reads the current request head after its exchange finished (the plugins' log
   * phase, which runs later). Copying the head only when the next request is about to
   * overwrite it costs nothing in the usual case, where the log phase runs first.
   */
  private headBorrower: { detach(): void } | null = null;

  lendHead(borrower: { detach(): void }): void {
    if (this.headBorrower !== null && this.headBorrower !== borrower) this.headBorrower.detach();
    this.headBorrower = borrower;
  }

  returnHead(borrower: { detach(): void }): void {
    if (this.headBorrower === borrower) this.headBorrower = null;
  }

  /** The exchange wants the chunked body decoded (a plugin buffers it). */
  private decoding = false;
  private looping = false;
  private pauses = 0;

  constructor(
    // A TCP or TLS socket (an HTTP/2 stream has its own downstream: http2/stream-downstream.ts).
    readonly socket: net.Socket,
    readonly ctx: WorkerContext,
    readonly listener: ListenerInfo,
  ) {
    const ip = socket.remoteAddress ?? '';
    this.clientIp = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    this.trusted =
      ctx.trusted !== null &&
      ip !== '' &&
      ctx.trusted.check(this.clientIp, this.clientIp.includes(':') ? 'ipv6' : 'ipv4');
    if (listener.http2 !== true) ctx.connections++;
    this.out = new Http1ResponseWriter(socket, this.head, ctx.serverToken);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => (this.tunnel !== null ? this.tunnel.onClientDrain() : this.exchange?.onClientDrain()));
    socket.on('error', () => this.onGone());
    socket.on('close', () => this.onGone());
    socket.on('end', () => this.onEnd());
    this.deadline = Date.now() + ctx.clientTimeout;
    watch(this);
  }

  /** Timeouts: head not received, body stalled, or keep-alive idle. */
  expire(): void {
    if (this.state === St.Head) {
      if (this.pending !== null && this.pending.length > 0) {
        this.reject(408, 'Request timeout: the request head was not received in time');
      } else {
        this.close();
      }
    } else if (this.state === St.Body) {
      this.exchange?.abort('client body timeout');
      this.close();
    }
  }

  private onData(chunk: Buffer): void {
    switch (this.state) {
      case St.Head:
      case St.Hold:
      case St.Wait:
        this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
        if (this.state === St.Head) this.loop();
        else if (this.pending.length > MAX_PENDING) this.pause(PAUSE_PENDING);
        return;
      case St.Body:
        this.deadline = Date.now() + this.ctx.clientTimeout;
        this.feedBody(chunk, 0);
        return;
      case St.Tunnel:
        this.tunnel!.fromClient(chunk);
        return;
      default:
        return;
    }
  }

  /** Parses and starts requests from `pending` while the connection is free. */
  private loop(): void {
    if (this.looping) return;
    this.looping = true;
    try {
      while (this.state === St.Head && this.pending !== null) {
        const buf = this.pending;
        if (this.headBorrower !== null) {
          // A finished exchange's log phase has not run yet and reads this head: give it a copy first.
          this.headBorrower.detach();
          this.headBorrower = null;
        }
        const r = parseRequestHead(buf, 0, buf.length, this.ctx.maxHeaderSize, this.head);
        if (r instanceof HttpParseError) {
          this.pending = null;
          this.reject(r.status, r.message);
          return;
        }
        if (r === 0) {
          this.resume(PAUSE_PENDING);
          return;
        }
        this.pending = r < buf.length ? buf.subarray(r) : null;
        this.startRequest();
      }
    } finally {
      this.looping = false;
    }
  }

  private startRequest(): void {
    const head = this.head;
    this.deadline = 0;
    this.bodyChunked = head.chunked;
    this.bodyRemaining = head.chunked ? -1 : head.contentLength > 0 ? head.contentLength : 0;
    if (this.bodyChunked) {
      this.chunked.reset();
      this.chunked.refuseHeaderOnlyTrailers = true;
    }
    this.state = St.Hold;
    const ex = new Exchange(this, this.ctx, head);
    this.exchange = ex;
    ex.start();
  }

  /** Some of the current request's body has not been read from the client yet. */
  get bodyPending(): boolean {
    return (this.state === St.Hold && this.hasBody) || this.state === St.Body;
  }

  get hasBody(): boolean {
    return this.bodyChunked || this.bodyRemaining > 0;
  }

  /**
   * The exchange is connected upstream, or a plugin wants the body: let it flow (or finish at
   * once). With `decode`, a chunked body reaches the exchange without its chunk framing.
   */
  startBody(decode = false): void {
    if (this.state !== St.Hold) return;
    this.decoding = decode && this.bodyChunked;
    if (this.decoding) this.chunked.sink = (b, s, e) => this.exchange?.onRequestData(b, s, e);
    if (!this.hasBody) {
      this.state = St.Wait;
      this.exchange!.onRequestEnd();
      return;
    }
    if (this.head.expectContinue && (this.pending === null || this.pending.length === 0)) {
      this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    }
    this.state = St.Body;
    this.deadline = Date.now() + this.ctx.clientTimeout;
    const p = this.pending;
    this.pending = null;
    if (p !== null) this.feedBody(p, 0);
    // The early bytes are handed over: read on (unless the upstream asked us to wait).
    if ((this.state as St) !== St.Closing) this.resume(PAUSE_PENDING);
  }

  private feedBody(buf: Buffer, start: number): void {
    const ex = this.exchange!;
    if (this.bodyChunked) {
      let endAt: number;
      try {
        endAt = this.chunked.feed(buf, start, buf.length);
      } catch (err) {
        const started = ex.responseStarted;
        ex.abort('malformed chunked request body', 400);
        this.reject(400, 'Bad request: malformed chunked body: ' + (err as ChunkedError).message, {
          logged: true,
          responseStarted: started,
        });
        return;
      }
      if (this.state !== St.Body) return; // the exchange answered (and closed) meanwhile
      const stop = endAt === -1 ? buf.length : endAt;
      if (stop > start && !this.decoding) ex.onRequestData(buf, start, stop);
      if (this.state !== St.Body) return;
      if (endAt !== -1) this.bodyDone(buf, endAt);
      return;
    }
    const avail = buf.length - start;
    const take = avail < this.bodyRemaining ? avail : this.bodyRemaining;
    this.bodyRemaining -= take;
    if (take > 0) ex.onRequestData(buf, start, start + take);
    if (this.state !== St.Body) return; // the exchange answered (and closed) meanwhile
    if (this.bodyRemaining === 0) this.bodyDone(buf, start + take);
  }

  private bodyDone(buf: Buffer, at: number): void {
    this.state = St.Wait;
    this.deadline = 0;
    if (at < buf.length) this.pending = buf.subarray(at);
    this.exchange!.onRequestEnd();
  }

  private pause(reason: number): void {
    if (this.pauses === 0) this.socket.pause();
    this.pauses |= reason;
  }

  private resume(reason: number): void {
    if (this.pauses === 0) return;
    this.pauses &= ~reason;
    if (this.pauses === 0) this.socket.resume();
  }

  /** Backpressure from the upstream socket. */
  pauseBody(): void {
    this.pause(PAUSE_UPSTREAM);
  }

  resumeBody(): void {
    this.resume(PAUSE_UPSTREAM);
  }

  // ── The response (Downstream): serialised by the connection's HTTP/1.1 writer ──
  sendHead(r: ResponseOut, mode: BodyMode, length: number, buf: Buffer | null, start: number, end: number): number {
    return this.out.sendHead(r, mode, length, buf, start, end);
  }

  writeBody(data: Buffer): boolean {
    return this.out.writeBody(data);
  }

  endBody(trailers: TrailerPairs | null): number {
    return this.out.endBody(trailers);
  }

  get writableNeedDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  /**
   * The exchange's WebSocket handshake succeeded (the 101 is written): the connection now
   * belongs to a tunnel to `upstream` until either side closes. Bytes the client sent after
   * its handshake (early frames) go first. The open-tunnel gauge counts it until it ends.
   */
  startTunnel(upstream: ClientConnection, settings: TunnelSettings, observer: TunnelObserver): WebSocketTunnel {
    this.exchange = null;
    this.state = St.Tunnel;
    this.deadline = 0;
    unwatch(this); // the tunnel keeps its own deadline: one sweep entry per tunnel, not three
    this.ctx.websockets++;
    const ctx = this.ctx;
    const t = new WebSocketTunnel(this.socket, upstream, settings, {
      onTunnelClosed(fromClient: number, toClient: number, reason: string): void {
        ctx.websockets--;
        observer.onTunnelClosed(fromClient, toClient, reason);
      },
    });
    this.tunnel = t;
    upstream.startTunnel(t);
    const p = this.pending;
    this.pending = null;
    this.pauses = 0;
    this.socket.resume();
    if (p !== null && p.length > 0) t.fromClient(p);
    return t;
  }

  /** Called by the exchange when its response has been fully written. */
  exchangeDone(keepAlive: boolean): void {
    this.exchange = null;
    const bodyUnread = this.bodyPending;
    if (!keepAlive || bodyUnread || this.ctx.draining) {
      // A request body we did not read would be parsed as the next request: close instead.
      this.state = St.Closing;
      this.socket.end();
      return;
    }
    this.state = St.Head;
    this.deadline = Date.now() + (this.pending === null ? this.ctx.clientKeepaliveTimeout : this.ctx.clientTimeout);
    this.resume(PAUSE_PENDING | PAUSE_UPSTREAM);
    if (this.pending !== null) this.loop();
  }

  /**
   * Answers a request the gateway refuses, then closes (the framing can no longer be
   * trusted): see refused-request.ts.
   */
  reject(status: number, message: string, opts: RefusalOptions = {}): void {
    if (this.socket.destroyed || this.state === St.Closing) return;
    this.state = St.Closing;
    this.exchange = null;
    sendRefusal(this, status, message, opts);
  }

  close(): void {
    this.state = St.Closing;
    if (this.tunnel !== null) this.tunnel.close('shutdown');
    this.socket.destroy();
  }

  /** Graceful shutdown: close now if idle, else after the exchange in progress. */
  drain(): void {
    if (this.state === St.Head && (this.pending === null || this.pending.length === 0)) this.close();
  }

  private onEnd(): void {
    // Client half-closed. Finish the response in progress, then close.
    if (this.state === St.Tunnel) return; // the tunnel hears of it on 'close'
    if (this.state === St.Head) {
      this.close();
    } else if (this.state === St.Body) {
      this.exchange?.abort('client closed the connection during the request body');
      this.close();
    }
  }

  private gone = false;
  private onGone(): void {
    if (this.gone) return;
    this.gone = true;
    if (this.listener.http2 !== true) this.ctx.connections--;
    this.deadline = 0;
    unwatch(this);
    this.state = St.Closing;
    const ex = this.exchange;
    this.exchange = null;
    if (ex !== null) ex.abort('client closed the connection');
    const t = this.tunnel;
    if (t !== null) t.onClientClosed();
  }
}
