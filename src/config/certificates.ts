// Certificates: the PEM texts are read at load, so a bad one stops the load with its field named.
// An expired certificate loads with a warning, as Kong loads it (certificates.lua checks that the
// key matches, not the dates); an expired CA certificate is refused, as Kong refuses it
// (ca_certificates.lua: "certificate expired").
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { Ref } from './types.js';
import { isSet } from './values.js';
import type { Entry, Reporter } from './reporter.js';

/** The expired certificates of the load under way, warned of once ids and SNIs are known. */
const expired = new WeakMap<Entry, { field: string; notAfter: number }[]>();

function firstLine(err: unknown): string {
  return ((err as Error).message ?? String(err)).split('\n')[0]!;
}

/** Checks one cert/key pair; returns the key type ('rsa', 'ec', ...) when both parse. */
function checkPemPair(rep: Reporter, e: Entry, certField: string, keyField: string, now: number): string | undefined {
  const certText = e.node[certField];
  const keyText = e.node[keyField];
  // Not PEM at all: the schema already said so.
  if (
    typeof certText !== 'string' ||
    typeof keyText !== 'string' ||
    !certText.includes('-----BEGIN ') ||
    !keyText.includes('-----BEGIN ')
  )
    return undefined;
  let cert: X509Certificate | undefined;
  let key: KeyObject | undefined;
  try {
    cert = new X509Certificate(certText);
  } catch (err) {
    rep.add(
      [...e.at, certField],
      `is not a valid PEM certificate (${firstLine(err)}); give the text between and including -----BEGIN CERTIFICATE----- and -----END CERTIFICATE-----`,
    );
  }
  try {
    key = createPrivateKey(keyText);
  } catch (err) {
    const why = /ENCRYPTED/.test(keyText)
      ? 'encrypted private keys are not supported; decrypt it, e.g. with `openssl pkey -in key.pem`'
      : firstLine(err);
    rep.add([...e.at, keyField], `is not a valid PEM private key (${why})`);
  }
  if (cert !== undefined) {
    const notAfter = Date.parse(cert.validTo);
    if (notAfter < now) {
      const list = expired.get(e) ?? [];
      list.push({ field: certField, notAfter });
      expired.set(e, list);
    }
  }
  if (cert !== undefined && key !== undefined) {
    if (!cert.checkPrivateKey(key)) {
      rep.add(
        [...e.at, keyField],
        `does not belong to the certificate in '${certField}' (the public keys differ); give the private key the certificate was issued for`,
      );
      return undefined;
    }
    try {
      // What OpenSSL itself refuses (a SHA-1 signature, a key too small for its security level).
      createSecureContext({ cert: certText, key: keyText });
    } catch (err) {
      rep.add(
        [...e.at, certField],
        `cannot be served: OpenSSL refuses it (${firstLine(err)}); a SHA-1 signature or an RSA key under 2048 bits is the usual cause`,
      );
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
    rep.add(
      [...e.at, 'cert_alt'],
      `must use another key type than 'cert' (both are ${main.toUpperCase()}); the alternate certificate is for serving RSA and ECDSA side by side`,
    );
  }
}

/** Warns of each expired certificate, naming it by id and server names and giving its expiry date. */
export function warnExpiredCertificates(
  rep: Reporter,
  entries: readonly Entry[],
  refs: ReadonlyMap<Entry, Record<string, Ref | null>>,
): void {
  for (const e of entries) {
    const list = expired.get(e);
    if (list === undefined) continue;
    const snis = entries
      .filter(
        (s) =>
          s.kind === 'sni' && (s.parent === e || (s.parent === undefined && refs.get(s)?.certificate?.id === e.id)),
      )
      .map((s) => String(s.node.name));
    const named = `certificate ${e.id ?? ''} (${snis.length > 0 ? `snis: ${snis.join(', ')}` : 'no snis'})`;
    for (const x of list) {
      const which = x.field === 'cert' ? named : `the alternate certificate (cert_alt) of ${named}`;
      rep.warn(
        [...e.at, x.field],
        `${which} expired on ${new Date(x.notAfter).toISOString()}; it is loaded and served, as Kong does, but TLS clients will refuse it: renew it`,
      );
    }
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
    rep.add(
      [...e.at, 'cert'],
      `is not a valid PEM certificate (${firstLine(err)}); give the text between and including -----BEGIN CERTIFICATE----- and -----END CERTIFICATE-----`,
    );
    return;
  }
  if (!cert.ca) {
    rep.add(
      [...e.at, 'cert'],
      `is not a CA certificate (its basicConstraints do not say CA:TRUE); give the certificate of the authority that signed the upstream's certificate, not the upstream's own`,
    );
  }
  const notAfter = Date.parse(cert.validTo);
  if (notAfter < Date.now())
    rep.add([...e.at, 'cert'], `has expired (valid until ${new Date(notAfter).toISOString()}); renew it`);
  const digest = createHash('sha256').update(cert.raw).digest('hex');
  if (isSet(e.node.cert_digest) && String(e.node.cert_digest).toLowerCase() !== digest) {
    rep.add(
      [...e.at, 'cert_digest'],
      `does not match the certificate (its SHA-256 is ${digest}); correct it or leave it out`,
    );
  }
  e.node.cert_digest = digest;
}
