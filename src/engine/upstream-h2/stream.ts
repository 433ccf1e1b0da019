// One request to an HTTP/2 upstream: a stream on the endpoint's shared session. To the
// Exchange it is an UpstreamConnection like a pooled HTTP/1.1 one: the request head comes as
// HTTP/2 headers (RequestHeadSource.http2Head), the body as the client framed it (chunks are
// undone here, their trailers sent as HTTP/2 trailers), and the response goes back through
// UpstreamHandler as header pairs, the DATA frames' bytes and the trailers as pairs
// (response.ts): no HTTP/1.1 text or chunk framing.
// Backpressure crosses both ways: a full HTTP/2 send buffer pauses the client's body (write
// returns false, 'drain' resumes it), and a client that does not drain pauses the stream,
// which stops HTTP/2 WINDOW_UPDATEs so the upstream waits too.

import http2, {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type ClientSessionRequestOptions,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import type {
  H2RequestHead,
  RequestHeadSource,
  UpstreamConnection,
  UpstreamHandler,
} from '../proxy/upstream-connection.js';
import { ChunkedParser, ChunkedError } from '../http1/chunked.js';
import { ResponseHead } from '../http1/response-head.js';
import { unwatch, watch, type Expirable } from '../clock.js';

import type { UpstreamFailure } from '../upstream-failure.js';
import { trailersFromLines } from './request.js';
import { toResponseHead, trailerPairs } from './response.js';
import type { UpstreamTls } from '../../snapshot/types.js';

export interface H2Target {
  /** Endpoint key, with the TLS settings' prefix: sessions are shared by equal keys only. */
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly upstreamTls: UpstreamTls | null;
}

/** What a stream needs from the session carrying it (UpstreamSession, session.ts). */
export interface StreamCarrier {
  readonly scheme: 'http' | 'https';
  readonly session: ClientHttp2Session;
  request(headers: OutgoingHttpHeaders, options: ClientSessionRequestOptions): ClientHttp2Stream;
  /** The stream is over (done, failed or abandoned): it no longer counts against the session's limit. */
  streamDone(st: H2UpstreamStream): void;
}

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM, HTTP2_HEADER_STATUS } = http2.constants;
const EMPTY = Buffer.alloc(0);

const enum St {
  Connecting, // the session is not connected yet
  Ready, // connected; nothing written
  Sending, // the head was sent as an HTTP/2 stream; the body may still flow
  Done, // response complete, failed or abandoned
}

export class H2UpstreamStream implements UpstreamConnection, Expirable {
  handler: UpstreamHandler | null = null;
  readTimeout = 60_000;
  writeTimeout = 60_000;
  deadline = 0;
  /** Set when the peer refused the stream before processing it (REFUSED_STREAM, GOAWAY): safe to retry. */
  reused = false;
  responseBytes = 0;
  private state = St.Connecting;
  private stream: ClientHttp2Stream | null = null;
  private dechunk: ChunkedParser | null = null;
  private requestDone = false;
  private isHead = false;
  private upgrade = false;
  private headSeen = false;
  private trailers: IncomingHttpHeaders | null = null;
  /** An HTTP/2 client's trailers, for a body that came without chunk framing. */
  private requestTrailers = '';
  private paused = false;
  private readonly head = new ResponseHead();

  constructor(
    connectTimeout: number,
    /** Where it goes, to open a session for it. */
    readonly target: H2Target,
    /** The session carrying it (a waiting request may move to another: UpstreamSession.add). */
    public session: StreamCarrier,
  ) {
    this.deadline = Date.now() + connectTimeout;
    watch(this);
  }

  get connecting(): boolean {
    return this.state === St.Connecting;
  }

  /** Called by the session once it is connected (see UpstreamSession.open). */
  sessionReady(): void {
    if (this.state !== St.Connecting) return;
    this.state = St.Ready;
    this.deadline = 0;
    const h = this.handler;
    if (h !== null) h.onUpstreamReady(this);
  }

  sessionFailed(kind: 'connect' | 'connect_timeout' | 'dns', message: string): void {
    if (this.state !== St.Connecting) return;
    this.fail(kind, message);
  }

  begin(handler: UpstreamHandler, isHead: boolean, upgrade = false): void {
    this.handler = handler;
    this.isHead = isHead;
    this.upgrade = upgrade;
    this.deadline = Date.now() + this.writeTimeout;
  }

  sendHead(source: RequestHeadSource, bodyLength: number): void {
    if (this.state !== St.Ready) return;
    this.open(source.http2Head(bodyLength, this.session.scheme));
  }

  write(buf: Buffer): boolean {
    if (this.state !== St.Sending) return true;
    return this.writeBody(buf);
  }

  private writeBody(buf: Buffer): boolean {
    const s = this.stream;
    if (s === null) return true;
    // The upstream reset the stream or the session died: 'close' (or 'error') reports that on
    // the next tick. Until then the body has nowhere to go, and writing to the ended stream
    // would raise a "write after end" error in place of the real reason.
    if (s.closed || s.destroyed) return true;
    const d = this.dechunk;
    if (d === null) return s.write(buf);
    try {
      d.feed(buf, 0, buf.length);
    } catch (err) {
      // Cannot happen for bytes the engine validated; kept as a clear failure all the same.
      this.fail('protocol', 'malformed chunked request body: ' + (err as ChunkedError).message);
      return true;
    }
    return !s.writableNeedDrain;
  }

  /** Sends the request head as a new stream on the session. False when it failed. */
  private open(req: H2RequestHead): boolean {
    if (this.upgrade) {
      this.fail(
        'protocol',
        'a protocol upgrade (WebSocket) cannot be proxied to an HTTP/2 upstream; give the service protocol http or https',
      );
      return false;
    }
    let s: ClientHttp2Stream;
    try {
      // With a chunked body, trailers may follow: the stream waits for them ('wantTrailers').
      s = this.session.request(req.headers, { endStream: false, waitForTrailers: req.chunked });
    } catch (err) {
      const sess = this.session.session;
      if (sess.destroyed || sess.closed) {
        // ERR_HTTP2_INVALID_SESSION / ERR_HTTP2_GOAWAY_SESSION: nothing was sent, a new session may take it.
        this.reused = true;
        this.fail('reset', 'cannot open a stream to the upstream: ' + (err as Error).message);
      } else {
        // node:http2 refused the head itself (e.g. a single-value field twice): any session would.
        this.fail('protocol', 'the request head cannot be sent over HTTP/2: ' + (err as Error).message);
      }
      return false;
    }
    this.stream = s;
    this.state = St.Sending;
    if (req.chunked) {
      let d: ChunkedParser | null = null;
      if (req.framed) {
        d = new ChunkedParser();
        d.trailers = ''; // collect the trailer section: it goes upstream as HTTP/2 trailers
        d.sink = (b, st, e) => {
          // A copy: the range may be a view of a buffer its owner reuses.
          if (!s.closed && !s.destroyed) s.write(Buffer.from(b.subarray(st, e)));
        };
        this.dechunk = d;
      }
      s.on('wantTrailers', () => {
        if (s.closed || s.destroyed) return; // sendTrailers() would throw ERR_HTTP2_INVALID_STREAM
        const t = trailersFromLines(d !== null ? (d.trailers ?? '') : this.requestTrailers);
        try {
          // An empty trailer block would be a protocol error; sendTrailers({}) ends the stream with an empty DATA frame instead.
          s.sendTrailers(t);
        } catch (err) {
          // Emitted by node:http2 itself: a throw here would not reach any caller of ours.
          this.fail('protocol', 'request trailers refused by HTTP/2: ' + (err as Error).message);
        }
      });
    }
    s.on('response', (h, flags) => this.onResponse(h, flags));
    s.on('data', (c: Buffer) => this.onData(c));
    s.on('trailers', (t: IncomingHttpHeaders) => {
      this.trailers = t;
    });
    s.on('end', () => this.onEnd());
    s.on('drain', () => this.handler?.onUpstreamDrain());
    s.on('error', (err: NodeJS.ErrnoException) => this.onStreamError(err));
    s.on('close', () => this.onClose());
    return true;
  }

  touchWrite(): void {
    if (this.state !== St.Done) this.deadline = Date.now() + this.writeTimeout;
  }

  requestSent(trailers?: string): void {
    if (this.state === St.Done || this.requestDone) return;
    this.requestDone = true;
    if (trailers !== undefined) this.requestTrailers = trailers;
    this.deadline = Date.now() + this.readTimeout;
    this.stream?.end();
  }

  pauseReading(): void {
    if (!this.paused) {
      this.paused = true;
      this.stream?.pause();
    }
  }

  resumeReading(): void {
    if (this.paused) {
      this.paused = false;
      this.stream?.resume();
    }
  }

  /** Abandons the request (the client went away or the Exchange gave up): the stream is cancelled. */
  destroy(): void {
    if (this.state === St.Done) return;
    this.close(NGHTTP2_CANCEL);
  }

  expire(): void {
    const connecting = this.state === St.Connecting;
    this.fail(
      connecting ? 'connect_timeout' : 'timeout',
      connecting ? 'timed out connecting to the upstream' : 'the upstream did not answer within the timeout',
    );
  }

  private onResponse(h: IncomingHttpHeaders, flags: number): void {
    const handler = this.handler;
    if (handler === null || this.state === St.Done) return;
    void flags; // a trailers-only response (END_STREAM on the headers) ends through 'end' with an empty body
    this.headSeen = true;
    this.deadline = Date.now() + this.readTimeout;
    const status = Number(h[HTTP2_HEADER_STATUS]);
    if (!(status >= 200 && status <= 599))
      return this.fail('protocol', `invalid :status "${String(h[HTTP2_HEADER_STATUS])}" from the upstream`);
    toResponseHead(h, this.isHead, this.head);
    handler.onResponseHead(this.head, EMPTY, 0, 0);
  }

  private onData(c: Buffer): void {
    const h = this.handler;
    if (h === null || this.state === St.Done || c.length === 0) return;
    this.responseBytes += c.length;
    this.deadline = Date.now() + this.readTimeout;
    if (this.isHead) return;
    h.onResponseData(c, 0, c.length);
  }

  private onEnd(): void {
    const h = this.handler;
    if (h === null || this.state === St.Done) return;
    if (!this.headSeen) return this.fail('protocol', 'the upstream ended the stream without a response');
    const trailers = this.head.framing !== 0 /* Framing.None */ ? trailerPairs(this.trailers) : null;
    // The response is complete; a request body still flowing is no longer wanted (an early
    // answer, e.g. a gRPC error in the middle of a client stream): NO_ERROR says so (RFC 9113 §8.1).
    this.close(this.requestDone ? -1 : NGHTTP2_NO_ERROR);
    h.onResponseEnd(trailers);
  }

  private onStreamError(err: NodeJS.ErrnoException): void {
    if (this.state === St.Done) return;
    const refused = this.stream?.rstCode === NGHTTP2_REFUSED_STREAM || /REFUSED_STREAM|GOAWAY/.test(err.message);
    if (refused && this.responseBytes === 0 && !this.headSeen) this.reused = true;
    this.fail('reset', `upstream HTTP/2 stream error: ${err.code ?? ''} ${err.message}`.trim());
  }

  private onClose(): void {
    if (this.state === St.Done) return;
    const code = this.stream?.rstCode ?? 0;
    if (code === NGHTTP2_REFUSED_STREAM && !this.headSeen) this.reused = true;
    this.fail(
      'reset',
      code !== 0
        ? `the upstream reset the HTTP/2 stream (code ${code})`
        : 'the upstream closed the HTTP/2 stream before the response ended',
    );
  }

  /** Ends this request's life: out of the sweep, stream closed (code -1: leave a finished stream alone). */
  private close(code: number): void {
    this.state = St.Done;
    this.handler = null;
    this.deadline = 0;
    unwatch(this);
    this.session.streamDone(this);
    const s = this.stream;
    if (s !== null && code !== -1 && !s.closed && !s.destroyed) s.close(code);
  }

  private fail(kind: UpstreamFailure, message: string): void {
    const h = this.handler;
    this.close(NGHTTP2_CANCEL);
    if (h !== null) h.onUpstreamFailure(kind, message);
  }
}
