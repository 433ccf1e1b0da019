// Node settings of downstream TLS: which protocol versions and cipher suites the TLS
// listeners offer (kong.conf's ssl_protocols, ssl_cipher_suite and ssl_ciphers). Parsed at
// start-up with the other settings; src/engine/tls/ turns them into Node's TLS options.

import tls from 'node:tls';

export interface TlsOptions {
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  maxVersion: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher string (TLS 1.2 ciphers and TLS 1.3 suites); null = Node's default. */
  ciphers: string | null;
}

// TLS 1.3 suites (always forward-secret AEADs).
const TLS13 = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';
// The widely published "intermediate" recommendation for TLS 1.2: ECDHE/DHE key exchange with
// AEAD ciphers only (no CBC, no RSA key exchange, no SHA-1).
const TLS12_AEAD = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-CHACHA20-POLY1305',
].join(':');

export const CIPHER_SUITES = ['modern', 'intermediate', 'old', 'custom'] as const;
export type CipherSuite = (typeof CIPHER_SUITES)[number];

/**
 * ssl_protocols: space-separated versions ("TLSv1.2 TLSv1.3" by default). TLS 1.0 and 1.1
 * are refused. ssl_cipher_suite (Kong's names): `intermediate` (default, as Kong),
 * `modern` (TLS 1.3 only), `old` (Node's default list, still TLS 1.2 at least), `custom`
 * (ssl_ciphers, an OpenSSL cipher string; setting ssl_ciphers alone implies custom).
 * Throws an Error whose message names the setting.
 */
export function resolveTlsOptions(
  protocols: string | undefined,
  suite: string | undefined,
  ciphers: string | undefined,
): TlsOptions {
  const words = (protocols ?? 'TLSv1.2 TLSv1.3')
    .trim()
    .split(/[\s,]+/)
    .filter((w) => w !== '');
  if (words.length === 0) throw new Error('ssl_protocols: give at least one of TLSv1.2, TLSv1.3');
  const versions: ('TLSv1.2' | 'TLSv1.3')[] = [];
  for (const w of words) {
    if (w === 'TLSv1.2' || w === 'TLSv1.3') versions.push(w);
    else if (w === 'TLSv1' || w === 'TLSv1.1' || w === 'SSLv3' || w === 'SSLv2') {
      throw new Error(
        `ssl_protocols: ${w} is refused: protocol versions before TLS 1.2 are insecure and deprecated (RFC 8996); use "TLSv1.2 TLSv1.3" or "TLSv1.3"`,
      );
    } else
      throw new Error(`ssl_protocols: "${w}" is not a protocol version; use TLSv1.2 and/or TLSv1.3, space-separated`);
  }
  let min: TlsOptions['minVersion'] = versions.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3';
  const max: TlsOptions['maxVersion'] = versions.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2';
  const profile = suite ?? (ciphers !== undefined ? 'custom' : 'intermediate');
  let list: string | null;
  switch (profile) {
    case 'intermediate':
      list = `${TLS13}:${TLS12_AEAD}`;
      break;
    case 'modern':
      if (max !== 'TLSv1.3')
        throw new Error('ssl_cipher_suite: "modern" means TLS 1.3 only, but ssl_protocols does not include TLSv1.3');
      min = 'TLSv1.3';
      list = TLS13;
      break;
    case 'old':
      list = null;
      break;
    case 'custom':
      if (ciphers === undefined)
        throw new Error(
          'ssl_cipher_suite: "custom" needs ssl_ciphers (an OpenSSL cipher string, e.g. ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256)',
        );
      list = ciphers;
      break;
    default:
      throw new Error(`ssl_cipher_suite: "${profile}" is not valid; use one of ${CIPHER_SUITES.join(', ')}`);
  }
  if (ciphers !== undefined && profile !== 'custom')
    throw new Error(
      `ssl_ciphers is only used with ssl_cipher_suite "custom" (it is "${profile}"); remove one of the two`,
    );
  if (list !== null) {
    try {
      tls.createSecureContext({ ciphers: list, minVersion: min, maxVersion: max });
    } catch (err) {
      throw new Error(
        `ssl_ciphers: "${list}" is not accepted by OpenSSL (${(err as Error).message}); use OpenSSL cipher names separated by ':'`,
      );
    }
  }
  return { minVersion: min, maxVersion: max, ciphers: list };
}
