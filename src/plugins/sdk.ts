// The plugin SDK: what a plugin author writes against. A plugin is a folder exporting
// `definePlugin({...})`; the engine never names a plugin, it runs the precompiled chain of a
// route. Phases, in order: `rewrite` (global plugins only, as in Kong), `access` (may
// authenticate, may answer the request itself, may read and replace the request body),
// `response` (upstream status and headers, before they reach the client), `body` (opt-in:
// a filter over the upstream response body as it streams), `log` (after the response, off
// the request path).

import type { Static, TSchema } from '@sinclair/typebox';

export type Phase = 'rewrite' | 'access' | 'response' | 'body' | 'log';
export const PHASES: readonly Phase[] = ['rewrite', 'access', 'response', 'body', 'log'];

/**
 * Hop-by-hop and framing headers: the gateway's own, on both sides of a request. Plugins
 * cannot set them (the engine refuses) and plugins that copy or store headers leave them out.
 */
export const GATEWAY_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);

/** Headers as Kong's `get_headers()` gives them: lower-case names, repeated headers as arrays. */
export type HeaderMap = Record<string, string | string[]>;

/** The client's request, as it will be sent upstream. Header names are case-insensitive. */
export interface RequestApi {
  readonly method: string;
  /** Normalized path (what routing saw), without the query. */
  readonly path: string;
  /** Path exactly as the client sent it. */
  readonly rawPath: string;
  /** Query string including its "?", or "". */
  readonly query: string;
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  /** The client's address (the peer's, or from X-Forwarded-For when it is in trusted_ips). */
  readonly clientIp: string;
  /**
   * A header of the client's request (with earlier plugins' edits), repeated ones joined with
   * ", ". Connection-level headers (Transfer-Encoding, Expect, Connection…) are visible, as in
   * Kong, though the gateway re-frames the request it sends upstream.
   */
  getHeader(name: string): string | undefined;
  /** Sets a header for the upstream request, replacing every existing one of that name. */
  setHeader(name: string, value: string): void;
  addHeader(name: string, value: string): void;
  removeHeader(name: string): void;
  getQueryArg(name: string): string | undefined;
  /** Replaces the path sent upstream (after strip_path and the service path were applied). */
  setUpstreamPath(path: string): void;
  /** Replaces the query string sent upstream ("" or "?a=1"). */
  setUpstreamQuery(query: string): void;
  /**
   * The query string that will be sent upstream: the client's, or what an earlier plugin set.
   * Plugins that edit the query start from this, so that their edits add up.
   */
  readonly upstreamQuery: string;
  /** Every header the upstream will get from the client's request (after earlier plugins' edits). */
  getHeaders(): HeaderMap;
  /** The method sent upstream: the client's, or what a plugin set. */
  readonly upstreamMethod: string;
  /** Replaces the method sent upstream (a token such as "POST"; CONNECT is refused, HEAD only for HEAD requests). */
  setMethod(method: string): void;
  /**
   * The whole request body, de-chunked (rewrite and access phases). The gateway reads it from
   * the client before anything goes upstream and sends it with a Content-Length. Bodies over
   * the node's `client_body_buffer_limit` get a 413 and the handler's promise never settles.
   * Calls after the first return the same bytes (or what `setBody` put in their place).
   */
  readBody(): Promise<Buffer>;
  /** Replaces the body sent upstream (rewrite and access phases). The client's body is read and dropped. */
  setBody(body: Buffer | string): void;
}

/** The response head about to go to the client (response phase) or that went (log phase). */
export interface ResponseApi {
  readonly status: number;
  /**
   * Replaces the status sent to the client (response and body phases; 200–599), e.g. a gRPC
   * error turned into its HTTP equivalent. The access log and metrics see the new status.
   */
  setStatus(status: number): void;
  getHeader(name: string): string | undefined;
  getHeaders(): HeaderMap;
  setHeader(name: string, value: string): void;
  addHeader(name: string, value: string): void;
  removeHeader(name: string): void;
}

export interface ConsumerRef {
  id: string;
  username: string | null;
  custom_id: string | null;
}

/** A credential found for a consumer: the stored entity (e.g. `{ id, key }` for key-auth). */
export interface CredentialMatch {
  consumer: ConsumerRef;
  credential: Record<string, unknown> & { id: string };
}

/** Read access to the configuration's consumers and their credentials (indexed once per config). */
export interface ConsumerStore {
  /**
   * Kong's `_transform`: true (the default) when credential secrets in the file are plaintext,
   * to be transformed (hashed) by the plugin; false when they are stored already transformed.
   */
  readonly transform: boolean;
  /** A consumer by id, username or custom_id (e.g. the `anonymous` setting of auth plugins). */
  findConsumer(idOrName: string): ConsumerRef | null;
  /**
   * The credential of kind `kind` (Kong's nested key: `keyauth_credentials`,
   * `basicauth_credentials`, `jwt_secrets`, `hmacauth_credentials`, `acls`, …) whose `field`
   * equals `value`, with its consumer. Exact, case-sensitive match.
   */
  findCredential(kind: string, field: string, value: string): CredentialMatch | null;
  /** Every credential of a kind for one consumer (e.g. its `acls` groups). */
  credentialsOf(consumerId: string, kind: string): readonly (Record<string, unknown> & { id: string })[];
}

export interface PluginLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Timings and outcome, for the log phase. */
export interface RequestOutcome {
  status: number;
  /** When the request's head had been read, ms since the epoch (fractional). */
  startedAt: number;
  latencyMs: number;
  upstreamLatencyMs: number | null;
  bytesIn: number;
  bytesOut: number;
  /** "host:port" of the target that answered, or null. */
  target: string | null;
  /** Status the upstream answered with, or null when the request never got an answer from one. */
  upstreamStatus: number | null;
  /** Method, path and query sent upstream ("GET /users?id=1"), or null when nothing was sent. */
  upstreamUri: string | null;
  /** Response headers as sent to the client. */
  responseHeaders: HeaderMap;
  /** Request headers as sent upstream (after plugins' edits). */
  requestHeaders: HeaderMap;
  /** Why the request failed, when it did (the access log's `error`), else "". */
  error: string;
  /** The protocol the client spoke: "HTTP/1.1", "HTTP/1.0" or "HTTP/2.0" (an HTTP/2 stream). */
  protocol: string;
}

/**
 * A filter over the upstream response body (the `body` phase). `chunk` gets each piece as it
 * arrives and returns what to send on (null: nothing yet); `end` returns the last bytes and
 * sees the upstream's trailers (chunked trailer fields, e.g. gRPC's `grpc-status`). A
 * returned promise pauses the upstream until it settles, so a filter may be asynchronous
 * (e.g. zlib). When any filter is active the gateway drops Content-Length and sends the
 * body chunked (HTTP/1.1) or close-delimited (HTTP/1.0).
 */
export interface BodyFilter {
  chunk(data: Buffer): Buffer | null | Promise<Buffer | null>;
  /**
   * `trailers`: the upstream response's trailer fields (lower-case names; empty when there
   * were none), shared by the filters in order. Edit it in place (delete, set) to change what
   * follows the body: what is left goes to the client as trailers (HTTP/1.1 chunked, or
   * HTTP/2 trailers through the HTTP/2 listener); an HTTP/1.0 client never gets trailers.
   */
  end(trailers: HeaderMap): Buffer | null | Promise<Buffer | null>;
  /** Optional: the response was abandoned before `end` (client gone, upstream failed, another filter failed); free resources. */
  abort?(): void;
}

/** A counter in the plugin metrics (summed over the workers, on the status listener's /metrics). */
export interface CounterMetric {
  inc(labelValues: readonly string[], by?: number): void;
  /**
   * The series of these label values, looked up once (as prom-client's `labels()`): keep it
   * when the same series is updated on every request, then `inc` is an array write.
   */
  labels(labelValues: readonly string[]): BoundCounter;
}

/** One counter series (CounterMetric.labels). */
export interface BoundCounter {
  inc(by?: number): void;
}

/** One histogram series (HistogramMetric.labels). */
export interface BoundHistogram {
  observe(value: number): void;
}

/** A histogram in the plugin metrics; `observe` takes the value in the unit the metric's name says. */
export interface HistogramMetric {
  observe(labelValues: readonly string[], value: number): void;
  /** The series of these label values, looked up once (see CounterMetric.labels). */
  labels(labelValues: readonly string[]): BoundHistogram;
}

/**
 * Metrics a plugin exports. Asking twice for the same name returns the same metric; asking
 * with other labels or another type throws. Names follow Prometheus' rules.
 */
export interface PluginMetrics {
  counter(name: string, help: string, labelNames: readonly string[]): CounterMetric;
  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): HistogramMetric;
}

export interface PluginContext {
  readonly request: RequestApi;
  /** Present in the response and log phases. */
  readonly response: ResponseApi | null;
  readonly route: { readonly id: string; readonly name: string } | null;
  readonly service: { readonly id: string; readonly name: string } | null;
  /** Set by an authentication plugin; later plugins (and consumer-scoped configs) see it. */
  consumer: ConsumerRef | null;
  /** The credential that authenticated the consumer (its id), set with `consumer`. */
  credential: { id: string } | null;
  /** Consumers and credentials of the running configuration. */
  readonly consumers: ConsumerStore;
  /**
   * Marks the request as authenticated (Kong's kong.client.authenticate plus the upstream
   * headers Kong's auth plugins set): sets `consumer` and `credential`, and sends
   * X-Consumer-ID, X-Consumer-Username, X-Consumer-Custom-ID and X-Credential-Identifier
   * upstream (an anonymous consumer gets X-Anonymous-Consumer: true instead of a credential).
   */
  authenticate(consumer: ConsumerRef, credential: { id: string } | null): void;
  /** Per-request scratch space shared by all plugins (Kong's kong.ctx.shared). */
  readonly shared: Record<string, unknown>;
  readonly requestId: string;
  readonly log: PluginLogger;
  /** Present in the log phase. */
  readonly outcome: RequestOutcome | null;
  /** This worker's plugin metrics. */
  readonly metrics: PluginMetrics;
  /**
   * Answers the request from the gateway (rewrite and access phases): nothing is sent
   * upstream and the remaining rewrite/access handlers are skipped. Objects are sent as JSON;
   * a string `message` mirrors Kong's `kong.response.exit(status, { message })`.
   */
  respond(status: number, body?: string | Buffer | Record<string, unknown>, headers?: Record<string, string>): void;
}

/** What `prepare` gets besides the config. */
export interface PrepareEnv {
  /**
   * Reports a problem that does not stop the configuration from loading, e.g. a file the
   * plugin reads lazily that is not there yet. `turnpike validate` and the gateway (at start
   * and on each reload) print it with the plugin's name and where it is configured.
   */
  warn(message: string): void;
}

export type PhaseHandler<Conf> = (ctx: PluginContext, conf: Conf) => void | Promise<void>;

/**
 * The body phase: called right after the response phase (headers still editable through
 * `ctx.response`), for upstream responses only. Returns a filter to see or change the body,
 * or null to leave it alone.
 */
export type BodyPhaseHandler<Conf> = (ctx: PluginContext, conf: Conf) => BodyFilter | null | undefined;

export interface PhaseHandlers<Conf> {
  rewrite?: PhaseHandler<Conf>;
  access?: PhaseHandler<Conf>;
  response?: PhaseHandler<Conf>;
  body?: BodyPhaseHandler<Conf>;
  log?: PhaseHandler<Conf>;
}

export interface PluginSpec<S extends TSchema, Conf> {
  /** Kong's name where Kong has the plugin (`key-auth`, `rate-limiting`, …). */
  name: string;
  version: string;
  /** Kong's priority: higher runs first within a phase. */
  priority: number;
  /** TypeBox schema of the plugin's `config` object, with defaults; the single source of truth. */
  schema: S;
  /**
   * Optional: turns the validated config into what the handlers get (compiled regexes,
   * lookup tables, clients). Runs once per plugin instance when a configuration loads; throw
   * to refuse the configuration, or call `env.warn` to load it with a warning.
   */
  prepare?: (config: Static<S>, env: PrepareEnv) => Conf;
  /** Optional: rewrites Kong's older field shapes into the schema's (e.g. flat `redis_host` → `redis.host`). */
  upgrade?: (config: Record<string, unknown>) => Record<string, unknown>;
  phases: PhaseHandlers<Conf>;
}

/** What the registry holds: a plugin with its schema erased to plain types. */
export interface PluginModule {
  readonly name: string;
  readonly version: string;
  readonly priority: number;
  readonly schema: TSchema;
  readonly prepare: ((config: unknown, env: PrepareEnv) => unknown) | null;
  readonly upgrade: ((config: Record<string, unknown>) => Record<string, unknown>) | null;
  readonly phases: PhaseHandlers<unknown>;
}

/** Declares a plugin. `Conf` defaults to the schema's static type when there is no `prepare`. */
export function definePlugin<S extends TSchema, Conf = Static<S>>(spec: PluginSpec<S, Conf>): PluginModule {
  if (!/^[a-z][a-z0-9-]*$/.test(spec.name))
    throw new Error(`plugin name "${spec.name}": use lower case letters, digits and dashes`);
  if (!Number.isInteger(spec.priority)) throw new Error(`plugin "${spec.name}": priority must be an integer`);
  for (const p of Object.keys(spec.phases)) {
    if (!(PHASES as readonly string[]).includes(p))
      throw new Error(`plugin "${spec.name}": unknown phase "${p}"; phases are ${PHASES.join(', ')}`);
  }
  return {
    name: spec.name,
    version: spec.version,
    priority: spec.priority,
    schema: spec.schema,
    prepare: (spec.prepare as ((c: unknown, env: PrepareEnv) => unknown) | undefined) ?? null,
    upgrade: spec.upgrade ?? null,
    phases: spec.phases as PhaseHandlers<unknown>,
  };
}
