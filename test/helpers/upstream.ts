// Real upstream servers for integration tests (node:http and raw net), on free loopback ports.

import http from 'node:http';
import net from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

export interface TestUpstream {
  port: number;
  name: string;
  requests: SeenRequest[];
  server: http.Server;
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

/** An HTTP upstream that records requests and, by default, answers JSON naming itself. */
export async function startUpstream(
  name: string,
  handler?: Handler,
  opts: { collectBody?: boolean } = {},
): Promise<TestUpstream> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    const collect = opts.collectBody !== false;
    req.on('data', (c: Buffer) => {
      if (collect) chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body });
      if (handler) return handler(req, res, body);
      const out = JSON.stringify({
        upstream: name,
        method: req.method,
        url: req.url,
        headers: req.headers,
        bodyLength: body.length,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name });
      res.end(out);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    name,
    requests,
    server,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A raw TCP upstream: `onData` gets every chunk and the socket, to script exact bytes. */
export async function startRawUpstream(
  onConnection: (socket: net.Socket) => void,
): Promise<{ port: number; close(): Promise<void>; received: Buffer[] }> {
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('data', (d) => received.push(d));
    onConnection(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Sends raw bytes to host:port and collects everything until the peer closes or `ms` passes. */
export async function rawRequest(port: number, data: string | Buffer, ms = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve(out);
    }, ms);
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('error', (e) => {
      clearTimeout(t);
      if (out.length > 0) resolve(out);
      else reject(e);
    });
    s.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    s.write(data);
  });
}

/** Kong declarative config with one service pointing at `port` and one route. */
export function simpleConfig(
  port: number,
  route: Record<string, unknown> = { paths: ['/'] },
  service: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    _format_version: '3.0',
    services: [{ name: 'svc', url: `http://127.0.0.1:${port}`, ...service, routes: [{ name: 'r', ...route }] }],
  });
}
