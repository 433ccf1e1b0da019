// A data plane's connection to its control plane: connects over mutual TLS, says hello (its
// node id, hostname, version and the configuration it serves), pings every interval, hands each
// pushed configuration to `onConfig`, and sends the acks and nacks. When the connection fails
// or goes quiet it reconnects, after a pause drawn at random between 0 and a ceiling that
// doubles per failed attempt from 0.5 s up to cluster_max_reconnect_delay ("full jitter"), so
// data planes that lost the same control plane do not all come back at the same instant.
import os from 'node:os';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { VERSION } from '../../version.js';
import {
  asControlPlaneMessage,
  readMessages,
  send,
  type ControlPlaneMessage,
  type DataPlaneMessage,
} from './protocol.js';
import { checkPeer, clientOptions, type ClusterTls } from './tls.js';

export interface ClusterClientOptions {
  host: string;
  port: number;
  serverName: string | null;
  tls: ClusterTls;
  nodeId: string;
  log: Logger;
  pingIntervalMs: number;
  maxReconnectDelayMs: number;
  /** The hash of the configuration served now (sent in hello and pings). */
  configHash(): string | null;
  onConfig(msg: ControlPlaneMessage & { t: 'config' }): void;
}

const BASE_DELAY_MS = 500;
const CONNECT_TIMEOUT_MS = 10_000;

/** The pause before reconnect attempt `attempt` (0-based): uniform in [0, min(max, 0.5 s · 2^attempt)). */
export function reconnectDelay(attempt: number, maxMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, BASE_DELAY_MS * 2 ** Math.min(attempt, 30)));
}

export class ClusterClient {
  private socket: tls.TLSSocket | null = null;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private pinger: NodeJS.Timeout | null = null;
  private closed = false;
  /** The last failure logged, so an outage logs one line per distinct reason, not per attempt. */
  private lastFailure = '';

  constructor(private readonly o: ClusterClientOptions) {}

  get connected(): boolean {
    return this.socket !== null;
  }

  start(): void {
    this.connect();
  }

  /** Sends a message now if connected (acks and nacks of a connection that dropped are moot: hello says what is served). */
  send(msg: DataPlaneMessage): void {
    if (this.socket !== null) send(this.socket, msg);
  }

  private connect(): void {
    if (this.closed) return;
    const o = this.o;
    const where = `${o.host}:${o.port}`;
    const socket = tls.connect(clientOptions(o.tls, o.host, o.port, o.serverName));
    let up = false;
    let failure: string | null = null;
    let lastHeard = Date.now();
    // Until the handshake is done: a control plane that does not answer at all (packets
    // dropped) is given up on after this long, rather than after the system's TCP timeout.
    const connectTimeout = (): void => {
      failure = `no answer from the control plane at ${where} within ${CONNECT_TIMEOUT_MS / 1000} s`;
      socket.destroy();
    };
    socket.setTimeout(CONNECT_TIMEOUT_MS, connectTimeout);
    socket.once('secureConnect', () => {
      const refused = checkPeer(o.tls, socket);
      if (refused !== null) {
        failure = `refused the control plane at ${where}: ${refused}`;
        socket.destroy();
        return;
      }
      socket.off('timeout', connectTimeout);
      socket.setTimeout(0);
      up = true;
      lastHeard = Date.now();
      this.lastFailure = '';
      this.socket = socket;
      socket.setNoDelay(true);
      o.log.info({ control_plane: where }, `connected to the control plane at ${where}`);
      send(socket, {
        t: 'hello',
        node_id: o.nodeId,
        hostname: os.hostname(),
        version: VERSION,
        config_hash: o.configHash(),
        ping_interval_ms: o.pingIntervalMs,
      });
      // The control plane answers every ping; silence for three intervals means it is gone
      // (hung, or the network between dropped it without a word). Our own pings count as
      // activity for socket.setTimeout, so the silence is measured here.
      const silence = Math.max(3 * o.pingIntervalMs, 1000);
      this.pinger = setInterval(() => {
        if (Date.now() - lastHeard > silence) {
          failure = `the control plane at ${where} did not answer for ${silence} ms`;
          socket.destroy();
          return;
        }
        send(socket, { t: 'ping', config_hash: o.configHash() });
      }, o.pingIntervalMs);
      this.pinger.unref();
    });
    readMessages(
      socket,
      (raw) => {
        const msg = asControlPlaneMessage(raw);
        if (msg === null) {
          failure = `the control plane at ${where} sent an unexpected message`;
          socket.destroy();
          return;
        }
        // The backoff starts over once the control plane has answered (a control plane that
        // accepts and then drops the connection, e.g. refusing our certificate, is not retried hot).
        this.attempt = 0;
        lastHeard = Date.now();
        if (msg.t === 'config') o.onConfig(msg);
      },
      (err) => {
        failure = `the connection to the control plane at ${where} broke: ${err.message}`;
      },
    );
    socket.on('error', (err) => {
      failure ??= `cannot reach the control plane at ${where}: ${err.message}`;
    });
    socket.on('close', () => {
      if (this.pinger !== null) clearInterval(this.pinger);
      this.pinger = null;
      if (this.socket === socket) this.socket = null;
      if (this.closed) return;
      const why =
        failure ??
        (up
          ? `the control plane at ${where} closed the connection`
          : `the control plane at ${where} closed the connection during the handshake`);
      const delay = reconnectDelay(this.attempt, o.maxReconnectDelayMs);
      this.attempt = Math.min(this.attempt + 1, 30);
      if (why !== this.lastFailure || up)
        o.log.warn(
          { control_plane: where },
          `${why}; still serving the current configuration, reconnecting (next attempt in ${delay} ms, then backing off up to ${o.maxReconnectDelayMs / 1000} s)`,
        );
      this.lastFailure = why;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.connect();
      }, delay);
    });
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.pinger !== null) clearInterval(this.pinger);
    this.socket?.destroy();
    this.socket = null;
  }
}
