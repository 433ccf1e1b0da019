// proxy_listen "host:port": plain HTTP/1.1.

import net from 'node:net';
import { HttpListener } from './http-listener.js';
import type { ListenerKind } from './types.js';

export const httpKind: ListenerKind = {
  name: 'http',
  setting: 'proxy_listen',
  ssl: false,
  http2: false,
  tls: false,
  urlScheme: 'http',
  create(address, env) {
    const l = new HttpListener(address, env, 'http', false);
    return l.serve(net.createServer({ noDelay: true }, l.http1));
  },
};
