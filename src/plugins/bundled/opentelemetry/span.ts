// The server span of one request, built in the log phase from what the access phase decided
// (./index.ts) and the request's outcome. Attribute names follow the OpenTelemetry HTTP
// semantic conventions (the older http.* / net.* names and the newer ones where they differ).

import type { PluginContext, RequestOutcome } from '../../sdk.js';

/** What the access phase decided for a request; read back in the log phase. */
export interface TraceState {
  traceId: string;
  /** Our span (the server span); the upstream's parent. */
  spanId: string;
  /** The caller's span, or null when we started the trace. */
  parentSpanId: string | null;
  sampled: boolean;
  traceState: string | null;
}

export type AttributeValue = string | number | boolean;

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  traceState: string | null;
  name: string;
  /** Unix epoch nanoseconds, as decimal strings (they do not fit a double exactly). */
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: [string, AttributeValue][];
  error: string | null;
}

/** Epoch milliseconds (fractional) to epoch nanoseconds as a decimal string. */
export function msToNanos(ms: number): string {
  const whole = Math.floor(ms);
  const frac = Math.round((ms - whole) * 1e6);
  return (BigInt(whole) * 1_000_000n + BigInt(frac)).toString();
}

/**
 * When the request started, in epoch milliseconds: the log phase runs just after the response,
 * so now minus the request's latency.
 */
/** When the request's head had been read, epoch ms (the span's start). */
export function requestStartMs(outcome: RequestOutcome): number {
  return outcome.startedAt;
}

export function buildSpan(ctx: PluginContext, t: TraceState, outcome: RequestOutcome): Span {
  const req = ctx.request;
  const startMs = requestStartMs(outcome);
  const defaultPort = req.scheme === 'https' ? 443 : 80;
  const authority = req.port === defaultPort ? req.host : `${req.host}:${req.port}`;
  const attributes: [string, AttributeValue][] = [
    ['http.method', req.method],
    ['http.request.method', req.method],
    ['http.url', `${req.scheme}://${authority}${req.rawPath}${req.query}`],
    ['http.scheme', req.scheme],
    ['http.target', req.rawPath + req.query],
    ['net.host.name', req.host],
    ['net.host.port', req.port],
    ['http.status_code', outcome.status],
    ['http.response.status_code', outcome.status],
    ['net.peer.ip', req.clientIp],
    ['client.address', req.clientIp],
  ];
  const ua = req.getHeader('user-agent');
  if (ua !== undefined) attributes.push(['user_agent.original', ua]);
  if (ctx.route !== null) {
    attributes.push(['turnpike.route.id', ctx.route.id]);
    if (ctx.route.name !== '') attributes.push(['turnpike.route.name', ctx.route.name]);
  }
  if (ctx.service !== null) {
    attributes.push(['turnpike.service.id', ctx.service.id]);
    if (ctx.service.name !== '') attributes.push(['turnpike.service.name', ctx.service.name]);
  }
  if (ctx.consumer !== null) attributes.push(['turnpike.consumer.id', ctx.consumer.id]);
  if (outcome.target !== null) attributes.push(['turnpike.upstream.target', outcome.target]);
  attributes.push(['turnpike.request_id', ctx.requestId]);
  const routeLabel = ctx.route !== null && ctx.route.name !== '' ? ctx.route.name : req.path;
  return {
    traceId: t.traceId,
    spanId: t.spanId,
    parentSpanId: t.parentSpanId,
    traceState: t.traceState,
    name: `${req.method} ${routeLabel}`,
    startTimeUnixNano: msToNanos(startMs),
    endTimeUnixNano: msToNanos(startMs + outcome.latencyMs),
    attributes,
    error: outcome.status >= 500 ? `HTTP ${outcome.status}` : null,
  };
}
