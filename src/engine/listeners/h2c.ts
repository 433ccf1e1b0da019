// proxy_listen "host:port http2": cleartext HTTP/2 with prior knowledge (h2c) and HTTP/1.1 on
// the same port, told apart by the first bytes (the HTTP/2 client preface).

import net from 'node:net';
import { sniffPreface } from '../http2/index.js';
import { HttpListener } from './http-listener.js';
import type { ListenerKind } from './types.js';

export const h2cKind: ListenerKind = {
  name: 'h2c',
  setting: 'proxy_listen',
  ssl: false,
  http2: true,
  tls: false,
  urlScheme: 'http',
  note: (address) =>
    `proxy_listen "${address.spec}": HTTP/2 cleartext with prior knowledge (h2c); HTTP/1.1 on the same port`,
  create(address, env) {
    const l = new HttpListener(address, env, 'http', true);
    const edge = l.edge!;
    const http1 = l.http1;
    const timeout = env.settings.clientTimeout;
    const h2 = (socket: net.Socket): void => edge.accept(socket);
    // After the peek the socket is paused with its first bytes put back: the HTTP/1.1 side reads on.
    const peeked1 = (socket: net.Socket): void => {
      http1(socket);
      socket.resume();
    };
    return l.serve(net.createServer({ noDelay: true }, (socket) => sniffPreface(socket, timeout, h2, peeked1)));
  },
};
