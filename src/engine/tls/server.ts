// A TLS listener: terminates TLS and hands each socket to the HTTP/1.1 connection (or, when
// ALPN chose h2, to HTTP/2), exactly as a plain listener does (or, on an ssl stream_listen address, to the stream engine). The certificate is picked per handshake from the snapshot that
// is current at that moment (SNI), so a reload changes certificates without a restart and
// without touching established connections.

import tls from 'node:tls';
import type { WorkerContext } from '../context.js';
import { contextOptions } from './options.js';
import type { TlsOptions } from '../../settings/tls.js';
import type { PemPair } from './default-cert.js';

export interface TlsListenerOptions {
  tls: TlsOptions;
  /** The default certificate(s): no SNI, or a name no `snis` entry matches. */
  defaults: PemPair[];
  handshakeTimeout: number;
  /** ALPN protocols offered, in server preference order; default ['http/1.1']. Empty = no ALPN (streams). */
  alpn?: string[];
  /** Keep the write side open after the client's close_notify/FIN (stream half-close). */
  allowHalfOpen?: boolean;
}

export function createTlsServer(
  ctx: WorkerContext,
  opts: TlsListenerOptions,
  onSocket: (socket: tls.TLSSocket) => void,
): tls.Server {
  const server = tls.createServer(
    {
      ...contextOptions(opts.tls),
      // The server's own context holds the default certificate(s) (a server ignores `secureContext`).
      cert: opts.defaults.map((p) => p.cert),
      key: opts.defaults.map((p) => p.key),
      // HTTP listeners pass ['h2', 'http/1.1'] with the http2 flag; a client offering neither gets no ALPN and HTTP/1.1.
      ...(opts.alpn === undefined
        ? { ALPNProtocols: ['http/1.1'] }
        : opts.alpn.length > 0
          ? { ALPNProtocols: opts.alpn }
          : {}),
      ...(opts.allowHalfOpen === true ? { allowHalfOpen: true } : {}),
      handshakeTimeout: opts.handshakeTimeout,
      // As on plain listeners: without it Nagle holds small responses back (measured: p50 6 ms at 3k req/s).
      noDelay: true,
      SNICallback(servername, cb) {
        // No match: undefined makes Node use the server's own context, i.e. the default certificate.
        cb(null, ctx.snapshot.tls?.find(servername));
      },
    },
    onSocket,
  );
  // A failed handshake (unknown version, bad client hello, timeout) concerns that client only.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  return server;
}
