// certificates and snis entities: PEM checks at load, nested and top-level SNIs, ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import selfsigned from 'selfsigned';
import { errorAt, errors, ok } from './helpers.js';

type Pair = { cert: string; key: string };
async function pair(cn: string, opts: { keyType?: 'rsa' | 'ec'; notAfter?: Date; notBefore?: Date } = {}): Promise<Pair> {
  const r = await selfsigned.generate([{ name: 'commonName', value: cn }], {
    keyType: opts.keyType ?? 'ec',
    notBeforeDate: opts.notBefore ?? new Date(Date.now() - 60_000),
    notAfterDate: opts.notAfter ?? new Date(Date.now() + 86_400_000),
  });
  return { cert: r.cert, key: r.private };
}

const json = (v: unknown) => JSON.stringify(v);

test('certificates with nested (string and mapping) and top-level snis load with deterministic ids', async () => {
  const a = await pair('a.test');
  const text = json({
    _format_version: '3.0',
    certificates: [{ ...a, tags: ['t'], snis: ['A.test', { name: '*.wild.test' }] }],
    snis: [{ name: 'example.*', certificate: 'CERT' }],
  });
  const first = ok(text.replace('"CERT"', json((ok(text.replace(/,"snis":\[\{"name":"example.*?\]/, '')).certificates![0]!.id))));
  assert.equal(first.certificates!.length, 1);
  const id = first.certificates![0]!.id;
  assert.deepEqual(first.snis!.map((s) => [s.name, s.certificate.id]), [['a.test', id], ['*.wild.test', id], ['example.*', id]]);
  assert.equal(first.certificates![0]!.cert_alt, null);
  const again = ok(text.replace('"CERT"', json(id)));
  assert.deepEqual(again.snis!.map((s) => s.id), first.snis!.map((s) => s.id));
});

test('bad PEM, mismatched key, expired certificate, duplicate SNI: errors name the entity and the field', async () => {
  const a = await pair('a.test');
  const b = await pair('b.test');
  const old = await pair('old.test', { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
  const errs = errors(json({
    _format_version: '3.0',
    certificates: [
      { cert: a.cert, key: b.key, snis: ['a.test'] },
      { cert: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n', key: a.key },
      { ...old, snis: ['a.test'] },
      { cert: a.cert, key: 'not a key' },
    ],
  }));
  assert.match(errorAt(errs, 'certificates[0].key').message, /does not belong to the certificate in 'cert'/);
  assert.equal(errorAt(errs, 'certificates[0].key').entity, 'certificate (certificates[0])');
  assert.match(errorAt(errs, 'certificates[1].cert').message, /is not a valid PEM certificate/);
  assert.match(errorAt(errs, 'certificates[2].cert').message, /has expired/);
  assert.match(errorAt(errs, 'certificates[2].snis[0].name').message, /name 'a.test' is already used by sni 'a.test' \(certificates\[0\]\.snis\[0\]\)/);
  assert.match(errorAt(errs, 'certificates[3].key').message, /must be a PEM-encoded private key/);
});

test('cert_alt needs key_alt and another key type; an SNI needs a known certificate', async () => {
  const a = await pair('a.test', { keyType: 'ec' });
  const a2 = await pair('a.test', { keyType: 'ec' });
  const errs = errors(json({
    _format_version: '3.0',
    certificates: [{ ...a, cert_alt: a2.cert, key_alt: a2.key }, { ...a2, cert_alt: a.cert }],
    snis: [{ name: 'x.test', certificate: '7b3ac1f2-5a4e-4a28-9f3e-2d5c7c0d9a10' }, { name: 'bad name:443', certificate: 'x' }],
  }));
  assert.match(errorAt(errs, 'certificates[0].cert_alt').message, /another key type/);
  assert.match(errorAt(errs, 'certificates[1].key_alt').message, /is required when 'cert_alt' is set/);
  assert.match(errorAt(errs, 'snis[0].certificate').message, /not defined in this file/);
  assert.match(errorAt(errs, 'snis[1].name').message, /must be a server name/);
});
