// TLS settings parsing and certificate lookup by SNI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import selfsigned from 'selfsigned';
import { SniContexts } from '../../../src/engine/tls/index.js';
import { resolveTlsOptions } from '../../../src/settings/index.js';
import type { Config } from '../../../src/config/types.js';

test('ssl_protocols: TLS 1.2 and 1.3 by default; TLS 1.0/1.1 refused with the reason', () => {
  assert.deepEqual(resolveTlsOptions(undefined, undefined, undefined).minVersion, 'TLSv1.2');
  assert.deepEqual(resolveTlsOptions('TLSv1.3', undefined, undefined), {
    ...resolveTlsOptions('TLSv1.3', undefined, undefined),
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
  });
  assert.throws(
    () => resolveTlsOptions('TLSv1.1 TLSv1.2', undefined, undefined),
    /ssl_protocols: TLSv1\.1 is refused.*RFC 8996/,
  );
  assert.throws(() => resolveTlsOptions('TLSv1', undefined, undefined), /TLSv1 is refused/);
  assert.throws(() => resolveTlsOptions('TLSv2', undefined, undefined), /not a protocol version/);
});

test('ssl_cipher_suite and ssl_ciphers', () => {
  assert.match(
    resolveTlsOptions(undefined, undefined, undefined).ciphers!,
    /^TLS_AES_128_GCM_SHA256:.*ECDHE-RSA-AES128-GCM-SHA256/,
  );
  assert.doesNotMatch(resolveTlsOptions(undefined, 'intermediate', undefined).ciphers!, /CBC|SHA:|RC4|3DES/);
  assert.equal(resolveTlsOptions(undefined, 'modern', undefined).minVersion, 'TLSv1.3');
  assert.throws(() => resolveTlsOptions('TLSv1.2', 'modern', undefined), /TLS 1\.3 only/);
  assert.equal(
    resolveTlsOptions(undefined, undefined, 'ECDHE-RSA-AES128-GCM-SHA256').ciphers,
    'ECDHE-RSA-AES128-GCM-SHA256',
  );
  assert.throws(() => resolveTlsOptions(undefined, 'custom', undefined), /needs ssl_ciphers/);
  assert.throws(() => resolveTlsOptions(undefined, 'custom', 'NOT-A-CIPHER'), /not accepted by OpenSSL/);
  assert.throws(() => resolveTlsOptions(undefined, 'fips', undefined), /use one of modern, intermediate, old, custom/);
});

test('SNI lookup: exact, then *.x (one label), then x.*, else undefined (the default certificate)', async () => {
  const mk = async (cn: string, id: string) => {
    const r = await selfsigned.generate([{ name: 'commonName', value: cn }], { keyType: 'ec', algorithm: 'sha256' });
    return { id, cert: r.cert, key: r.private, cert_alt: null, key_alt: null, tags: [] };
  };
  const certs = [
    await mk('exact', '00000000-0000-4000-8000-000000000001'),
    await mk('left', '00000000-0000-4000-8000-000000000002'),
    await mk('right', '00000000-0000-4000-8000-000000000003'),
  ];
  const sni = (name: string, i: number) => ({
    id: `10000000-0000-4000-8000-00000000000${i}`,
    name,
    certificate: { id: certs[i]!.id },
    tags: [],
  });
  const config = {
    certificates: certs,
    snis: [sni('a.example.com', 0), sni('*.example.com', 1), sni('example.*', 2)],
  } as unknown as Config;
  const s = new SniContexts(config, resolveTlsOptions(undefined, undefined, undefined));
  assert.equal(s.size, 3);
  const exact = s.find('A.Example.com');
  const left = s.find('b.example.com');
  const right = s.find('example.org');
  assert.ok(exact && left && right);
  assert.notEqual(exact, left);
  assert.notEqual(left, right);
  assert.equal(s.find('x.y.example.com'), undefined);
  assert.equal(s.find('other.test'), undefined);
  assert.equal(s.find('example'), undefined);
});
