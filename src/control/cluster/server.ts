// The control plane's side of hybrid mode: the cluster listener (mutual TLS), the current
// configuration pushed to every connected data plane (at once on connect, and on every
// change), and what each data plane reported: the list behind GET /clustering/data-planes.
//
// sync_status, Kong's field, takes these values here:
//   normal          the data plane acknowledged the control plane's current configuration
//   unknown         it has not (yet): a push is on its way, or it is disconnected behind
//   config_refused  it refused the current configuration (Turnpike's value; `error` says why)
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { ListenAddress } from '../../settings/index.js';
import { asDataPlaneMessage, encode, readMessages, send, type DataPlaneMessage } from './protocol.js';
import { checkPeer, serverOptions, type ClusterTls } from './tls.js';

const HELLO_TIMEOUT_MS = 10_000;

export type SyncStatus = 'normal' | 'unknown' | 'config_refused';

export interface DataPlaneStatus {
  id: string;
  hostname: string;
  ip: string;
  /** The data plane's Turnpike version. */
  version: string;
  /** The configuration the data plane serves. */
  config_hash: string | null;
  /** Unix time (seconds) of the last message from it, as Kong reports it. */
  last_seen: number;
  sync_status: SyncStatus;
  connected: boolean;
  /** Why it refused the control plane's current configuration (config_refused), else null. */
  error: string | null;
}

interface Peer {
  status: Omit<DataPlaneStatus, 'sync_status' | 'error'>;
  refused: { hash: string; error: string } | null;
  socket: tls.TLSSocket | null;
}

export interface ClusterServerOptions {
  listen: ListenAddress[];
  tls: ClusterTls;
  log: Logger;
  pingIntervalMs: number;
}

export class ClusterServer {
  private readonly servers: tls.Server[] = [];
  private readonly peers = new Map<string, Peer>();
  private readonly sockets = new Set<tls.TLSSocket>();
  private current: { version: number; hash: string } | null = null;
  /** The current configuration's frame, encoded once for every data plane. */
  private frame: Buffer | null = null;

  private constructor(private readonly o: ClusterServerOptions) {}

  static async start(o: ClusterServerOptions): Promise<ClusterServer> {
    const s = new ClusterServer(o);
    try {
      for (const a of o.listen) await s.listenOn(a);
    } catch (err) {
      await s.close();
      throw err;
    }
    return s;
  }

  private listenOn(a: ListenAddress): Promise<void> {
    const server = tls.createServer(serverOptions(this.o.tls), (socket) => this.accept(socket));
    server.on('tlsClientError', (err, socket) => {
      this.o.log.warn(
        { peer: socket.remoteAddress },
        `cluster_listen: TLS handshake with ${socket.remoteAddress ?? 'a client'} failed: ${err.message}`,
      );
    });
    this.servers.push(server);
    return new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new Error(
            `cluster_listen "${a.spec}": ${err.code === 'EADDRINUSE' ? 'the address is already in use; stop what is listening there or choose another port (--cluster-listen)' : err.message}`,
          ),
        ),
      );
      server.listen({ host: a.host, port: a.port }, () => resolve());
    });
  }

  private accept(socket: tls.TLSSocket): void {
    const ip = socket.remoteAddress ?? '';
    const refused = checkPeer(this.o.tls, socket);
    if (refused !== null) {
      this.o.log.warn({ peer: ip }, `cluster_listen: refused a connection from ${ip}: ${refused}`);
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.setNoDelay(true);
    let peer: Peer | null = null;
    // A data plane says hello at once and then pings at the interval it announces; silence
    // for three intervals means it is gone.
    socket.setTimeout(HELLO_TIMEOUT_MS, () => {
      this.o.log.warn(
        { peer: ip, node_id: peer?.status.id },
        `data plane ${peer?.status.id ?? ip} sent nothing for ${socket.timeout} ms; closing its connection`,
      );
      socket.destroy();
    });
    socket.on('error', (err) => this.o.log.debug({ peer: ip }, `cluster connection: ${err.message}`));
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (peer !== null && peer.socket === socket) {
        peer.socket = null;
        peer.status.connected = false;
        this.o.log.info(
          { node_id: peer.status.id },
          `data plane ${peer.status.id} (${peer.status.hostname}) disconnected`,
        );
      }
    });
    readMessages(
      socket,
      (raw) => {
        const msg = asDataPlaneMessage(raw);
        if (msg === null) {
          this.o.log.warn({ peer: ip }, `cluster connection from ${ip}: an unexpected message; closing it`);
          socket.destroy();
          return;
        }
        if (peer === null) {
          if (msg.t !== 'hello') {
            socket.destroy();
            return;
          }
          peer = this.hello(msg, socket, ip);
          const interval =
            typeof msg.ping_interval_ms === 'number' && msg.ping_interval_ms > 0
              ? msg.ping_interval_ms
              : this.o.pingIntervalMs;
          socket.setTimeout(Math.max(3 * interval, 1000));
          return;
        }
        this.onMessage(peer, msg);
      },
      (err) => this.o.log.warn({ peer: ip }, `cluster connection from ${ip}: ${err.message}; closing it`),
    );
  }

  private hello(msg: DataPlaneMessage & { t: 'hello' }, socket: tls.TLSSocket, ip: string): Peer {
    let peer = this.peers.get(msg.node_id);
    // The same node connecting again (after a restart or a network cut): the new connection wins.
    if (peer?.socket != null && peer.socket !== socket) peer.socket.destroy();
    peer ??= {
      status: { id: msg.node_id, hostname: '', ip: '', version: '', config_hash: null, last_seen: 0, connected: false },
      refused: null,
      socket: null,
    };
    Object.assign(peer.status, {
      hostname: msg.hostname,
      ip,
      version: msg.version,
      config_hash: msg.config_hash,
      last_seen: nowSeconds(),
      connected: true,
    });
    peer.socket = socket;
    this.peers.set(msg.node_id, peer);
    this.o.log.info(
      { node_id: msg.node_id, hostname: msg.hostname, ip, config_hash: msg.config_hash },
      `data plane ${msg.node_id} (${msg.hostname}, ${ip}) connected`,
    );
    if (this.frame !== null) socket.write(this.frame);
    return peer;
  }

  private onMessage(peer: Peer, msg: DataPlaneMessage): void {
    peer.status.last_seen = nowSeconds();
    switch (msg.t) {
      case 'ping':
        peer.status.config_hash = msg.config_hash;
        if (peer.socket !== null) send(peer.socket, { t: 'pong' });
        break;
      case 'ack':
        peer.status.config_hash = msg.hash;
        if (peer.refused?.hash === msg.hash) peer.refused = null;
        this.o.log.info(
          { node_id: peer.status.id, hash: msg.hash },
          `data plane ${peer.status.id} applied configuration ${msg.hash.slice(0, 12)}`,
        );
        break;
      case 'nack':
        peer.refused = { hash: msg.hash, error: msg.error };
        this.o.log.warn(
          { node_id: peer.status.id, hash: msg.hash },
          `data plane ${peer.status.id} refused configuration ${msg.hash.slice(0, 12)}: ${msg.error}`,
        );
        break;
      case 'hello':
        break;
    }
  }

  /**
   * Makes `config` (declarative text, loaded hash `hash`) the current one and pushes it to
   * every data plane. `version` is the database's configuration version it was read at, the
   * same on every control plane sharing the database (0: unknown, read from the saved file).
   */
  publish(config: string, hash: string, version: number): void {
    if (this.current?.hash === hash) return;
    this.current = { version, hash };
    this.frame = encode({ t: 'config', version, hash, config });
    let n = 0;
    for (const p of this.peers.values()) {
      if (p.socket !== null) {
        p.socket.write(this.frame);
        n++;
      }
    }
    this.o.log.info(
      { version, hash },
      `cluster: configuration ${hash.slice(0, 12)} (version ${version}) pushed to ${n} data plane${n === 1 ? '' : 's'}`,
    );
  }

  dataPlanes(): DataPlaneStatus[] {
    const cur = this.current?.hash ?? null;
    return [...this.peers.values()].map((p) => {
      const refused = p.refused !== null && p.refused.hash === cur ? p.refused : null;
      const sync: SyncStatus =
        refused !== null ? 'config_refused' : cur !== null && p.status.config_hash === cur ? 'normal' : 'unknown';
      return { ...p.status, sync_status: sync, error: refused?.error ?? null };
    });
  }

  /** The addresses actually listened on (port 0 resolved), for messages and tests. */
  addresses(): string[] {
    return this.servers.map((s) => {
      const a = s.address();
      return a !== null && typeof a === 'object' ? `${a.address}:${a.port}` : String(a);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))));
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
