// The request head sent upstream, built once per attempt from the client's head (raw pairs,
// with the skip marks the parser and the plugins left), the route's path rules, the plugins'
// overrides and the forwarding headers (X-Forwarded-*, X-Real-IP, Via).

import { Skip, type RequestHead } from '../http1/request-head.js';
import type { WorkerContext } from '../context.js';
import { buildUpstreamPath } from '../../router/upstream-path.js';
import type { Downstream } from './downstream.js';
import type { UpstreamCall } from './upstream-call.js';

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

/**
 * The request head for `call`'s endpoint. `bodyLength` ≥ 0: the body goes from memory with
 * that Content-Length; -1: it streams as the client frames it.
 */
export function buildUpstreamHead(ex: UpstreamHeadSource, call: UpstreamCall, bodyLength: number): string {
  const head = ex.head;
  const route = call.route;
  const svc = call.service;
  const ep = call.endpoint;
  const path =
    ex.upstreamPath ?? buildUpstreamPath(svc.path, head.path, ex.matchLength, route.stripPath, route.pathHandling);
  const host = ex.hostOverride ?? (route.preserveHost && head.host !== '' ? head.host : svc.cluster.hostHeader(ep));
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
