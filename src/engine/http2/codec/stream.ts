// One HTTP/2 request stream on the server side: the request (pseudo-headers, raw pairs, a
// body delivered with backpressure, trailers) and the response writer (status and pairs, body
// within the peer's flow-control windows, trailers). Flow control is what backpressure means
// here: a paused stream holds what arrived (at most our window) and grants no more window
// until the application has taken it; a response write the windows cannot carry waits in the
// stream and write() says false until onDrain.
import { CONNECTION_SPECIFIC, ErrorCode } from './constants.js';
import type { RequestHead } from './request-head.js';

/** What a stream needs from its connection (implemented by Http2ServerConnection). */
export interface StreamHost {
  readonly maxFrameSize: number;
  /** Connection-level send window left. */
  connectionSendWindow(): number;
  takeConnectionSendWindow(n: number): void;
  /** True while the socket takes more bytes without buffering them. */
  socketWritable(): boolean;
  sendHeaders(stream: ServerStream, pairs: readonly string[], status: number | undefined, endStream: boolean): void;
  sendData(stream: ServerStream, data: Uint8Array, start: number, end: number, endStream: boolean): void;
  sendReset(stream: ServerStream, code: ErrorCode): void;
  /** The application consumed n body bytes: the window may be granted back. */
  consumed(stream: ServerStream, n: number): void;
  /** Both directions are done: forget the stream. */
  closed(stream: ServerStream): void;
}

const LOWER_OK = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

export class ServerStream {
  readonly method: string;
  readonly scheme: string;
  readonly authority: string;
  readonly path: string;
  /** Request fields as raw pairs [name, value, …]. */
  readonly headers: string[];
  /** Request trailers, once they arrived (before onEnd). */
  trailers: string[] | undefined;

  /** Body bytes; with pause(), they wait in the stream instead. */
  onData: ((chunk: Buffer) => void) | undefined;
  /** The request ended (after its last onData, its trailers set). */
  onEnd: (() => void) | undefined;
  /** The stream was reset by the peer or ended with the connection: no more events. */
  onAbort: ((code: ErrorCode) => void) | undefined;
  /** write() said false; the stream takes more now. */
  onDrain: (() => void) | undefined;

  /** Bytes we may still send (the peer's window for this stream); may go negative on a SETTINGS change. */
  sendWindow: number;
  /** Bytes the peer may still send us before we grant more. */
  recvWindow: number;
  /** Body bytes taken by the application and not yet granted back with WINDOW_UPDATE. */
  unacked = 0;
  /** Body bytes received, checked against content-length. */
  received = 0;
  readonly contentLength: number;
  remoteClosed = false;
  localClosed = false;
  aborted = false;
  headersSent = false;
  /** The request's HEADERS frame carried END_STREAM: no body follows (known before onStream returns). */
  readonly endedWithHeaders: boolean;

  private paused = false;
  /** The application wants none of the request body left: reset (NO_ERROR) once the response is out. */
  private discardRest = false;
  private inbox: Buffer[] = [];
  private endPending = false;
  /** Response bytes the windows could not carry yet, and whether end() came after them. */
  private outbox: Array<{ data: Uint8Array; start: number; end: number }> = [];
  private finAfterOutbox = false;
  private trailersAfterOutbox: readonly string[] | undefined;
  private wantDrain = false;

  constructor(
    private readonly host: StreamHost,
    readonly id: number,
    head: RequestHead,
    sendWindow: number,
    recvWindow: number,
    endedWithHeaders = false,
  ) {
    this.endedWithHeaders = endedWithHeaders;
    this.method = head.method;
    this.scheme = head.scheme;
    this.authority = head.authority;
    this.path = head.path;
    this.headers = head.headers;
    this.contentLength = head.contentLength;
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }

  // ---- request body ----

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    while (!this.paused && this.inbox.length > 0) this.deliver(this.inbox.shift()!);
    if (!this.paused && this.endPending) {
      this.endPending = false;
      this.onEnd?.();
    }
  }

  /** From the connection: body bytes (already counted against the windows). */
  receiveData(chunk: Buffer): void {
    if (this.paused)
      this.inbox.push(Buffer.from(chunk)); // the read buffer is reused
    else this.deliver(chunk);
  }

  private deliver(chunk: Buffer): void {
    this.host.consumed(this, chunk.length);
    this.onData?.(chunk);
  }

  /** From the connection: END_STREAM arrived. */
  receiveEnd(): void {
    this.remoteClosed = true;
    if (this.paused || this.inbox.length > 0) this.endPending = true;
    else this.onEnd?.();
    if (this.localClosed) this.host.closed(this);
  }

  /**
   * The response is (or will be) complete and the rest of the request body is not wanted:
   * once the response is out the stream is reset with NO_ERROR (RFC 9113 §8.1), so the client
   * stops sending and the stream does not stay half-open holding a concurrency slot.
   */
  discardRequest(): void {
    if (this.remoteClosed || this.aborted) return;
    this.inbox = [];
    if (this.localClosed) this.reset(ErrorCode.NO_ERROR);
    else this.discardRest = true;
  }

  // ---- response ----

  /** A 1xx informational head (100 Continue); the final response follows with respond(). */
  informational(status: number): void {
    if (this.headersSent || this.aborted || this.localClosed) return;
    this.host.sendHeaders(this, [], status, false);
  }

  /** Sends the response head; names are lower-cased and connection-specific fields dropped. */
  /**
   * `normalised`: the caller guarantees lower-case token names and no connection-specific
   * field (the gateway's response writer makes its pairs so), and the check is skipped.
   */
  respond(status: number, pairs: readonly string[] = [], endStream = false, normalised = false): void {
    if (this.headersSent || this.aborted) return;
    this.headersSent = true;
    this.host.sendHeaders(this, normalised ? pairs : normalise(pairs), status, endStream);
    if (endStream) this.finishLocal();
  }

  /** Queues body bytes; false when they could not all go out now (wait for onDrain). */
  write(data: Uint8Array): boolean {
    if (this.aborted || this.localClosed) return false;
    if (!this.headersSent) this.respond(200);
    if (this.outbox.length > 0) this.outbox.push({ data, start: 0, end: data.length });
    else this.sendSome(data, 0, data.length, false);
    const ok = this.outbox.length === 0 && this.host.socketWritable();
    if (!ok) this.wantDrain = true;
    return ok;
  }

  /** Ends the response, with last bytes and trailers when given. */
  end(data?: Uint8Array, trailers?: readonly string[], normalised = false): void {
    if (this.aborted || this.localClosed) return;
    if (!this.headersSent) {
      if ((data === undefined || data.length === 0) && trailers === undefined) return this.respond(200, [], true);
      this.respond(200);
    }
    const t = trailers !== undefined && trailers.length > 0 ? (normalised ? trailers : normalise(trailers)) : undefined;
    if (this.outbox.length > 0) {
      if (data !== undefined && data.length > 0) this.outbox.push({ data, start: 0, end: data.length });
      this.finAfterOutbox = true;
      this.trailersAfterOutbox = t;
      return;
    }
    const len = data?.length ?? 0;
    if (t === undefined) {
      if (this.sendSome(data ?? EMPTY, 0, len, true)) this.finishLocal();
      else this.finAfterOutbox = true;
    } else {
      if (len > 0 && !this.sendSome(data!, 0, len, false)) {
        this.finAfterOutbox = true;
        this.trailersAfterOutbox = t;
        return;
      }
      this.host.sendHeaders(this, t, undefined, true);
      this.finishLocal();
    }
  }

  /** Resets the stream (RST_STREAM); no more events after this. */
  reset(code: ErrorCode = ErrorCode.CANCEL): void {
    if (this.aborted) return;
    this.aborted = true;
    this.outbox = [];
    this.host.sendReset(this, code);
    this.host.closed(this);
  }

  /**
   * Sends data[start, end) as far as the windows allow (DATA frames of at most maxFrameSize);
   * queues the rest. Returns true when all of it went out (with END_STREAM when `fin`).
   */
  private sendSome(data: Uint8Array, start: number, end: number, fin: boolean): boolean {
    const max = this.host.maxFrameSize;
    if (start === end) {
      if (fin) this.host.sendData(this, data, start, end, true);
      return true;
    }
    while (start < end) {
      const room = Math.min(this.sendWindow, this.host.connectionSendWindow(), max, end - start);
      if (room <= 0) {
        this.outbox.push({ data, start, end });
        return false;
      }
      this.sendWindow -= room;
      this.host.takeConnectionSendWindow(room);
      const last = start + room === end;
      this.host.sendData(this, data, start, start + room, fin && last);
      start += room;
    }
    return true;
  }

  /** From the connection: windows grew or the socket drained; sends what waits. */
  flush(): void {
    while (this.outbox.length > 0 && !this.aborted) {
      const o = this.outbox[0]!;
      this.outbox.shift();
      const lastChunk = this.outbox.length === 0;
      const fin = lastChunk && this.finAfterOutbox && this.trailersAfterOutbox === undefined;
      if (!this.sendSome(o.data, o.start, o.end, fin)) {
        // sendSome pushed the remainder at the end; it belongs at the front.
        this.outbox.unshift(this.outbox.pop()!);
        return;
      }
      if (fin) return this.finishLocal();
    }
    if (this.aborted) return;
    if (this.finAfterOutbox && !this.localClosed) {
      if (this.trailersAfterOutbox !== undefined)
        this.host.sendHeaders(this, this.trailersAfterOutbox, undefined, true);
      else this.host.sendData(this, EMPTY, 0, 0, true);
      this.finishLocal();
      return;
    }
    if (this.wantDrain && this.host.socketWritable()) {
      this.wantDrain = false;
      this.onDrain?.();
    }
  }

  get waiting(): boolean {
    return this.outbox.length > 0 || this.wantDrain;
  }

  /** From the connection: the peer reset the stream or the connection ended. */
  abort(code: ErrorCode): void {
    if (this.aborted) return;
    this.aborted = true;
    this.outbox = [];
    this.inbox = [];
    this.onAbort?.(code);
  }

  private finishLocal(): void {
    this.localClosed = true;
    this.outbox = [];
    this.finAfterOutbox = false;
    if (this.remoteClosed) this.host.closed(this);
    else if (this.discardRest) this.reset(ErrorCode.NO_ERROR);
  }
}

const EMPTY = Buffer.alloc(0);

/** Lower-cases names when needed and drops HTTP/1.1 connection fields (RFC 9113 §8.2.2). */
function normalise(pairs: readonly string[]): readonly string[] {
  let ok = true;
  for (let i = 0; i < pairs.length && ok; i += 2) ok = LOWER_OK.test(pairs[i]!) && !CONNECTION_SPECIFIC.has(pairs[i]!);
  if (ok) return pairs;
  const out: string[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!.toLowerCase();
    if (CONNECTION_SPECIFIC.has(name)) continue;
    out.push(name, pairs[i + 1]!);
  }
  return out;
}
