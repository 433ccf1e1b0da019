// Test certificates: a small CA and leaf certificates it signs (ECDSA P-256, valid from an
// hour ago for a day), made with `selfsigned`, for TLS listeners, upstreams and clients.

import selfsigned from 'selfsigned';

export type Pair = { cert: string; key: string };

const HOUR = 3_600_000;

export async function makeCa(name = 'Turnpike Test CA'): Promise<Pair> {
  const r = await selfsigned.generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - HOUR),
    notAfterDate: new Date(Date.now() + 24 * HOUR),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: r.cert, key: r.private };
}

/** A certificate for `name` (also its DNS subject alternative name), signed by `ca`. */
export async function leaf(ca: Pair, name: string, usage: 'serverAuth' | 'clientAuth' = 'serverAuth'): Promise<Pair> {
  const r = await selfsigned.generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca,
    notBeforeDate: new Date(Date.now() - HOUR),
    notAfterDate: new Date(Date.now() + 24 * HOUR),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', [usage]: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: name }] },
    ],
  });
  return { cert: r.cert, key: r.private };
}
