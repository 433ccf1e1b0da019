// An in-memory PluginContext for unit tests of the bundled plugins: a test double of the SDK
// interface (src/plugins/sdk.ts) that records what a handler did — upstream request headers,
// response headers, a short-circuit answer. `configure` validates a raw Kong-style config with
// the registry's own validation (upgrade, defaults) and then runs the plugin's `prepare`.

import assert from 'node:assert/strict';
import type {
  ConsumerRef,
  HeaderMap,
  Phase,
  PluginContext,
  PluginModule,
  RequestApi,
  ResponseApi,
} from '../../../../src/plugins/sdk.js';
import { PluginMetricsRegistry } from '../../../../src/observe/plugin-metrics.js';
import { validatePluginConfig } from '../../../../src/plugins/registry.js';

/** Case-insensitive header store keeping the last-set spelling of each name. */
export class Headers {
  private readonly map = new Map<string, { name: string; values: string[] }>();
  constructor(init: Record<string, string | string[]> = {}) {
    for (const [k, v] of Object.entries(init)) for (const one of Array.isArray(v) ? v : [v]) this.add(k, one);
  }
  get(name: string): string | undefined {
    const e = this.map.get(name.toLowerCase());
    return e ? e.values.join(', ') : undefined;
  }
  all(name: string): string[] {
    return this.map.get(name.toLowerCase())?.values ?? [];
  }
  set(name: string, value: string): void {
    this.map.set(name.toLowerCase(), { name, values: [value] });
  }
  add(name: string, value: string): void {
    const e = this.map.get(name.toLowerCase());
    if (e) e.values.push(value);
    else this.map.set(name.toLowerCase(), { name, values: [value] });
  }
  remove(name: string): void {
    this.map.delete(name.toLowerCase());
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  toMap(): HeaderMap {
    const o: HeaderMap = {};
    for (const [l, { values }] of this.map) o[l] = values.length === 1 ? values[0] : [...values];
    return o;
  }
  toObject(): Record<string, string> {
    const o: Record<string, string> = {};
    for (const { name, values } of this.map.values()) o[name.toLowerCase()] = values.join(', ');
    return o;
  }
}

export interface RequestInit {
  method?: string;
  path?: string;
  query?: string;
  scheme?: 'http' | 'https';
  host?: string;
  port?: number;
  clientIp?: string;
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
}

export interface Answer {
  status: number;
  body: string | Buffer | Record<string, unknown> | undefined;
  headers: Record<string, string>;
}

/** One request going through a plugin's phases. */
export class Exchange {
  readonly upstreamHeaders: Headers;
  readonly responseHeaders = new Headers();
  answer: Answer | null = null;
  upstreamPath: string;
  upstreamQuery: string;
  upstreamMethod: string;
  /** The body the upstream would get (the client's, or what a plugin set). */
  body: Buffer;
  status = 0;
  readonly metrics = new PluginMetricsRegistry();
  readonly shared: Record<string, unknown> = {};
  /** What the plugin logged through ctx.log, in order. */
  readonly logs: { level: 'info' | 'warn' | 'error'; msg: string }[] = [];
  readonly ctx: PluginContext;

  constructor(init: RequestInit = {}) {
    this.upstreamHeaders = new Headers(init.headers ?? {});
    const path = init.path ?? '/';
    const query = init.query ?? '';
    this.upstreamPath = path;
    this.upstreamQuery = query;
    this.upstreamMethod = init.method ?? 'GET';
    this.body = Buffer.from(init.body ?? '');
    const hdrs = this.upstreamHeaders;
    const params = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
    const self = this;
    const request: RequestApi = {
      method: init.method ?? 'GET',
      path,
      rawPath: path,
      query,
      scheme: init.scheme ?? 'http',
      host: init.host ?? 'gateway.test',
      port: init.port ?? 8000,
      clientIp: init.clientIp ?? '127.0.0.1',
      getHeader: (n) => hdrs.get(n),
      setHeader: (n, v) => hdrs.set(n, v),
      addHeader: (n, v) => hdrs.add(n, v),
      removeHeader: (n) => hdrs.remove(n),
      getQueryArg: (n) => params.get(n) ?? undefined,
      setUpstreamPath: (p) => {
        self.upstreamPath = p;
      },
      setUpstreamQuery: (q) => {
        self.upstreamQuery = q;
      },
      get upstreamQuery() {
        return self.upstreamQuery;
      },
      getHeaders: () => hdrs.toMap(),
      get upstreamMethod() {
        return self.upstreamMethod;
      },
      setMethod: (m) => {
        self.upstreamMethod = m;
      },
      readBody: async () => self.body,
      setBody: (b) => {
        self.body = typeof b === 'string' ? Buffer.from(b) : b;
      },
    };
    const rh = this.responseHeaders;
    const response: ResponseApi = {
      get status() {
        return self.status;
      },
      setStatus: (st) => {
        self.status = st;
      },
      getHeader: (n) => rh.get(n),
      getHeaders: () => rh.toMap(),
      setHeader: (n, v) => rh.set(n, v),
      addHeader: (n, v) => rh.add(n, v),
      removeHeader: (n) => rh.remove(n),
    };
    let consumer: ConsumerRef | null = null;
    let credential: { id: string } | null = null;
    this.ctx = {
      request,
      get response() {
        return self.status === 0 ? null : response;
      },
      route: { id: 'r-1', name: 'route-1' },
      service: { id: 's-1', name: 'service-1' },
      get consumer() {
        return consumer;
      },
      set consumer(c) {
        consumer = c;
      },
      get credential() {
        return credential;
      },
      set credential(c) {
        credential = c;
      },
      shared: this.shared,
      // No consumers in these unit tests; auth plugins are tested end to end.
      consumers: { transform: true, findConsumer: () => null, findCredential: () => null, credentialsOf: () => [] },
      authenticate(c: ConsumerRef, cred: { id: string } | null) {
        consumer = c;
        credential = cred;
      },
      requestId: 'req-1',
      log: {
        info: (msg) => self.logs.push({ level: 'info', msg }),
        warn: (msg) => self.logs.push({ level: 'warn', msg }),
        error: (msg) => self.logs.push({ level: 'error', msg }),
      },
      outcome: null,
      metrics: this.metrics,
      respond(status, body, headers) {
        assert.equal(self.answer, null, 'respond() called twice');
        self.answer = { status, body, headers: { ...(headers ?? {}) } };
      },
    };
  }

  /** Moves to the response phase with the upstream's status and headers. */
  upstreamAnswered(status: number, headers: Record<string, string> = {}): this {
    this.status = status;
    for (const [k, v] of Object.entries(headers)) this.responseHeaders.add(k, v);
    return this;
  }
}

/**
 * Validates a raw config as the registry does (upgrade, defaults filled in), then runs
 * `prepare`. Throws on schema errors. What `prepare` warns about is pushed onto `warnings`.
 */
export function configure(plugin: PluginModule, raw: Record<string, unknown> = {}, warnings: string[] = []): unknown {
  const { config, errors } = validatePluginConfig(plugin, raw);
  // "schema: /a/b message", the field as a JSON pointer.
  if (errors.length > 0)
    throw new Error(`schema: ${errors.map((e) => `/${e.field.split('.').join('/')} ${e.message}`).join('; ')}`);
  return plugin.prepare ? plugin.prepare(config, { warn: (m) => warnings.push(m) }) : config;
}

/** The defaulted config, without prepare (to assert Kong's defaults). */
export function defaults(plugin: PluginModule, raw: Record<string, unknown> = {}): Record<string, unknown> {
  const { config, errors } = validatePluginConfig(plugin, raw);
  assert.deepEqual(errors, []);
  return config;
}

export async function run(
  plugin: PluginModule,
  phase: Exclude<Phase, 'body'>,
  ex: Exchange,
  conf: unknown,
): Promise<void> {
  const h = plugin.phases[phase];
  assert.ok(h, `${plugin.name} has no ${phase} phase`);
  await h(ex.ctx, conf);
}

/** Runs a plugin's body phase over `pieces` of an upstream body; returns what the client would get (null: no filter). */
export async function filterBody(
  plugin: PluginModule,
  ex: Exchange,
  conf: unknown,
  pieces: (Buffer | string)[],
  trailers: HeaderMap = {},
): Promise<Buffer | null> {
  const h = plugin.phases.body;
  assert.ok(h, `${plugin.name} has no body phase`);
  const f = h(ex.ctx, conf);
  if (f === null || f === undefined) return null;
  const out: Buffer[] = [];
  for (const p of pieces) {
    const o = await f.chunk(Buffer.from(p));
    if (o) out.push(o);
  }
  const last = await f.end(trailers);
  if (last) out.push(last);
  return Buffer.concat(out);
}
