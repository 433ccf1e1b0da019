// Downstream HTTP/2 on one proxy listener. Accepted sockets (TLS that negotiated h2, or
// cleartext that opened with the client preface) are handed to a node:http2 server that
// never listens itself: nghttp2 does framing, flow control and HPACK. Each stream is the
// downstream of one exchange (StreamDownstream), so every route, plugin, balancer, metric
// and log line works as for HTTP/1.1.
//
// Per connection it enforces: a cap on concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS;
// nghttp2 refuses the excess), a header list size (max_header_size, as the HTTP/1.1 side),
// the keep-alive idle timeout (no stream open), and rapid-reset protection (CVE-2023-44487):
// streams the client resets or abandons before their response ends, while the connection
// lives, are counted per 10 s window; past the limit the connection gets GOAWAY
// ENHANCE_YOUR_CALM and is closed, so one client cannot make the gateway start and drop
// exchanges at no cost to itself.

import http2, { type ServerHttp2Session, type ServerHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import type net from 'node:net';
import type { ListenerInfo, WorkerContext } from '../context.js';
import { StreamDownstream } from './stream-downstream.js';
import { processLog } from '../../observe/logger.js';

const { NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_FLAG_END_STREAM } = http2.constants;

/** The window over which client resets are counted. */
const RESET_WINDOW_MS = 10_000;

export interface Http2Limits {
  maxConcurrentStreams: number;
  /** Client resets (or streams abandoned before their response ended) allowed per window. */
  maxResets: number;
}

export class Http2Edge {
  private readonly server: http2.Http2Server;
  private readonly listener: ListenerInfo;
  /** Open HTTP/2 client connections (the worker waits for them when draining). */
  readonly connections = new Set<H2Connection>();

  constructor(
    readonly ctx: WorkerContext,
    listener: ListenerInfo,
    readonly limits: Http2Limits,
  ) {
    this.listener = { scheme: listener.scheme, port: listener.port, http2: true };
    this.server = http2.createServer({
      settings: {
        maxConcurrentStreams: limits.maxConcurrentStreams,
        maxHeaderListSize: ctx.maxHeaderSize,
      },
    });
    this.server.on('session', (session: ServerHttp2Session) => {
      const c = new H2Connection(this, session, this.accepting!, this.listener);
      this.connections.add(c);
    });
  }

  /** The socket being handed to node:http2 ('session' is emitted synchronously inside). */
  accepting: net.Socket | null = null;

  /** A socket that speaks HTTP/2 from its first byte (TLS with ALPN h2, or a peeked preface). */
  accept(socket: net.Socket): void {
    this.accepting = socket;
    try {
      this.server.emit('connection', socket);
    } finally {
      this.accepting = null;
    }
  }

  /** Graceful shutdown: GOAWAY to every connection; streams in flight finish. */
  drain(): void {
    for (const c of this.connections) c.drain();
  }

  /** The drain timeout passed: close what is left. */
  close(): void {
    for (const c of this.connections) c.close();
  }
}

class H2Connection {
  private open = 0;
  private resets = 0;
  private windowStart = 0;
  private idle: NodeJS.Timeout | null = null;
  private readonly clientIp: string;

  constructor(
    private readonly edge: Http2Edge,
    private readonly session: ServerHttp2Session,
    /** session.socket is a proxy that refuses destroy(); this is the socket itself. */
    private readonly socket: net.Socket,
    private readonly listener: ListenerInfo,
  ) {
    const ctx = edge.ctx;
    ctx.connections++;
    const ip = socket.remoteAddress ?? '';
    this.clientIp = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    session.on('stream', (stream: ServerHttp2Stream, _h: IncomingHttpHeaders, flags: number, raw: string[]) =>
      this.onStream(stream, flags, raw),
    );
    session.on('error', () => {}); // socket errors, protocol errors: 'close' follows
    session.once('close', () => {
      ctx.connections--;
      this.clearIdle();
      edge.connections.delete(this);
    });
    if (ctx.draining) this.drain();
    else this.armIdle();
  }

  private onStream(stream: ServerHttp2Stream, flags: number, raw: string[]): void {
    this.open++;
    this.clearIdle();
    // The stream reaches the exchange directly (StreamDownstream): its request head from the
    // header pairs, its response written by ResponseWriter.
    const d = new StreamDownstream(
      stream,
      raw,
      (flags & NGHTTP2_FLAG_END_STREAM) !== 0,
      this.socket.remoteAddress,
      this.edge.ctx,
      this.listener,
    );
    stream.once('close', () => {
      this.open--;
      // Only a stream the client gave up on while the connection lives counts. When the
      // connection itself goes (the client dropped it, or we destroyed it), node destroys every
      // open stream first: those are one disconnect, not a reset each, however many there were.
      const sessionUp = !this.session.closed && !this.session.destroyed;
      if (sessionUp && !d.writer.complete && !d.writer.reset) this.onClientReset();
      if (this.open === 0 && sessionUp) this.armIdle();
    });
  }

  /** A stream ended before its response did, and not by us: the client reset or abandoned it. */
  private onClientReset(): void {
    const now = Date.now();
    if (now - this.windowStart > RESET_WINDOW_MS) {
      this.windowStart = now;
      this.resets = 0;
    }
    if (++this.resets <= this.edge.limits.maxResets) return;
    // goaway() throws ERR_HTTP2_INVALID_SESSION on a destroyed session, and nothing would catch
    // it: the worker would exit. A closed session (our GOAWAY sent already, or the client's
    // received) accepts no new streams, so there is nothing left to protect either.
    if (this.session.closed || this.session.destroyed) return;
    processLog().warn(
      { client_ip: this.clientIp },
      `HTTP/2 rapid reset from ${this.clientIp}: more than ${this.edge.limits.maxResets} streams reset or abandoned before their response within ${RESET_WINDOW_MS / 1000} s (http2_max_resets); connection closed with GOAWAY ENHANCE_YOUR_CALM`,
    );
    // GOAWAY, then close: the streams left are the reset ones, so the close is immediate. (A
    // destroy() right away can tear the session down before the GOAWAY is written over TLS.)
    this.session.goaway(NGHTTP2_ENHANCE_YOUR_CALM);
    this.session.close();
    // Whatever the client does next (it may keep the connection open), it is gone in a second.
    const socket = this.socket;
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  private armIdle(): void {
    this.clearIdle();
    this.idle = setTimeout(() => {
      this.idle = null;
      // GOAWAY, then close. (close() is a no-op on a closed or destroyed session; the check says so.)
      if (this.open === 0 && !this.session.closed && !this.session.destroyed) this.session.close();
    }, this.edge.ctx.clientKeepaliveTimeout);
    this.idle.unref();
  }

  private clearIdle(): void {
    if (this.idle !== null) {
      clearTimeout(this.idle);
      this.idle = null;
    }
  }

  drain(): void {
    if (!this.session.closed && !this.session.destroyed) this.session.close();
  }

  close(): void {
    this.session.destroy();
  }
}
