// Certificates: the PEM texts are read at load, so a bad one stops the load with its field named.
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { isSet } from './values.js';
import type { Entry, Reporter } from './reporter.js';

function firstLine(err: unknown): string {
  return ((err as Error).message ?? String(err)).split('\n')[0]!;
}

/** Checks one cert/key pair; returns the key type ('rsa', 'ec', ...) when both parse. */
function checkPemPair(rep: Reporter, e: Entry, certField: string, keyField: string, now: number): string | undefined {
  const certText = e.node[certField];
  const keyText = e.node[keyField];
  // Not PEM at all: the schema already said so.
  if (typeof certText !== 'string' || typeof keyText !== 'string' || !certText.includes('-----BEGIN ') || !keyText.includes('-----BEGIN ')) return undefined;
  let cert: X509Certificate | undefined;
  let key: KeyObject | undefined;
  try {
    cert = new X509Certificate(certText);
  } catch (err) {
    rep.add([...e.at, certField], `is not a valid PEM certificate (${firstLine(err)}); give the text between and including -----BEGIN CERTIFICATE----- and -----END CERTIFICATE-----`);
  }
  try {
    key = createPrivateKey(keyText);
  } catch (err) {
    const why = /ENCRYPTED/.test(keyText) ? 'encrypted private keys are not supported; decrypt it, e.g. with `openssl pkey -in key.pem`' : firstLine(err);
    rep.add([...e.at, keyField], `is not a valid PEM private key (${why})`);
  }
  if (cert !== undefined) {
    const notAfter = Date.parse(cert.validTo);
    if (notAfter < now) rep.add([...e.at, certField], `has expired (valid until ${new Date(notAfter).toISOString()}); renew it`);
  }
  if (cert !== undefined && key !== undefined) {
    if (!cert.checkPrivateKey(key)) {
      rep.add([...e.at, keyField], `does not belong to the certificate in '${certField}' (the public keys differ); give the private key the certificate was issued for`);
      return undefined;
    }
    try {
      // What OpenSSL itself refuses (a SHA-1 signature, a key too small for its security level).
      createSecureContext({ cert: certText, key: keyText });
    } catch (err) {
      rep.add([...e.at, certField], `cannot be served: OpenSSL refuses it (${firstLine(err)}); a SHA-1 signature or an RSA key under 2048 bits is the usual cause`);
      return undefined;
    }
    return key.asymmetricKeyType;
  }
  return undefined;
}

export function checkCertificate(rep: Reporter, e: Entry): void {
  const now = Date.now();
  const main = checkPemPair(rep, e, 'cert', 'key', now);
  const hasAlt = isSet(e.node.cert_alt);
  if (hasAlt !== isSet(e.node.key_alt)) {
    rep.add([...e.at, hasAlt ? 'key_alt' : 'cert_alt'], `is required when '${hasAlt ? 'cert_alt' : 'key_alt'}' is set`);
    return;
  }
  if (!hasAlt) return;
  const alt = checkPemPair(rep, e, 'cert_alt', 'key_alt', now);
  if (main !== undefined && alt !== undefined && main === alt) {
    rep.add([...e.at, 'cert_alt'], `must use another key type than 'cert' (both are ${main.toUpperCase()}); the alternate certificate is for serving RSA and ECDSA side by side`);
  }
}

/** A CA certificate: one PEM certificate, basicConstraints CA:TRUE, not expired; fills cert_digest. */
export function checkCaCertificate(rep: Reporter, e: Entry): void {
  const text = e.node.cert;
  if (typeof text !== 'string' || !text.includes('-----BEGIN ')) return; // the schema already said so
  const blocks = text.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  if (blocks > 1) {
    rep.add([...e.at, 'cert'], `holds ${blocks} certificates; give one CA certificate per ca_certificates entry`);
    return;
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(text);
  } catch (err) {
    rep.add([...e.at, 'cert'], `is not a valid PEM certificate (${firstLine(err)}); give the text between and including -----BEGIN CERTIFICATE----- and -----END CERTIFICATE-----`);
    return;
  }
  if (!cert.ca) {
    rep.add([...e.at, 'cert'], `is not a CA certificate (its basicConstraints do not say CA:TRUE); give the certificate of the authority that signed the upstream's certificate, not the upstream's own`);
  }
  const notAfter = Date.parse(cert.validTo);
  if (notAfter < Date.now()) rep.add([...e.at, 'cert'], `has expired (valid until ${new Date(notAfter).toISOString()}); renew it`);
  const digest = createHash('sha256').update(cert.raw).digest('hex');
  if (isSet(e.node.cert_digest) && String(e.node.cert_digest).toLowerCase() !== digest) {
    rep.add([...e.at, 'cert_digest'], `does not match the certificate (its SHA-256 is ${digest}); correct it or leave it out`);
  }
  e.node.cert_digest = digest;
}
