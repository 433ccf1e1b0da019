// gRPC codecs shared by the grpc-web and grpc-gateway plugins: message framing, the trailer
// frame, streaming base64 (several padded segments, any split), the status table.

import test from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeFrame,
  FrameReader,
  parseTrailerBlock,
  trailerFrame,
  FLAG_TRAILER,
} from '../../../../src/plugins/bundled/shared/grpc/framing.js';
import { Base64Decoder, Base64Encoder } from '../../../../src/plugins/bundled/shared/grpc/base64.js';
import { decodeGrpcMessage, httpStatusFromGrpc } from '../../../../src/plugins/bundled/shared/grpc/status.js';

test('frames: encoded with flag and big-endian length, read back whatever the read boundaries', () => {
  const a = encodeFrame(0, Buffer.from('hello'));
  assert.deepEqual([...a.subarray(0, 5)], [0, 0, 0, 0, 5]);
  const b = encodeFrame(1, Buffer.alloc(300, 7));
  const all = Buffer.concat([a, b, encodeFrame(0, Buffer.alloc(0))]);
  for (const step of [1, 2, 5, 6, 64, all.length]) {
    const r = new FrameReader();
    const got: { flag: number; len: number }[] = [];
    for (let i = 0; i < all.length; i += step)
      for (const f of r.push(all.subarray(i, i + step))) got.push({ flag: f.flag, len: f.payload.length });
    assert.deepEqual(
      got,
      [
        { flag: 0, len: 5 },
        { flag: 1, len: 300 },
        { flag: 0, len: 0 },
      ],
      `step ${step}`,
    );
    assert.equal(r.buffered, 0);
  }
  const partial = new FrameReader();
  assert.deepEqual(partial.push(a.subarray(0, 7)), []);
  assert.equal(partial.buffered, 7);
});

test('frames: a length over the limit is refused before buffering it', () => {
  const r = new FrameReader(1024);
  const head = Buffer.from([0, 0, 0, 0x10, 0]);
  assert.throws(() => r.push(head), /4096 bytes is larger than the limit of 1024/);
});

test('trailer frame: flag 0x80 and "name: value" lines, parsed back', () => {
  const f = trailerFrame({ 'grpc-status': '5', 'grpc-message': 'no such user', 'x-multi': ['a', 'b'] });
  assert.equal(f[0], FLAG_TRAILER);
  const payload = f.subarray(5);
  assert.equal(f.readUInt32BE(1), payload.length);
  assert.equal(payload.toString(), 'grpc-status: 5\r\ngrpc-message: no such user\r\nx-multi: a\r\nx-multi: b\r\n');
  assert.deepEqual(parseTrailerBlock(payload), {
    'grpc-status': '5',
    'grpc-message': 'no such user',
    'x-multi': ['a', 'b'],
  });
});

test('base64 decoder: concatenated padded segments and any split', () => {
  const m1 = encodeFrame(0, Buffer.from('a')); // 6 bytes → "AAAAAAFh" (no padding)
  const m2 = encodeFrame(0, Buffer.from('hello!?')); // 12 bytes
  const m3 = encodeFrame(0, Buffer.from('xyz1')); // 9 bytes
  const m4 = encodeFrame(0, Buffer.from('q')); // 6 bytes
  const odd = encodeFrame(0, Buffer.from('pad')); // 8 bytes → one "="
  const segments = [m1, m2, m3, odd, m4, encodeFrame(0, Buffer.from('pa'))].map((b) => b.toString('base64'));
  const text = segments.join('');
  assert.ok(text.includes('='), 'the test needs padding inside the text');
  const want = Buffer.concat([m1, m2, m3, odd, m4, encodeFrame(0, Buffer.from('pa'))]);
  for (const step of [1, 3, 4, 5, 7, text.length]) {
    const d = new Base64Decoder();
    const out: Buffer[] = [];
    for (let i = 0; i < text.length; i += step) out.push(d.push(text.slice(i, i + step)));
    d.end();
    assert.deepEqual(Buffer.concat(out), want, `step ${step}`);
  }
  // Whitespace (line breaks some encoders add) is ignored.
  const d = new Base64Decoder();
  assert.deepEqual(d.push(segments[0].slice(0, 4) + '\r\n' + segments[0].slice(4)), m1);
});

test('base64 decoder: bad characters and a cut quantum are errors', () => {
  assert.throws(() => new Base64Decoder().push('AA*A'), /not base64/);
  const d = new Base64Decoder();
  d.push('AAAAA');
  assert.throws(() => d.end(), /middle of a base64 quantum/);
  assert.throws(() => new Base64Decoder().push('AA=A'), /padding inside/);
});

test('base64 encoder: streamed output equals one-shot base64, whatever the split', () => {
  const data = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 37) & 0xff));
  for (const step of [1, 2, 3, 4, 10, 100]) {
    const e = new Base64Encoder();
    const out: Buffer[] = [];
    for (let i = 0; i < data.length; i += step) out.push(e.push(data.subarray(i, i + step)));
    out.push(e.end());
    assert.equal(Buffer.concat(out).toString(), data.toString('base64'), `step ${step}`);
  }
});

test('status: gRPC codes map to HTTP as grpc-gateway does; grpc-message is percent-decoded', () => {
  const want: Record<number, number> = {
    0: 200,
    3: 400,
    4: 504,
    5: 404,
    7: 403,
    12: 501,
    13: 500,
    14: 503,
    16: 401,
    8: 429,
    6: 409,
    99: 500,
  };
  for (const [code, http] of Object.entries(want)) assert.equal(httpStatusFromGrpc(Number(code)), http, `code ${code}`);
  assert.equal(decodeGrpcMessage('no%20such%20user'), 'no such user');
  assert.equal(decodeGrpcMessage('100%'), '100%');
});
