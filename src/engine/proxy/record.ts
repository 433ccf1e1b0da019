// The end of every exchange: metrics, the access log line, and the plugins' log phase. The
// log phase runs off the request path: finished requests queue up and one immediate runs
// them all (a timer per request would cost more than most log handlers).

import { performance } from 'node:perf_hooks';
import type { HeaderMap, RequestOutcome } from '../../plugins/sdk.js';
import type { PluginRun } from './plugin-run.js';
import { HeaderList } from './header-list.js';
import type { Downstream } from './downstream.js';
import type { ExchangeState } from './state.js';

/** Metrics and access log, and the log phase queued when the route has log plugins. */
export function record(ex: ExchangeState): void {
  const latency = performance.now() - ex.startedAt;
  const run = ex.run;
  if (run !== null && run.chain.log.length > 0) {
    // The connection reuses its request head for the next request: it copies it for us first if so.
    ex.conn.lendHead(run);
    queueLog(new Outcome(ex, latency, run, ex.conn));
  }
  const route = ex.route;
  const m = route !== null ? route.metrics : ex.ctx.unmatched;
  m.countStatus(ex.status);
  m.latency.observe(latency);
  const call = ex.call;
  const upstreamLatency = call === null ? -1 : call.latency;
  if (upstreamLatency >= 0) m.upstreamLatency.observe(upstreamLatency);
  m.bytesIn += ex.bytesIn;
  m.bytesOut += ex.bytesOut;
  const log = ex.ctx.accessLog;
  if (log !== null) {
    log.write({
      requestId: ex.requestId,
      clientIp: ex.conn.clientIp,
      method: ex.head.method,
      path: ex.head.rawPath,
      protocol: ex.httpVersion,
      status: ex.status,
      latencyMs: latency,
      upstreamLatencyMs: upstreamLatency,
      target: call !== null ? call.endpoint.key : '',
      bytesIn: ex.bytesIn,
      bytesOut: ex.bytesOut,
      service: ex.service !== null ? ex.service.name : '',
      route: route !== null ? route.name : '',
      error: ex.failReason,
    });
  }
}

/** Read once: the getter is not free and it never changes. */
const TIME_ORIGIN = performance.timeOrigin;

/** A finished request, as the log phase sees it; header maps are built when asked for. */
class Outcome implements RequestOutcome {
  readonly status: number;
  readonly startedAt: number;
  readonly upstreamLatencyMs: number | null;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly target: string | null;
  readonly upstreamStatus: number | null;
  readonly upstreamUri: string | null;
  readonly error: string;
  readonly protocol: string;
  private readonly lines: string;
  private resMap: HeaderMap | null = null;
  private reqMap: HeaderMap | null = null;

  constructor(
    ex: ExchangeState,
    readonly latencyMs: number,
    readonly run: PluginRun,
    readonly conn: Downstream,
  ) {
    const call = ex.call;
    this.status = ex.status;
    this.startedAt = TIME_ORIGIN + ex.startedAt;
    this.upstreamLatencyMs = call === null || call.latency < 0 ? null : call.latency;
    this.bytesIn = ex.bytesIn;
    this.bytesOut = ex.bytesOut;
    this.target = call !== null ? call.endpoint.key : null;
    this.upstreamStatus = call === null || call.status === 0 ? null : call.status;
    this.upstreamUri = ex.sentUri;
    this.error = ex.failReason;
    this.protocol = ex.httpVersion;
    this.lines = ex.responseLines;
  }

  get responseHeaders(): HeaderMap {
    return (this.resMap ??= new HeaderList(this.status, this.lines).getHeaders());
  }

  get requestHeaders(): HeaderMap {
    return (this.reqMap ??= this.run.getHeaders());
  }
}

let logQueue: Outcome[] = [];
let logScheduled = false;

function queueLog(outcome: Outcome): void {
  logQueue.push(outcome);
  if (!logScheduled) {
    logScheduled = true;
    setImmediate(flushLogs);
  }
}

function flushLogs(): void {
  const q = logQueue;
  logQueue = [];
  logScheduled = false;
  for (let i = 0; i < q.length; i++) {
    const outcome = q[i];
    const run = outcome.run;
    // A handler still running may read the request later: it keeps its own copy of the head.
    if (run.runLog(outcome)) run.detach();
    outcome.conn.returnHead(run);
  }
}
