// Verification keys, built once per credential (and per secret_is_base64 setting) and cached
// by the credential object: a new configuration brings new credential objects, so a reload
// never sees a stale key and old ones are collected with their configuration.

import { createPublicKey, type KeyObject } from 'node:crypto';
import { base64Decode, type Algorithm } from './token.js';

/** A key jose can verify with, or why there is none. */
export type VerifyKey = { key: KeyObject | Uint8Array } | { invalid: 'secret' | 'public key' };

const cache = new WeakMap<object, Map<string, VerifyKey>>();

function build(credential: Record<string, unknown>, algorithm: Algorithm, secretIsBase64: boolean): VerifyKey {
  if (algorithm.startsWith('HS')) {
    const secret = credential.secret;
    if (typeof secret !== 'string') return { invalid: 'secret' };
    if (!secretIsBase64) return { key: new TextEncoder().encode(secret) };
    const decoded = base64Decode(secret);
    return decoded === null ? { invalid: 'secret' } : { key: new Uint8Array(decoded) };
  }
  const pem = credential.rsa_public_key;
  if (typeof pem !== 'string' || pem === '') return { invalid: 'public key' };
  // Kong base64-decodes rsa_public_key too when secret_is_base64 is set.
  const text = secretIsBase64 ? base64Decode(pem)?.toString('utf8') : pem;
  if (text === undefined) return { invalid: 'public key' };
  try {
    // SPKI ("BEGIN PUBLIC KEY"), PKCS#1 ("BEGIN RSA PUBLIC KEY") or a certificate, as OpenSSL reads them.
    return { key: createPublicKey(text) };
  } catch {
    return { invalid: 'public key' };
  }
}

export function verifyKey(
  credential: Record<string, unknown>,
  algorithm: Algorithm,
  secretIsBase64: boolean,
): VerifyKey {
  let perCredential = cache.get(credential);
  if (perCredential === undefined) {
    perCredential = new Map();
    cache.set(credential, perCredential);
  }
  const id = `${algorithm}:${secretIsBase64 ? 1 : 0}`;
  let k = perCredential.get(id);
  if (k === undefined) {
    k = build(credential, algorithm, secretIsBase64);
    perCredential.set(id, k);
  }
  return k;
}
