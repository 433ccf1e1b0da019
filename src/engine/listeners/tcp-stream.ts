// stream_listen "host:port": TCP proxied byte for byte. It also serves TLS passthrough: when
// the stream routes need an SNI (tls_passthrough routes) the connection peeks at the
// ClientHello and relays it unopened (src/engine/stream/connection.ts).

import net from 'node:net';
import { StreamListener } from './stream-listener.js';
import type { ListenerKind } from './types.js';

export const tcpStreamKind: ListenerKind = {
  name: 'tcp-stream',
  setting: 'stream_listen',
  ssl: false,
  http2: false,
  tls: false,
  urlScheme: 'tcp',
  announce: (urls) => ({
    fields: { stream: urls },
    message: `stream listeners (tcp, tls_passthrough routes) on ${urls.join(', ')}`,
  }),
  create(_address, env) {
    const l = new StreamListener(env);
    return l.serve(net.createServer({ noDelay: true, allowHalfOpen: true }, l.accept));
  },
};
