// The request half of the plugin API (RequestApi): reads and edits of the request a plugin
// sees. Header edits are made on the request head in place (skip marks, appended fields);
// path, query, method and body changes are left with the exchange (PluginHost), which builds
// the upstream request from them. PluginRun (plugin-run.ts) adds the context and the phases.

import { Skip, type RequestHead } from '../http1/request-head.js';
import type { ConsumerRef, ConsumerStore, HeaderMap, Phase, PluginMetrics, RequestApi } from '../../plugins/sdk.js';
import { addToMap } from './header-list.js';
import { checkValue, CONSUMER_HEADERS, requestHeaderName, TOKEN } from './header-rules.js';

/** The parts of a request head the plugin API reads (a detached copy in the log phase). */
type HeadView = Pick<
  RequestHead,
  'method' | 'path' | 'rawPath' | 'query' | 'hostname' | 'count' | 'names' | 'lnames' | 'values' | 'skip'
>;

/** What the run needs from the exchange that owns it. */
export interface PluginHost {
  readonly head: RequestHead;
  readonly requestId: string;
  readonly clientIp: string;
  readonly scheme: 'http' | 'https';
  readonly port: number;
  readonly routeInfo: { id: string; name: string } | null;
  readonly consumerStore: ConsumerStore;
  readonly serviceInfo: { id: string; name: string } | null;
  /** Gateway-made response (short-circuit). */
  pluginRespond(status: number, body: Buffer, headers: [string, string][]): void;
  /** The rewrite and access phases are over and nobody answered: go upstream. */
  requestPhasesDone(): void;
  /** A handler threw, rejected or timed out. */
  pluginFailed(plugin: string, phase: Phase, err: unknown): void;
  upstreamPath: string | null;
  upstreamQuery: string | null;
  hostOverride: string | null;
  methodOverride: string | null;
  readonly pluginMetrics: PluginMetrics;
  /** Buffers the client's request body (see RequestApi.readBody). */
  readRequestBody(): Promise<Buffer>;
  /** Replaces the body sent upstream. */
  setRequestBody(body: Buffer): void;
}

export class PluginRequest implements RequestApi {
  /** The request head: the connection's live one, or a copy once the exchange is over. */
  protected h: HeadView;

  constructor(protected readonly owner: PluginHost) {
    this.h = owner.head;
  }

  /**
   * Copies what the plugin API reads from the request head: the connection reuses its head
   * for the next request, and the log phase runs after this exchange is over.
   */
  detach(): void {
    const h = this.h;
    const n = h.count;
    this.h = {
      method: h.method,
      path: h.path,
      rawPath: h.rawPath,
      query: h.query,
      hostname: h.hostname,
      count: n,
      names: [], // never read by the plugin API (only written by addHeader, pointless after the exchange)
      lnames: h.lnames.slice(0, n),
      values: h.values.slice(0, n),
      skip: h.skip.slice(0, n),
    };
  }

  /** The consumer headers `authenticate` sets on the upstream request, replacing the client's. */
  protected setConsumerHeaders(consumer: ConsumerRef, credential: { id: string } | null): void {
    // One pass drops whatever the client sent under these names (it must not pose as a
    // consumer), then the gateway's values are appended: every authenticated request does this.
    const h = this.h;
    for (let i = 0; i < h.count; i++)
      if (h.skip[i] === Skip.Keep && CONSUMER_HEADERS.has(h.lnames[i])) h.skip[i] = Skip.Removed;
    this.append('X-Consumer-ID', 'x-consumer-id', consumer.id);
    if (consumer.username !== null) this.append('X-Consumer-Username', 'x-consumer-username', consumer.username);
    if (consumer.custom_id !== null) this.append('X-Consumer-Custom-ID', 'x-consumer-custom-id', consumer.custom_id);
    if (credential !== null) this.append('X-Credential-Identifier', 'x-credential-identifier', credential.id);
    else this.append('X-Anonymous-Consumer', 'x-anonymous-consumer', 'true');
  }

  /** Appends a request header whose name is known to be valid (the value is still checked). */
  private append(name: string, lname: string, value: string): void {
    checkValue(name, value);
    this.push(name, lname, value);
  }

  // ── RequestApi ────────────────────────────────────────────────────────────
  get method(): string {
    return this.h.method;
  }
  get path(): string {
    return this.h.path;
  }
  get rawPath(): string {
    return this.h.rawPath;
  }
  get query(): string {
    return this.h.query;
  }
  get scheme(): 'http' | 'https' {
    return this.owner.scheme;
  }
  get host(): string {
    return this.h.hostname;
  }
  get port(): number {
    return this.owner.port;
  }
  get clientIp(): string {
    return this.owner.clientIp;
  }
  getHeader(name: string): string | undefined {
    const l = name.toLowerCase();
    const h = this.h;
    let out: string | undefined;
    for (let i = 0; i < h.count; i++) {
      if (h.lnames[i] === l && h.skip[i] !== Skip.Removed)
        out = out === undefined ? h.values[i] : out + ', ' + h.values[i];
    }
    return out;
  }
  setHeader(name: string, value: string): void {
    const l = requestHeaderName(name, value);
    checkValue(name, value);
    if (l === 'host') {
      this.owner.hostOverride = value;
      return;
    }
    this.removeLower(l);
    this.push(name, l, value);
  }
  addHeader(name: string, value: string): void {
    const l = requestHeaderName(name, value);
    checkValue(name, value);
    if (l === 'host') throw new Error(`header ${name} is managed by the gateway`);
    this.push(name, l, value);
  }
  protected push(name: string, l: string, value: string): void {
    const h = this.h;
    if (h.count >= h.skip.length) throw new Error('too many request headers');
    const n = h.count++;
    h.names[n] = name;
    h.lnames[n] = l;
    h.values[n] = value;
    h.skip[n] = Skip.Keep;
  }
  removeHeader(name: string): void {
    this.removeLower(name.toLowerCase());
  }
  private removeLower(l: string): void {
    const h = this.h;
    for (let i = 0; i < h.count; i++) if (h.lnames[i] === l && h.skip[i] === Skip.Keep) h.skip[i] = Skip.Removed;
  }
  getHeaders(): HeaderMap {
    const h = this.h;
    const map: HeaderMap = {};
    for (let i = 0; i < h.count; i++) if (h.skip[i] !== Skip.Removed) addToMap(map, h.lnames[i], h.values[i]);
    return map;
  }
  get upstreamMethod(): string {
    return this.owner.methodOverride ?? this.h.method;
  }
  setMethod(method: string): void {
    if (!TOKEN.test(method)) throw new Error(`setMethod: ${JSON.stringify(method)} is not a method name`);
    const m = method; // methods are case-sensitive (RFC 9110 §9.1): sent as given
    if (m === 'CONNECT') throw new Error('setMethod: CONNECT cannot be proxied');
    if ((m === 'HEAD') !== (this.h.method === 'HEAD'))
      throw new Error(
        'setMethod: a HEAD request stays HEAD and only a HEAD request can become one (the client expects a body, or none)',
      );
    this.owner.methodOverride = m === this.h.method ? null : m;
  }
  readBody(): Promise<Buffer> {
    return this.owner.readRequestBody();
  }
  setBody(body: Buffer | string): void {
    if (typeof body !== 'string' && !Buffer.isBuffer(body))
      throw new Error('setBody: the body must be a Buffer or a string');
    this.owner.setRequestBody(typeof body === 'string' ? Buffer.from(body) : body);
  }
  get upstreamQuery(): string {
    return this.owner.upstreamQuery ?? this.h.query;
  }
  getQueryArg(name: string): string | undefined {
    const q = this.owner.upstreamQuery ?? this.h.query;
    if (q.length < 2) return undefined;
    const v = new URLSearchParams(q.slice(1)).get(name);
    return v === null ? undefined : v;
  }
  setUpstreamPath(path: string): void {
    if (!path.startsWith('/') || /[\s\x00-\x1f\x7f]/.test(path))
      throw new Error(`setUpstreamPath: ${JSON.stringify(path)} is not an absolute path`);
    this.owner.upstreamPath = path;
  }
  setUpstreamQuery(query: string): void {
    if (query !== '' && (!query.startsWith('?') || /[\s\x00-\x1f\x7f#]/.test(query)))
      throw new Error(`setUpstreamQuery: ${JSON.stringify(query)} must be "" or start with "?"`);
    this.owner.upstreamQuery = query;
  }
}
