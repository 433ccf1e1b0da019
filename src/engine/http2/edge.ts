// Downstream HTTP/2 on one proxy listener. Accepted sockets (TLS that negotiated h2, or
// cleartext that opened with the client preface) are served by Turnpike's own HTTP/2 codec
// (codec/): framing, HPACK and flow control in this process, on the socket itself. Each
// stream is the downstream of one exchange (StreamDownstream), so every route, plugin,
// balancer, metric and log line works as for HTTP/1.1. node:http2 is not on this path: it
// cost about half of the time per request (docs/benchmarks.md); it still serves upstreams.
//
// Per connection it enforces: a cap on concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS;
// the excess is refused), the keep-alive idle timeout (no stream open), and rapid-reset
// protection (CVE-2023-44487): streams the client resets while they are open are counted
// per 10 s window; past the limit the connection gets GOAWAY ENHANCE_YOUR_CALM and is
// closed, so one client cannot make the gateway start and drop exchanges at no cost to
// itself. The codec also bounds CONTINUATION and control-frame floods.

import type net from 'node:net';
import type { ListenerInfo, WorkerContext } from '../context.js';
import { Http2ServerConnection, type CodecLimits, type ServerStream } from './codec/index.js';
import { StreamDownstream, type StreamOwner } from './stream-downstream.js';
import { processLog } from '../../observe/logger.js';

/** The window over which client resets are counted. */
const RESET_WINDOW_MS = 10_000;
/** How long a connection we closed may take to go (its client may never close its side). */
const CLOSE_GRACE_MS = 1000;

export interface Http2Limits {
  maxConcurrentStreams: number;
  /** Client resets of open streams allowed per window. */
  maxResets: number;
}

export class Http2Edge {
  private readonly listener: ListenerInfo;
  private readonly codecLimits: Partial<CodecLimits>;
  /** Open HTTP/2 client connections (the worker waits for them when draining). */
  readonly connections = new Set<H2Connection>();

  constructor(
    readonly ctx: WorkerContext,
    listener: ListenerInfo,
    readonly limits: Http2Limits,
  ) {
    this.listener = { scheme: listener.scheme, port: listener.port, http2: true };
    this.codecLimits = {
      maxConcurrentStreams: limits.maxConcurrentStreams,
      maxResets: limits.maxResets,
      resetWindowMs: RESET_WINDOW_MS,
      // A bound on memory per header block, above max_header_size: a head over
      // max_header_size gets the gateway's 431 (as on HTTP/1.1), not a reset stream.
      maxHeaderListSize: Math.max(65_536, 2 * ctx.maxHeaderSize),
    };
  }

  /** A socket that speaks HTTP/2 from its first byte (TLS with ALPN h2, or a peeked preface). */
  accept(socket: net.Socket): void {
    const c = new H2Connection(this, socket, this.listener, this.codecLimits);
    this.connections.add(c);
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

class H2Connection implements StreamOwner {
  private open = 0;
  private idle: NodeJS.Timeout | null = null;
  private gone = false;
  private readonly clientIp: string;
  private readonly codec: Http2ServerConnection;

  constructor(
    private readonly edge: Http2Edge,
    private readonly socket: net.Socket,
    private readonly listener: ListenerInfo,
    limits: Partial<CodecLimits>,
  ) {
    const ctx = edge.ctx;
    ctx.connections++;
    const ip = socket.remoteAddress ?? '';
    this.clientIp = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    socket.setNoDelay(true);
    this.codec = new Http2ServerConnection(socket, (s) => this.onStream(s), limits, {
      onAbuse: (kind, detail) => this.onAbuse(kind, detail),
      onClose: () => this.onClose(),
    });
    // A peeked h2c socket was left paused with its first bytes put back.
    socket.resume();
    if (ctx.draining) this.drain();
    else this.armIdle();
  }

  private onStream(stream: ServerStream): void {
    this.open++;
    this.clearIdle();
    new StreamDownstream(stream, this.clientIp, this.edge.ctx, this.listener, this);
  }

  /** StreamOwner: a stream is over for the gateway (answered, refused, or reset). */
  streamDone(): void {
    this.open--;
    if (this.open === 0 && !this.gone) this.armIdle();
  }

  private onAbuse(kind: string, detail: string): void {
    const what =
      kind === 'rapid-reset'
        ? `HTTP/2 rapid reset from ${this.clientIp}: more than ${this.edge.limits.maxResets} streams reset before their response within ${RESET_WINDOW_MS / 1000} s (http2_max_resets)`
        : `HTTP/2 ${kind} from ${this.clientIp} (${detail})`;
    processLog().warn({ client_ip: this.clientIp }, `${what}; connection closed with GOAWAY ENHANCE_YOUR_CALM`);
    // The codec has sent GOAWAY and ended its side; whatever the client does next (it may keep
    // the connection open), it is gone in a second.
    const socket = this.socket;
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private onClose(): void {
    if (this.gone) return;
    this.gone = true;
    this.edge.ctx.connections--;
    this.clearIdle();
    this.edge.connections.delete(this);
    if (!this.socket.destroyed) setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private armIdle(): void {
    this.clearIdle();
    this.idle = setTimeout(() => {
      this.idle = null;
      // GOAWAY, then the socket ends (no stream is open); a client that keeps its side open
      // is cut off after the grace period.
      if (this.open !== 0) return;
      this.codec.close();
      const socket = this.socket;
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
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
    this.codec.close();
  }

  close(): void {
    this.socket.destroy();
  }
}
