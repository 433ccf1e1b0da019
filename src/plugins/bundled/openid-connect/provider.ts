// The issuer's discovery document and JWKS, fetched on first use and cached per plugin
// instance (a configuration reload brings new instances, so nothing survives a config
// change). Failures are never cached: the next request tries again, so the plugin recovers
// by itself when the issuer comes back. Concurrent requests share one fetch in flight.
//
// Freshness: both documents are used for `cache_ttl` seconds; after that the next request
// refetches them and, if the issuer is unreachable then, keeps using the old ones (logged).
// Key rotation: a token whose key is not in the cached JWKS triggers a refetch, at most once
// every `rediscovery_lifetime` seconds.

import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { joseModule } from '../shared/lazy-modules.js';
import type { Dispatcher } from 'undici';
import { undiciModule } from '../shared/lazy-modules.js';
import type { PluginLogger } from '../../sdk.js';

/** The largest discovery document or JWKS read (bytes). */
const MAX_BODY = 1 << 20;

export interface ProviderOptions {
  readonly discoveryUrl: string;
  readonly timeoutMs: number;
  readonly sslVerify: boolean;
  readonly ttlMs: number;
  readonly cooldownMs: number;
}

export interface ProviderState {
  /** The `issuer` of the discovery document. */
  readonly issuer: string;
  readonly jwksUri: string;
  readonly keys: JWTVerifyGetKey;
  readonly fetchedAt: number;
}

/** The issuer could not be reached or answered something unusable. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
}

export class Provider {
  private state: ProviderState | null = null;
  private inflight: Promise<ProviderState> | null = null;
  private lastFetchStart = Number.NEGATIVE_INFINITY;
  private readonly dispatcher: Dispatcher | undefined;

  constructor(readonly opts: ProviderOptions) {
    this.dispatcher = opts.sslVerify
      ? undefined
      : new (undiciModule().Agent)({ connect: { rejectUnauthorized: false } });
  }

  /** The cached documents, fetched first when there are none or they are older than cache_ttl. */
  async current(log: PluginLogger): Promise<ProviderState> {
    const s = this.state;
    if (s === null) return this.fetch(log);
    if (Date.now() - s.fetchedAt < this.opts.ttlMs) return s;
    try {
      return await this.fetch(log);
    } catch (err) {
      log.warn(
        `openid-connect: refreshing ${this.opts.discoveryUrl} failed, using the cached keys: ${(err as Error).message}`,
      );
      return s;
    }
  }

  /**
   * A token names a key the cached JWKS lacks: refetch, unless the last fetch started less
   * than rediscovery_lifetime ago (then null). Throws ProviderError when the refetch fails.
   */
  async refetchForUnknownKey(log: PluginLogger): Promise<ProviderState | null> {
    if (this.inflight !== null) return this.inflight;
    if (Date.now() - this.lastFetchStart < this.opts.cooldownMs) return null;
    return this.fetch(log);
  }

  private fetch(log: PluginLogger): Promise<ProviderState> {
    if (this.inflight !== null) return this.inflight;
    this.lastFetchStart = Date.now();
    const p = this.load()
      .then((s) => {
        this.state = s;
        return s;
      })
      .catch((err: unknown) => {
        const e = err instanceof ProviderError ? err : new ProviderError(String((err as Error)?.message ?? err));
        log.error(`openid-connect: issuer ${this.opts.discoveryUrl} unavailable: ${e.message}`);
        throw e;
      })
      .finally(() => {
        this.inflight = null;
      });
    this.inflight = p;
    return p;
  }

  private async load(): Promise<ProviderState> {
    // One deadline for both documents.
    const signal = AbortSignal.timeout(this.opts.timeoutMs);
    const doc = await this.getJson(this.opts.discoveryUrl, signal, 'discovery document');
    const issuer = doc.issuer;
    const jwksUri = doc.jwks_uri;
    if (typeof issuer !== 'string' || issuer === '')
      throw new ProviderError(`discovery document at ${this.opts.discoveryUrl} has no "issuer"`);
    if (typeof jwksUri !== 'string' || !/^https?:\/\//i.test(jwksUri))
      throw new ProviderError(`discovery document at ${this.opts.discoveryUrl} has no http(s) "jwks_uri"`);
    const jwks = await this.getJson(jwksUri, signal, 'JWKS');
    if (!Array.isArray(jwks.keys)) throw new ProviderError(`JWKS at ${jwksUri} has no "keys" array`);
    let keys: JWTVerifyGetKey;
    try {
      keys = (await joseModule()).createLocalJWKSet(jwks as unknown as JSONWebKeySet);
    } catch (err) {
      throw new ProviderError(`JWKS at ${jwksUri} is invalid: ${(err as Error).message}`);
    }
    return { issuer, jwksUri, keys, fetchedAt: Date.now() };
  }

  private async getJson(url: string, signal: AbortSignal, what: string): Promise<Record<string, unknown>> {
    let res: Dispatcher.ResponseData;
    try {
      res = await undiciModule().request(url, {
        method: 'GET',
        headers: { accept: 'application/json' },
        signal,
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
    } catch (err) {
      const e = err as Error & { code?: string; cause?: { code?: string } };
      const code = e.code ?? e.cause?.code;
      const reason = signal.aborted
        ? `timed out after ${this.opts.timeoutMs} ms`
        : `${e.message}${code && !e.message.includes(code) ? ` (${code})` : ''}`;
      throw new ProviderError(`fetching the ${what} ${url} failed: ${reason}`);
    }
    let text = '';
    try {
      for await (const chunk of res.body) {
        text += (chunk as Buffer).toString('utf8');
        if (text.length > MAX_BODY) throw new ProviderError(`the ${what} ${url} is larger than ${MAX_BODY} bytes`);
      }
    } catch (err) {
      res.body.destroy();
      if (err instanceof ProviderError) throw err;
      throw new ProviderError(
        `reading the ${what} ${url} failed: ${signal.aborted ? `timed out after ${this.opts.timeoutMs} ms` : (err as Error).message}`,
      );
    }
    if (res.statusCode !== 200) throw new ProviderError(`the ${what} ${url} answered HTTP ${res.statusCode}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ProviderError(`the ${what} ${url} is not JSON`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new ProviderError(`the ${what} ${url} is not a JSON object`);
    return json as Record<string, unknown>;
  }
}
