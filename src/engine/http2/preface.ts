// Cleartext HTTP/2 with prior knowledge (h2c) shares its port with HTTP/1.1, as on Kong and
// nginx: the first bytes decide. A connection that opens with the HTTP/2 client preface goes to
// HTTP/2, anything else to HTTP/1.1. The peeked bytes are put back (unshift) so either side
// reads the connection from its first byte.

import type net from 'node:net';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/**
 * Waits for enough of the first bytes to tell; calls exactly one of `h2`, `h1` (with the socket
 * paused and the bytes unread), or destroys the socket when it closes or stays silent for
 * `timeoutMs`.
 */
export function sniffPreface(
  socket: net.Socket,
  timeoutMs: number,
  h2: (s: net.Socket) => void,
  h1: (s: net.Socket) => void,
): void {
  let seen: Buffer | null = null;
  const done = (isH2: boolean): void => {
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('close', onClose);
    socket.pause();
    socket.unshift(seen!);
    if (isH2) h2(socket);
    else h1(socket);
  };
  const onData = (chunk: Buffer): void => {
    seen = seen === null ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, PREFACE.length);
    // A mismatch in the first bytes is HTTP/1.1 (no request line starts with "PRI * HTTP/2.0").
    if (seen.compare(PREFACE, 0, n, 0, n) !== 0) done(false);
    else if (n === PREFACE.length) done(true);
  };
  const onClose = (): void => clearTimeout(timer);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  socket.on('data', onData);
  socket.on('close', onClose);
  socket.on('error', () => {}); // a reset before the first bytes concerns that client only
}
