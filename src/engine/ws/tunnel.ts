// A WebSocket connection after its handshake: the client socket and the upstream socket
// joined, bytes relayed both ways as they arrive (frames are not reassembled or buffered),
// with backpressure in both directions, an idle timeout, and both sockets closed together.
// Client → upstream frame headers are checked on the way (frame-check.ts).

import type net from 'node:net';
import { watch, unwatch, type Expirable } from '../clock.js';
import type { ClientConnection, TunnelPeer } from '../http1/client-connection.js';
import { closeFrame, FrameChecker } from './frame-check.js';

/** After one side closed, the time the other has to flush what is queued for it. */
const LINGER_MS = 5000;

export interface TunnelSettings {
  /** No byte either way for this long closes the tunnel (the service's read_timeout). */
  idleTimeout: number;
  /** A write that cannot drain for this long closes the tunnel (the service's write_timeout). */
  writeTimeout: number;
  /** Check the client's frame headers (close 1002 on a malformed frame). */
  checkFrames: boolean;
  /** permessage-deflate (or another extension) was negotiated: RSV1 allowed. */
  rsv1: boolean;
}

/** Told once when the tunnel is over (bytes relayed each way). */
export interface TunnelObserver {
  onTunnelClosed(bytesFromClient: number, bytesToClient: number, reason: string): void;
}

export class WebSocketTunnel implements TunnelPeer, Expirable {
  deadline = 0;
  bytesFromClient = 0;
  bytesToClient = 0;
  private closed = false;
  /** One side is gone (or a protocol error): the other flushes and closes, nothing more is relayed. */
  private lingering = false;
  private clientGone = false;
  private upstreamGone = false;
  /** Writes waiting to drain, per direction (a stalled one runs on write_timeout). */
  private clientBlocked = false;
  private upstreamBlocked = false;
  private readonly checker: FrameChecker | null;
  private reason = '';

  constructor(
    private readonly client: net.Socket,
    private readonly upstream: ClientConnection,
    private readonly settings: TunnelSettings,
    private readonly observer: TunnelObserver,
  ) {
    this.checker = settings.checkFrames ? new FrameChecker(settings.rsv1) : null;
    this.deadline = Date.now() + settings.idleTimeout;
    watch(this);
  }

  /** Bytes from the client (a Buffer of its own: it may be queued as is). */
  fromClient(chunk: Buffer): void {
    if (this.closed || this.lingering) return;
    if (this.checker !== null) {
      const err = this.checker.check(chunk, 0, chunk.length);
      if (err !== null) return this.protocolError(err);
    }
    this.bytesFromClient += chunk.length;
    this.touch();
    if (!this.upstream.write(chunk)) {
      this.upstreamBlocked = true;
      this.client.pause();
      this.touch();
    }
  }

  // ── TunnelPeer (the upstream connection) ──────────────────────────────────
  /** buf[start, end) is a view of the worker's shared upstream read buffer: copied before writing. */
  onTunnelData(buf: Buffer, start: number, end: number): void {
    if (this.closed || this.lingering || end <= start) return;
    const data = Buffer.allocUnsafe(end - start);
    buf.copy(data, 0, start, end);
    this.bytesToClient += data.length;
    this.touch();
    if (!this.client.write(data)) {
      this.clientBlocked = true;
      this.upstream.pauseReading();
      this.touch();
    }
  }

  onTunnelDrain(): void {
    this.upstreamBlocked = false;
    this.touch();
    if (!this.closed) this.client.resume();
  }

  onTunnelClosed(): void {
    this.upstreamGone = true;
    this.peerGone('upstream closed');
  }

  // ── Client side ───────────────────────────────────────────────────────────
  onClientDrain(): void {
    this.clientBlocked = false;
    this.touch();
    if (!this.closed) this.upstream.resumeReading();
  }

  onClientClosed(): void {
    this.clientGone = true;
    this.peerGone('client closed');
  }

  /** Ends the tunnel now (shutdown, drain_timeout over). */
  close(reason: string): void {
    this.finish(reason);
  }

  expire(): void {
    if (this.lingering) return this.finish(this.reason);
    this.finish(this.clientBlocked || this.upstreamBlocked ? 'write timeout' : 'idle timeout');
  }

  private touch(): void {
    if (this.lingering) return;
    this.deadline =
      Date.now() +
      (this.clientBlocked || this.upstreamBlocked ? this.settings.writeTimeout : this.settings.idleTimeout);
  }

  /**
   * One side is gone: the other gets what is queued for it, then a FIN. The WebSocket close
   * handshake already happened in the relayed bytes (or the peer just vanished); either way
   * nothing more can be relayed. After LINGER_MS both are destroyed whatever happened.
   */
  private peerGone(reason: string): void {
    if (this.closed) return;
    if (this.clientGone && this.upstreamGone) return this.finish(this.lingering ? this.reason : reason);
    if (this.lingering) return;
    this.lingering = true;
    this.reason = reason;
    this.deadline = Date.now() + LINGER_MS;
    // Read on, to see each side's FIN.
    if (!this.clientGone) {
      this.client.end();
      this.client.resume();
    }
    if (!this.upstreamGone) {
      this.upstream.socket.end();
      this.upstream.resumeReading();
    }
  }

  /** A malformed client frame: 1002 to both sides, then close. */
  private protocolError(why: string): void {
    this.lingering = true;
    this.reason = 'malformed frame from the client: ' + why;
    this.deadline = Date.now() + LINGER_MS;
    this.client.end(closeFrame(1002, 'Protocol error: ' + why, false));
    // The upstream gets a clean close too; the offending bytes never reached it.
    this.upstream.socket.end(closeFrame(1002, 'client protocol error', true));
    this.upstream.resumeReading();
    this.client.resume();
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.deadline = 0;
    unwatch(this);
    this.client.destroy();
    this.upstream.destroy();
    this.observer.onTunnelClosed(this.bytesFromClient, this.bytesToClient, reason);
  }
}
