// HPACK against RFC 7541 Appendix C (the RFC's own byte strings) plus malformed blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HpackDecoder, HeaderListTooLarge } from '../../../../src/engine/http2/codec/hpack-decoder.js';
import { HpackEncoder } from '../../../../src/engine/http2/codec/hpack-encoder.js';
import { HpackError } from '../../../../src/engine/http2/codec/errors.js';
import { huffmanDecode, huffmanEncode, huffmanLength } from '../../../../src/engine/http2/codec/huffman.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const flat = (pairs: Array<[string, string]>): string[] => pairs.flat();

const REQ1: Array<[string, string]> = [
  [':method', 'GET'],
  [':scheme', 'http'],
  [':path', '/'],
  [':authority', 'www.example.com'],
];
const REQ2: Array<[string, string]> = [...REQ1, ['cache-control', 'no-cache']];
const REQ3: Array<[string, string]> = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':path', '/index.html'],
  [':authority', 'www.example.com'],
  ['custom-key', 'custom-value'],
];
const RES1: Array<[string, string]> = [
  [':status', '302'],
  ['cache-control', 'private'],
  ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
  ['location', 'https://www.example.com'],
];
const RES2: Array<[string, string]> = [[':status', '307'], ...RES1.slice(1)];
const RES3: Array<[string, string]> = [
  [':status', '200'],
  ['cache-control', 'private'],
  ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
  ['location', 'https://www.example.com'],
  ['content-encoding', 'gzip'],
  ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
];

test('C.2: literal with and without indexing, never indexed, indexed', () => {
  const d = new HpackDecoder();
  assert.deepEqual(d.decode(hex('400a637573746f6d2d6b65790d637573746f6d2d686561646572')), [
    'custom-key',
    'custom-header',
  ]);
  assert.equal(d.table.size, 55);
  assert.deepEqual(d.decode(hex('040c2f73616d706c652f70617468')), [':path', '/sample/path']);
  assert.deepEqual(d.decode(hex('100870617373776f726406736563726574')), ['password', 'secret']);
  assert.deepEqual(d.decode(hex('82')), [':method', 'GET']);
  assert.equal(d.table.size, 55);
});

test('C.3: three requests without Huffman share one dynamic table', () => {
  const d = new HpackDecoder();
  assert.deepEqual(d.decode(hex('828684410f7777772e6578616d706c652e636f6d')), flat(REQ1));
  assert.equal(d.table.size, 57);
  assert.deepEqual(d.decode(hex('828684be58086e6f2d6361636865')), flat(REQ2));
  assert.equal(d.table.size, 110);
  assert.deepEqual(d.decode(hex('828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565')), flat(REQ3));
  assert.equal(d.table.size, 164);
});

const C4 = [
  '828684418cf1e3c2e5f23a6ba0ab90f4ff',
  '828684be5886a8eb10649cbf',
  '828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf',
];

test('C.4: the same requests with Huffman, decoded and encoded byte for byte', () => {
  const d = new HpackDecoder();
  const e = new HpackEncoder();
  const reqs = [REQ1, REQ2, REQ3];
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(d.decode(hex(C4[i]!)), flat(reqs[i]!), `C.4.${i + 1} decoded`);
    assert.equal(e.encode(flat(reqs[i]!)).toString('hex'), C4[i], `C.4.${i + 1} encoded`);
  }
  assert.equal(d.table.size, 164);
});

const C6 = [
  '488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3',
  '4883640effc1c0bf',
  '88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007',
];

test('C.6: responses with Huffman and a 256-byte table: evictions in step', () => {
  const d = new HpackDecoder(256);
  assert.deepEqual(d.decode(hex(C6[0]!)), flat(RES1));
  assert.equal(d.table.size, 222);
  assert.deepEqual(d.decode(hex(C6[1]!)), flat(RES2));
  assert.equal(d.table.size, 222);
  assert.deepEqual(d.decode(hex(C6[2]!)), flat(RES3));
  assert.equal(d.table.size, 215);
  // Our encoder makes the RFC's first two blocks exactly (the third differs on purpose:
  // set-cookie is sent never-indexed); a decoder in step reads all three back.
  const e = new HpackEncoder(256);
  const back = new HpackDecoder(256);
  assert.equal(e.encode(flat(RES1.slice(1)), 302).toString('hex'), C6[0]);
  assert.equal(e.encode(flat(RES2.slice(1)), 307).toString('hex'), C6[1]);
  assert.deepEqual(back.decode(hex(C6[0]!)), flat(RES1));
  assert.deepEqual(back.decode(hex(C6[1]!)), flat(RES2));
  assert.deepEqual(back.decode(Buffer.from(e.encode(flat(RES3.slice(1)), 200))), flat(RES3));
});

test('Huffman: every byte value round-trips; bad padding and EOS are refused', () => {
  let all = '';
  for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
  const out = Buffer.alloc(huffmanLength(all));
  assert.equal(huffmanEncode(all, out, 0), out.length);
  assert.equal(huffmanDecode(out, 0, out.length), all);
  // 'a' is 00011 (5 bits): padding of zeros instead of ones.
  assert.throws(() => huffmanDecode(hex('18'), 0, 1), HpackError);
  // 'a' then a whole byte of padding (more than 7 bits).
  assert.throws(() => huffmanDecode(hex('1fff'), 0, 2), HpackError);
  // EOS (30 ones) inside the string.
  assert.throws(() => huffmanDecode(hex('ffffffff'), 0, 4), HpackError);
});

test('malformed blocks are compression errors', () => {
  const cases: Array<[string, string]> = [
    ['80', 'index 0'],
    ['be', 'index 62 with an empty dynamic table'],
    ['ff80', 'integer running past the block'],
    ['ffffffffff0f', 'integer too large'],
    ['0005 61', 'string running past the block'],
    ['3fe21f', 'table size update above the advertised 4096 (4097)'],
    ['82 20', 'table size update after a field'],
    ['0081 00 0161', 'Huffman padding of zeros'],
  ];
  for (const [block, what] of cases) assert.throws(() => new HpackDecoder().decode(hex(block)), HpackError, what);
  // A size update to 0 first is fine, and empties the table.
  const d = new HpackDecoder();
  d.decode(hex('400a637573746f6d2d6b65790d637573746f6d2d686561646572'));
  assert.deepEqual(d.decode(hex('20 82')), [':method', 'GET']);
  assert.equal(d.table.length, 0);
});

test('a header list above the limit is reported after the table moved on', () => {
  const d = new HpackDecoder(4096, 60);
  assert.throws(() => d.decode(hex('400a637573746f6d2d6b65790d637573746f6d2d686561646572 82')), HeaderListTooLarge);
  assert.equal(d.table.size, 55); // the entry was added: the next block's indices still agree
  assert.deepEqual(d.decode(hex('be')), ['custom-key', 'custom-header']);
});

test('encoder: repeated response fields cost one byte each; the table follows a smaller peer size', () => {
  const e = new HpackEncoder();
  const d = new HpackDecoder();
  const pairs = ['content-type', 'text/plain', 'x-request-id', 'abc', 'content-length', '12'];
  const first = Buffer.from(e.encode(pairs, 200));
  assert.deepEqual(d.decode(first), [':status', '200', ...pairs]);
  const second = Buffer.from(e.encode(pairs, 200));
  assert.equal(second.length, 4);
  assert.deepEqual(d.decode(second), [':status', '200', ...pairs]);
  e.setPeerMaxSize(0);
  const third = Buffer.from(e.encode(pairs, 404));
  assert.equal(third[0], 0x20); // the size update comes first
  assert.deepEqual(d.decode(third), [':status', '404', ...pairs]);
  assert.equal(d.table.length, 0);
});
