// Kong `ca_certificates` entity: certificate authorities that services trust when they verify
// their upstream's certificate (service `ca_certificates`, with `tls_verify: true`). The loader
// checks the PEM: one certificate, a CA (basicConstraints CA:TRUE), not expired.
import { Type } from '@sinclair/typebox';
import { Id, Nullable, Tags } from './common.js';
import { Pem } from './certificate.js';

export const CertDigest = Type.String({
  pattern: '^[0-9a-fA-F]{64}$',
  'x-error': 'must be the SHA-256 digest of the certificate (64 hexadecimal characters)',
});

export const CaCertificateSchema = Type.Object(
  {
    id: Id,
    cert: Pem('CA certificate'),
    /** SHA-256 of the certificate (DER), lowercase hex; computed by the loader when left out. */
    cert_digest: Type.Optional(Nullable(CertDigest)),
    tags: Tags,
  },
  { $id: 'CaCertificate', additionalProperties: false },
);
