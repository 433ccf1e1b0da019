// The listener contract: a kind of listener (plain HTTP, TLS with ALPN, a TCP stream, …) is
// one file exporting a ListenerKind, listed once in table.ts. The worker walks the table; it
// knows no kind by name. See docs/contributing-listeners.md for adding one.

import type net from 'node:net';
import type { ListenAddress, Settings } from '../../settings/index.js';
import type { WorkerContext } from '../context.js';
import type { StreamContext } from '../stream/connection.js';
import type { PemPair } from '../tls/index.js';

/** The listen settings whose addresses the table serves (Kong's listen syntax, src/settings/listen.ts). */
export type ListenSetting = 'proxy_listen' | 'stream_listen';

/** What a listener gets from its worker: made once, shared by every listener of the worker. */
export interface ListenerEnv {
  readonly settings: Settings;
  /** What HTTP connections share (the current snapshot, pools, observers). */
  readonly http: WorkerContext;
  /** What stream (L4) connections share; its `open` set holds every stream connection of the worker. */
  readonly stream: StreamContext;
  /** The default certificate(s) of TLS listeners (ssl_cert, or the one the primary made), read on first use. */
  defaultCertificates(): PemPair[];
}

/** One address of one kind, in one worker. */
export interface Listener {
  /** Made, not bound: the worker binds it (and reports a bind error with the setting's name). */
  readonly server: net.Server;
  /** Shutdown began (the server is closed): let what is in flight finish, take nothing new (Connection: close, GOAWAY). */
  drain(): void;
  /** Connections of this listener still open. */
  busy(): boolean;
  /** The drain timeout passed: close what is left. */
  close(): void;
}

/** A line of the primary's start-up log. */
export interface StartupLine {
  readonly fields?: Record<string, unknown>;
  readonly message: string;
}

export interface ListenerKind {
  /** Short name, for docs and tests: 'http', 'https', 'h2c', … */
  readonly name: string;
  /** Which listen setting's addresses it serves, and the flags that pick it there (exactly one kind per combination). */
  readonly setting: ListenSetting;
  readonly ssl: boolean;
  readonly http2: boolean;
  /** Serves TLS with the node's certificates: the primary makes sure a default certificate exists. */
  readonly tls: boolean;
  /** Scheme of its addresses in the start-up log (http://…, tcp://…). */
  readonly urlScheme: string;
  /** One start-up line for all the addresses of this kind (given as URLs), if it has something to say. */
  announce?(urls: readonly string[]): StartupLine;
  /** One start-up line per address, after the grouped ones. */
  note?(address: ListenAddress): string;
  /** Makes the listener of one address. Runs once per address per worker, never per connection. */
  create(address: ListenAddress, env: ListenerEnv): Listener;
}
