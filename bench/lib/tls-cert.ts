// The certificate both HTTPS contenders serve (nginx and Turnpike: same key type and size, so
// the handshake and record costs compare), made once per bench work directory.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

export interface BenchCert {
  certFile: string;
  keyFile: string;
}

export async function benchCertificate(workDir: string): Promise<BenchCert> {
  const dir = join(workDir, 'tls');
  const certFile = join(dir, 'bench.crt');
  const keyFile = join(dir, 'bench.key');
  if (existsSync(certFile) && existsSync(keyFile) && readFileSync(certFile, 'utf8').includes('BEGIN CERTIFICATE'))
    return { certFile, keyFile };
  mkdirSync(dir, { recursive: true });
  // ECDSA P-256, as a modern deployment would use.
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'bench.test' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 3_600_000),
    notAfterDate: new Date(Date.now() + 365 * 86_400_000),
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'bench.test' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  writeFileSync(certFile, pems.cert);
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  return { certFile, keyFile };
}
