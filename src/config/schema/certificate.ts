// Kong `certificates` and `snis` entities (downstream TLS), normalized form. The PEM texts
// are checked by the loader (parsable, key matching the certificate; an expired one only warned of).
import { Type } from '@sinclair/typebox';
import { Id, Nullable, Ref, Tags } from './common.js';

export const Pem = (what: string) =>
  Type.String({
    minLength: 1,
    pattern: '-----BEGIN ',
    'x-error': `must be a PEM-encoded ${what} (text starting with -----BEGIN)`,
  });

export const CertificateSchema = Type.Object(
  {
    id: Id,
    cert: Pem('certificate (optionally followed by its intermediate chain)'),
    key: Pem('private key'),
    /** A second certificate of the other key type (RSA and ECDSA), as in Kong. */
    cert_alt: Nullable(Pem('certificate')),
    key_alt: Nullable(Pem('private key')),
    tags: Tags,
  },
  { $id: 'Certificate', additionalProperties: false },
);

// A server name: a hostname, or one wildcard label leftmost ('*.example.com') or rightmost ('example.*').
export const SNI_PATTERN = '^(?:\\*\\.)?[A-Za-z0-9_](?:[A-Za-z0-9_-]*)(?:\\.[A-Za-z0-9_-]+)*(?:\\.\\*)?$';
export const SniName = Type.String({
  minLength: 1,
  pattern: SNI_PATTERN,
  'x-error':
    "must be a server name such as api.example.com, optionally with one wildcard label ('*.example.com' or 'example.*'), without a port",
});

export const SniSchema = Type.Object(
  {
    id: Id,
    name: SniName,
    certificate: Ref,
    tags: Tags,
  },
  { $id: 'Sni', additionalProperties: false },
);
