// One request's run through its route's plugin chain: the PluginContext the handlers see,
// header edits applied to the request head in place, phases walked in order with async
// handlers awaited (and bounded by a timeout), consumer-scoped configurations picked as
// soon as a consumer is known. Only requests whose route has plugins create one.

import { Skip, type RequestHead } from '../http1/request-head.js';
import type { ChainSlot, PluginChain, PluginInstance } from '../../plugins/chain/types.js';
import type {
  ConsumerRef,
  ConsumerStore,
  HeaderMap,
  Phase,
  PluginContext,
  PluginLogger,
  PluginMetrics,
  RequestApi,
  RequestOutcome,
  ResponseApi,
} from '../../plugins/sdk.js';
import type { NamedFilter } from './body-pipeline.js';
import { unwatch, watch, type Expirable } from '../clock.js';
import { processLog } from '../../observe/logger.js';

/** The parts of a request head the plugin API reads (a detached copy in the log phase). */
type HeadView = Pick<
  RequestHead,
  'method' | 'path' | 'rawPath' | 'query' | 'hostname' | 'count' | 'names' | 'lnames' | 'values' | 'skip'
>;

/** Adds a header to a Kong-style map: lower-case names, repeated headers as arrays. */
export function addToMap(map: HeaderMap, lname: string, value: string): void {
  const cur = map[lname];
  if (cur === undefined) map[lname] = value;
  else if (typeof cur === 'string') map[lname] = [cur, value];
  else cur.push(value);
}

/** Apart from the log loop, whose bindings a closure would otherwise capture on every request. */
function reportLogFailure(p: Promise<void>, plugin: string, requestId: string): void {
  p.catch((err: unknown) =>
    writeLog('error', plugin, requestId, 'plugin failed in the log phase', { error: (err as Error)?.message }),
  );
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Async handlers that take longer than this fail their request with a 500. */
export const PLUGIN_TIMEOUT_MS = 10_000;

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

function writeLog(
  level: 'info' | 'warn' | 'error',
  plugin: string,
  requestId: string,
  msg: string,
  fields?: Record<string, unknown>,
): void {
  processLog()[level]({ plugin, request_id: requestId, ...fields }, msg);
}

/**
 * A response head as editable name/value pairs (response phase only). The upstream's header
 * lines stay an unparsed string until a plugin reads or replaces one of them: the usual edit,
 * adding headers the upstream did not send, then costs a search instead of a parse and a
 * re-serialisation of every header (measured on the rate-limiting response phase).
 */
export class HeaderList implements ResponseApi {
  /** Upstream lines not parsed yet ("Name: value\r\n"…); '' once parsed (or when there were none). */
  private raw: string;
  /** `raw` lower-cased, with a leading CRLF, for searching; built on the first lookup. */
  private rawLower: string | null = null;
  /** The headers: parsed upstream ones (once parsed) then additions, in order. */
  readonly names: string[] = [];
  readonly values: string[] = [];

  constructor(
    public status: number,
    raw = '',
  ) {
    this.raw = raw;
  }

  setStatus(status: number): void {
    if (!Number.isInteger(status) || status < 200 || status > 599)
      throw new Error(`setStatus: invalid status ${status}; use an integer from 200 to 599`);
    if (this.status === 101) throw new Error('setStatus: a WebSocket handshake (101) keeps its status');
    this.status = status;
  }

  static fromLines(status: number, lines: string): HeaderList {
    return new HeaderList(status, lines);
  }

  /** Whether the unparsed upstream lines hold a header named `lname`. */
  private inRaw(lname: string): boolean {
    if (this.raw === '') return false;
    const low = (this.rawLower ??= '\n' + this.raw.toLowerCase());
    // Occurrences of the name that start a line and end at its colon (no pattern string built).
    for (let at = low.indexOf(lname, 1); at !== -1; at = low.indexOf(lname, at + 1)) {
      if (low.charCodeAt(at - 1) === 10 /* \n */ && low.charCodeAt(at + lname.length) === 58 /* : */) return true;
    }
    return false;
  }

  /** Parses the upstream lines in front of the additions made so far. */
  private parse(): void {
    const lines = this.raw;
    if (lines === '') return;
    this.raw = '';
    this.rawLower = null;
    const addedNames = this.names.splice(0);
    const addedValues = this.values.splice(0);
    let pos = 0;
    while (pos < lines.length) {
      const e = lines.indexOf('\r\n', pos);
      const colon = lines.indexOf(':', pos);
      this.names.push(lines.slice(pos, colon));
      this.values.push(lines.slice(colon + 1, e).trim());
      pos = e + 2;
    }
    for (let i = 0; i < addedNames.length; i++) {
      this.names.push(addedNames[i]);
      this.values.push(addedValues[i]);
    }
  }

  toLines(): string {
    let s = this.raw;
    for (let i = 0; i < this.names.length; i++) s += this.names[i] + ': ' + this.values[i] + '\r\n';
    return s;
  }

  getHeader(name: string): string | undefined {
    const l = name.toLowerCase();
    if (this.inRaw(l)) this.parse();
    let out: string | undefined;
    for (let i = 0; i < this.names.length; i++) {
      const n = this.names[i];
      if (n.length === l.length && n.toLowerCase() === l)
        out = out === undefined ? this.values[i] : out + ', ' + this.values[i];
    }
    return out;
  }
  getHeaders(): HeaderMap {
    this.parse();
    const map: HeaderMap = {};
    for (let i = 0; i < this.names.length; i++) addToMap(map, this.names[i].toLowerCase(), this.values[i]);
    return map;
  }
  setHeader(name: string, value: string): void {
    const l = checkedName(name);
    checkValue(name, value);
    this.removeLower(l);
    this.names.push(name);
    this.values.push(value);
  }
  addHeader(name: string, value: string): void {
    checkedName(name);
    checkValue(name, value);
    this.names.push(name);
    this.values.push(value);
  }
  removeHeader(name: string): void {
    this.removeLower(name.toLowerCase());
  }
  private removeLower(l: string): void {
    if (this.inRaw(l)) this.parse();
    for (let i = this.names.length - 1; i >= 0; i--) {
      const n = this.names[i];
      if (n.length === l.length && n.toLowerCase() === l) {
        this.names.splice(i, 1);
        this.values.splice(i, 1);
      }
    }
  }
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * Names that passed the check, with their lower-case form: plugins set the same few names on
 * every request, so the name is checked and lower-cased once.
 */
const checkedNames = new Map<string, string>();

/** A plugin must not be able to set an invalid header name, or one the gateway manages. */
function checkedName(name: string): string {
  const known = checkedNames.get(name);
  if (known !== undefined) return known;
  if (!HEADER_NAME.test(name)) throw new Error(`invalid header name ${JSON.stringify(name)}`);
  const l = name.toLowerCase();
  if (RESERVED.has(l)) throw new Error(`header ${name} is managed by the gateway`);
  if (checkedNames.size < 4096) checkedNames.set(name, l);
  return l;
}

/**
 * Request headers: as checkedName, except that `TE: trailers` is the one TE a plugin may send
 * (gRPC requires it; the HTTP/2 upstream bridge keeps it).
 */
function requestHeaderName(name: string, value: string): string {
  if (name.length === 2 && name.toLowerCase() === 'te' && value.trim().toLowerCase() === 'trailers') return 'te';
  return checkedName(name);
}

/** A plugin must not be able to inject a header line: no control characters but tab (a loop: cheaper than a pattern on short values). */
function checkValue(name: string, value: string): void {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127)
      throw new Error(`invalid value for header ${name}: control characters are not allowed`);
  }
}

/** Both checks, for headers set on the request. */
function checkHeader(name: string, value: string): void {
  if (!HEADER_NAME.test(name)) throw new Error(`invalid header name ${JSON.stringify(name)}`);
  checkValue(name, value);
}

/** The headers `authenticate` owns on the upstream request. */
const CONSUMER_HEADERS = new Set([
  'x-consumer-id',
  'x-consumer-username',
  'x-consumer-custom-id',
  'x-credential-identifier',
  'x-anonymous-consumer',
]);

/** Hop-by-hop and framing headers are the gateway's; plugins cannot set them. */
const RESERVED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);

export class PluginRun implements PluginContext, RequestApi, Expirable {
  consumer: ConsumerRef | null = null;
  credential: { id: string } | null = null;
  private sharedData: Record<string, unknown> | null = null;
  response: HeaderList | null = null;
  outcome: RequestOutcome | null = null;
  private logger: PluginLogger | null = null;
  private current = '';
  private answered = false;
  /** While an async handler runs: when it times out (Date.now() scale, swept by the clock); 0 = none. */
  deadline = 0;
  /** The plugin and phase of the async handler being waited for. */
  private waitingFor: { plugin: string; phase: Phase } | null = null;
  /** The request head: the connection's live one, or a copy once the exchange is over. */
  private h: HeadView;

  constructor(
    readonly chain: PluginChain,
    private readonly owner: PluginHost,
  ) {
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

  get metrics(): PluginMetrics {
    return this.owner.pluginMetrics;
  }

  get shared(): Record<string, unknown> {
    return (this.sharedData ??= {});
  }

  /** Created on first use: most requests never log from a plugin. */
  get log(): PluginLogger {
    if (this.logger === null) {
      const owner = this.owner;
      const self = this;
      this.logger = {
        info: (msg, fields) => writeLog('info', self.current, owner.requestId, msg, fields),
        warn: (msg, fields) => writeLog('warn', self.current, owner.requestId, msg, fields),
        error: (msg, fields) => writeLog('error', self.current, owner.requestId, msg, fields),
      };
    }
    return this.logger;
  }

  // ── PluginContext ─────────────────────────────────────────────────────────
  get request(): RequestApi {
    return this;
  }
  get route(): { id: string; name: string } | null {
    return this.owner.routeInfo;
  }
  get service(): { id: string; name: string } | null {
    return this.owner.serviceInfo;
  }
  get requestId(): string {
    return this.owner.requestId;
  }
  get consumers(): ConsumerStore {
    return this.owner.consumerStore;
  }

  authenticate(consumer: ConsumerRef, credential: { id: string } | null): void {
    this.consumer = consumer;
    this.credential = credential;
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

  respond(status: number, body?: string | Buffer | Record<string, unknown>, headers?: Record<string, string>): void {
    if (this.answered) throw new Error('respond() called twice');
    if (!Number.isInteger(status) || status < 100 || status > 599)
      throw new Error(`respond(): invalid status ${status}`);
    this.answered = true;
    const list: [string, string][] = [];
    let payload: Buffer;
    let type: string | null = null;
    if (body === undefined || body === null) payload = Buffer.alloc(0);
    else if (Buffer.isBuffer(body)) payload = body;
    else if (typeof body === 'string') {
      payload = Buffer.from(body);
      type = 'text/plain; charset=utf-8';
    } else {
      payload = Buffer.from(JSON.stringify(body));
      type = 'application/json; charset=utf-8';
    }
    let hasType = false;
    if (headers !== undefined) {
      for (const [k, v] of Object.entries(headers)) {
        if (RESERVED.has(k.toLowerCase())) continue;
        checkHeader(k, String(v));
        if (k.toLowerCase() === 'content-type') hasType = true;
        list.push([k, String(v)]);
      }
    }
    if (!hasType && type !== null) list.unshift(['Content-Type', type]);
    this.owner.pluginRespond(status, payload, list);
  }

  get shortCircuited(): boolean {
    return this.answered;
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
  private push(name: string, l: string, value: string): void {
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

  // ── Running phases ────────────────────────────────────────────────────────
  /** The instance of a slot that applies to this request (consumer-scoped first). */
  private pick(slot: ChainSlot): PluginInstance | null {
    if (this.consumer !== null && slot.byConsumer !== null) {
      const c = slot.byConsumer.get(this.consumer.id);
      if (c !== undefined) return c;
    }
    return slot.base;
  }

  /**
   * Runs the rewrite then access phases; calls the host's `requestPhasesDone` when the request may go upstream.
   * Does not call it when a plugin answered or failed (the host was told).
   */
  runRequestPhases(): void {
    this.walk('rewrite', this.chain.rewrite, 0);
  }

  /** Runs `slots` from `from`; then the access phase after rewrite, or tells the host it may proxy. (No closures: this runs per request.) */
  private walk(phase: 'rewrite' | 'access', slots: readonly ChainSlot[], from: number): void {
    for (let i = from; i < slots.length; i++) {
      if (this.answered) return;
      const inst = this.pick(slots[i]);
      if (inst === null) continue;
      const fn = inst.module.phases[phase]!;
      this.current = inst.name;
      let r: void | Promise<void>;
      try {
        r = fn(this, inst.conf);
      } catch (err) {
        if (!this.answered) this.owner.pluginFailed(inst.name, phase, err);
        return;
      }
      if (r !== undefined && r !== null && typeof (r as Promise<void>).then === 'function') {
        this.await(r as Promise<void>, inst.name, phase, slots, i);
        return;
      }
    }
    if (this.answered) return;
    if (phase === 'rewrite') this.walk('access', this.chain.access, 0);
    else this.owner.requestPhasesDone();
  }

  /**
   * An async handler: the walk goes on from the next slot when it settles. Apart from `walk`
   * so that the walk's loop captures nothing (a closure over the loop's bindings would cost
   * a context per iteration on every request, async or not).
   */
  private await(
    p: Promise<void>,
    plugin: string,
    phase: 'rewrite' | 'access',
    slots: readonly ChainSlot[],
    i: number,
  ): void {
    // The worker's sweep clock bounds the wait: cheaper than a timer per request.
    this.deadline = Date.now() + PLUGIN_TIMEOUT_MS;
    this.waitingFor = { plugin, phase };
    watch(this);
    p.then(
      () => {
        if (this.waitingFor === null) return; // timed out or cancelled already
        this.stopWaiting();
        this.walk(phase, slots, i + 1);
      },
      (err: unknown) => {
        if (this.waitingFor === null) return;
        this.stopWaiting();
        if (!this.answered) {
          this.answered = true;
          this.owner.pluginFailed(plugin, phase, err);
        }
      },
    );
  }

  /** Response phase (synchronous, as Kong's header_filter): edits `headers` in place. Returns false if a handler threw. */
  runResponse(headers: HeaderList): boolean {
    this.response = headers;
    const slots = this.chain.response;
    for (let i = 0; i < slots.length; i++) {
      const inst = this.pick(slots[i]);
      if (inst === null) continue;
      this.current = inst.name;
      try {
        const r = inst.module.phases.response!(this, inst.conf);
        if (r !== undefined && r !== null && typeof (r as Promise<void>).then === 'function') {
          this.log.warn('the response phase cannot wait for a promise; its result is ignored');
          (r as Promise<void>).catch(() => {});
        }
      } catch (err) {
        writeLog(
          'error',
          inst.name,
          this.owner.requestId,
          'plugin failed in the response phase; response headers sent as they were',
          { error: (err as Error).message },
        );
        return false;
      }
    }
    return true;
  }

  /**
   * The body phase: asks each body plugin (after the response phase, headers still editable)
   * for a filter. A handler that throws is logged and skipped: the body goes out unfiltered
   * by it.
   */
  openBodyFilters(headers: HeaderList): NamedFilter[] {
    this.response = headers;
    const out: NamedFilter[] = [];
    const slots = this.chain.body;
    for (let i = 0; i < slots.length; i++) {
      const inst = this.pick(slots[i]);
      if (inst === null) continue;
      this.current = inst.name;
      try {
        const f = inst.module.phases.body!(this, inst.conf);
        if (f !== null && f !== undefined) {
          if (typeof f.chunk !== 'function' || typeof f.end !== 'function')
            throw new Error('the body phase must return { chunk, end } or null');
          out.push({ plugin: inst.name, filter: f });
        }
      } catch (err) {
        writeLog('error', inst.name, this.owner.requestId, 'plugin failed in the body phase; its filter is skipped', {
          error: (err as Error).message,
        });
      }
    }
    return out;
  }

  /**
   * Log phase, after the response: errors are logged, never surfaced. Returns true when a
   * handler is still running (returned a promise): it may read the request later.
   */
  runLog(outcome: RequestOutcome): boolean {
    this.outcome = outcome;
    let pending = false;
    const slots = this.chain.log;
    for (let i = 0; i < slots.length; i++) {
      const inst = this.pick(slots[i]);
      if (inst === null) continue;
      this.current = inst.name;
      try {
        const r = inst.module.phases.log!(this, inst.conf);
        if (r !== undefined && r !== null && typeof (r as Promise<void>).then === 'function') {
          pending = true;
          reportLogFailure(r as Promise<void>, inst.name, this.owner.requestId);
        }
      } catch (err) {
        writeLog('error', inst.name, this.owner.requestId, 'plugin failed in the log phase', {
          error: (err as Error).message,
        });
      }
    }
    return pending;
  }

  private stopWaiting(): void {
    this.waitingFor = null;
    this.deadline = 0;
    unwatch(this);
  }

  /** The clock's sweep: an async handler took longer than PLUGIN_TIMEOUT_MS. */
  expire(): void {
    const w = this.waitingFor;
    if (w === null) return;
    this.stopWaiting();
    if (!this.answered) {
      this.answered = true;
      this.owner.pluginFailed(w.plugin, w.phase, new Error(`timed out after ${PLUGIN_TIMEOUT_MS} ms`));
    }
  }

  cancel(): void {
    if (this.waitingFor !== null) this.stopWaiting();
    this.answered = true;
  }
}
