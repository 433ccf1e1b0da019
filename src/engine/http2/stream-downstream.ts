// One HTTP/2 stream of Turnpike's codec (codec/stream.ts) as the exchange's downstream
// (proxy/downstream.ts), in place of the HTTP/1.1 connection an HTTP/1.1 client gets: the
// request head is filled from the stream's pseudo-headers and pairs (request-head.ts), the
// body comes from its DATA frames, the exchange's neutral response goes out through
// ResponseWriter.
//
// Backpressure crosses in both directions with flow control: the stream stays paused until
// the exchange wants the body, and pauses again when the upstream is not draining it, which
// withholds WINDOW_UPDATEs from the client; when the client does not read, its window closes,
// write() returns false and the exchange pauses the upstream until onDrain.

import type { ServerStream } from './codec/index.js';
import { RequestHead } from '../http1/request-head.js';
import { ChunkedError, ChunkedParser } from '../http1/chunked.js';
import { JSON_TYPE_NAMES, JSON_TYPE_VALUES, kongErrorBody } from '../errors.js';
import { watch, unwatch, type Expirable } from '../clock.js';
import type { ListenerInfo, WorkerContext } from '../context.js';
import { Exchange, nextRequestId } from '../proxy/exchange.js';
import { BodyMode, type Downstream, type ResponseOut, type TrailerPairs } from '../proxy/downstream.js';
import type { WebSocketTunnel } from '../ws/tunnel.js';
import { fillRequestHead, trailerLines } from './request-head.js';
import { ResponseWriter } from './response-writer.js';

const CRLF = Buffer.from('\r\n');

const enum St {
  Hold, // head handed to the exchange; the body waits (stream paused)
  Body, // body flowing to the exchange
  Wait, // body over, response in progress
  Done, // response ended, refused or abandoned
}

/** The connection's side of a stream: told once when the stream is over for the gateway. */
export interface StreamOwner {
  streamDone(): void;
}

export class StreamDownstream implements Downstream, Expirable {
  readonly head = new RequestHead();
  readonly clientIp: string;
  readonly trusted: boolean;
  readonly http1 = false;
  readonly writer: ResponseWriter;
  deadline = 0;
  private state = St.Hold;
  private exchange: Exchange | null = null;
  /** The client's body has ended (END_STREAM seen). */
  private requestEnded: boolean;
  /** The body is re-framed as chunks for the exchange (it forwards the client's framing). */
  private framed = false;

  constructor(
    private readonly stream: ServerStream,
    clientIp: string,
    private readonly ctx: WorkerContext,
    readonly listener: ListenerInfo,
    private readonly owner: StreamOwner,
  ) {
    this.clientIp = clientIp;
    this.trusted =
      ctx.trusted !== null && clientIp !== '' && ctx.trusted.check(clientIp, clientIp.includes(':') ? 'ipv6' : 'ipv4');
    // A request without a body (END_STREAM on its HEADERS) is over already, though onEnd has
    // not come yet: without this every GET would be reset after its response.
    this.requestEnded = stream.endedWithHeaders || stream.remoteClosed;
    const err = fillRequestHead(
      stream.method,
      stream.path,
      stream.authority,
      stream.headers,
      this.requestEnded,
      ctx.maxHeaderSize,
      this.head,
    );
    this.writer = new ResponseWriter(stream, ctx.serverToken);
    stream.pause(); // until the exchange wants the body
    stream.onData = (chunk) => this.onData(chunk);
    stream.onEnd = () => this.onEnd();
    stream.onDrain = () => this.exchange?.onClientDrain();
    // The client reset the stream, or the connection went away.
    stream.onAbort = () => this.onGone();
    watch(this);
    if (err !== null) {
      this.reject(err.status, err.message);
      return;
    }
    const ex = new Exchange(this, ctx, this.head);
    this.exchange = ex;
    ex.start();
  }

  get hasBody(): boolean {
    return !this.requestEnded;
  }

  get bodyPending(): boolean {
    return (this.state === St.Hold || this.state === St.Body) && !this.requestEnded;
  }

  get destroyed(): boolean {
    return this.state === St.Done || this.stream.aborted;
  }

  get writableNeedDrain(): boolean {
    return this.stream.waiting;
  }

  sendHead(r: ResponseOut, mode: BodyMode, length: number, buf: Buffer | null, start: number, end: number): number {
    return this.writer.sendHead(r, mode, length, buf, start, end);
  }

  writeBody(data: Buffer): boolean {
    return this.writer.writeBody(data);
  }

  endBody(trailers: TrailerPairs | null): number {
    return this.writer.endBody(trailers);
  }

  /** The exchange wants the body: let it flow (or end at once). `decode`: without chunk framing. */
  startBody(decode = false): void {
    if (this.state !== St.Hold) return;
    if (this.requestEnded) {
      this.state = St.Wait;
      this.exchange?.onRequestEnd();
      return;
    }
    this.framed = this.head.chunked && !decode;
    const s = this.stream;
    if (this.head.expectContinue) s.informational(100);
    this.state = St.Body;
    this.deadline = Date.now() + this.ctx.clientTimeout;
    s.resume();
  }

  private onData(chunk: Buffer): void {
    const ex = this.exchange;
    if (this.state !== St.Body || ex === null || chunk.length === 0) return;
    this.deadline = Date.now() + this.ctx.clientTimeout;
    if (!this.framed) return ex.onRequestData(chunk, 0, chunk.length);
    const size = chunk.length.toString(16) + '\r\n';
    const out = Buffer.allocUnsafe(size.length + chunk.length + 2);
    out.write(size, 0, 'latin1');
    chunk.copy(out, size.length);
    CRLF.copy(out, size.length + chunk.length);
    ex.onRequestData(out, 0, out.length);
  }

  private onEnd(): void {
    this.requestEnded = true;
    const ex = this.exchange;
    if (this.state !== St.Body || ex === null) return;
    if (this.head.chunked) {
      const trailers = this.stream.trailers === undefined ? '' : trailerLines(this.stream.trailers);
      // The trailers are checked as an HTTP/1.1 client's would be (no framing, routing or
      // authentication field after the content), then forwarded in the last chunk.
      const last = Buffer.from('0\r\n' + trailers + '\r\n', 'latin1');
      const check = new ChunkedParser();
      check.refuseHeaderOnlyTrailers = true;
      try {
        check.feed(last, 0, last.length);
      } catch (err) {
        const started = ex.responseStarted;
        ex.abort('malformed chunked request body', 400);
        // Response bytes out already: only resetting the stream is left.
        if (started) this.close();
        else this.reject(400, 'Bad request: malformed chunked body: ' + (err as ChunkedError).message, true);
        return;
      }
      if (this.framed) ex.onRequestData(last, 0, last.length);
      if (this.state !== St.Body) return; // answered meanwhile
      if (!this.framed) {
        // Plain DATA bytes went on (an HTTP/2 upstream, or a plugin reading the body): the trailers go with the end.
        this.state = St.Wait;
        this.deadline = 0;
        ex.onRequestEnd(trailers);
        return;
      }
    }
    this.state = St.Wait;
    this.deadline = 0;
    ex.onRequestEnd();
  }

  pauseBody(): void {
    this.stream.pause();
  }

  resumeBody(): void {
    if (this.state === St.Body) this.stream.resume();
  }

  /** The body stalled past client_timeout. */
  expire(): void {
    if (this.state === St.Body) {
      this.exchange?.abort('client body timeout');
      this.close();
    }
  }

  /** The exchange's response is complete: the stream ends with it. */
  exchangeDone(): void {
    this.exchange = null;
    this.done();
    this.writer.end();
    this.settle();
  }

  /** The exchange gave up on the response: the client must see it is incomplete. */
  close(): void {
    this.exchange = null;
    this.done();
    this.writer.abort();
  }

  /** After the response: a body the client is still sending is not wanted (NO_ERROR, RFC 9113 §8.1). */
  private settle(): void {
    if (!this.writer.complete) this.writer.abort();
    else if (!this.requestEnded) this.stream.discardRequest();
  }

  private done(): void {
    if (this.state === St.Done) return;
    this.state = St.Done;
    this.deadline = 0;
    unwatch(this);
    this.owner.streamDone();
  }

  /** A request refused before it reached (or after it left) the exchange: Kong's JSON error, logged. */
  private reject(status: number, message: string, logged = false): void {
    this.exchange = null;
    this.done();
    const id = nextRequestId(this.ctx);
    const body = Buffer.from(kongErrorBody(message, id), 'latin1');
    const head: ResponseOut = {
      wireStatus: status,
      statusLine: '',
      rawFields: '',
      fieldNames: JSON_TYPE_NAMES,
      fieldValues: JSON_TYPE_VALUES,
      fromUpstream: false,
      setCookie: null,
      keepAlive: false,
    };
    const bytesOut = this.writer.sendHead(head, BodyMode.Length, body.length, body, 0, body.length);
    if (!logged) {
      // Refused requests are counted and logged like any other (no route, no service).
      this.ctx.unmatched.countStatus(status);
      this.ctx.accessLog?.write({
        requestId: id,
        clientIp: this.clientIp,
        method: '',
        path: '',
        protocol: 'HTTP/2.0',
        status,
        latencyMs: 0,
        upstreamLatencyMs: -1,
        target: '',
        bytesIn: 0,
        bytesOut,
        service: '',
        route: '',
        error: message,
      });
    }
    this.writer.end();
    this.settle();
  }

  private onGone(): void {
    this.done();
    const ex = this.exchange;
    this.exchange = null;
    if (ex !== null) ex.abort('client closed the connection');
  }

  lendHead(): void {
    // One request per stream: the head is never reused, so nobody needs a copy.
  }

  returnHead(): void {}

  startTunnel(): WebSocketTunnel {
    throw new Error('an HTTP/2 stream carries no protocol upgrade');
  }
}
