// Node's TLS options from the node's TLS settings (src/settings/tls.ts): what every secure
// context and TLS server of the node shares.

import type tls from 'node:tls';
import type { TlsOptions } from '../../settings/tls.js';

/** The options every secure context and TLS server of the node shares. */
export function contextOptions(o: TlsOptions): tls.SecureContextOptions {
  return o.ciphers === null
    ? { minVersion: o.minVersion, maxVersion: o.maxVersion }
    : { minVersion: o.minVersion, maxVersion: o.maxVersion, ciphers: o.ciphers };
}
