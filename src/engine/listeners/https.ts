// proxy_listen "host:port ssl": HTTP/1.1 over TLS (ALPN offers http/1.1 only), with the
// certificate picked per handshake by SNI from the current snapshot (src/engine/tls/server.ts).

import { createTlsServer } from '../tls/index.js';
import { HttpListener } from './http-listener.js';
import type { ListenerKind } from './types.js';

export const httpsKind: ListenerKind = {
  name: 'https',
  setting: 'proxy_listen',
  ssl: true,
  http2: false,
  tls: true,
  urlScheme: 'https',
  create(address, env) {
    const l = new HttpListener(address, env, 'https', false);
    const { settings } = env;
    return l.serve(
      createTlsServer(
        env.http,
        {
          tls: settings.tls,
          defaults: env.defaultCertificates(),
          handshakeTimeout: settings.clientTimeout,
          alpn: ['http/1.1'],
        },
        l.http1,
      ),
    );
  },
};
