// Every answer the gateway makes itself, in one place and for every protocol: Kong's error
// pages, the gRPC form of the same errors (trailers-only), a plugin's own answer
// (request-termination, key-auth's 401…), the https-only redirect, and what a failed
// upstream leaves the client (502/503/504, grpc-status trailers, or a cut connection when
// the head is out already). Each one ends the exchange. The answers are neutral responses
// (status, header pairs, body: downstream.ts); the downstream adds Content-Length and Server.

import { JSON_TYPE_LINE, JSON_TYPE_NAMES, JSON_TYPE_VALUES, KONG_MESSAGES, kongErrorBody, reason } from '../errors.js';
import { encodeGrpcMessage, grpcStatusFor } from '../grpc/errors.js';
import type { UpstreamFailure } from '../upstream-failure.js';
import { logNameResolutionFailure } from '../upstream-failure.js';
import type { CompiledRoute } from '../../snapshot/types.js';
import { HeaderList } from './header-list.js';
import { BodyMode } from './downstream.js';
import type { ExchangeState } from './state.js';

const NO_HEADERS: readonly [string, string][] = [];
const LOCATION: readonly string[] = ['Location'];

/**
 * Sends a complete gateway answer (wireStatus and fields set) and ends the exchange.
 * `length`: its Content-Length (-1: none, 204/304); `body` null when no bytes follow (HEAD too).
 */
function send(ex: ExchangeState, length: number, body: Buffer | null): void {
  ex.statusLine = '';
  ex.rawFields = '';
  ex.fromUpstream = false;
  const conn = ex.conn;
  if (!conn.destroyed) {
    const mode = body === null || body.length === 0 ? BodyMode.None : BodyMode.Length;
    ex.bytesOut += conn.sendHead(ex, mode, length, body, 0, body === null ? 0 : body.length);
  }
  ex.finish();
}

function setFields(ex: ExchangeState, status: number, names: readonly string[], values: readonly string[]): void {
  ex.wireStatus = status;
  ex.fieldNames = names;
  ex.fieldValues = values;
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
  const body = Buffer.from(kongErrorBody(message, ex.requestId), 'latin1');
  if (ex.run !== null) ex.responseLines = JSON_TYPE_LINE;
  setFields(ex, status, JSON_TYPE_NAMES, JSON_TYPE_VALUES);
  send(ex, body.length, ex.head.method === 'HEAD' ? null : body);
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
  const list = new HeaderList(200);
  list.names.push('Content-Type', 'grpc-status', 'grpc-message');
  list.values.push(contentType, String(grpcStatusFor(status)), encodeGrpcMessage(message));
  const run = ex.run;
  if (run !== null) {
    // The response phase runs as on any answer: grpc-web adds its CORS headers, without which
    // a browser cannot read the error of a cross-origin call; a plugin's own headers
    // (WWW-Authenticate, Retry-After…) go along as metadata.
    for (const [k, v] of extra) {
      const l = k.toLowerCase();
      if (l === 'content-type' || l === 'content-length') continue;
      list.names.push(k);
      list.values.push(v);
    }
    ex.responsePhase(run, list, false, false);
    ex.responseLines = list.toLines();
  }
  setFields(ex, 200, list.names, list.values);
  send(ex, 0, null);
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
  setFields(ex, status, list.names, list.values);
  send(ex, bodyless ? -1 : body.length, bodyless || ex.head.method === 'HEAD' ? null : body);
}

/** Kong's https_redirect_status_code for an https-only route: 426 with a JSON message, or a redirect to the https URL. */
export function replyHttpsOnly(ex: ExchangeState, route: CompiledRoute): void {
  const status = route.httpsRedirectStatus;
  if (status === 426) return replyError(ex, 426, 'Please use HTTPS protocol');
  ex.status = status;
  closeIfUnread(ex);
  const head = ex.head;
  setFields(ex, status, LOCATION, ['https://' + head.hostname + head.rawPath + head.query]);
  send(ex, 0, null);
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
      const message = kind === 'timeout' ? KONG_MESSAGES.timeout : KONG_MESSAGES.badGateway;
      ex.dechunk = null; // a partial chunk of the upstream's, if any, is dropped
      if (!ex.conn.destroyed)
        ex.bytesOut += ex.conn.endBody([
          ['grpc-status', String(grpcStatusFor(status))],
          ['grpc-message', encodeGrpcMessage(message)],
        ]);
      ex.finish();
      return;
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
