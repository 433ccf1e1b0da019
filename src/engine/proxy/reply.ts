// Every answer the gateway makes itself, in one place: Kong's error pages, the gRPC form of
// the same errors (trailers-only), a plugin's own answer (request-termination, key-auth's
// 401…), the https-only redirect, and what a failed upstream leaves the client (502/503/504,
// grpc-status trailers, or a cut connection when the head is out already). Each one ends
// the exchange. The heads are made by errors.ts's gatewayHead.

import { errorResponse, gatewayHead, JSON_TYPE_LINE, KONG_MESSAGES, reason } from '../errors.js';
import { grpcErrorLines, grpcFailureTrailers, encodeGrpcMessage, grpcStatusFor } from '../grpc/errors.js';
import type { UpstreamFailure } from '../upstream-failure.js';
import { logNameResolutionFailure } from '../upstream-failure.js';
import type { CompiledRoute } from '../../snapshot/types.js';
import { HeaderList } from './header-list.js';
import type { ExchangeState } from './state.js';

const NO_HEADERS: readonly [string, string][] = [];

/** Writes a complete answer and ends the exchange. */
function send(ex: ExchangeState, out: string | Buffer): void {
  ex.bytesOut += out.length;
  if (!ex.conn.destroyed) ex.conn.write(out);
  ex.finish();
}

/** A request body we have not read forces a close (it would be parsed as the next request). */
function closeIfUnread(ex: ExchangeState): void {
  if (ex.conn.bodyPending || ex.ctx.draining) ex.keepAlive = false;
}

/** Kong's error: the status and {"message", "request_id"}; in gRPC form to a gRPC call. */
export function replyError(ex: ExchangeState, status: number, message: string): void {
  const ct = ex.grpcContentType();
  if (ct !== null) return replyGrpcError(ex, status, message, ct, NO_HEADERS);
  ex.status = status;
  closeIfUnread(ex);
  const out = errorResponse(
    status,
    message,
    ex.requestId,
    ex.ctx.serverToken,
    !ex.keepAlive,
    ex.head.method === 'HEAD',
  );
  if (ex.run !== null) ex.responseLines = JSON_TYPE_LINE;
  send(ex, out);
}

/**
 * A gateway-made error to a gRPC call: HTTP 200 with grpc-status and grpc-message in the
 * headers (trailers-only). The status recorded (logs, metrics) stays the HTTP one it stands for.
 */
export function replyGrpcError(
  ex: ExchangeState,
  status: number,
  message: string,
  contentType: string,
  extra: readonly [string, string][],
): void {
  ex.status = status;
  closeIfUnread(ex);
  let lines: string;
  const run = ex.run;
  if (run === null) lines = grpcErrorLines(status, message, contentType);
  else {
    // The response phase runs as on any answer: grpc-web adds its CORS headers, without which
    // a browser cannot read the error of a cross-origin call; a plugin's own headers
    // (WWW-Authenticate, Retry-After…) go along as metadata.
    const list = new HeaderList(200);
    list.names.push('Content-Type', 'grpc-status', 'grpc-message');
    list.values.push(contentType, String(grpcStatusFor(status)), encodeGrpcMessage(message));
    for (const [k, v] of extra) {
      const l = k.toLowerCase();
      if (l === 'content-type' || l === 'content-length') continue;
      list.names.push(k);
      list.values.push(v);
    }
    ex.responsePhase(run, list, false, false);
    lines = ex.responseLines = list.toLines();
  }
  send(ex, gatewayHead(200, lines, 0, ex.ctx.serverToken, !ex.keepAlive));
}

/** A plugin answered the request itself (respond()): its status, headers and body. */
export function replyPlugin(ex: ExchangeState, status: number, body: Buffer, headers: [string, string][]): void {
  if (status >= 400) {
    // A plugin refusing a gRPC call (key-auth's 401, rate-limiting's 429…): in gRPC form.
    const ct = ex.grpcContentType();
    if (ct !== null) return replyGrpcError(ex, status, pluginMessage(body, status), ct, headers);
  }
  ex.status = status;
  closeIfUnread(ex);
  const list = new HeaderList(status);
  for (const [k, v] of headers) {
    list.names.push(k);
    list.values.push(v);
  }
  const run = ex.run;
  if (run !== null) {
    ex.responsePhase(run, list, false, false);
    ex.responseLines = list.toLines();
    status = ex.status = list.status; // a plugin's setStatus
  }
  const bodyless = status === 204 || status === 304 || status < 200;
  const h = gatewayHead(status, list.toLines(), bodyless ? -1 : body.length, ex.ctx.serverToken, !ex.keepAlive);
  send(
    ex,
    bodyless || ex.head.method === 'HEAD' ? Buffer.from(h, 'latin1') : Buffer.concat([Buffer.from(h, 'latin1'), body]),
  );
}

/** Kong's https_redirect_status_code for an https-only route: 426 with a JSON message, or a redirect to the https URL. */
export function replyHttpsOnly(ex: ExchangeState, route: CompiledRoute): void {
  const status = route.httpsRedirectStatus;
  if (status === 426) return replyError(ex, 426, 'Please use HTTPS protocol');
  ex.status = status;
  closeIfUnread(ex);
  const head = ex.head;
  const location = 'https://' + head.hostname + head.rawPath + head.query;
  send(ex, gatewayHead(status, 'Location: ' + location + '\r\n', 0, ex.ctx.serverToken, !ex.keepAlive));
}

/** No endpoint for the request: every one failed already (502), or none was available (503). */
export function replyNoEndpoint(ex: ExchangeState, retried: boolean, cluster: string): void {
  if (retried) return replyError(ex, 502, KONG_MESSAGES.badGateway);
  ex.failReason = `no healthy target in ${cluster}`;
  replyError(ex, 503, KONG_MESSAGES.noPeer);
}

/** The upstream failed for good (no retry left): what the client is told, as far as it can still be told. */
export function replyUpstreamFailure(ex: ExchangeState, kind: UpstreamFailure, message: string): void {
  ex.failReason = message;
  if (ex.responseStarted) {
    if (ex.grpcTrailersOnFail) {
      // The body so far was whole chunks: end it with grpc-status trailers.
      const status = kind === 'timeout' ? 504 : 502;
      return send(
        ex,
        grpcFailureTrailers(status, kind === 'timeout' ? KONG_MESSAGES.timeout : KONG_MESSAGES.badGateway),
      );
    }
    // Too late for an error page: cut the client connection so it sees the truncation.
    ex.filtered?.abort();
    ex.keepAlive = false;
    ex.conn.close();
    ex.finish();
    return;
  }
  if (kind === 'dns') {
    logNameResolutionFailure(message, ex.requestId);
    replyError(ex, 503, KONG_MESSAGES.nameResolution);
  } else if (kind === 'timeout' || kind === 'connect_timeout') replyError(ex, 504, KONG_MESSAGES.timeout);
  else replyError(ex, 502, KONG_MESSAGES.badGateway);
}

/** The message of a plugin's answer ({"message": …} as Kong's plugins send), for grpc-message. */
function pluginMessage(body: Buffer, status: number): string {
  if (body.length > 0 && body.length < 4096) {
    try {
      const v = JSON.parse(body.toString('utf8')) as unknown;
      if (v !== null && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string')
        return (v as { message: string }).message;
    } catch {
      // not JSON: the text itself
      return body.toString('utf8').trim();
    }
  }
  return reason(status);
}
