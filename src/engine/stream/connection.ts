// One client connection on a stream (L4) listener: peek for a TLS ClientHello when the
// routes need an SNI (or, on an ssl listener, take the SNI of the handshake the gateway
// terminated; the relayed bytes are then the decrypted ones), match a stream route once, connect to a target of the route's service
// through the same balancer and health checks as HTTP (retrying the next target when the
// connect fails), then relay bytes both ways with backpressure (pipe) and half-close: a FIN
// from either side is passed on while the other direction keeps flowing.
//
// The connection keeps the snapshot it was accepted under: a reload changes the routes for
// new connections only.

import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { AccessLog } from '../../observe/access-log.js';
import type { StreamMetrics } from '../../observe/metrics.js';
import type { CompiledStreamRoute, Snapshot } from '../../snapshot/types.js';
import type { BalanceContext, Endpoint } from '../../upstream/types.js';
import { plainIp } from '../../router/stream.js';
import { MAX_HELLO_BYTES, peekClientHello } from './client-hello.js';
import { tooDeep } from '../tls/chain-depth.js';
import { upstreamTlsOptions } from '../tls/upstream-options.js';

export interface StreamContext {
  snapshot: Snapshot;
  readonly accessLog: AccessLog | null;
  /** Cell for connections that matched no stream route. */
  readonly unmatched: StreamMetrics;
  /** Longest wait for a complete ClientHello when routes need an SNI, ms. */
  readonly peekTimeout: number;
  readonly open: Set<StreamConnection>;
}

const TLS_HANDSHAKE = 0x16;
const NONE: ReadonlySet<Endpoint> | null = null;

export class StreamConnection implements BalanceContext {
  private readonly snapshot: Snapshot;
  private readonly started = performance.now();
  private readonly listenerName: string;
  private head: Buffer[] = [];
  private headBytes = 0;
  private peekTimer: NodeJS.Timeout | null = null;
  private peeking = false;
  private clientEndedEarly = false;
  private sni: string | null = null;
  private protocol = '';
  private route: CompiledStreamRoute | null = null;
  private upstream: net.Socket | null = null;
  private endpoint: Endpoint | null = null;
  private connected = false;
  private connectStart = 0;
  private connectMs = -1;
  private retriesLeft = 0;
  private tried: Set<Endpoint> | null = null;
  private error = '';
  private finished = false;

  // ── BalanceContext (hash_on ip works; HTTP-only sources hash as absent) ──
  readonly clientIp: string;
  readonly path = '';
  readonly consumerId = null;
  setCookie: string | null = null;
  header(): undefined {
    return undefined;
  }
  cookie(): undefined {
    return undefined;
  }
  queryArg(): undefined {
    return undefined;
  }
  uriCapture(): undefined {
    return undefined;
  }

  constructor(
    readonly client: net.Socket,
    private readonly ctx: StreamContext,
  ) {
    this.snapshot = ctx.snapshot;
    this.clientIp = plainIp(client.remoteAddress ?? '');
    this.listenerName = `${plainIp(client.localAddress ?? '')}:${client.localPort ?? 0}`;
    ctx.open.add(this);
    client.on('error', (err: NodeJS.ErrnoException) => this.fail('client: ' + (err.code ?? err.message)));
    client.on('close', () => this.onClientClose());
    if (client instanceof tls.TLSSocket)
      this.dispatch(
        typeof client.servername === 'string' && client.servername !== '' ? client.servername.toLowerCase() : null,
        true,
      );
    else if (this.snapshot.streamRouter.needsSni(client.localAddress ?? '', client.localPort ?? 0)) this.startPeek();
    else this.dispatch(null);
  }

  /** Closes the connection now (shutdown after the drain time). */
  close(): void {
    this.fail('gateway shutting down');
  }

  // ── Peeking the ClientHello ──────────────────────────────────────────────

  private startPeek(): void {
    this.peeking = true;
    this.client.on('data', this.onPeekData);
    this.client.on('end', this.onPeekEnd);
    this.peekTimer = setTimeout(this.onPeekTimeout, this.ctx.peekTimeout);
  }

  private stopPeek(): void {
    if (!this.peeking) return;
    this.peeking = false;
    this.client.pause();
    this.client.off('data', this.onPeekData);
    this.client.off('end', this.onPeekEnd);
    if (this.peekTimer !== null) clearTimeout(this.peekTimer);
    this.peekTimer = null;
  }

  private readonly onPeekData = (chunk: Buffer): void => {
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.head[0][0] !== TLS_HANDSHAKE) return this.dispatch(null);
    const buf = this.head.length === 1 ? this.head[0] : Buffer.concat(this.head);
    const r = peekClientHello(buf);
    if (r.kind === 'hello') return this.dispatch(r.sni);
    if (r.kind === 'not-tls' || this.headBytes > MAX_HELLO_BYTES + 1024) return this.dispatch(null);
  };

  private readonly onPeekEnd = (): void => {
    this.clientEndedEarly = true;
    this.dispatch(null);
  };

  private readonly onPeekTimeout = (): void => {
    this.peekTimer = null;
    if (this.headBytes > 0) {
      // Started like TLS, never finished the hello: nothing sensible to route on.
      this.fail(`incomplete TLS ClientHello after ${this.ctx.peekTimeout} ms`);
      return;
    }
    // Nothing sent: perhaps a protocol where the server speaks first; route without an SNI.
    this.dispatch(null);
  };

  // ── Routing and connecting ──────────────────────────────────────────────

  private dispatch(sni: string | null, terminated = false): void {
    this.stopPeek();
    this.client.pause();
    if (this.finished) return;
    this.sni = sni;
    const m = this.snapshot.streamRouter.match({
      srcIp: this.clientIp,
      srcPort: this.client.remotePort ?? 0,
      dstIp: plainIp(this.client.localAddress ?? ''),
      dstPort: this.client.localPort ?? 0,
      sni,
      terminated,
    });
    if (m === null) {
      this.ctx.unmatched.connections++;
      if (terminated)
        return this.fail(`no tls stream route matched (${sni !== null ? `sni ${sni}` : 'no server name'})`);
      this.fail(
        sni !== null
          ? `no stream route matched (sni ${sni})`
          : this.headBytes > 0 && this.head[0][0] === TLS_HANDSHAKE
            ? 'no stream route matched (TLS ClientHello without a server name)'
            : 'no stream route matched',
      );
      return;
    }
    this.route = m.route;
    this.protocol = m.protocol;
    m.route.metrics.connections++;
    const svc = m.route.service;
    if (svc === null) {
      this.fail('the route has no service');
      return;
    }
    this.retriesLeft = svc.retries;
    this.connect();
  }

  private connect(): void {
    const svc = this.route!.service!;
    const cluster = svc.cluster;
    const ep = cluster.available() ? cluster.balancer.pick(this, this.tried ?? NONE) : null;
    if (ep === null) {
      this.fail(this.error !== '' ? this.error : `no healthy target in ${cluster.name}`);
      return;
    }
    this.endpoint = ep;
    cluster.balancer.onStart(ep);
    this.connectStart = performance.now();
    // Service protocol tls: the gateway opens TLS to the upstream (SNI, tls_verify with the
    // service's ca_certificates, client_certificate), as for https services.
    const t = svc.upstreamTls;
    const up =
      t === null
        ? net.connect({ host: ep.host, port: ep.port, allowHalfOpen: true, noDelay: true })
        : tls.connect({
            ...upstreamTlsOptions(t, ep.host, ep.port),
            // Documented for tls.connect (half-close is relayed) though missing from @types/node.
            ...({ allowHalfOpen: true } as object),
          });
    if (t !== null) up.setNoDelay(true);
    this.upstream = up;
    up.setTimeout(svc.connectTimeout);
    up.on('timeout', () => {
      if (!this.connected) {
        up.destroy();
        this.connectFailed(ep, up, 'timeout', `connect to ${ep.key} timed out after ${svc.connectTimeout} ms`);
      } else this.fail('idle timeout');
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.connected)
        this.connectFailed(
          ep,
          up,
          'tcp_failure',
          `${t !== null ? 'TLS ' : ''}connect to ${ep.key} failed: ${err.code ?? err.message}${t !== null && err.code !== undefined && /CERT|SIGNATURE|VERIFY|SELF_SIGNED/.test(err.code) ? " (the upstream's certificate is not trusted: check the service's ca_certificates, tls_verify and host)" : ''}`,
        );
      else this.fail('upstream: ' + (err.code ?? err.message));
    });
    if (t === null) up.once('connect', () => this.onConnected(ep, up));
    else {
      (up as tls.TLSSocket).once('secureConnect', () => {
        if (t.verify && tooDeep(up as tls.TLSSocket, t.verifyDepth)) {
          up.destroy(
            Object.assign(new Error(`certificate chain longer than tls_verify_depth ${t.verifyDepth}`), {
              code: 'ERR_TLS_VERIFY_DEPTH',
            }),
          );
          return;
        }
        this.onConnected(ep, up);
      });
    }
  }

  private connectFailed(ep: Endpoint, up: net.Socket, outcome: 'timeout' | 'tcp_failure', why: string): void {
    if (this.upstream !== up) return; // already handled (timeout, then error)
    this.upstream = null;
    this.endpoint = null;
    const cluster = this.route!.service!.cluster;
    cluster.balancer.onEnd(ep, performance.now() - this.connectStart, true);
    if (cluster.passive !== null) cluster.passive.report(ep, outcome);
    this.error = why;
    if (this.finished || this.client.destroyed) return this.finish();
    if (this.retriesLeft-- <= 0) return this.fail(why);
    (this.tried ??= new Set()).add(ep);
    if (this.tried.size >= cluster.balancer.endpoints.length) this.tried.clear();
    this.connect();
  }

  private onConnected(ep: Endpoint, up: net.Socket): void {
    if (this.finished) {
      up.destroy();
      return;
    }
    this.connected = true;
    this.error = '';
    this.connectMs = performance.now() - this.connectStart;
    const svc = this.route!.service!;
    if (svc.cluster.passive !== null) svc.cluster.passive.report(ep, 'success');
    // Idle timeout: no byte either way for the longer of the service's read and write timeouts.
    const idle = Math.max(svc.readTimeout, svc.writeTimeout);
    up.setTimeout(idle);
    this.client.setTimeout(idle, () => this.fail('idle timeout'));
    up.on('close', () => {
      // A reset (or a close without a FIN) ends the client side too; a clean FIN was piped on.
      if (!up.readableEnded) this.client.destroy();
      this.maybeFinish();
    });
    if (this.headBytes > 0) up.write(this.head.length === 1 ? this.head[0] : Buffer.concat(this.head));
    this.head = [];
    this.client.pipe(up);
    up.pipe(this.client);
    if (this.clientEndedEarly) up.end();
  }

  // ── Ending ──────────────────────────────────────────────────────────────

  private onClientClose(): void {
    const up = this.upstream;
    if (up !== null && !up.destroyed) {
      // Abrupt client close: drop the upstream. A clean one (FIN seen) lets it finish its writes.
      if (!this.client.readableEnded || !this.connected) up.destroy();
      else up.end();
    }
    this.maybeFinish();
  }

  private fail(why: string): void {
    if (this.error === '') this.error = why;
    this.stopPeek();
    this.client.destroy();
    if (this.upstream !== null) this.upstream.destroy();
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (!this.client.destroyed) return;
    if (this.upstream !== null && !this.upstream.destroyed) return;
    if (this.upstream !== null && this.connected && !this.upstream.closed) {
      this.upstream.once('close', () => this.finish());
      return;
    }
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.ctx.open.delete(this);
    const bytesIn = this.client.bytesRead;
    const bytesOut = this.client.bytesWritten;
    const route = this.route;
    const cell = route !== null ? route.metrics : this.ctx.unmatched;
    cell.bytesIn += bytesIn;
    cell.bytesOut += bytesOut;
    if (this.endpoint !== null) {
      // Connected: the target served the connection; still connecting: given up (client left, shutdown).
      this.route!.service!.cluster.balancer.onEnd(
        this.endpoint,
        this.connected ? this.connectMs : performance.now() - this.connectStart,
        !this.connected,
      );
    }
    this.ctx.accessLog?.writeStream({
      protocol: this.protocol,
      clientIp: this.clientIp,
      clientPort: this.client.remotePort ?? 0,
      listener: this.listenerName,
      sni: this.sni,
      durationMs: performance.now() - this.started,
      connectMs: this.connectMs,
      target: this.connected && this.endpoint !== null ? this.endpoint.key : '',
      bytesIn,
      bytesOut,
      service: route?.service?.name ?? '',
      route: route?.name ?? '',
      error: this.error,
    });
  }
}
