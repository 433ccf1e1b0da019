// Certificates by server name (SNI), compiled with the snapshot: one secure context per
// certificate, found by exact name, then a leftmost wildcard ('*.example.com', one label),
// then a rightmost wildcard ('example.*'). A name that matches nothing gets the default
// certificate (see ./default-cert.ts). A reload compiles new contexts; a handshake uses the
// snapshot current at that moment, so established connections are unaffected.

import tls from 'node:tls';
import type { Certificate, Config } from '../../config/types.js';
import { contextOptions } from './options.js';
import type { TlsOptions } from '../../settings/tls.js';

export class SniContexts {
  private readonly exact = new Map<string, tls.SecureContext>();
  /** '*.example.com' → key 'example.com'. */
  private readonly leftWild = new Map<string, tls.SecureContext>();
  /** 'example.*' → key 'example'. */
  private readonly rightWild = new Map<string, tls.SecureContext>();
  readonly size: number;

  constructor(config: Config, options: TlsOptions) {
    const byId = new Map<string, tls.SecureContext>();
    const certs = new Map<string, Certificate>();
    for (const c of config.certificates ?? []) certs.set(c.id, c);
    for (const sni of config.snis ?? []) {
      const cert = certs.get(sni.certificate.id);
      if (cert === undefined) continue; // the loader refuses dangling references
      let ctx = byId.get(cert.id);
      if (ctx === undefined) {
        try {
          ctx = secureContext(cert, options);
        } catch (err) {
          throw new Error(`certificate ${cert.id} (sni '${sni.name}'): OpenSSL refuses it: ${(err as Error).message}`);
        }
        byId.set(cert.id, ctx);
      }
      const name = sni.name.toLowerCase();
      if (name.startsWith('*.')) this.leftWild.set(name.slice(2), ctx);
      else if (name.endsWith('.*')) this.rightWild.set(name.slice(0, -2), ctx);
      else this.exact.set(name, ctx);
    }
    this.size = byId.size;
  }

  /** The context for `servername`, or undefined (→ the default certificate). */
  find(servername: string): tls.SecureContext | undefined {
    const name = servername.toLowerCase();
    const hit = this.exact.get(name);
    if (hit !== undefined) return hit;
    if (this.leftWild.size > 0) {
      const dot = name.indexOf('.');
      if (dot > 0) {
        const w = this.leftWild.get(name.slice(dot + 1));
        if (w !== undefined) return w;
      }
    }
    if (this.rightWild.size > 0) {
      const dot = name.lastIndexOf('.');
      if (dot > 0) return this.rightWild.get(name.slice(0, dot));
    }
    return undefined;
  }
}

/** One secure context serving `cert` (and `cert_alt`, the other key type, when given). */
export function secureContext(
  cert: Pick<Certificate, 'cert' | 'key'> & Partial<Pick<Certificate, 'cert_alt' | 'key_alt'>>,
  options: TlsOptions,
): tls.SecureContext {
  const pairs = [{ cert: cert.cert, key: cert.key }];
  if (cert.cert_alt && cert.key_alt) pairs.push({ cert: cert.cert_alt, key: cert.key_alt });
  return tls.createSecureContext({
    ...contextOptions(options),
    cert: pairs.map((p) => p.cert),
    key: pairs.map((p) => p.key),
  });
}
