// One active health probe: an HTTP(S) GET, a gRPC health check (grpc-probe.ts) or a TCP
// connect, bounded by a timeout.
// Probes open a fresh connection each time (no pooling), as Kong does, and close it as soon
// as the status line is read; they are off the hot path, so plain node:http/https/net.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { ActiveHealthcheck } from '../../config/types.js';
import type { Endpoint } from '../types.js';
import { probeGrpc } from './grpc-probe.js';
import type { ProbeResult } from './probe-result.js';

export type { ProbeResult } from './probe-result.js';

/** A PEM certificate and its key. */
export interface ClientCert {
  cert: string;
  key: string;
}

export interface ProbeOptions {
  /** Host header for HTTP probes (upstream.host_header); default: the target's host:port. */
  hostHeader?: string | null;
  /** Presented by https probes (upstream.client_certificate, for targets that require mutual TLS). */
  clientCert?: ClientCert | null;
  /** Lets the checker abort probes in flight on stop(). */
  track?: (abort: () => void) => () => void;
}

type ProbeConfig = Pick<
  ActiveHealthcheck,
  'type' | 'http_path' | 'timeout' | 'headers' | 'https_verify_certificate' | 'https_sni'
>;

/** Runs one probe against the endpoint. Never rejects. */
export function probeTarget(ep: Endpoint, active: ProbeConfig, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = Math.max(1, Math.round((active.timeout > 0 ? active.timeout : 1) * 1000));
  if (active.type === 'http' || active.type === 'https') return probeHttp(ep, active, timeoutMs, opts);
  if (active.type === 'grpc' || active.type === 'grpcs') {
    const tls = active.type === 'grpcs';
    return probeGrpc(
      ep,
      {
        tls,
        verify: active.https_verify_certificate !== false,
        sni: active.https_sni ?? (net.isIP(ep.host) ? null : ep.host),
      },
      timeoutMs,
      opts.track,
    );
  }
  return probeTcp(ep, timeoutMs, opts);
}

function probeTcp(ep: Endpoint, timeoutMs: number, opts: ProbeOptions): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    const sock = net.connect({ host: ep.host, port: ep.port });
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      untrack();
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    timer.unref();
    const untrack = opts.track ? opts.track(() => finish({ kind: 'tcp_failure', error: 'aborted' })) : noop;
    sock.once('connect', () => finish({ kind: 'connected' }));
    sock.once('error', (err) => finish({ kind: 'tcp_failure', error: err.message }));
  });
}

function probeHttp(ep: Endpoint, active: ProbeConfig, timeoutMs: number, opts: ProbeOptions): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    const isHttps = active.type === 'https';
    const headers: http.OutgoingHttpHeaders = { connection: 'close', 'user-agent': 'turnpike-healthcheck' };
    if (active.headers) {
      for (const [k, v] of Object.entries(active.headers)) headers[k.toLowerCase()] = v.length === 1 ? v[0]! : v;
    }
    if (opts.hostHeader && headers.host === undefined) headers.host = opts.hostHeader;
    const reqOpts: https.RequestOptions = {
      host: ep.host,
      port: ep.port,
      method: 'GET',
      path: active.http_path || '/',
      headers,
      agent: false,
    };
    if (isHttps) {
      reqOpts.rejectUnauthorized = active.https_verify_certificate !== false;
      const sni = active.https_sni ?? (net.isIP(ep.host) ? null : ep.host);
      if (sni) reqOpts.servername = sni;
      if (opts.clientCert) {
        reqOpts.cert = opts.clientCert.cert;
        reqOpts.key = opts.clientCert.key;
      }
    }
    const req = (isHttps ? https : http).request(reqOpts);
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      untrack();
      req.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    timer.unref();
    const untrack = opts.track ? opts.track(() => finish({ kind: 'tcp_failure', error: 'aborted' })) : noop;
    req.once('response', (res) => {
      res.resume();
      res.on('error', noop);
      finish({ kind: 'status', status: res.statusCode ?? 0 });
    });
    req.on('error', (err) => finish({ kind: 'tcp_failure', error: err.message }));
    req.end();
  });
}

function noop(): void {}
