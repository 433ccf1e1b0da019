// What an Exchange needs of the client connection it answers (Http1ServerConnection in
// src/engine/http1/server-connection.ts, which creates the exchanges): declared here so that
// the two files do not import each other.

import type net from 'node:net';
import type { ListenerInfo } from '../context.js';
import type { ClientConnection } from '../http1/client-connection.js';
import type { TunnelObserver, TunnelSettings, WebSocketTunnel } from '../ws/tunnel.js';

export interface ClientSide {
  readonly socket: net.Socket;
  readonly listener: ListenerInfo;
  readonly clientIp: string;
  /** The client is in trusted_ips: its X-Forwarded-* headers are believed. */
  readonly trusted: boolean;
  /** Some of the current request's body has not been read from the client yet. */
  readonly bodyPending: boolean;
  readonly hasBody: boolean;
  readonly destroyed: boolean;
  /** Someone (the plugins' log phase) still reads the request head after the exchange ended. */
  lendHead(borrower: { detach(): void }): void;
  returnHead(borrower: { detach(): void }): void;
  /** Let the request body flow to the exchange (`decode`: without its chunked framing). */
  startBody(decode?: boolean): void;
  pauseBody(): void;
  resumeBody(): void;
  write(data: string | Buffer): boolean;
  startTunnel(upstream: ClientConnection, settings: TunnelSettings, observer: TunnelObserver): WebSocketTunnel;
  /** The response is complete: read the next request, or close (`keepAlive` false). */
  exchangeDone(keepAlive: boolean): void;
  close(): void;
}
