// HTTP/2 sessions to upstream endpoints (services with protocol grpc, grpcs), one shared
// session per endpoint carrying many streams, as HTTP/2 intends. A session that reaches the
// peer's SETTINGS_MAX_CONCURRENT_STREAMS is not given more: a second session is opened
// beside it rather than queueing behind it. A session that received GOAWAY, failed or closed
// takes no new streams (the next request opens a fresh one); its streams in flight finish.
// Like the HTTP/1.1 pools, the sessions belong to the worker and survive config reloads.

import http2, { type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders } from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { UpstreamTls } from '../../snapshot/types.js';
import { H2UpstreamStream, type H2Target, type StreamCarrier } from './stream.js';
import { tooDeep } from '../tls/chain-depth.js';
import { upstreamTlsOptions } from '../tls/upstream-options.js';
import { connectFailure } from '../upstream-failure.js';

/** Streams assumed allowed before the peer's SETTINGS arrive (RFC 9113 §6.5.2 recommends at least 100). */
const INITIAL_STREAM_LIMIT = 100;

export class UpstreamSession implements StreamCarrier {
  readonly session: ClientHttp2Session;
  readonly scheme: 'http' | 'https';
  connected = false;
  /** No new streams: GOAWAY received, failed or closed. */
  retired = false;
  /** Streams in flight, and requests waiting for the connection. */
  private readonly streams = new Set<H2UpstreamStream>();

  constructor(
    readonly key: string,
    private readonly host: string,
    port: number,
    upstreamTls: UpstreamTls | null,
    idleTimeout: number,
    private readonly owner: Http2Sessions,
  ) {
    this.scheme = upstreamTls === null ? 'http' : 'https';
    const authority = `${this.scheme}://${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
    // The socket is made here so that TLS gets the same settings as the HTTPS path
    // (SNI, tls_verify, ca_certificates, client_certificate), with ALPN h2 only.
    this.session = http2.connect(authority, {
      createConnection: () =>
        upstreamTls === null
          ? net.connect({ host, port, noDelay: true })
          : tls.connect(upstreamTlsOptions(upstreamTls, host, port, ['h2'])),
    });
    const s = this.session;
    s.on('connect', (_session, socket) => {
      if (upstreamTls !== null) {
        const t = socket as tls.TLSSocket;
        if (t.alpnProtocol !== 'h2')
          return this.failConnect(
            `the upstream did not negotiate HTTP/2 over TLS (ALPN: ${t.alpnProtocol === false ? 'none' : String(t.alpnProtocol)}); use protocol https for an HTTP/1.1 upstream`,
          );
        if (upstreamTls.verify && tooDeep(t, upstreamTls.verifyDepth)) {
          return this.failConnect(`certificate chain longer than tls_verify_depth ${upstreamTls.verifyDepth}`);
        }
      }
    });
    // Ready once the peer's SETTINGS arrived (the first frame it sends): only then is its
    // stream limit known. Requests that waited beyond that limit go to another session.
    s.once('remoteSettings', () => {
      if (s.destroyed || this.retired) return;
      this.connected = true;
      let room = this.limit;
      for (const st of [...this.streams]) {
        if (room > 0) {
          room--;
          st.sessionReady();
        } else {
          this.streams.delete(st);
          this.owner.place(st);
        }
      }
    });
    s.on('goaway', () => this.retire());
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.connected) {
        const f = connectFailure(err, this.host);
        this.failConnect(f.message, f.kind === 'dns' ? 'dns' : 'connect');
      } else this.retire();
    });
    s.on('close', () => {
      if (!this.connected) this.failConnect('the upstream closed the connection while connecting');
      this.retire();
    });
    // An idle session is closed after upstream_keepalive_idle_timeout, as an idle pooled connection is.
    // Not setTimeout(ms, callback): that listens once, and a first timeout that finds a slow
    // stream in flight would leave the session open for good once it is idle.
    s.setTimeout(idleTimeout);
    s.on('timeout', () => {
      if (this.streams.size === 0) {
        this.retire();
        if (!s.closed && !s.destroyed) s.close();
      }
    });
  }

  /** The peer's stream limit, once known. */
  private get limit(): number {
    if (!this.connected) return INITIAL_STREAM_LIMIT;
    return this.session.remoteSettings.maxConcurrentStreams ?? INITIAL_STREAM_LIMIT;
  }

  get hasRoom(): boolean {
    // A session destroyed or closing is retired by its 'close' event, a tick or more later;
    // until then request() on it would throw, so it takes nothing (the request gets a new session).
    const s = this.session;
    return !this.retired && !s.destroyed && !s.closed && this.streams.size < this.limit;
  }

  get active(): number {
    return this.streams.size;
  }

  /** Takes a request (a new one, or one moved from a session that had no room after all). */
  add(st: H2UpstreamStream): H2UpstreamStream {
    st.session = this;
    this.streams.add(st);
    if (this.connected) st.sessionReady();
    return st;
  }

  request(headers: OutgoingHttpHeaders, options: http2.ClientSessionRequestOptions): ClientHttp2Stream {
    return this.session.request(headers, options);
  }

  streamDone(st: H2UpstreamStream): void {
    this.streams.delete(st);
    // A session waiting to connect for nobody (every waiter timed out) is given up.
    if (!this.connected && this.streams.size === 0) {
      this.retire();
      this.session.destroy();
    }
  }

  private failConnect(message: string, kind: 'connect' | 'dns' = 'connect'): void {
    this.retire();
    const waiting = [...this.streams];
    this.streams.clear();
    this.session.destroy();
    for (const st of waiting) st.sessionFailed(kind, message);
  }

  private retire(): void {
    if (this.retired) return;
    this.retired = true;
    this.owner.forget(this);
  }

  destroy(): void {
    this.retire();
    this.session.destroy();
  }
}

export class Http2Sessions {
  private readonly byKey = new Map<string, UpstreamSession[]>();

  constructor(private readonly idleTimeout: number) {}

  /**
   * A stream for one request to the endpoint: on a session with room, or on a new one.
   * `connecting` on the result says whether its handler will be told when it is ready.
   */
  open(
    key: string,
    host: string,
    port: number,
    connectTimeout: number,
    upstreamTls: UpstreamTls | null,
  ): H2UpstreamStream {
    const target = { key, host, port, upstreamTls };
    const session = this.withRoom(target);
    return session.add(new H2UpstreamStream(connectTimeout, target, session));
  }

  /** Moves a request to a session of its endpoint with room (the one it waited on had none). */
  place(st: H2UpstreamStream): void {
    this.withRoom(st.target).add(st);
  }

  /** A session of the endpoint with room, opening one when none has. */
  private withRoom(t: H2Target): UpstreamSession {
    let list = this.byKey.get(t.key);
    if (list === undefined) {
      list = [];
      this.byKey.set(t.key, list);
    }
    for (let i = 0; i < list.length; i++) if (list[i].hasRoom) return list[i];
    const s = new UpstreamSession(t.key, t.host, t.port, t.upstreamTls, this.idleTimeout, this);
    list.push(s);
    return s;
  }

  forget(s: UpstreamSession): void {
    const list = this.byKey.get(s.key);
    if (list === undefined) return;
    const i = list.indexOf(s);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(s.key);
  }

  /** Sessions per endpoint, for /status: `open` sessions, `idle` ones without a stream. */
  stats(): { endpoint: string; open: number; idle: number }[] {
    const out = [];
    for (const [key, list] of this.byKey)
      out.push({ endpoint: 'h2:' + key, open: list.length, idle: list.filter((s) => s.active === 0).length });
    return out;
  }

  closeAll(): void {
    for (const list of [...this.byKey.values()]) for (const s of [...list]) s.destroy();
  }
}
