// The request head sent upstream, built once per attempt from the client's head (raw pairs,
// with the skip marks the parser and the plugins left), the route's path rules, the plugins'
// overrides and the forwarding headers (X-Forwarded-*, X-Real-IP, Via): as HTTP/1.1 text for
// an HTTP/1.1 upstream, as HTTP/2 request headers for an HTTP/2 one (no text in between).

import type { OutgoingHttpHeaders } from 'node:http2';
import { Skip, type RequestHead } from '../http1/request-head.js';
import type { WorkerContext } from '../context.js';
import { buildUpstreamPath } from '../../router/upstream-path.js';
import type { Downstream } from './downstream.js';
import type { CompiledRoute, CompiledService } from '../../snapshot/types.js';
import type { Endpoint } from '../../upstream/types.js';
import type { H2RequestHead } from './upstream-connection.js';
import { H2_REQUEST_DROPPED } from '../upstream-h2/request.js';

/** What the head is built from (the exchange). */
export interface UpstreamHeadSource {
  readonly head: RequestHead;
  readonly conn: Downstream;
  readonly ctx: WorkerContext;
  readonly matchLength: number;
  readonly upstreamPath: string | null;
  readonly upstreamQuery: string | null;
  readonly hostOverride: string | null;
  readonly methodOverride: string | null;
  /** Only kept when a log phase may read it (a route with plugins). */
  readonly run: object | null;
  sentUri: string | null;
}

/** Where the request goes: the route and service it matched, the endpoint picked. */
export interface UpstreamTarget {
  readonly route: CompiledRoute;
  readonly service: CompiledService;
  readonly endpoint: Endpoint;
}

function upstreamPathOf(ex: UpstreamHeadSource, t: UpstreamTarget): string {
  return (
    ex.upstreamPath ??
    buildUpstreamPath(t.service.path, ex.head.path, ex.matchLength, t.route.stripPath, t.route.pathHandling)
  );
}

function hostOf(ex: UpstreamHeadSource, t: UpstreamTarget): string {
  const head = ex.head;
  return (
    ex.hostOverride ?? (t.route.preserveHost && head.host !== '' ? head.host : t.service.cluster.hostHeader(t.endpoint))
  );
}

/**
 * The HTTP/1.1 request head for `t`'s endpoint. `bodyLength` ≥ 0: the body goes from memory
 * with that Content-Length; -1: it streams as the client frames it.
 */
export function buildUpstreamHead(ex: UpstreamHeadSource, t: UpstreamTarget, bodyLength: number): string {
  const head = ex.head;
  const route = t.route;
  const path = upstreamPathOf(ex, t);
  const host = hostOf(ex, t);
  const method = ex.methodOverride ?? head.method;
  const query = ex.upstreamQuery ?? head.query;
  if (ex.run !== null) ex.sentUri = method + ' ' + path + query;
  let s =
    method +
    ' ' +
    path +
    query +
    (head.httpMinor === 1 ? ' HTTP/1.1\r\nHost: ' : ' HTTP/1.0\r\nHost: ') +
    host +
    '\r\n';
  const names = head.names;
  const values = head.values;
  const skip = head.skip;
  let via = '';
  let xff = '';
  for (let i = 0; i < head.count; i++) {
    const k = skip[i];
    if (k === Skip.Keep) {
      if (bodyLength < 0 || head.lnames[i] !== 'content-length') s += names[i] + ': ' + values[i] + '\r\n';
    } else if (k === Skip.Via) via = via === '' ? values[i] : via + ', ' + values[i];
    else if (k === Skip.Forwarded && head.lnames[i] === 'x-forwarded-for')
      xff = xff === '' ? values[i] : xff + ', ' + values[i];
  }
  const trusted = ex.conn.trusted;
  const ip = ex.conn.clientIp;
  const listener = ex.conn.listener;
  const realIp = trusted ? head.header('x-real-ip') : undefined;
  s += 'X-Real-IP: ' + (realIp !== undefined ? realIp : ip) + '\r\n';
  s += 'X-Forwarded-For: ' + (trusted && xff !== '' ? xff + ', ' + ip : ip) + '\r\n';
  s +=
    'X-Forwarded-Proto: ' +
    (trusted && head.xfProtoIndex !== -1 ? head.values[head.xfProtoIndex] : listener.scheme) +
    '\r\n';
  s +=
    'X-Forwarded-Host: ' +
    (trusted && head.xfHostIndex !== -1 ? head.values[head.xfHostIndex] : head.hostname) +
    '\r\n';
  s +=
    'X-Forwarded-Port: ' +
    (trusted && head.xfPortIndex !== -1 ? head.values[head.xfPortIndex] : listener.port) +
    '\r\n';
  s +=
    'X-Forwarded-Path: ' + (trusted && head.xfPathIndex !== -1 ? head.values[head.xfPathIndex] : head.rawPath) + '\r\n';
  if (trusted && head.xfPrefixIndex !== -1) s += 'X-Forwarded-Prefix: ' + head.values[head.xfPrefixIndex] + '\r\n';
  else if (route.stripPath && ex.matchLength > 1) {
    const prefix = head.path.slice(0, ex.matchLength);
    if (prefix !== '/') s += 'X-Forwarded-Prefix: ' + prefix + '\r\n';
  }
  s += 'Via: ' + (via === '' ? '1.1 ' + ex.ctx.serverToken : via + ', 1.1 ' + ex.ctx.serverToken) + '\r\n';
  // The one upgrade that is forwarded (Sec-WebSocket-* are end-to-end and copied above).
  if (head.upgradeWebSocket) s += 'Connection: Upgrade\r\nUpgrade: websocket\r\n';
  if (bodyLength >= 0) {
    if (bodyLength > 0 || head.chunked || head.contentLength !== -1) s += 'Content-Length: ' + bodyLength + '\r\n';
  } else if (head.chunked) s += 'Transfer-Encoding: chunked\r\n';
  return s + '\r\n';
}

function add(headers: OutgoingHttpHeaders, name: string, value: string): void {
  const prev = headers[name];
  if (prev === undefined) headers[name] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else headers[name] = [String(prev), value];
}

/**
 * The same request as HTTP/2 request headers (an HTTP/2 upstream: grpc, grpcs,
 * turnpike:upstream-http2): the same fields as buildUpstreamHead, from the same raw pairs,
 * with pseudo-headers in place of the request line and Host, lower-case names, and the
 * connection-specific fields left out. A gRPC call gets `te: trailers`, as gRPC requires.
 */
export function buildUpstreamH2Head(
  ex: UpstreamHeadSource,
  t: UpstreamTarget,
  bodyLength: number,
  scheme: 'http' | 'https',
): H2RequestHead {
  const head = ex.head;
  const path = upstreamPathOf(ex, t);
  const method = ex.methodOverride ?? head.method;
  const query = ex.upstreamQuery ?? head.query;
  if (ex.run !== null) ex.sentUri = method + ' ' + path + query;
  const headers: OutgoingHttpHeaders = {
    ':method': method,
    ':path': path + query,
    ':scheme': scheme,
    ':authority': hostOf(ex, t),
  };
  const lnames = head.lnames;
  const values = head.values;
  const skip = head.skip;
  let via = '';
  let xff = '';
  let grpc = false;
  for (let i = 0; i < head.count; i++) {
    const k = skip[i];
    const l = lnames[i];
    if (k === Skip.Keep) {
      if (H2_REQUEST_DROPPED.has(l) || (bodyLength >= 0 && l === 'content-length')) continue;
      const v = values[i].trim();
      if (l === 'content-type' && v.toLowerCase().startsWith('application/grpc')) grpc = true;
      add(headers, l, v);
    } else if (k === Skip.Via) via = via === '' ? values[i] : via + ', ' + values[i];
    else if (k === Skip.Forwarded && l === 'x-forwarded-for') xff = xff === '' ? values[i] : xff + ', ' + values[i];
  }
  const conn = ex.conn;
  const trusted = conn.trusted;
  const ip = conn.clientIp;
  const listener = conn.listener;
  const realIp = trusted ? head.header('x-real-ip') : undefined;
  add(headers, 'x-real-ip', realIp !== undefined ? realIp : ip);
  add(headers, 'x-forwarded-for', trusted && xff !== '' ? xff + ', ' + ip : ip);
  add(headers, 'x-forwarded-proto', trusted && head.xfProtoIndex !== -1 ? values[head.xfProtoIndex] : listener.scheme);
  add(headers, 'x-forwarded-host', trusted && head.xfHostIndex !== -1 ? values[head.xfHostIndex] : head.hostname);
  add(
    headers,
    'x-forwarded-port',
    trusted && head.xfPortIndex !== -1 ? values[head.xfPortIndex] : String(listener.port),
  );
  add(headers, 'x-forwarded-path', trusted && head.xfPathIndex !== -1 ? values[head.xfPathIndex] : head.rawPath);
  if (trusted && head.xfPrefixIndex !== -1) add(headers, 'x-forwarded-prefix', values[head.xfPrefixIndex]);
  else if (t.route.stripPath && ex.matchLength > 1) {
    const prefix = head.path.slice(0, ex.matchLength);
    if (prefix !== '/') add(headers, 'x-forwarded-prefix', prefix);
  }
  const token = ex.ctx.serverToken;
  add(headers, 'via', via === '' ? '1.1 ' + token : via + ', 1.1 ' + token);
  if (bodyLength >= 0 && (bodyLength > 0 || head.chunked || head.contentLength !== -1))
    add(headers, 'content-length', String(bodyLength));
  if (grpc) headers['te'] = 'trailers';
  const chunked = bodyLength < 0 && head.chunked;
  return { headers, chunked, framed: chunked && ex.conn.http1, http10: head.httpMinor === 0 };
}
