// Node's own ceilings for the bench (BENCH.md, "Node's own ceilings in the same run"): a bare
// server answering the fixed body nginx answers (`return 200 "hello world\n"`), with nothing
// of Turnpike in it. `node dist/bench/servers/bare.js <kind> <port> [cert key]`, kind one of
// http, https, http2 (TLS with ALPN h2), h2codec (Turnpike's own HTTP/2 codec,
// src/engine/http2/codec/, on a TLS socket with ALPN h2), or pipe (`pipe <port> <upstream
// port>`: the least any Node proxy can do, below). Prints "listening" once ready.
import { readFileSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { createSecureServer } from 'node:http2';
import { createServer as createTls } from 'node:tls';
import { connect as connectTcp, createServer as createTcp, type Socket } from 'node:net';
import { Http2ServerConnection } from '../../src/engine/http2/codec/index.js';

const BODY = Buffer.from('hello world\n');
const LENGTH = String(BODY.length);

const [kind, portArg, certFile, keyFile] = process.argv.slice(2);
const port = Number(portArg);
const tls = (): { cert: Buffer; key: Buffer } => {
  if (certFile === undefined || keyFile === undefined) throw new Error(`${kind} needs a certificate and a key`);
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
};

function main(): void {
  let listen: (cb: () => void) => void;
  switch (kind) {
    case 'http':
    case 'https': {
      // The fastest form node:http offers: one writeHead with the length, one end.
      const handler = (_req: unknown, res: import('node:http').ServerResponse): void => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': LENGTH });
        res.end(BODY);
      };
      const server = kind === 'http' ? createHttp(handler) : createHttps(tls(), handler);
      server.keepAliveTimeout = 65_000;
      listen = (cb) => server.listen(port, '127.0.0.1', 4096, cb);
      break;
    }
    case 'http2': {
      // The core stream API (no compatibility layer): node:http2 at its fastest.
      const server = createSecureServer({ ...tls(), allowHTTP1: false });
      const headers = { ':status': 200, 'content-type': 'text/plain', 'content-length': LENGTH };
      server.on('stream', (stream) => {
        stream.respond(headers);
        stream.end(BODY);
      });
      listen = (cb) => server.listen(port, '127.0.0.1', 4096, cb);
      break;
    }
    case 'h2codec': {
      const pairs = ['content-type', 'text/plain', 'content-length', LENGTH];
      const server = createTls({ ...tls(), ALPNProtocols: ['h2'] }, (socket) => {
        socket.setNoDelay(true);
        new Http2ServerConnection(socket, (stream) => {
          stream.respond(200, pairs);
          stream.end(BODY);
        });
      });
      listen = (cb) => server.listen(port, '127.0.0.1', 4096, cb);
      break;
    }
    case 'pipe': {
      // The floor of any proxy written for Node: each client connection gets its own upstream
      // connection and bytes are copied both ways as they arrive (with backpressure), with no
      // parsing, routing, logging or pooling. Keep-alive requests pass through unchanged, so
      // per request it does what every Node proxy must: two socket reads and two writes through
      // libuv. What a real proxy costs beyond this row is its own work.
      const upstreamPort = Number(certFile);
      const relay = (from: Socket, to: Socket): void => {
        from.on('data', (chunk: Buffer) => {
          if (!to.write(chunk)) {
            from.pause();
            to.once('drain', () => from.resume());
          }
        });
      };
      const server = createTcp({ noDelay: true }, (client) => {
        const up = connectTcp({ port: upstreamPort, host: '127.0.0.1', noDelay: true });
        relay(client, up);
        relay(up, client);
        const close = (): void => {
          client.destroy();
          up.destroy();
        };
        for (const s of [client, up]) {
          s.on('error', close);
          s.on('close', close);
        }
      });
      listen = (cb) => server.listen(port, '127.0.0.1', 4096, cb);
      break;
    }
    default:
      throw new Error(`unknown kind ${String(kind)} (http, https, http2, h2codec, pipe)`);
  }
  listen(() => console.log(`bare ${kind} listening on 127.0.0.1:${port}`));
}

main();
