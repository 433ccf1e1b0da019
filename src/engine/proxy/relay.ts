// The upstream's answer on its way to the client: the head (after the response phase, with
// the gateway's own fields added by the downstream), the body as it arrives (through the
// body filters when plugins have some), its end with trailers, and a 101 that turns the
// exchange into a WebSocket tunnel. The head and body cross in neutral form (downstream.ts);
// an HTTP/1.1 upstream's head lines and chunk framing go to an HTTP/1.1 client as they came,
// and are de-framed here only for a downstream that is not HTTP/1.1.

import { Framing, type ResponseHead } from '../http1/response-head.js';
import type { ClientConnection } from '../http1/client-connection.js';
import { ChunkedParser } from '../http1/chunked.js';
import type { HeaderMap } from '../../plugins/sdk.js';
import { HeaderList } from './header-list.js';
import { FilteredResponse, trailerLine, type FilterHost } from './filtered-response.js';
import { BodyMode, type TrailerPairs } from './downstream.js';
import type { UpstreamCall } from './upstream-call.js';
import type { ExchangeState } from './state.js';
import { record } from './record.js';

const GRPC_TYPE = /(^|\r\n)content-type: *application\/grpc/i;
const WS_EXTENSIONS = /(^|\r\n)sec-websocket-extensions:/i;

export function relayHead(
  ex: ExchangeState & FilterHost,
  call: UpstreamCall,
  rh: ResponseHead,
  buf: Buffer,
  start: number,
  end: number,
): void {
  ex.status = rh.status;
  ex.responseStarted = true;
  ex.fromUpstream = true;
  ex.rawFields = rh.headerLines;
  ex.fieldNames = rh.fieldNames; // an HTTP/2 upstream's fields
  ex.fieldValues = rh.fieldValues;
  const run = ex.run;
  let filtered = false;
  if (run !== null) {
    const chain = run.chain;
    if (chain.response.length > 0 || chain.body.length > 0) {
      const list = HeaderList.fromLines(rh.status, rh.headerLines, rh.nameLengths);
      if (rh.fieldNames.length > 0) {
        list.names.push(...rh.fieldNames);
        list.values.push(...rh.fieldValues);
      }
      if (ex.responsePhase(run, list, true, rh.framing !== Framing.None)) {
        if (ex.filters !== null) {
          filtered = true;
          list.removeHeader('content-length'); // the filters decide the length
        }
        ex.rawFields = list.rawLines;
        ex.fieldNames = list.names;
        ex.fieldValues = list.values;
        ex.status = list.status;
      }
    }
    ex.responseLines = ex.fieldNames.length === 0 ? ex.rawFields : listLines(ex);
  }
  ex.wireStatus = ex.status;
  // A plugin's setStatus: the status line is made from the new status.
  ex.statusLine = ex.status === rh.status ? rh.statusLine : '';
  const conn = ex.conn;
  let mode: BodyMode;
  let length = -1;
  if (filtered && ex.filters !== null) {
    ex.filtered = new FilteredResponse(ex, ex.filters, rh.framing === Framing.Chunked);
    mode = BodyMode.Stream;
  } else if (rh.framing === Framing.Chunked) {
    if (conn.http1) mode = BodyMode.Chunked;
    else {
      // A protocol boundary: the chunks become plain body bytes and the last one's trailers pairs.
      mode = BodyMode.Stream;
      ex.dechunk = dechunker(ex);
    }
  } else if (rh.framing === Framing.UntilClose) {
    // Until the close of an HTTP/1.x upstream, or the end of an HTTP/2 upstream's stream.
    mode = BodyMode.Stream;
    if (call.service.http2 && isGrpc(rh)) ex.grpcTrailersOnFail = true;
  } else if (rh.framing === Framing.Length) {
    mode = BodyMode.Length;
    length = rh.contentLength;
  } else mode = BodyMode.None;
  // A body of unknown length reaches an HTTP/1.0 client delimited by the close.
  if (mode === BodyMode.Stream && ex.head.httpMinor === 0) ex.keepAlive = false;
  if (ex.ctx.draining) ex.keepAlive = false; // shutdown began while this request ran
  const f = ex.filtered;
  const d = ex.dechunk;
  if (f !== null || d !== null) {
    ex.bytesOut += conn.sendHead(ex, mode, length, null, 0, 0);
    if (end > start) {
      if (f !== null) f.push(buf, start, end);
      else relayData(ex, buf, start, end);
    }
    return;
  }
  ex.bytesOut += conn.sendHead(ex, mode, length, buf, start, end);
  if (conn.writableNeedDrain) call.conn?.pauseReading();
}

/** The head's content-type is gRPC's (an HTTP/2 upstream's fields are pairs). */
function isGrpc(rh: ResponseHead): boolean {
  if (GRPC_TYPE.test(rh.headerLines)) return true;
  const names = rh.fieldNames;
  for (let i = 0; i < names.length; i++)
    if (names[i] === 'content-type') return rh.fieldValues[i].trimStart().toLowerCase().startsWith('application/grpc');
  return false;
}

/** The head's lines as the log phase reads them (after the response phase). */
function listLines(ex: ExchangeState): string {
  let s = ex.rawFields;
  const names = ex.fieldNames;
  for (let i = 0; i < names.length; i++) s += names[i] + ': ' + ex.fieldValues[i] + '\r\n';
  return s;
}

/** Turns an HTTP/1.1 upstream's chunks into body bytes for a downstream that is not HTTP/1.1. */
function dechunker(ex: ExchangeState): ChunkedParser {
  const d = new ChunkedParser();
  d.trailers = ''; // collected: they end the body as pairs
  // A copy: the chunk is a view of the worker's shared upstream read buffer.
  d.sink = (b, s, e) => {
    if (!writeBody(ex, Buffer.from(b.subarray(s, e)))) ex.call?.conn?.pauseReading();
  };
  return d;
}

/** Trailer lines ("name: value\n"…, as ChunkedParser collects them, already validated) as pairs. */
function trailerPairs(text: string | null): TrailerPairs | null {
  if (text === null || text === '') return null;
  const out: [string, string][] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) out.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return out;
}

/** Body bytes to the client (framed by the downstream); false when the client is not draining. */
export function writeBody(ex: ExchangeState, data: Buffer): boolean {
  ex.bytesOut += data.length;
  return ex.conn.writeBody(data);
}

export function relayData(ex: ExchangeState, buf: Buffer, start: number, end: number): void {
  if (end <= start) return;
  const f = ex.filtered;
  if (f !== null) return f.push(buf, start, end);
  const d = ex.dechunk;
  if (d !== null) {
    d.feed(buf, start, end);
    return;
  }
  // A copy: `buf` is the worker's shared upstream read buffer and the write may be queued.
  const data = Buffer.allocUnsafe(end - start);
  buf.copy(data, 0, start, end);
  if (!writeBody(ex, data)) ex.call?.conn?.pauseReading();
}

/** The upstream's body ended; `trailers`: an HTTP/2 upstream's. */
export function relayEnd(ex: ExchangeState, trailers: TrailerPairs | null): void {
  const f = ex.filtered;
  if (f !== null) return f.end(trailers); // finishes once the filters have had the last word (endFiltered)
  const d = ex.dechunk;
  ex.bytesOut += ex.conn.endBody(d === null ? trailers : trailerPairs(d.trailers));
  ex.finish();
}

/** The filters are done: the body ends with the trailers they left, then the exchange ends. */
export function endFiltered(ex: ExchangeState, trailers: HeaderMap): void {
  const pairs: [string, string][] = [];
  for (const name in trailers) {
    const v = trailers[name];
    // Checked like a header (no CR/LF injection, a token name), whatever the protocol.
    if (typeof v === 'string') {
      trailerLine(name, v);
      pairs.push([name, v]);
    } else if (Array.isArray(v))
      for (const x of v) {
        trailerLine(name, String(x));
        pairs.push([name, String(x)]);
      }
  }
  ex.bytesOut += ex.conn.endBody(pairs);
  ex.finish();
}

/**
 * The upstream switched to WebSocket: forward its 101 (response-phase plugins may add
 * headers; body filters do not apply), record the handshake as finished (access log line
 * and metrics with status 101 now), and hand both connections to a tunnel. The balancer
 * counts the connection as in flight until the tunnel closes (least-connections sees
 * long-lived WebSockets).
 */
export function relayUpgrade(
  ex: ExchangeState,
  call: UpstreamCall,
  up: ClientConnection,
  rh: ResponseHead,
  buf: Buffer,
  start: number,
  end: number,
): void {
  ex.status = ex.wireStatus = 101;
  ex.responseStarted = true;
  ex.fromUpstream = true;
  ex.statusLine = rh.statusLine;
  ex.rawFields = rh.headerLines;
  const run = ex.run;
  if (run !== null) {
    if (run.chain.response.length > 0) {
      const list = HeaderList.fromLines(101, rh.headerLines, rh.nameLengths);
      if (ex.responsePhase(run, list, false, false)) {
        ex.rawFields = list.rawLines;
        ex.fieldNames = list.names;
        ex.fieldValues = list.values;
      }
    }
    ex.responseLines = ex.fieldNames.length === 0 ? ex.rawFields : listLines(ex);
  }
  const conn = ex.conn;
  ex.bytesOut += conn.sendHead(ex, BodyMode.Upgrade, -1, null, 0, 0);
  const svc = call.service;
  const ext = WS_EXTENSIONS.test(rh.headerLines);
  const tunnel = conn.startTunnel(
    up,
    { idleTimeout: svc.readTimeout, writeTimeout: svc.writeTimeout, checkFrames: true, rsv1: ext },
    call,
  );
  ex.finished = true;
  ex.keepAlive = false;
  call.conn = null;
  record(ex);
  // The upstream's first frames, if they came with the 101.
  if (end > start) tunnel.onTunnelData(buf, start, end);
}
