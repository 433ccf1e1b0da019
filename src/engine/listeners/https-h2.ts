// proxy_listen "host:port ssl http2": TLS whose ALPN picks the protocol: h2 (offered first)
// goes to HTTP/2, http/1.1 or no ALPN to HTTP/1.1.

import type tls from 'node:tls';
import { createTlsServer } from '../tls/index.js';
import { HttpListener } from './http-listener.js';
import type { ListenerKind } from './types.js';

export const httpsH2Kind: ListenerKind = {
  name: 'https-h2',
  setting: 'proxy_listen',
  ssl: true,
  http2: true,
  tls: true,
  urlScheme: 'https',
  note: (address) => `proxy_listen "${address.spec}": HTTP/2 over TLS (ALPN h2, with http/1.1 for clients without h2)`,
  create(address, env) {
    const l = new HttpListener(address, env, 'https', true);
    const edge = l.edge!;
    const http1 = l.http1;
    const { settings } = env;
    return l.serve(
      createTlsServer(
        env.http,
        {
          tls: settings.tls,
          defaults: env.defaultCertificates(),
          handshakeTimeout: settings.clientTimeout,
          alpn: ['h2', 'http/1.1'],
        },
        (socket: tls.TLSSocket) => (socket.alpnProtocol === 'h2' ? edge.accept(socket) : http1(socket)),
      ),
    );
  },
};
