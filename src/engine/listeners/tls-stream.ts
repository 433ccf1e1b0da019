// stream_listen "host:port ssl": TLS terminated with the same certificates (SNI, default) and
// ssl_* settings as HTTPS, then the decrypted bytes proxied as a stream (tls routes only).

import { createTlsServer } from '../tls/index.js';
import { StreamListener } from './stream-listener.js';
import type { ListenerKind } from './types.js';

export const tlsStreamKind: ListenerKind = {
  name: 'tls-stream',
  setting: 'stream_listen',
  ssl: true,
  http2: false,
  tls: true,
  urlScheme: 'tls',
  announce: (urls) => ({
    fields: { stream: urls },
    message: `TLS-terminating stream listeners (tls routes) on ${urls.join(', ')}`,
  }),
  create(_address, env) {
    const l = new StreamListener(env);
    const { settings } = env;
    return l.serve(
      createTlsServer(
        env.http,
        {
          tls: settings.tls,
          defaults: env.defaultCertificates(),
          handshakeTimeout: settings.clientTimeout,
          alpn: [],
          allowHalfOpen: true,
        },
        l.accept,
      ),
    );
  },
};
