// The socket of an upstream HTTP/1.1 connection: plain TCP reading into one buffer shared by
// the worker, or TLS with the service's settings and the certificate chain depth checked.

import net from 'node:net';
import tls from 'node:tls';
import { tooDeep } from '../tls/chain-depth.js';
import { upstreamTlsOptions } from '../tls/upstream-options.js';
import type { UpstreamTls } from '../../snapshot/types.js';

/** What the socket reports to (the ClientConnection). */
export interface SocketUser {
  onData(chunk: Buffer): void;
  onConnect(): void;
}

/**
 * One read buffer for every upstream socket of the worker (net's `onread` option): reads
 * land here instead of in a fresh ArrayBuffer per read, and skip the Readable-stream
 * machinery. Safe because every read is consumed synchronously.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export function connectUpstream(
  host: string,
  port: number,
  upstreamTls: UpstreamTls | null,
  user: SocketUser,
): net.Socket {
  if (upstreamTls === null) {
    const socket = net.connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buf: Uint8Array): boolean => {
          user.onData((buf as Buffer).subarray(0, n));
          return true; // pausing goes through pauseReading(); never implicitly
        },
      },
    });
    socket.on('connect', () => user.onConnect());
    return socket;
  }
  // TLS sockets do not take `onread`: their decrypted reads arrive as 'data' chunks.
  const s = tls.connect(upstreamTlsOptions(upstreamTls, host, port, ['http/1.1']));
  s.setNoDelay(true);
  s.on('data', (chunk: Buffer) => user.onData(chunk));
  s.on('secureConnect', () => {
    if (upstreamTls.verify && tooDeep(s, upstreamTls.verifyDepth)) {
      s.destroy(
        Object.assign(new Error(`certificate chain longer than tls_verify_depth ${upstreamTls.verifyDepth}`), {
          code: 'ERR_TLS_VERIFY_DEPTH',
        }),
      );
      return;
    }
    user.onConnect();
  });
  return s;
}
