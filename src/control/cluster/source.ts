// A data plane's configuration source: what its control plane pushed. read() loads the latest
// push with the same loader as a declarative file (the primary then test-compiles it as for any
// source); watch() fires on every push. The primary reports the outcome of each load through
// settled(): a configuration it serves is acknowledged and kept on disk as the last good
// snapshot (written whole, then renamed); one it refused is reported back with the reason, and
// the previous one goes on serving. At start, before any control plane has answered, the last
// good snapshot is served; with none, an empty configuration (every request gets a 404, as a
// Kong data plane without configuration does) until the first push arrives.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ClusterSettings } from '../../settings/index.js';
import { parseDeclarative, type LoadResult } from '../../config/load.js';
import type { PluginRegistry } from '../../plugins/registry.js';
import type { ConfigSource, LoadOutcome } from '../../process/config-source.js';
import { ClusterClient } from './client.js';
import type { ClusterTls } from './tls.js';

const EMPTY = '{"_format_version": "3.0"}';

interface Snapshot {
  version: number;
  hash: string;
  /** Declarative configuration (JSON text) as pushed. */
  config: string;
  received_at: string;
  control_plane: string;
}

export class ClusterSource implements ConfigSource {
  readonly label: string;
  private readonly file: string;
  private readonly client: ClusterClient;
  /** What read() returns: the latest push, else the snapshot from disk, else nothing. */
  private latest: Snapshot | null = null;
  /** The push the last read() returned, whose outcome settled() reports. */
  private reading: Snapshot | null = null;
  private served: string | null = null;
  /** The configuration served, as last pushed (or from disk). */
  private good: Snapshot | null = null;
  private onChange: ((trigger: string) => void) | null = null;
  private started = false;

  constructor(
    cluster: ClusterSettings,
    tls: ClusterTls,
    prefix: string,
    nodeId: string,
    private readonly registry: PluginRegistry,
    private readonly log: Logger,
  ) {
    const cp = cluster.controlPlane!;
    const where = `${cp.host.includes(':') ? `[${cp.host}]` : cp.host}:${cp.port}`;
    this.label = `control plane ${where}`;
    this.file = path.join(prefix, 'cluster-snapshot.json');
    this.latest = this.readSnapshot();
    this.client = new ClusterClient({
      host: cp.host,
      port: cp.port,
      serverName: cluster.serverName,
      tls,
      nodeId,
      log,
      pingIntervalMs: cluster.pingIntervalMs,
      maxReconnectDelayMs: cluster.maxReconnectDelayMs,
      configHash: () => this.served,
      onConfig: (m) => {
        this.log.info(
          { version: m.version, hash: m.hash },
          `received configuration ${m.hash.slice(0, 12)} (version ${m.version}) from the control plane`,
        );
        this.latest = {
          version: m.version,
          hash: m.hash,
          config: m.config,
          received_at: new Date().toISOString(),
          control_plane: where,
        };
        this.onChange?.(`control plane push (version ${m.version})`);
      },
    });
  }

  /** The snapshot the node starts from (null: none on disk); for the start-up message. */
  startingPoint(): Snapshot | null {
    return this.latest;
  }

  private readSnapshot(): Snapshot | null {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return null;
    }
    try {
      const s = JSON.parse(text) as Snapshot;
      if (typeof s.config === 'string' && typeof s.hash === 'string') return s;
    } catch {
      /* below */
    }
    this.log.warn(`${this.file} is not a snapshot this version can read; ignoring it`);
    return null;
  }

  private writeSnapshot(s: Snapshot): void {
    try {
      // Written whole then renamed: a crash never leaves half a snapshot to start from.
      const tmp = `${this.file}.${process.pid}.tmp`;
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      // Owner-only: the configuration holds credentials (keys, secrets, certificate keys).
      const fd = fs.openSync(tmp, 'w', 0o600);
      try {
        fs.writeFileSync(fd, JSON.stringify(s));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.file);
    } catch (err) {
      this.log.warn(`could not save the configuration snapshot to ${this.file}: ${(err as Error).message}`);
    }
  }

  async read(): Promise<LoadResult> {
    this.reading = this.latest;
    return parseDeclarative(this.latest?.config ?? EMPTY, this.label, this.registry);
  }

  /** The primary's verdict on what read() returned last. */
  settled(outcome: LoadOutcome): void {
    const s = this.reading;
    if (outcome.ok) {
      this.served = outcome.hash;
      if (s === null) return;
      // Loaded here to another hash than the control plane computed (plugins of another
      // version fill in other defaults): served all the same, and reported with our hash.
      const kept = s.hash === outcome.hash ? s : { ...s, hash: outcome.hash };
      if (this.good?.hash !== kept.hash || this.good.version !== kept.version) this.writeSnapshot(kept);
      this.good = kept;
      this.client.send({ t: 'ack', hash: kept.hash });
      return;
    }
    if (s === null) return;
    this.client.send({ t: 'nack', hash: s.hash, error: outcome.error });
    // Later reloads read the configuration served, not the refused one again.
    if (this.latest === s) this.latest = this.good;
  }

  watch(onChange: (trigger: string) => void): () => void {
    this.onChange = onChange;
    if (!this.started) {
      this.started = true;
      this.client.start();
    }
    return () => {
      this.onChange = null;
    };
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
