// An HTTP/2 server connection on any duplex byte stream (a TLS socket after ALPN h2, or a
// plain socket for h2c): frames in, streams out (stream.ts), with every limit of
// constants.ts enforced. Output frames produced while handling one read (and by the
// application in the same tick) are written together, one socket write per batch.
import type { Duplex } from 'node:stream';
import {
  DEFAULT_LIMITS,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FrameType,
  MAX_WINDOW,
  MIN_MAX_FRAME_SIZE,
  type CodecLimits,
} from './constants.js';
import { ConnectionError, HpackError, StreamError, toConnectionError } from './errors.js';
import * as check from './frame-checks.js';
import { FrameReader } from './frame-reader.js';
import * as w from './frame-writer.js';
import { HeaderListTooLarge, HpackDecoder } from './hpack-decoder.js';
import { HpackEncoder } from './hpack-encoder.js';
import { requestHead } from './request-head.js';
import { FrameQueue } from './frame-queue.js';
import { AbuseGuard, type ConnectionHooks } from './guards.js';
import { HeaderBlockReader } from './header-block.js';
import { unpad } from './padding.js';
import { readSettings } from './peer-settings.js';
import { ServerStream, type StreamHost } from './stream.js';

export type { ConnectionHooks } from './guards.js';

export class Http2ServerConnection implements StreamHost {
  readonly limits: CodecLimits;
  private readonly reader: FrameReader;
  private readonly decoder: HpackDecoder;
  private readonly encoder = new HpackEncoder();
  private readonly streams = new Map<number, ServerStream>();
  private readonly frames: FrameQueue;
  private lastStreamId = 0;
  private goawaySent = false;
  private goawayReceived = false;
  private ended = false;

  // Peer's settings.
  maxFrameSize = MIN_MAX_FRAME_SIZE;
  private peerInitialWindow = DEFAULT_WINDOW;
  private sendWindow = DEFAULT_WINDOW;
  private recvWindow: number;

  private readonly blocks: HeaderBlockReader;
  private readonly guard: AbuseGuard;

  constructor(
    private readonly socket: Duplex,
    private readonly onStream: (stream: ServerStream) => void,
    limits: Partial<CodecLimits> = {},
    private readonly hooks: ConnectionHooks = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.reader = new FrameReader(this, this.limits.maxFrameSize);
    this.decoder = new HpackDecoder(this.limits.headerTableSize, this.limits.maxHeaderListSize);
    this.recvWindow = this.limits.connectionWindowSize;
    this.guard = new AbuseGuard(this.limits, hooks);
    this.blocks = new HeaderBlockReader(this.guard, (id, flags, block) => this.onHeaderBlock(id, flags, block));
    this.frames = new FrameQueue(socket);
    this.queue(w.serverSettingsFrame(this.limits));
    if (this.recvWindow > DEFAULT_WINDOW) this.queue(w.windowUpdate(0, this.recvWindow - DEFAULT_WINDOW));
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('drain', () => this.drained());
    socket.on('error', () => this.teardown());
    socket.on('close', () => this.teardown());
    socket.on('end', () => this.teardown());
  }

  /** Stops taking new streams (GOAWAY NO_ERROR); the socket ends once the open streams are done. */
  close(): void {
    if (this.goawaySent || this.ended) return;
    this.goawaySent = true;
    this.queue(w.goaway(this.lastStreamId, ErrorCode.NO_ERROR));
    this.frames.flushSoon();
    if (this.streams.size === 0) this.endSocketAfterFlush();
  }

  get openStreams(): number {
    return this.streams.size;
  }

  // ---- input ----

  private read(chunk: Buffer): void {
    if (this.ended) return;
    this.frames.holding = true;
    try {
      this.reader.push(chunk);
    } catch (err) {
      this.fail(err);
    }
    this.frames.holding = false;
    this.flush();
  }

  /** FrameSink: one whole frame. */
  frame(type: number, flags: number, id: number, payload: Buffer): void {
    if (this.ended) return;
    if (this.blocks.expecting !== 0 && (type !== FrameType.CONTINUATION || id !== this.blocks.expecting))
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'header block interrupted');
    try {
      switch (type) {
        case FrameType.DATA:
          return this.onDataFrame(flags, id, payload);
        case FrameType.HEADERS:
          return this.blocks.headers(flags, id, payload);
        case FrameType.CONTINUATION:
          return this.blocks.continuation(flags, id, payload);
        case FrameType.PRIORITY:
          return check.priority(id, payload); // priorities are advisory; every stream is served in arrival order
        case FrameType.RST_STREAM:
          return this.onRstStream(id, payload);
        case FrameType.SETTINGS:
          return this.onSettings(flags, id, payload);
        case FrameType.PUSH_PROMISE:
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE from a client');
        case FrameType.PING:
          check.ping(id, payload);
          if ((flags & Flag.ACK) === 0) {
            this.guard.control();
            this.queue(w.pingAck(payload));
          }
          return;
        case FrameType.GOAWAY:
          check.goaway(id, payload);
          this.goawayReceived = true;
          if (this.streams.size === 0) this.endSocketAfterFlush();
          return;
        case FrameType.WINDOW_UPDATE:
          return this.onWindowUpdate(id, payload);
        default:
          return; // unknown frame types are ignored (§4.1)
      }
    } catch (err) {
      if (!(err instanceof StreamError)) throw err;
      this.resetStream(err.streamId, err.code);
    }
  }

  private onDataFrame(flags: number, id: number, payload: Buffer): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    if (id > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on an idle stream');
    // Flow control counts the whole frame, padding included (§6.9.1), whatever the stream's state.
    this.recvWindow -= payload.length;
    if (this.recvWindow < 0) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window exceeded');
    this.grantConnectionWindow();
    const body = unpad(flags, payload);
    const s = this.streams.get(id);
    if (s === undefined || s.aborted) return; // closed or reset: dropped (its bytes were granted back above)
    if (s.remoteClosed) throw new StreamError(id, ErrorCode.STREAM_CLOSED, 'DATA after END_STREAM');
    s.recvWindow -= payload.length;
    if (s.recvWindow < 0) throw new StreamError(id, ErrorCode.FLOW_CONTROL_ERROR, 'stream window exceeded');
    // Padding is never delivered: grant it back at once.
    if (payload.length > body.length) this.consumed(s, payload.length - body.length);
    s.received += body.length;
    const end = (flags & Flag.END_STREAM) !== 0;
    if (s.contentLength >= 0 && (s.received > s.contentLength || (end && s.received !== s.contentLength)))
      throw new StreamError(id, ErrorCode.PROTOCOL_ERROR, 'body length differs from content-length');
    if (body.length === 0 && !end)
      this.guard.control(); // empty DATA frames are a known flood
    else if (body.length > 0) s.receiveData(body);
    if (end && !s.aborted) s.receiveEnd();
  }

  private onHeaderBlock(id: number, flags: number, block: Buffer): void {
    const endStream = (flags & Flag.END_STREAM) !== 0;
    // Decode first, whatever happens to the stream: both sides' HPACK tables must stay in step.
    let pairs: string[] | undefined;
    try {
      pairs = this.decoder.decode(block);
    } catch (err) {
      if (err instanceof HpackError) throw new ConnectionError(ErrorCode.COMPRESSION_ERROR, err.message);
      if (!(err instanceof HeaderListTooLarge)) throw err;
    }
    const existing = this.streams.get(id);
    if (existing !== undefined) return this.onTrailers(existing, pairs, endStream);
    if (id <= this.lastStreamId) {
      // A stream we closed or reset; HEADERS on it is a protocol error for the connection (§5.1).
      throw new ConnectionError(ErrorCode.STREAM_CLOSED, `HEADERS on closed stream ${id}`);
    }
    this.lastStreamId = id;
    if (this.goawaySent) return; // past our GOAWAY: ignored
    if (pairs === undefined) throw new StreamError(id, ErrorCode.PROTOCOL_ERROR, 'header list too large');
    if (this.streams.size >= this.limits.maxConcurrentStreams)
      throw new StreamError(id, ErrorCode.REFUSED_STREAM, 'too many streams');
    const head = requestHead(pairs);
    if (typeof head === 'string') throw new StreamError(id, ErrorCode.PROTOCOL_ERROR, head);
    if (endStream && head.contentLength > 0)
      throw new StreamError(id, ErrorCode.PROTOCOL_ERROR, 'END_STREAM with a non-zero content-length');
    const s = new ServerStream(this, id, head, this.peerInitialWindow, this.limits.initialWindowSize, endStream);
    this.streams.set(id, s);
    this.onStream(s);
    if (endStream && !s.aborted) s.receiveEnd();
  }

  private onTrailers(s: ServerStream, pairs: string[] | undefined, endStream: boolean): void {
    check.trailers(s, pairs, endStream);
    if (s.aborted) return;
    s.trailers = pairs;
    s.receiveEnd();
  }

  private onRstStream(id: number, payload: Buffer): void {
    check.rstStream(id, payload, this.lastStreamId);
    const s = this.streams.get(id);
    // Only a stream still open counts as a reset: one whose response is complete costs nothing.
    if (s === undefined) return;
    this.guard.reset(id);
    this.streams.delete(id);
    s.abort(payload.readUInt32BE(0) as ErrorCode);
    this.maybeFinish();
  }

  private onSettings(flags: number, id: number, payload: Buffer): void {
    check.settings(flags, id, payload);
    if (flags & Flag.ACK) return;
    this.guard.control();
    const set = readSettings(payload);
    if (set.headerTableSize !== undefined) this.encoder.setPeerMaxSize(set.headerTableSize);
    if (set.maxFrameSize !== undefined) this.maxFrameSize = set.maxFrameSize;
    if (set.initialWindowSize !== undefined) {
      const delta = set.initialWindowSize - this.peerInitialWindow;
      this.peerInitialWindow = set.initialWindowSize;
      check.initialWindowChange(this.streams.values(), delta);
      if (delta > 0) this.flushStreams();
    }
    this.queue(w.SETTINGS_ACK);
  }

  private onWindowUpdate(id: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE length');
    const inc = payload.readUInt32BE(0) & 0x7fff_ffff;
    if (id === 0) {
      if (inc === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      this.sendWindow += inc;
      if (this.sendWindow > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'window overflow');
      this.flushStreams();
      return;
    }
    if (id > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE on an idle stream');
    const s = this.streams.get(id);
    if (s === undefined) return;
    if (inc === 0) throw new StreamError(id, ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
    s.sendWindow += inc;
    if (s.sendWindow > MAX_WINDOW) throw new StreamError(id, ErrorCode.FLOW_CONTROL_ERROR, 'window overflow');
    s.flush();
  }

  // ---- StreamHost ----

  connectionSendWindow(): number {
    return this.sendWindow;
  }

  takeConnectionSendWindow(n: number): void {
    this.sendWindow -= n;
  }

  socketWritable(): boolean {
    return !this.socket.writableNeedDrain;
  }

  sendHeaders(s: ServerStream, pairs: readonly string[], status: number | undefined, endStream: boolean): void {
    this.queue(w.headersFrames(s.id, this.encoder.encode(pairs, status), endStream, this.maxFrameSize));
  }

  sendData(s: ServerStream, data: Uint8Array, start: number, end: number, endStream: boolean): void {
    this.queue(w.dataFrame(s.id, data, start, end, endStream));
  }

  sendReset(s: ServerStream, code: ErrorCode): void {
    this.queue(w.rstStream(s.id, code));
  }

  consumed(s: ServerStream, n: number): void {
    if (s.remoteClosed || s.aborted) return;
    // Granted back in batches: one WINDOW_UPDATE per half window consumed.
    s.unacked += n;
    if (s.unacked >= this.limits.initialWindowSize >>> 1) {
      s.recvWindow += s.unacked;
      this.queue(w.windowUpdate(s.id, s.unacked));
      s.unacked = 0;
    }
  }

  closed(s: ServerStream): void {
    if (this.streams.get(s.id) === s) this.streams.delete(s.id);
    this.maybeFinish();
  }

  // ---- output and lifecycle ----

  /** The connection window is granted back on receipt (the stream windows bound what is buffered). */
  private grantConnectionWindow(): void {
    const owed = this.limits.connectionWindowSize - this.recvWindow;
    if (owed >= this.limits.connectionWindowSize >>> 1) {
      this.recvWindow += owed;
      this.queue(w.windowUpdate(0, owed));
    }
  }

  private resetStream(id: number, code: ErrorCode): void {
    const s = this.streams.get(id);
    if (s !== undefined) {
      this.streams.delete(id);
      s.abort(code);
    }
    this.queue(w.rstStream(id, code));
    this.maybeFinish();
  }

  private queue(frame: Buffer): void {
    this.frames.push(frame);
  }

  private flush(): void {
    this.frames.flush();
  }

  private drained(): void {
    this.flushStreams();
    this.flush();
  }

  /** Lets every stream with queued output send what the windows now allow. */
  private flushStreams(): void {
    for (const s of this.streams.values()) {
      if (s.waiting) s.flush();
      if (this.sendWindow <= 0 || this.socket.writableNeedDrain) break;
    }
  }

  private maybeFinish(): void {
    if ((this.goawaySent || this.goawayReceived) && this.streams.size === 0) this.endSocketAfterFlush();
  }

  private endSocketAfterFlush(): void {
    this.flush();
    if (!this.ended) this.socket.end();
  }

  /** A connection error: GOAWAY with its code, then the socket ends; every stream is aborted. */
  private fail(err: unknown): void {
    const e = toConnectionError(err);
    if (!this.goawaySent) {
      this.goawaySent = true;
      this.frames.clear();
      this.queue(w.goaway(this.lastStreamId, e.code, e.message));
    }
    this.flush();
    this.abortAll(e.code);
    this.ended = true;
    this.frames.closed = true;
    this.socket.end();
    this.hooks.onClose?.(e);
  }

  private abortAll(code: ErrorCode): void {
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const s of streams) s.abort(code);
  }

  private teardown(): void {
    if (this.ended) return;
    this.ended = true;
    this.frames.closed = true;
    this.abortAll(ErrorCode.CANCEL);
    this.hooks.onClose?.();
  }
}
