// The default certificate: served when the client sends no SNI or a name that no `snis`
// entry matches. It comes from the node settings ssl_cert / ssl_cert_key (file paths or
// inline PEM, comma-separated for an RSA and an ECDSA pair, as in kong.conf); without them,
// a self-signed certificate for "localhost" is generated once into <prefix>/ssl/ and reused
// on every start (as Kong does), so a TLS listener always has a certificate to offer.
//
// Generation uses the `selfsigned` package: widely used (tens of millions of downloads a
// week), maintained, pure JavaScript on Node's WebCrypto (no OpenSSL binary needed at run
// time, so it works in slim containers), with TypeScript types.

import fs from 'node:fs';
import path from 'node:path';
import { createPrivateKey, X509Certificate } from 'node:crypto';

export interface PemPair {
  cert: string;
  key: string;
}

const isPem = (v: string) => v.includes('-----BEGIN ');

function readValue(setting: string, value: string): string {
  if (isPem(value)) return value.replace(/\\n/g, '\n');
  try {
    return fs.readFileSync(value, 'utf8');
  } catch (err) {
    throw new Error(
      `${setting}: cannot read "${value}" (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a readable PEM file or the PEM text itself`,
    );
  }
}

/** Reads and checks the pairs of ssl_cert / ssl_cert_key; throws with the setting named. */
export function readPemPairs(certs: readonly string[], keys: readonly string[]): PemPair[] {
  if (certs.length !== keys.length) {
    throw new Error(
      `ssl_cert and ssl_cert_key must list as many entries (${certs.length} certificate(s), ${keys.length} key(s)); give both, in the same order`,
    );
  }
  const out: PemPair[] = [];
  for (let i = 0; i < certs.length; i++) {
    const cert = readValue('ssl_cert', certs[i]!);
    const key = readValue('ssl_cert_key', keys[i]!);
    let x: X509Certificate;
    try {
      x = new X509Certificate(cert);
    } catch (err) {
      throw new Error(`ssl_cert "${shown(certs[i]!)}": not a PEM certificate (${(err as Error).message})`);
    }
    let k;
    try {
      k = createPrivateKey(key);
    } catch (err) {
      throw new Error(`ssl_cert_key "${shown(keys[i]!)}": not a PEM private key (${(err as Error).message})`);
    }
    if (!x.checkPrivateKey(k))
      throw new Error(
        `ssl_cert_key "${shown(keys[i]!)}": does not belong to the certificate in ssl_cert "${shown(certs[i]!)}"`,
      );
    if (Date.parse(x.validTo) < Date.now())
      throw new Error(
        `ssl_cert "${shown(certs[i]!)}": the certificate expired on ${new Date(x.validTo).toISOString()}`,
      );
    out.push({ cert, key });
  }
  return out;
}

function shown(v: string): string {
  return isPem(v) ? '(inline PEM)' : v;
}

/** Paths of the generated default certificate in the prefix. */
export function defaultCertPaths(prefix: string): { cert: string; key: string } {
  return { cert: path.join(prefix, 'ssl', 'default.crt'), key: path.join(prefix, 'ssl', 'default.key') };
}

/**
 * Makes sure <prefix>/ssl/default.crt|key exist and are usable; generates them when missing,
 * unreadable, mismatched or expiring within a day. Returns whether it generated them.
 */
export async function ensureDefaultCertificate(
  prefix: string,
): Promise<{ cert: string; key: string; generated: boolean }> {
  const p = defaultCertPaths(prefix);
  try {
    const [pair] = readPemPairs([p.cert], [p.key]);
    if (Date.parse(new X509Certificate(pair!.cert).validTo) > Date.now() + 86_400_000)
      return { ...p, generated: false };
  } catch {
    // missing or unusable: make a new one
  }
  const now = Date.now();
  // Imported here, when a certificate is made: it costs ~110 ms of every start otherwise.
  const { default: selfsigned } = await import('selfsigned');
  const made = await selfsigned.generate(
    [
      { name: 'commonName', value: 'localhost' },
      { name: 'organizationName', value: 'Turnpike default certificate' },
    ],
    {
      keyType: 'rsa',
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate: new Date(now - 3_600_000),
      notAfterDate: new Date(now + 10 * 365 * 86_400_000),
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    },
  );
  fs.mkdirSync(path.dirname(p.cert), { recursive: true });
  // Written to temporary names then renamed, so a concurrent start never reads half a file.
  const tmpKey = `${p.key}.${process.pid}.tmp`;
  const tmpCert = `${p.cert}.${process.pid}.tmp`;
  fs.writeFileSync(tmpKey, made.private, { mode: 0o600 });
  fs.writeFileSync(tmpCert, made.cert, { mode: 0o644 });
  fs.renameSync(tmpKey, p.key);
  fs.renameSync(tmpCert, p.cert);
  return { ...p, generated: true };
}
