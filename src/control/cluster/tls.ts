// Mutual TLS between control plane and data planes, as in Kong's hybrid mode:
//  - shared (default): both sides present the same cluster certificate (cluster_cert /
//    cluster_cert_key), and each accepts a peer only when it presents that same certificate
//    (compared by SHA-256 fingerprint; the TLS handshake proves the peer holds its key).
//  - pki: each side's certificate is checked against cluster_ca_cert; the data plane also
//    checks the control plane's name (cluster_server_name, else the host it connects to).
// TLS 1.2 or newer only.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import type tls from 'node:tls';
import type { ClusterSettings } from '../../settings/index.js';

export class ClusterTlsError extends Error {}

export interface ClusterTls {
  mode: 'shared' | 'pki';
  cert: string;
  key: string;
  ca: string | null;
  /** SHA-256 fingerprint of our certificate (shared mode compares the peer's to it). */
  fingerprint: string;
}

function pem(setting: string, value: string | null): string {
  if (value === null)
    throw new ClusterTlsError(
      `${setting} is not set; hybrid mode needs cluster_cert and cluster_cert_key (see docs/deployment.md, "Hybrid mode")`,
    );
  if (value.includes('-----BEGIN ')) return value;
  try {
    return fs.readFileSync(value, 'utf8');
  } catch (err) {
    throw new ClusterTlsError(`${setting}: cannot read "${value}": ${(err as Error).message}`);
  }
}

export function loadClusterTls(c: ClusterSettings): ClusterTls {
  const cert = pem('cluster_cert', c.cert);
  const key = pem('cluster_cert_key', c.certKey);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new ClusterTlsError(`cluster_cert: not a PEM certificate: ${(err as Error).message}`);
  }
  let ca: string | null = null;
  if (c.mtls === 'pki') ca = pem('cluster_ca_cert (needed with cluster_mtls = pki)', c.caCert);
  return { mode: c.mtls, cert, key, ca, fingerprint: x509.fingerprint256 };
}

/** Options for the control plane's listener. */
export function serverOptions(t: ClusterTls): tls.TlsOptions {
  return {
    cert: t.cert,
    key: t.key,
    minVersion: 'TLSv1.2',
    requestCert: true,
    // shared: any certificate is let through the handshake, then compared (checkPeer).
    rejectUnauthorized: t.mode === 'pki',
    ...(t.ca !== null ? { ca: t.ca } : {}),
  };
}

/** Options for a data plane's connection to `host`. */
export function clientOptions(
  t: ClusterTls,
  host: string,
  port: number,
  serverName: string | null,
): tls.ConnectionOptions {
  const name = serverName ?? host;
  return {
    host,
    port,
    cert: t.cert,
    key: t.key,
    minVersion: 'TLSv1.2',
    servername: /^[\d.]+$|:/.test(name) ? undefined : name,
    rejectUnauthorized: t.mode === 'pki',
    ...(t.ca !== null ? { ca: t.ca } : {}),
    // pki: the name checked is cluster_server_name when given, else the host.
    ...(t.mode === 'pki' && serverName !== null
      ? { checkServerIdentity: (_h: string, cert: tls.PeerCertificate) => checkName(serverName, cert) }
      : {}),
  };
}

function checkName(name: string, cert: tls.PeerCertificate): Error | undefined {
  const x = cert.raw !== undefined ? new X509Certificate(cert.raw) : null;
  if (x !== null && x.checkHost(name) !== undefined) return undefined;
  return new Error(`the control plane's certificate is not for "${name}" (cluster_server_name)`);
}

/** Why the peer of an established connection is not accepted; null when it is. */
export function checkPeer(t: ClusterTls, socket: tls.TLSSocket): string | null {
  const peer = socket.getPeerCertificate();
  if (peer === null || peer === undefined || Object.keys(peer).length === 0) return 'no certificate presented';
  if (t.mode === 'shared') {
    return peer.fingerprint256 === t.fingerprint
      ? null
      : `its certificate (SHA-256 ${peer.fingerprint256}) is not the cluster certificate (cluster_mtls = shared)`;
  }
  return socket.authorized ? null : `its certificate is not trusted: ${String(socket.authorizationError)}`;
}
