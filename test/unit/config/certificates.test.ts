// certificates and snis entities: PEM checks at load, nested and top-level SNIs, ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import selfsigned from 'selfsigned';
import { errorAt, errors, load, ok } from './helpers.js';
import { formatConfigWarnings } from '../../../src/config/load.js';

type Pair = { cert: string; key: string };
async function pair(
  cn: string,
  opts: { keyType?: 'rsa' | 'ec'; notAfter?: Date; notBefore?: Date } = {},
): Promise<Pair> {
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
  const first = ok(
    text.replace('"CERT"', json(ok(text.replace(/,"snis":\[\{"name":"example.*?\]/, '')).certificates![0]!.id)),
  );
  assert.equal(first.certificates!.length, 1);
  const id = first.certificates![0]!.id;
  assert.deepEqual(
    first.snis!.map((s) => [s.name, s.certificate.id]),
    [
      ['a.test', id],
      ['*.wild.test', id],
      ['example.*', id],
    ],
  );
  assert.equal(first.certificates![0]!.cert_alt, null);
  const again = ok(text.replace('"CERT"', json(id)));
  assert.deepEqual(
    again.snis!.map((s) => s.id),
    first.snis!.map((s) => s.id),
  );
});

test('bad PEM, mismatched key, duplicate SNI: errors name the entity and the field', async () => {
  const a = await pair('a.test');
  const b = await pair('b.test');
  const old = await pair('old.test', {
    notBefore: new Date(Date.now() - 10 * 86_400_000),
    notAfter: new Date(Date.now() - 86_400_000),
  });
  const errs = errors(
    json({
      _format_version: '3.0',
      certificates: [
        { cert: a.cert, key: b.key, snis: ['a.test'] },
        { cert: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n', key: a.key },
        { ...old, snis: ['a.test'] },
        { cert: a.cert, key: 'not a key' },
      ],
    }),
  );
  assert.match(errorAt(errs, 'certificates[0].key').message, /does not belong to the certificate in 'cert'/);
  assert.equal(errorAt(errs, 'certificates[0].key').entity, 'certificate (certificates[0])');
  assert.match(errorAt(errs, 'certificates[1].cert').message, /is not a valid PEM certificate/);
  // Expired is not an error (see below): only the duplicate SNI is reported for that one.
  assert.equal(errs.filter((e) => e.path === 'certificates[2].cert').length, 0);
  assert.match(
    errorAt(errs, 'certificates[2].snis[0].name').message,
    /name 'a.test' is already used by sni 'a.test' \(certificates\[0\]\.snis\[0\]\)/,
  );
  assert.match(errorAt(errs, 'certificates[3].key').message, /must be a PEM-encoded private key/);
});

test('cert_alt needs key_alt and another key type; an SNI needs a known certificate', async () => {
  const a = await pair('a.test', { keyType: 'ec' });
  const a2 = await pair('a.test', { keyType: 'ec' });
  const errs = errors(
    json({
      _format_version: '3.0',
      certificates: [
        { ...a, cert_alt: a2.cert, key_alt: a2.key },
        { ...a2, cert_alt: a.cert },
      ],
      snis: [
        { name: 'x.test', certificate: '7b3ac1f2-5a4e-4a28-9f3e-2d5c7c0d9a10' },
        { name: 'bad name:443', certificate: 'x' },
      ],
    }),
  );
  assert.match(errorAt(errs, 'certificates[0].cert_alt').message, /another key type/);
  assert.match(errorAt(errs, 'certificates[1].key_alt').message, /is required when 'cert_alt' is set/);
  assert.match(errorAt(errs, 'snis[0].certificate').message, /not defined in this file/);
  assert.match(errorAt(errs, 'snis[1].name').message, /must be a server name/);
});

test('an expired certificate loads, as in Kong, with a warning naming its id, snis and expiry date', async () => {
  const notAfter = new Date(Date.now() - 86_400_000);
  const old = await pair('old.test', { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter });
  const fresh = await pair('fresh.test', { keyType: 'rsa' });
  const r = load(
    json({
      _format_version: '3.0',
      certificates: [
        {
          id: '0b4c7a3e-2f61-4f0e-9a55-7c1d2e3f4a5b',
          ...old,
          cert_alt: fresh.cert,
          key_alt: fresh.key,
          snis: ['old.test'],
        },
      ],
      snis: [{ name: 'other.test', certificate: '0b4c7a3e-2f61-4f0e-9a55-7c1d2e3f4a5b' }],
    }),
  );
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  assert.equal(r.config.certificates!.length, 1);
  assert.equal(r.warnings.length, 1, 'the fresh alternate certificate is not warned of');
  const w = r.warnings[0]!;
  assert.equal(w.path, 'certificates[0].cert');
  assert.equal(w.line, 1);
  // The certificate's own notAfter (second precision), as an ISO date.
  const expiry = new Date(Math.floor(notAfter.getTime() / 1000) * 1000).toISOString();
  assert.equal(
    w.message,
    `certificate 0b4c7a3e-2f61-4f0e-9a55-7c1d2e3f4a5b (snis: old.test, other.test) expired on ${expiry}; it is loaded and served, as Kong does, but TLS clients will refuse it: renew it`,
  );
  assert.match(
    formatConfigWarnings(r.warnings, 'kong.yml'),
    /^kong\.yml:1:\d+: certificate \(certificates\[0\]\): field 'cert': warning: certificate 0b4c7a3e/,
  );
});

test('an expired CA certificate is still refused, as Kong refuses it', async () => {
  const r = await selfsigned.generate([{ name: 'commonName', value: 'Old CA' }], {
    keyType: 'ec',
    notBeforeDate: new Date(Date.now() - 10 * 86_400_000),
    notAfterDate: new Date(Date.now() - 86_400_000),
    extensions: [{ name: 'basicConstraints', cA: true, critical: true }],
  });
  const errs = errors(json({ _format_version: '3.0', ca_certificates: [{ cert: r.cert }] }));
  assert.match(errorAt(errs, 'ca_certificates[0].cert').message, /has expired \(valid until/);
});
