// The TLS options of every connection the gateway opens to an upstream (HTTP/1.1 pools,
// HTTP/2 sessions, stream routes with a tls service), from the service's compiled settings:
// SNI, tls_verify, and the secure context holding its ca_certificates and client_certificate.

import type tls from 'node:tls';
import type { UpstreamTls } from '../../snapshot/types.js';

export function upstreamTlsOptions(t: UpstreamTls, host: string, port: number, alpn?: string[]): tls.ConnectionOptions {
  return {
    host,
    port,
    servername: t.servername ?? undefined,
    rejectUnauthorized: t.verify,
    minVersion: 'TLSv1.2',
    ...(t.secureContext !== null ? { secureContext: t.secureContext } : {}),
    ...(alpn !== undefined ? { ALPNProtocols: alpn } : {}),
  };
}
