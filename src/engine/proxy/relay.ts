// The upstream's answer on its way to the client: the head (after the response phase, with
// the gateway's framing and hop-by-hop fields), the body as it arrives (re-framed chunked
// when the client needs it, or through the body filters), its end, and a 101 that turns
// the exchange into a WebSocket tunnel.

import { Framing, type ResponseHead } from '../http1/response-head.js';
import type { ClientConnection } from '../http1/client-connection.js';
import { reason } from '../errors.js';
import type { HeaderMap } from '../../plugins/sdk.js';
import { HeaderList } from './header-list.js';
import { FilteredResponse, trailerLine, type FilterHost } from './filtered-response.js';
import type { UpstreamCall } from './upstream-call.js';
import type { ExchangeState } from './state.js';
import { record } from './record.js';

const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');
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
  const minor = ex.head.httpMinor;
  let lines = rh.headerLines;
  const run = ex.run;
  let filtered = false;
  if (run !== null) {
    const chain = run.chain;
    if (chain.response.length > 0 || chain.body.length > 0) {
      const list = HeaderList.fromLines(rh.status, lines);
      if (ex.responsePhase(run, list, true, rh.framing !== Framing.None)) {
        if (ex.filters !== null) {
          filtered = true;
          list.removeHeader('content-length'); // the filters decide the length
        }
        lines = list.toLines();
        ex.status = list.status;
      }
    }
    ex.responseLines = lines;
  }
  let statusLine = rh.statusLine;
  if (ex.status !== rh.status) statusLine = 'HTTP/1.1 ' + ex.status + ' ' + reason(ex.status) + '\r\n'; // a plugin's setStatus
  let h = statusLine + lines + 'Via: 1.1 ' + ex.ctx.serverToken + '\r\n';
  if (filtered && ex.filters !== null) {
    ex.filtered = new FilteredResponse(ex, ex.filters, rh.framing === Framing.Chunked);
    if (minor === 1) {
      ex.chunkOut = true;
      h += 'Transfer-Encoding: chunked\r\n';
    } else ex.keepAlive = false;
  } else if (rh.framing === Framing.Chunked) {
    if (call.service.http2 && GRPC_TYPE.test(rh.headerLines)) ex.grpcTrailersOnFail = true;
    // An HTTP/1.0 client's request goes upstream as HTTP/1.0, so a conforming upstream never
    // answers it chunked; chunked framing is forwarded to HTTP/1.1 clients unchanged.
    h += 'Transfer-Encoding: chunked\r\n';
  } else if (rh.framing === Framing.UntilClose) {
    if (minor === 1) {
      ex.chunkOut = true;
      h += 'Transfer-Encoding: chunked\r\n';
    } else ex.keepAlive = false;
  }
  if (ex.setCookie !== null) h += 'Set-Cookie: ' + ex.setCookie + '\r\n';
  if (ex.ctx.draining) ex.keepAlive = false; // shutdown began while this request ran
  if (!ex.keepAlive) h += 'Connection: close\r\n';
  else if (minor === 0) h += 'Connection: keep-alive\r\n';
  h += '\r\n';
  const conn = ex.conn;
  const bodyLen = end - start;
  const f = ex.filtered;
  if (f !== null) {
    ex.bytesOut += h.length;
    conn.write(h);
    if (bodyLen > 0) f.push(buf, start, end);
    return;
  }
  if (bodyLen === 0) {
    ex.bytesOut += h.length;
    if (!conn.write(h)) call.conn?.pauseReading();
    return;
  }
  // Head and first body bytes in one write: one syscall for a typical small response.
  const hl = h.length;
  const out = Buffer.allocUnsafe(hl + bodyLen + (ex.chunkOut ? 32 : 0));
  out.write(h, 0, 'latin1');
  let o = hl;
  if (ex.chunkOut) {
    o += out.write(bodyLen.toString(16) + '\r\n', o, 'latin1');
    o += buf.copy(out, o, start, end);
    o += out.write('\r\n', o, 'latin1');
  } else {
    o += buf.copy(out, o, start, end);
  }
  ex.bytesOut += o;
  if (!conn.write(o === out.length ? out : out.subarray(0, o))) call.conn?.pauseReading();
}

/** Body bytes to the client, chunk-framed when the exchange re-frames; false when the client is not draining. */
export function writeBody(ex: ExchangeState, data: Buffer): boolean {
  ex.bytesOut += data.length;
  if (ex.chunkOut) return ex.conn.writev(data.length.toString(16) + '\r\n', data, CRLF);
  return ex.conn.write(data);
}

export function relayData(ex: ExchangeState, buf: Buffer, start: number, end: number): void {
  if (end <= start) return;
  const f = ex.filtered;
  if (f !== null) return f.push(buf, start, end);
  // A copy: `buf` is the worker's shared upstream read buffer and the write may be queued.
  const data = Buffer.allocUnsafe(end - start);
  buf.copy(data, 0, start, end);
  if (!writeBody(ex, data)) ex.call?.conn?.pauseReading();
}

export function relayEnd(ex: ExchangeState): void {
  const f = ex.filtered;
  if (f !== null) return f.end(); // finishes once the filters have had the last word (endFiltered)
  if (ex.chunkOut) {
    ex.conn.write(LAST_CHUNK);
    ex.bytesOut += 5;
  }
  ex.finish();
}

/** The filters are done: the last chunk carries the trailers they left (an HTTP/1.1 client), then the exchange ends. */
export function endFiltered(ex: ExchangeState, trailers: HeaderMap): void {
  if (ex.chunkOut) {
    let last = '0\r\n';
    for (const name in trailers) {
      const v = trailers[name];
      if (typeof v === 'string') last += trailerLine(name, v);
      else if (Array.isArray(v)) for (const x of v) last += trailerLine(name, String(x));
    }
    last += '\r\n';
    ex.conn.write(last);
    ex.bytesOut += last.length;
  }
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
  ex.status = 101;
  ex.responseStarted = true;
  let lines = rh.headerLines;
  const run = ex.run;
  if (run !== null) {
    if (run.chain.response.length > 0) {
      const list = HeaderList.fromLines(101, lines);
      if (ex.responsePhase(run, list, false, false)) lines = list.toLines();
    }
    ex.responseLines = lines;
  }
  const h =
    rh.statusLine + lines + 'Connection: Upgrade\r\nUpgrade: websocket\r\nVia: 1.1 ' + ex.ctx.serverToken + '\r\n\r\n';
  ex.bytesOut += h.length;
  const conn = ex.conn;
  conn.write(h);
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
