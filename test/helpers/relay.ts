// A TCP relay in front of a real server (PostgreSQL, a control plane) that a test can cut and
// restore: the server "goes away" for the gateway while it keeps running for everyone else.
import net from 'node:net';
import { freePort } from './gateway.js';

export async function relay(target: {
  host: string;
  port: number;
}): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const up = net.connect(target.port, target.host);
        sockets.add(client);
        sockets.add(up);
        client.pipe(up);
        up.pipe(client);
        const end = () => {
          client.destroy();
          up.destroy();
          sockets.delete(client);
          sockets.delete(up);
        };
        client.on('error', end).on('close', end);
        up.on('error', end).on('close', end);
      });
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const cut = async () => {
    const s = server as net.Server | null;
    server = null;
    for (const sock of sockets) sock.destroy();
    sockets.clear();
    if (s !== null) await new Promise<void>((r) => s.close(() => r()));
  };
  await listen();
  return { port, cut, restore: listen, close: cut };
}
