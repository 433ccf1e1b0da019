// One pooled HTTP/1.1 connection to an upstream endpoint. Socket listeners are attached once
// per connection (never per request); the request in progress is the `handler` field.
// It frames the response (length, chunked, until-close) and hands the body bytes to the
// handler as buffer ranges, without copying.

import type net from 'node:net';
import { connectUpstream } from './upstream-socket.js';
import type { UpstreamTls } from '../../snapshot/types.js';
import { ChunkedError, ChunkedParser } from './chunked.js';
import { Framing, parseResponseHead, ResponseHead } from './response-head.js';
import { watch, unwatch, type Expirable } from '../clock.js';
import type { RequestHeadSource, UpstreamHandler } from '../proxy/upstream-connection.js';

import { connectFailure, type UpstreamFailure } from '../upstream-failure.js';

/**
 * Takes the connection's bytes once it switched protocols (a WebSocket tunnel). Data ranges
 * are views of the shared read buffer, as for UpstreamHandler.
 */
export interface TunnelPeer {
  onTunnelData(buf: Buffer, start: number, end: number): void;
  onTunnelDrain(): void;
  /** The upstream closed or failed; the connection is destroyed. */
  onTunnelClosed(): void;
}

export interface ConnectionOwner {
  release(conn: ClientConnection): void;
  forget(conn: ClientConnection): void;
}

const MAX_RESPONSE_HEAD = 64 * 1024;

const enum St {
  Connecting,
  Idle,
  AwaitHead,
  Body,
  Tunnel, // switched protocols (101): bytes go to `peer`; never back to the pool
  Closed,
}

/** Watched by the sweep timer for its whole life; `deadline` 0 means nothing is due. */
export class ClientConnection implements Expirable {
  readonly socket: net.Socket;
  handler: UpstreamHandler | null = null;
  deadline = 0;
  /** ms allowed between two reads while a response is awaited or read. */
  readTimeout = 60_000;
  writeTimeout = 60_000;
  requests = 0;
  idleSince = 0;
  /** True once this connection has carried a request (a reused connection may be stale). */
  reused = false;
  /** Response bytes seen for the current request (0 ⇒ safe to retry on a stale reuse). */
  responseBytes = 0;
  private state = St.Connecting;
  private pending: Buffer | null = null;
  private isHead = false;
  private remaining = 0;
  private readonly head = new ResponseHead();
  private readonly chunked = new ChunkedParser();
  private framing: Framing = Framing.None;
  private waitingRequestEnd = false;
  requestDone = false;
  /** The request asked for a WebSocket upgrade: a 101 is expected instead of refused. */
  private upgrade = false;
  private peer: TunnelPeer | null = null;

  constructor(
    readonly key: string,
    private readonly host: string,
    port: number,
    connectTimeout: number,
    private readonly owner: ConnectionOwner,
    upstreamTls: UpstreamTls | null = null,
  ) {
    this.socket = connectUpstream(host, port, upstreamTls, this);
    this.deadline = Date.now() + connectTimeout;
    watch(this);
    this.socket.on('drain', () => (this.peer !== null ? this.peer.onTunnelDrain() : this.handler?.onUpstreamDrain()));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    this.socket.on('close', () => this.onClose());
  }

  get connecting(): boolean {
    return this.state === St.Connecting;
  }

  get isIdle(): boolean {
    return this.state === St.Idle;
  }

  /** Starts a request on this connection (state must be Idle). */
  begin(handler: UpstreamHandler, isHead: boolean, upgrade = false): void {
    this.handler = handler;
    this.isHead = isHead;
    this.upgrade = upgrade;
    this.state = St.AwaitHead;
    this.responseBytes = 0;
    this.requestDone = false;
    this.waitingRequestEnd = false;
    this.requests++;
    this.deadline = Date.now() + this.writeTimeout;
  }

  /** The handler finished writing the request (head and body). */
  requestSent(): void {
    this.requestDone = true;
    this.deadline = Date.now() + this.readTimeout;
    if (this.waitingRequestEnd) this.finish();
  }

  /** Refreshes the write deadline while a request body streams. */
  touchWrite(): void {
    this.deadline = Date.now() + this.writeTimeout;
  }

  sendHead(source: RequestHeadSource, bodyLength: number): void {
    this.socket.write(source.http1Head(bodyLength), 'latin1');
  }

  write(data: Buffer): boolean {
    return this.socket.write(data);
  }

  /** Backpressure from the client. A connection returns to the pool resumed (see finish). */
  pauseReading(): void {
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  resumeReading(): void {
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private paused = false;

  /**
   * The upstream answered 101 to a WebSocket handshake: from now on its bytes go to `peer`.
   * The connection is out of the timeout sweep (the tunnel keeps its own) and is destroyed,
   * never pooled, when the tunnel ends.
   */
  startTunnel(peer: TunnelPeer): void {
    this.state = St.Tunnel;
    this.handler = null;
    this.peer = peer;
    this.deadline = 0;
    unwatch(this);
  }

  /** Abandons the connection (the request failed or the client went away). */
  destroy(): void {
    if (this.state === St.Closed) return;
    const peer = this.state === St.Tunnel ? this.peer : null;
    this.state = St.Closed;
    this.peer = null;
    this.handler = null;
    this.deadline = 0;
    unwatch(this);
    this.socket.destroy();
    this.owner.forget(this);
    if (peer !== null) peer.onTunnelClosed();
  }

  expire(): void {
    const h = this.handler;
    const st = this.state;
    this.handler = null;
    this.destroy();
    if (h !== null) {
      if (st === St.Connecting) h.onUpstreamFailure('connect_timeout', 'timed out connecting to the upstream');
      else h.onUpstreamFailure('timeout', 'the upstream did not answer within the timeout');
    }
  }

  /** Connected (TLS: handshake done and the chain checked). */
  onConnect(): void {
    this.state = St.Idle;
    this.deadline = 0;
    const h = this.handler;
    if (h !== null) h.onUpstreamReady(this);
    else this.owner.release(this);
  }

  /** Bytes from the upstream (plain TCP: a view of the worker's shared read buffer). */
  onData(chunk: Buffer): void {
    if (this.state === St.Tunnel) {
      this.peer!.onTunnelData(chunk, 0, chunk.length);
      return;
    }
    if (this.state === St.AwaitHead || this.state === St.Body) {
      this.responseBytes += chunk.length;
      this.deadline = Date.now() + this.readTimeout;
    }
    if (this.state === St.AwaitHead) {
      let buf = chunk;
      if (this.pending !== null) {
        buf = Buffer.concat([this.pending, chunk]);
        this.pending = null;
      }
      this.parseHead(buf, 0);
    } else if (this.state === St.Body) {
      this.onBody(chunk, 0, chunk.length);
    } else if (this.state === St.Idle) {
      // Bytes on an idle connection: the upstream is confused; never reuse it.
      this.destroy();
    }
  }

  private parseHead(buf: Buffer, start: number): void {
    let n: number;
    try {
      n = parseResponseHead(buf, start, buf.length, MAX_RESPONSE_HEAD, this.isHead, this.head);
    } catch (err) {
      return this.fail('protocol', (err as Error).message);
    }
    if (n === 0) {
      // Copied: `buf` may be the shared read buffer.
      this.pending = Buffer.from(buf.subarray(start));
      return;
    }
    const bodyStart = start + n;
    const head = this.head;
    if (head.status < 200) {
      // Informational responses (100, 103) are consumed here; the gateway answers
      // Expect: 100-continue itself. 101 needs an upgrade we did not ask for.
      if (head.status === 101) {
        if (!this.upgrade) return this.fail('protocol', 'unexpected 101 Switching Protocols from upstream');
        if (head.upgrade.toLowerCase() !== 'websocket')
          return this.fail('protocol', `101 Switching Protocols from upstream to "${head.upgrade}", not websocket`);
        // The handler answers the client and calls startTunnel; bytes after the head are the
        // upstream's first frames.
        this.handler!.onUpgrade(head, buf, bodyStart, buf.length);
        return;
      }
      if (bodyStart < buf.length) this.parseHead(buf, bodyStart);
      return;
    }
    this.framing = head.framing;
    this.state = St.Body;
    const h = this.handler!;
    if (head.framing === Framing.None) {
      h.onResponseHead(head, buf, bodyStart, bodyStart);
      if (bodyStart < buf.length) head.keepAlive = false; // bytes after a body-less response
      this.complete();
      return;
    }
    if (head.framing === Framing.Length) {
      this.remaining = head.contentLength;
      const take = Math.min(buf.length - bodyStart, this.remaining);
      this.remaining -= take;
      h.onResponseHead(head, buf, bodyStart, bodyStart + take);
      if (this.remaining === 0) {
        if (bodyStart + take < buf.length) head.keepAlive = false;
        this.complete();
      }
      return;
    }
    if (head.framing === Framing.Chunked) {
      this.chunked.reset();
      let endAt: number;
      try {
        endAt = this.chunked.feed(buf, bodyStart, buf.length);
      } catch (err) {
        return this.fail('protocol', 'malformed chunked response: ' + (err as ChunkedError).message);
      }
      h.onResponseHead(head, buf, bodyStart, endAt === -1 ? buf.length : endAt);
      if (endAt !== -1) {
        if (endAt < buf.length) head.keepAlive = false;
        this.complete();
      }
      return;
    }
    // Until close.
    h.onResponseHead(head, buf, bodyStart, buf.length);
  }

  private onBody(buf: Buffer, start: number, end: number): void {
    const h = this.handler;
    if (h === null) return;
    switch (this.framing) {
      case Framing.Length: {
        const take = Math.min(end - start, this.remaining);
        this.remaining -= take;
        h.onResponseData(buf, start, start + take);
        if (this.remaining === 0) {
          if (start + take < end) this.head.keepAlive = false;
          this.complete();
        }
        return;
      }
      case Framing.Chunked: {
        let endAt: number;
        try {
          endAt = this.chunked.feed(buf, start, end);
        } catch (err) {
          return this.fail('protocol', 'malformed chunked response: ' + (err as ChunkedError).message);
        }
        h.onResponseData(buf, start, endAt === -1 ? end : endAt);
        if (endAt !== -1) {
          if (endAt < end) this.head.keepAlive = false;
          this.complete();
        }
        return;
      }
      default:
        h.onResponseData(buf, start, end);
    }
  }

  /** The response is complete. Hand the connection back once the request is fully sent too. */
  private complete(): void {
    if (!this.requestDone) {
      // The upstream answered before reading the whole request (e.g. an early 413): the
      // connection cannot be reused since the rest of the request body would follow.
      this.head.keepAlive = false;
      this.waitingRequestEnd = false;
    }
    this.finish();
  }

  private finish(): void {
    const h = this.handler;
    this.handler = null;
    this.deadline = 0;
    const reusable = this.head.keepAlive && this.requestDone;
    if (reusable) {
      // The response may have ended while the client's backpressure had paused us; an idle
      // connection must read (to see the upstream close it) and the next request needs it.
      this.resumeReading();
      this.state = St.Idle;
      this.reused = true;
      this.idleSince = Date.now();
      this.owner.release(this);
    } else {
      this.destroy();
    }
    if (h !== null) h.onResponseEnd();
  }

  private fail(kind: UpstreamFailure, message: string): void {
    const h = this.handler;
    this.handler = null;
    this.destroy();
    if (h !== null) h.onUpstreamFailure(kind, message);
  }

  private onEnd(): void {
    if (this.state === St.Tunnel) return; // the socket ends its side too, then 'close' tells the tunnel
    if (this.state === St.Body && this.framing === Framing.UntilClose) {
      this.head.keepAlive = false;
      this.requestDone = true;
      this.finish();
      return;
    }
    if (this.state === St.Connecting)
      return this.fail('connect', 'the upstream closed the connection while connecting');
    if (this.state === St.AwaitHead || this.state === St.Body) {
      return this.fail(
        'reset',
        this.state === St.AwaitHead
          ? 'the upstream closed the connection before answering'
          : 'the upstream closed the connection in the middle of the response',
      );
    }
    this.destroy();
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (this.state === St.Connecting) {
      const f = connectFailure(err, this.host);
      return this.fail(f.kind, f.message);
    }
    if (this.state === St.AwaitHead || this.state === St.Body)
      return this.fail('reset', `upstream connection error: ${err.code ?? err.message}`);
    this.destroy();
  }

  private onClose(): void {
    if (this.state !== St.Closed) {
      if (this.state === St.Body && this.framing === Framing.UntilClose) return this.onEnd();
      const h = this.handler;
      if (h !== null && this.state !== St.Idle)
        return this.fail(this.state === St.Connecting ? 'connect' : 'reset', 'the upstream connection closed');
      this.destroy();
    }
  }
}
