// Hybrid mode's settings (Kong's cluster_* names): where a control plane listens for data
// planes, where a data plane finds its control plane, and the mutual TLS between them.

import { parseListen, type ListenAddress } from './listen.js';
import { oneOf, pemSetting, seconds, SettingsError, type RawSettings } from './values.js';

export interface ClusterSettings {
  /** Control plane: where data planes connect (cluster_listen). */
  listen: ListenAddress[];
  /** Data plane: the control plane's host:port (cluster_control_plane). */
  controlPlane: { host: string; port: number } | null;
  /** PEM file paths or inline PEM (cluster_cert / cluster_cert_key). */
  cert: string | null;
  certKey: string | null;
  /** shared: both sides present the same certificate; pki: both are checked against cluster_ca_cert. */
  mtls: 'shared' | 'pki';
  caCert: string | null;
  /** pki mode: the name the control plane's certificate must carry (default: the host of cluster_control_plane). */
  serverName: string | null;
  /** Heartbeat period, ms (cluster_ping_interval, seconds; Turnpike's own setting). */
  pingIntervalMs: number;
  /** Data plane: the longest pause between reconnect attempts, ms (cluster_max_reconnect_delay, seconds). */
  maxReconnectDelayMs: number;
}

export function clusterSettings(raw: RawSettings): ClusterSettings {
  let controlPlane: ClusterSettings['controlPlane'] = null;
  if (raw.cluster_control_plane !== undefined) {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s\[\]]+)):(\d{1,5})$/.exec(raw.cluster_control_plane.trim());
    if (m === null || Number(m[3]) < 1 || Number(m[3]) > 65535) {
      throw new SettingsError(
        `cluster_control_plane: "${raw.cluster_control_plane}" is not host:port; e.g. "cp.internal:8005"`,
      );
    }
    controlPlane = { host: m[1] ?? m[2], port: Number(m[3]) };
  }
  const listen = parseListen('cluster_listen', raw.cluster_listen ?? '0.0.0.0:8005');
  for (const a of listen) {
    if (a.ssl || a.http2)
      throw new SettingsError(
        `cluster_listen: "${a.spec}": the cluster listener is always mutual TLS; give "host:port" without flags`,
      );
  }
  return {
    listen,
    controlPlane,
    cert: pemSetting(raw.cluster_cert),
    certKey: pemSetting(raw.cluster_cert_key),
    mtls: oneOf('cluster_mtls', raw.cluster_mtls, 'shared', ['shared', 'pki'] as const),
    caCert: pemSetting(raw.cluster_ca_cert),
    serverName: raw.cluster_server_name?.trim() || null,
    pingIntervalMs: seconds('cluster_ping_interval', raw.cluster_ping_interval, 10, 0.1, 3600),
    maxReconnectDelayMs: seconds('cluster_max_reconnect_delay', raw.cluster_max_reconnect_delay, 30, 0.5, 3600),
  };
}
