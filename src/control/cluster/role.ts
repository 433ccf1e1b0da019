// What each hybrid-mode role needs, checked before anything starts.
import type { Settings } from '../../settings/index.js';
import { loadClusterTls, type ClusterTls } from './tls.js';

/**
 * Throws with a message saying what to change when the settings do not fit the role; returns
 * the cluster certificate(s) for control_plane and data_plane, null for traditional.
 */
export function checkHybridRole(settings: Settings): ClusterTls | null {
  if (settings.role === 'traditional') return null;
  if (settings.role === 'control_plane') {
    if (settings.config !== null)
      throw new Error(
        'role control_plane: a control plane runs on a database, not a declarative file; leave out --config (TURNPIKE_DECLARATIVE_CONFIG) and load the file with `turnpike config db_import FILE`',
      );
    if (settings.db === null)
      throw new Error(
        'role control_plane needs a database: set --database sqlite or postgres (TURNPIKE_DATABASE), not "off"',
      );
    if (settings.cluster.listen.length === 0)
      throw new Error(
        'role control_plane: cluster_listen is "off"; data planes need an address to connect to (e.g. 0.0.0.0:8005)',
      );
  } else {
    if (settings.config !== null)
      throw new Error(
        'role data_plane: a data plane takes its configuration from the control plane; leave out --config (TURNPIKE_DECLARATIVE_CONFIG)',
      );
    if (settings.database !== 'off')
      throw new Error(
        `role data_plane: the database must be "off" (a data plane never opens it), not "${settings.database}"; leave out --database`,
      );
    if (settings.cluster.controlPlane === null)
      throw new Error(
        "role data_plane needs cluster_control_plane (TURNPIKE_CLUSTER_CONTROL_PLANE): the control plane's host:port, e.g. cp.internal:8005",
      );
  }
  return loadClusterTls(settings.cluster);
}
