// The plugin SDK: what a plugin author writes against. A plugin is a folder exporting
// `definePlugin({...})`; the engine never names a plugin, it runs the precompiled chain of a
// route. Phases, in order: `rewrite` (global plugins only, as in Kong), `access` (may
// authenticate, may answer the request itself), `response` (upstream status and headers,
// before they reach the client), `log` (after the response, off the request path).

import type { Static, TSchema } from '@sinclair/typebox';

export type Phase = 'rewrite' | 'access' | 'response' | 'log';
export const PHASES: readonly Phase[] = ['rewrite', 'access', 'response', 'log'];

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
}

/** The response head about to go to the client (response phase) or that went (log phase). */
export interface ResponseApi {
  readonly status: number;
  getHeader(name: string): string | undefined;
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
  latencyMs: number;
  upstreamLatencyMs: number | null;
  bytesIn: number;
  bytesOut: number;
  target: string | null;
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
  /**
   * Answers the request from the gateway (rewrite and access phases): nothing is sent
   * upstream and the remaining rewrite/access handlers are skipped. Objects are sent as JSON;
   * a string `message` mirrors Kong's `kong.response.exit(status, { message })`.
   */
  respond(status: number, body?: string | Buffer | Record<string, unknown>, headers?: Record<string, string>): void;
}

export type PhaseHandler<Conf> = (ctx: PluginContext, conf: Conf) => void | Promise<void>;

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
   * lookup tables, clients). Runs once per plugin instance when a configuration loads.
   */
  prepare?: (config: Static<S>) => Conf;
  /** Optional: rewrites Kong's older field shapes into the schema's (e.g. flat `redis_host` → `redis.host`). */
  upgrade?: (config: Record<string, unknown>) => Record<string, unknown>;
  phases: Partial<Record<Phase, PhaseHandler<Conf>>>;
}

/** What the registry holds: a plugin with its schema erased to plain types. */
export interface PluginModule {
  readonly name: string;
  readonly version: string;
  readonly priority: number;
  readonly schema: TSchema;
  readonly prepare: ((config: unknown) => unknown) | null;
  readonly upgrade: ((config: Record<string, unknown>) => Record<string, unknown>) | null;
  readonly phases: Partial<Record<Phase, PhaseHandler<unknown>>>;
}

/** Declares a plugin. `Conf` defaults to the schema's static type when there is no `prepare`. */
export function definePlugin<S extends TSchema, Conf = Static<S>>(spec: PluginSpec<S, Conf>): PluginModule {
  if (!/^[a-z][a-z0-9-]*$/.test(spec.name)) throw new Error(`plugin name "${spec.name}": use lower case letters, digits and dashes`);
  if (!Number.isInteger(spec.priority)) throw new Error(`plugin "${spec.name}": priority must be an integer`);
  for (const p of Object.keys(spec.phases)) {
    if (!(PHASES as readonly string[]).includes(p)) throw new Error(`plugin "${spec.name}": unknown phase "${p}"; phases are ${PHASES.join(', ')}`);
  }
  return {
    name: spec.name,
    version: spec.version,
    priority: spec.priority,
    schema: spec.schema,
    prepare: (spec.prepare as ((c: unknown) => unknown) | undefined) ?? null,
    upgrade: spec.upgrade ?? null,
    phases: spec.phases as Partial<Record<Phase, PhaseHandler<unknown>>>,
  };
}
