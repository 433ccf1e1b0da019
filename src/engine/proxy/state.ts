// The state of one proxied request, shared by the modules that handle it in turn: match.ts
// (route), request-body.ts (a body a plugin reads), upstream-call.ts (balancer, connection,
// retries), upstream-head.ts (the request sent), relay.ts (the upstream's answer), reply.ts
// (the gateway's own answers) and record.ts (metrics, access log, log phase). The Exchange
// (exchange.ts) extends it and wires those together: still one object per request.
//
// What only exists in some phases is its own object, null until that phase: `call` once the
// request goes upstream (it holds the route, service and endpoint it was sent with), `body`
// once a plugin reads or replaces the request body, `filtered` once body filters run.

import { performance } from 'node:perf_hooks';
import type { RequestHead } from '../http1/request-head.js';
import type { ChunkedParser } from '../http1/chunked.js';
import type { WorkerContext } from '../context.js';
import type { CompiledRoute, CompiledService, Snapshot } from '../../snapshot/types.js';
import { isGrpcContentType } from '../grpc/errors.js';
import type { PluginRun } from './plugin-run.js';
import type { HeaderList } from './header-list.js';
import type { NamedFilter } from './body-pipeline.js';
import type { Downstream, ResponseOut } from './downstream.js';
import type { UpstreamCall } from './upstream-call.js';
import type { BufferedBody } from './request-body.js';
import type { FilteredResponse } from './filtered-response.js';

const NO_FIELDS: readonly string[] = [];

let seq = 0;

/** Request ids: unique per worker (pid prefix) and cheap (a counter, not random bytes). */
export function nextRequestId(ctx: WorkerContext): string {
  return ctx.requestIdPrefix + (++seq).toString(36);
}

export abstract class ExchangeState implements ResponseOut {
  readonly requestId: string;
  readonly startedAt = performance.now();
  snapshot: Snapshot;
  route: CompiledRoute | null = null;
  service: CompiledService | null = null;
  captures: Record<string, string> | null = null;
  matchLength = 0;
  /** The request's trip upstream; kept after it ends (the log reads its endpoint and latency). */
  call: UpstreamCall | null = null;
  /** A request body held in memory for the plugins (readBody / setBody). */
  body: BufferedBody | null = null;
  /** The response body passing through the plugins' body filters. */
  filtered: FilteredResponse | null = null;
  /** The status the client gets (a gRPC error's is the HTTP status it stands for). */
  status = 0;
  bytesIn = 0;
  bytesOut = 0;
  bodyStreamed = false;
  requestEnded = false;
  responseStarted = false;
  finished = false;
  keepAlive: boolean;
  // The response head in neutral form (ResponseOut, read by the downstream's sendHead).
  wireStatus = 0;
  statusLine = '';
  rawFields = '';
  fieldNames: readonly string[] = NO_FIELDS;
  fieldValues: readonly string[] = NO_FIELDS;
  fromUpstream = false;
  /** An HTTP/1.1 upstream's chunked body de-framed for a downstream that is not HTTP/1.1. */
  dechunk: ChunkedParser | null = null;
  /**
   * A gRPC response relayed chunked from an HTTP/2 upstream (whole chunks only): when the
   * upstream fails in the middle, the body can still end with grpc-status trailers (the call
   * fails with UNAVAILABLE / DEADLINE_EXCEEDED) instead of a cut connection.
   */
  grpcTrailersOnFail = false;
  failReason = '';
  // BalanceContext
  setCookie: string | null = null;
  // Plugins (PluginHost): only requests on routes with plugins touch these.
  run: PluginRun | null = null;
  upstreamPath: string | null = null;
  upstreamQuery: string | null = null;
  hostOverride: string | null = null;
  methodOverride: string | null = null;
  /** For the log phase: what went upstream and the response head the client got. */
  sentUri: string | null = null;
  responseLines = '';

  constructor(
    readonly conn: Downstream,
    readonly ctx: WorkerContext,
    readonly head: RequestHead,
  ) {
    this.requestId = nextRequestId(ctx);
    this.snapshot = ctx.snapshot;
    this.keepAlive = head.keepAlive && !ctx.draining;
    this.bytesIn = head.size;
  }

  /** The response is complete (or abandoned): record it and hand the connection back. */
  abstract finish(): void;

  /** The protocol the client spoke, as nginx's $server_protocol says it. */
  get httpVersion(): string {
    return this.conn.listener.http2 === true ? 'HTTP/2.0' : this.head.httpMinor === 1 ? 'HTTP/1.1' : 'HTTP/1.0';
  }

  /** The request is a gRPC call (or was routed as one): gateway-made errors take gRPC form. */
  grpcContentType(): string | null {
    const ct = this.head.header('content-type');
    if (ct !== undefined && isGrpcContentType(ct)) return ct;
    return this.route !== null && this.route.grpcOnly ? 'application/grpc' : null;
  }

  /**
   * The response phase: the one way into the plugins' `response` handlers (and `body`
   * filters), for every response a client gets on a route with plugins — an upstream's, a
   * 101, a plugin's own answer, a gRPC error. Runs the handlers on `list` (for an upstream
   * answer only when the route has some), then, for an upstream body (`filterable`), asks
   * the body plugins for their filters, left in `filters`. Returns false when a handler
   * threw (the head should go out as it was).
   */
  responsePhase(run: PluginRun, list: HeaderList, fromUpstream: boolean, filterable: boolean): boolean {
    this.filters = null;
    const chain = run.chain;
    if ((chain.response.length > 0 || !fromUpstream) && !run.runResponse(list)) return false;
    if (filterable && chain.body.length > 0) {
      const f = run.openBodyFilters(list);
      if (f.length > 0) this.filters = f;
    }
    return true;
  }

  /** Body filters the last response phase opened (see responsePhase). */
  filters: NamedFilter[] | null = null;
}
