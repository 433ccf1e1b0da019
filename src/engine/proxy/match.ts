// The route for a request, with Kong's fallbacks: a WebSocket handshake tries ws/wss routes
// first, a gRPC call grpc/grpcs ones, then both try http/https; and on the way to a 404,
// whether a route would take the request in another form (gRPC only, WebSocket only, https
// only), which changes the answer.

import type { RequestHead } from '../http1/request-head.js';
import type { ListenerInfo } from '../context.js';
import type { CompiledRoute, Snapshot } from '../../snapshot/types.js';
import type { MatchInput, MatchResult } from '../../router/types.js';
import { isGrpcContentType } from '../grpc/errors.js';

/** Why no route takes the request. */
export const enum Refusal {
  NoRoute,
  /** A grpc/grpcs route would take it with an application/grpc content-type (415). */
  GrpcOnly,
  /** A ws/wss route would take it as a WebSocket handshake (426). */
  WsOnly,
}

/** Where the match is left: the exchange. */
export interface MatchOut {
  matchLength: number;
  captures: Record<string, string> | null;
  /** Matched only as https by a plain-http request (a route with protocols https only). */
  viaHttps: boolean;
}

/** Reused per worker: the router reads the current request through it. */
class RequestMatchInput implements MatchInput {
  method = '';
  host = '';
  port = 0;
  path = '';
  protocol = 'http';
  head: RequestHead | null = null;
  header(name: string): string | undefined {
    return this.head === null ? undefined : this.head.header(name);
  }
}
const mi = new RequestMatchInput();
const mr: MatchResult<CompiledRoute> = { route: null, matchLength: 0, captures: null };

function matchAs(snapshot: Snapshot, protocol: string): boolean {
  mi.protocol = protocol;
  return snapshot.router.match(mi, mr);
}

/** The route for `head` (its match left in `out`), or why there is none. */
export function matchRoute(
  snapshot: Snapshot,
  head: RequestHead,
  listener: ListenerInfo,
  out: MatchOut,
): CompiledRoute | Refusal {
  mi.method = head.method;
  mi.host = head.hostname;
  mi.port = listener.port;
  mi.path = head.path;
  mi.head = head;
  try {
    const r = find(snapshot, head, listener.scheme, out);
    if (typeof r !== 'number') {
      out.matchLength = mr.matchLength;
      out.captures = mr.captures;
    }
    return r;
  } finally {
    mi.head = null;
    mr.route = null;
    mr.captures = null;
  }
}

function find(snapshot: Snapshot, head: RequestHead, scheme: 'http' | 'https', out: MatchOut): CompiledRoute | Refusal {
  // A WebSocket handshake matches routes with protocols ws/wss first, then (as Kong's open
  // source gateway does) routes with http/https. A plain request never matches a ws-only route.
  if (head.upgradeWebSocket) {
    if (matchAs(snapshot, scheme === 'https' ? 'wss' : 'ws') || matchAs(snapshot, scheme))
      return mr.route ?? Refusal.NoRoute;
  } else if (snapshot.grpcRoutes && isGrpcContentType(head.header('content-type'))) {
    // A gRPC call matches routes with protocols grpc/grpcs first, then http/https ones.
    if (matchAs(snapshot, scheme === 'https' ? 'grpcs' : 'grpc') || matchAs(snapshot, scheme))
      return mr.route ?? Refusal.NoRoute;
  } else {
    if (matchAs(snapshot, scheme)) return mr.route ?? Refusal.NoRoute;
    // Only on the 404 path: a route that takes this request as a gRPC call says so.
    if (snapshot.grpcRoutes && matchAs(snapshot, scheme === 'https' ? 'grpcs' : 'grpc')) return Refusal.GrpcOnly;
    // Only on the 404 path: a route that would take this request as a WebSocket says so.
    if (matchAs(snapshot, scheme === 'https' ? 'wss' : 'ws')) return Refusal.WsOnly;
  }
  // Plain HTTP that matches nothing may still match a route that takes https only: match
  // again as https (only when such a route exists; the matching request path is unchanged).
  if (snapshot.httpsOnlyRoutes && scheme === 'http' && matchAs(snapshot, 'https')) {
    out.viaHttps = true;
    return mr.route ?? Refusal.NoRoute;
  }
  return Refusal.NoRoute;
}
