// The codec's connection fed hand-made frames: the happy path, flow control both ways,
// trailers, and each malformed or abusive input with the error RFC 9113 names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GET, Harness, rawFrame, setting, u32, type Frame } from './harness.js';

const DATA = 0,
  HEADERS = 1,
  PRIORITY = 2,
  RST = 3,
  SETTINGS = 4,
  PING = 6,
  GOAWAY = 7,
  WINDOW_UPDATE = 8,
  CONTINUATION = 9;

const goawayCode = (frames: Frame[]): number | undefined => {
  const g = frames.find((f) => f.type === GOAWAY);
  return g === undefined ? undefined : g.payload.readUInt32BE(4);
};
const rst = (frames: Frame[], id: number): number | undefined => {
  const r = frames.find((f) => f.type === RST && f.id === id);
  return r === undefined ? undefined : r.payload.readUInt32BE(0);
};

test('a GET: the request reaches the application as pseudo-headers and raw pairs; the answer goes back', async () => {
  const h = new Harness((s) => {
    s.respond(200, ['content-type', 'text/plain', 'X-Upper', 'v', 'connection', 'close']);
    s.end(Buffer.from('hello'));
  });
  await h.open();
  let f = h.frames();
  assert.equal(f[0]!.type, SETTINGS);
  assert.ok(
    f.some((x) => x.type === SETTINGS && x.flags === 1),
    'our SETTINGS ACK',
  );
  await h.send(h.headers(1, [...GET, 'accept', '*/*', 'x-b', '1']));
  const s = h.streams[0]!;
  assert.deepEqual([s.method, s.scheme, s.authority, s.path], ['GET', 'https', 'example.test', '/a?b=1']);
  assert.deepEqual(s.headers, ['accept', '*/*', 'x-b', '1']);
  f = h.frames();
  const head = f.find((x) => x.type === HEADERS)!;
  // Names lower-cased, the HTTP/1.1 connection field dropped.
  assert.deepEqual(head.fields, [':status', '200', 'content-type', 'text/plain', 'x-upper', 'v']);
  const data = f.find((x) => x.type === DATA)!;
  assert.equal(data.payload.toString(), 'hello');
  assert.equal(data.flags & 1, 1, 'END_STREAM');
  assert.equal(h.conn.openStreams, 0);
});

test('a POST body arrives in order with trailers; response trailers follow the body', async () => {
  const chunks: string[] = [];
  let ended = false;
  const h = new Harness((s) => {
    s.onData = (c) => chunks.push(c.toString());
    s.onEnd = () => {
      ended = true;
      s.respond(200);
      s.write(Buffer.from('x'));
      s.end(undefined, ['grpc-status', '0']);
    };
  });
  await h.open();
  h.frames();
  await h.send(
    h.headers(1, [':method', 'POST', ':scheme', 'https', ':path', '/u', 'content-length', '6'], 0x4),
    rawFrame(DATA, 0, 1, Buffer.from('abc')),
    rawFrame(DATA, 0x8, 1, Buffer.from([2, 0x64, 0x65, 0x66, 0, 0])), // padded: "def" + 2 bytes of padding
    h.headers(1, ['x-checksum', '42'], 0x5),
  );
  assert.deepEqual(chunks, ['abc', 'def']);
  assert.ok(ended);
  assert.deepEqual(h.streams[0]!.trailers, ['x-checksum', '42']);
  const f = h.frames().filter((x) => x.id === 1);
  assert.deepEqual(
    f.map((x) => x.type),
    [HEADERS, DATA, HEADERS],
  );
  assert.deepEqual(f[2]!.fields, ['grpc-status', '0']);
  assert.equal(f[2]!.flags & 1, 1);
});

test('send flow control: the peer window bounds DATA; write() is false until WINDOW_UPDATE, then onDrain', async () => {
  let ok: boolean | undefined;
  let drained = 0;
  const h = new Harness((s) => {
    s.onDrain = () => drained++;
    s.respond(200);
    ok = s.write(Buffer.alloc(25, 0x61));
  });
  await h.open([setting(4, 10)]); // INITIAL_WINDOW_SIZE 10
  h.frames();
  await h.send(h.headers(1, GET));
  assert.equal(ok, false);
  let data = h.frames().filter((x) => x.type === DATA);
  assert.deepEqual(
    data.map((x) => x.payload.length),
    [10],
  );
  await h.send(rawFrame(WINDOW_UPDATE, 0, 1, u32(100)));
  data = h.frames().filter((x) => x.type === DATA);
  assert.deepEqual(
    data.map((x) => x.payload.length),
    [15],
  );
  assert.equal(drained, 1);
  h.streams[0]!.end();
  await h.send();
  assert.equal(h.frames().find((x) => x.type === DATA)!.flags & 1, 1);
});

test('receive flow control: a paused stream grants no window; DATA beyond the window resets the stream', async () => {
  const got: number[] = [];
  const h = new Harness(
    (s) => {
      s.pause();
      s.onData = (c) => got.push(c.length);
    },
    { initialWindowSize: 100 },
  );
  await h.open();
  h.frames();
  await h.send(
    h.headers(1, [':method', 'POST', ':scheme', 'https', ':path', '/'], 0x4),
    rawFrame(DATA, 0, 1, Buffer.alloc(60)),
  );
  assert.deepEqual(got, []);
  assert.equal(h.frames().filter((x) => x.type === WINDOW_UPDATE && x.id === 1).length, 0);
  h.streams[0]!.resume();
  await h.send();
  assert.deepEqual(got, [60]);
  const wu = h.frames().find((x) => x.type === WINDOW_UPDATE && x.id === 1);
  assert.equal(wu?.payload.readUInt32BE(0), 60);
  // Window back at 100: 101 bytes is one too many.
  await h.send(rawFrame(DATA, 0, 1, Buffer.alloc(101)));
  assert.equal(rst(h.frames(), 1), 0x3); // FLOW_CONTROL_ERROR
});

test('PING is answered with the same payload; SETTINGS are acknowledged', async () => {
  const h = new Harness();
  await h.open();
  h.frames();
  await h.send(rawFrame(PING, 0, 0, Buffer.from('12345678')), rawFrame(SETTINGS, 0, 0, setting(1, 0)));
  const f = h.frames();
  assert.equal(f[0]!.type, PING);
  assert.equal(f[0]!.flags, 1);
  assert.equal(f[0]!.payload.toString(), '12345678');
  assert.equal(f[1]!.type, SETTINGS);
  assert.equal(f[1]!.flags, 1);
});

test('stream errors reset one stream and the connection goes on', async () => {
  const h = new Harness((s) => s.end());
  await h.open();
  h.frames();
  const cases: Array<[string[], string]> = [
    [[...GET, 'X-Upper', 'v'], 'upper-case name'],
    [[...GET, 'connection', 'keep-alive'], 'connection-specific field'],
    [[...GET, 'te', 'gzip'], 'te other than trailers'],
    [[':method', 'GET', ':path', '/'], 'missing :scheme'],
    [[...GET, ':path', '/again'], 'duplicate :path'],
    [['accept', '*/*', ...GET], 'pseudo-header after a regular field'],
    [[...GET, ':protocol', 'websocket'], 'unknown pseudo-header'],
    [[...GET, 'x', 'a\r\nb'], 'CR LF in a value'],
  ];
  let id = 1;
  for (const [pairs, what] of cases) {
    await h.send(h.headers(id, pairs));
    assert.equal(rst(h.frames(), id), 0x1, what);
    id += 2;
  }
  // content-length disagreeing with the body.
  await h.send(
    h.headers(id, [':method', 'POST', ':scheme', 'https', ':path', '/', 'content-length', '5'], 0x4),
    rawFrame(DATA, 1, id, Buffer.from('abc')),
  );
  assert.equal(rst(h.frames(), id), 0x1, 'content-length mismatch');
  id += 2;
  // PRIORITY: a stream depending on itself, and a wrong length.
  await h.send(rawFrame(PRIORITY, 0, id, [0, 0, 0, id, 16]));
  assert.equal(rst(h.frames(), id), 0x1);
  id += 2;
  await h.send(rawFrame(PRIORITY, 0, id, [0, 0, 0, 0]));
  assert.equal(rst(h.frames(), id), 0x6);
  id += 2;
  // After all that, a good request is served.
  await h.send(h.headers(id, GET));
  const f = h.frames();
  assert.ok(f.some((x) => x.type === HEADERS && x.id === id));
  assert.equal(goawayCode(f), undefined);
});

const connectionErrors: Array<[string, (h: Harness) => Buffer[], number]> = [
  ['a frame above MAX_FRAME_SIZE', () => [rawFrame(DATA, 0, 1, Buffer.alloc(16_385))], 0x6],
  ['DATA on stream 0', () => [rawFrame(DATA, 0, 0, [1])], 0x1],
  ['DATA on an idle stream', () => [rawFrame(DATA, 0, 7, [1])], 0x1],
  ['HEADERS on an even stream', (h) => [h.headers(2, GET)], 0x1],
  ['PING of 7 bytes', () => [rawFrame(PING, 0, 0, Buffer.alloc(7))], 0x6],
  ['PING on a stream', () => [rawFrame(PING, 0, 1, Buffer.alloc(8))], 0x1],
  ['SETTINGS of 5 bytes', () => [rawFrame(SETTINGS, 0, 0, Buffer.alloc(5))], 0x6],
  ['SETTINGS ACK with a payload', () => [rawFrame(SETTINGS, 1, 0, setting(1, 0))], 0x6],
  ['ENABLE_PUSH 2', () => [rawFrame(SETTINGS, 0, 0, setting(2, 2))], 0x1],
  ['INITIAL_WINDOW_SIZE 2^31', () => [rawFrame(SETTINGS, 0, 0, setting(4, 2 ** 31))], 0x3],
  ['MAX_FRAME_SIZE below 16384', () => [rawFrame(SETTINGS, 0, 0, setting(5, 100))], 0x1],
  ['WINDOW_UPDATE of 0 on the connection', () => [rawFrame(WINDOW_UPDATE, 0, 0, u32(0))], 0x1],
  ['connection window overflow', () => [rawFrame(WINDOW_UPDATE, 0, 0, u32(0x7fff_ffff))], 0x3],
  ['RST_STREAM on an idle stream', () => [rawFrame(RST, 0, 9, u32(8))], 0x1],
  ['PUSH_PROMISE from a client', () => [rawFrame(5, 4, 1, Buffer.alloc(4))], 0x1],
  ['padding longer than the frame', (h) => [h.headers(1, GET, 0x4), rawFrame(DATA, 0x8, 1, [5, 1, 2])], 0x1],
  ['an HPACK index beyond both tables', () => [rawFrame(HEADERS, 5, 1, [0xff, 0x7f])], 0x9],
  [
    'a header block interrupted by another frame',
    (h) => [h.headers(1, GET, 0x1), rawFrame(PING, 0, 0, Buffer.alloc(8))],
    0x1,
  ],
  ['CONTINUATION without HEADERS', () => [rawFrame(CONTINUATION, 4, 1, [0x82])], 0x1],
  ['HEADERS on a closed stream', (h) => [h.headers(1, GET), h.headers(1, GET)], 0x5],
];

for (const [what, frames, code] of connectionErrors) {
  test(`connection error: ${what}`, async () => {
    const h = new Harness((s) => s.end());
    await h.open();
    h.frames();
    await h.send(...frames(h));
    assert.equal(goawayCode(h.frames()), code);
    assert.ok(h.ended, 'the socket is ended');
  });
}

test('a bad preface ends the connection with PROTOCOL_ERROR', async () => {
  const h = new Harness();
  await h.send(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  assert.equal(goawayCode(h.frames()), 0x1);
});

test('CONTINUATION flood: too many frames for one block end the connection (ENHANCE_YOUR_CALM)', async () => {
  const h = new Harness(undefined, { maxContinuationFrames: 4 });
  await h.open();
  h.frames();
  const block = Buffer.from(h.encoder.encode(GET));
  const parts = [rawFrame(HEADERS, 0x1, 1, block.subarray(0, 2))];
  for (let i = 0; i < 6; i++) parts.push(rawFrame(CONTINUATION, 0, 1, [0x82]));
  await h.send(...parts);
  assert.equal(goawayCode(h.frames()), 0xb);
  assert.deepEqual(h.abuse, ['continuation-flood']);
});

test('a header block split over CONTINUATION frames within the limits is served', async () => {
  const h = new Harness((s) => s.end());
  await h.open();
  h.frames();
  const block = Buffer.from(h.encoder.encode([...GET, 'x-long', 'v'.repeat(100)]));
  await h.send(
    rawFrame(HEADERS, 0x1, 1, block.subarray(0, 10)),
    rawFrame(CONTINUATION, 0, 1, block.subarray(10, 50)),
    rawFrame(CONTINUATION, 0x4, 1, block.subarray(50)),
  );
  assert.equal(h.streams[0]!.headers[1]!.length, 100);
});

test('the concurrency limit refuses the stream past it (REFUSED_STREAM)', async () => {
  const h = new Harness(undefined, { maxConcurrentStreams: 2 });
  await h.open();
  h.frames();
  await h.send(h.headers(1, GET), h.headers(3, GET), h.headers(5, GET));
  assert.equal(rst(h.frames(), 5), 0x7);
  assert.equal(h.conn.openStreams, 2);
  // One ends: a new stream fits again.
  h.streams[0]!.end();
  await h.send(h.headers(7, GET));
  assert.equal(rst(h.frames(), 7), undefined);
});

test('rapid reset: more client resets than allowed end the connection, counted through the hooks', async () => {
  const seen: number[] = [];
  const h = new Harness(undefined, { maxResets: 5 }, { onClientReset: (_id, total) => seen.push(total) });
  await h.open();
  h.frames();
  const frames: Buffer[] = [];
  for (let id = 1; id <= 13; id += 2) frames.push(h.headers(id, GET), rawFrame(RST, 0, id, u32(8)));
  await h.send(...frames);
  assert.equal(goawayCode(h.frames()), 0xb);
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(h.abuse, ['rapid-reset']);
  assert.equal(h.streams[0]!.aborted, true);
});

test('GOAWAY from us: open streams finish, new ones are ignored, then the socket ends', async () => {
  const h = new Harness();
  await h.open();
  h.frames();
  await h.send(h.headers(1, GET));
  h.conn.close();
  await h.send(h.headers(3, GET));
  assert.equal(h.streams.length, 1);
  assert.equal(h.ended, false);
  h.streams[0]!.end(Buffer.from('bye'));
  await h.send();
  const f = h.frames();
  assert.equal(goawayCode(f), 0);
  assert.equal(f.find((x) => x.type === GOAWAY)!.payload.readUInt32BE(0), 1, 'last stream id');
  assert.ok(h.ended);
});
