// Helpers for the abrupt-close tests: an HTTP/2 upstream that drops its connections when told
// to, a client that keeps making requests in the background, and a timeout for promises.

import http2, { type ServerHttp2Stream } from 'node:http2';
import type net from 'node:net';

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/** Runs `call` back to back until stopped; counts successes and failures (the first messages kept). */
export class Steady {
  ok = 0;
  failed = 0;
  readonly failures: string[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(call: () => Promise<void>) {
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          await withTimeout(call(), 5000, 'a steady request');
          this.ok++;
        } catch (err) {
          if (++this.failed <= 20) this.failures.push((err as Error).message);
        }
        // A call that fails at once (its session destroyed) would otherwise loop on promise
        // jobs alone and starve timers and I/O, the test's included.
        await new Promise((r) => setImmediate(r));
      }
    })();
  }

  /** Waits until `n` more calls have succeeded (the client is being served now); throws after `ms`. */
  async more(n: number, ms: number): Promise<void> {
    const want = this.ok + n;
    const end = Date.now() + ms;
    while (this.ok < want) {
      if (Date.now() > end)
        throw new Error(
          `only ${this.ok - want + n} of ${n} more calls succeeded in ${ms} ms (${this.failed} failed: ${this.failures.join('; ')})`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

export interface KillerUpstream {
  port: number;
  /** Times it dropped its connections. */
  readonly kills: number;
  /** The next `n` streams are held, and when the n-th arrives every connection is destroyed. */
  dropAt(n: number): void;
  close(): Promise<void>;
}

/**
 * An h2c upstream (plain HTTP/2 and gRPC). Normally it answers "h2 ok", or for a gRPC call
 * (content-type application/grpc) one empty message and grpc-status 0. After dropAt(n) it
 * holds streams until n are open at once, then destroys its sockets: no GOAWAY, no RST_STREAM.
 */
export async function killerUpstream(): Promise<KillerUpstream> {
  const server = http2.createServer({ settings: { maxConcurrentStreams: 1000 } });
  const sockets = new Set<net.Socket>();
  let holdFor = 0;
  let held: ServerHttp2Stream[] = [];
  let kills = 0;
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('session', (session) => session.on('error', () => {}));
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    stream.resume();
    if (holdFor > 0) {
      held.push(stream);
      if (held.length >= holdFor) {
        holdFor = 0;
        held = [];
        kills++;
        // Out of nghttp2's callback that emitted 'stream'.
        setImmediate(() => {
          for (const s of sockets) s.destroy();
        });
      }
      return;
    }
    const grpc = String(headers['content-type'] ?? '').startsWith('application/grpc');
    stream.on('end', () => {
      if (stream.closed || stream.destroyed) return;
      if (grpc) {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.alloc(5)); // one empty message: flag 0, length 0
      } else {
        stream.respond({ ':status': 200, 'content-type': 'text/plain' });
        stream.end('h2 ok');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    get kills() {
      return kills;
    },
    dropAt(n: number) {
      holdFor = n;
      held = [];
    },
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
