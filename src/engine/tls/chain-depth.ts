// tls_verify_depth (Kong's field) counts the certificates above the upstream's own; Node has
// no such option, so the presented chain is measured after the handshake.

import type tls from 'node:tls';

/** Certificates in the chain the peer presented (its own included), each counted once. */
export function chainDepth(s: tls.TLSSocket): number {
  let n = 0;
  const seen = new Set<string>();
  for (
    let c: tls.DetailedPeerCertificate | undefined = s.getPeerCertificate(true);
    c !== undefined && c.fingerprint256 !== undefined && !seen.has(c.fingerprint256);
    c = c.issuerCertificate
  ) {
    seen.add(c.fingerprint256);
    n++;
  }
  return n;
}

/** Whether the chain is longer than the service's tls_verify_depth allows (null: no limit). */
export function tooDeep(s: tls.TLSSocket, verifyDepth: number | null): boolean {
  return verifyDepth !== null && chainDepth(s) > verifyDepth + 1;
}
