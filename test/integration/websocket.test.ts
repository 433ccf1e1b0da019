// WebSocket proxying end to end: the `ws` package as the client and as the upstream server,
// through the real gateway (1 worker). Handshake through routes and plugins, frames relayed
// both ways, backpressure, close codes, timeouts, metrics, malformed frames.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { freePort, sleep, type Gateway } from '../helpers/gateway.js';
import { gateway } from '../helpers/scope.js';

let server: http.Server;
let wss: WebSocketServer;
let wssDeflate: WebSocketServer;
let upPort: number;
let deadPort: number;
let gw: Gateway;
/** The gateway's TLS listener (wss), served with the self-signed default certificate. */
let tlsPort: number;
/** Headers of the last handshake the upstream saw. */
let lastHandshake: http.IncomingHttpHeaders = {};
/** Close code and reason the upstream received last. */
let lastClose: { code: number; reason: string } | null = null;

before(async () => {
  server = http.createServer((req, res) => {
    if (req.url?.startsWith('/ws/forbidden') || req.url?.startsWith('/forbidden')) {
      res.writeHead(403, { 'content-type': 'text/plain', 'x-up': 'refused' });
      res.end('no websocket for you');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('plain http ' + req.url);
  });
  wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  wssDeflate = new WebSocketServer({ noServer: true, perMessageDeflate: { threshold: 0 } });
  wssDeflate.on('connection', (ws) =>
    ws.on('message', (d: RawData) => ws.send('deflated:' + (d as Buffer).toString())),
  );
  server.on('upgrade', (req, socket, head) => {
    lastHandshake = req.headers;
    if (req.url?.includes('forbidden')) {
      socket.end(
        'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 20\r\nX-Up: refused\r\nConnection: close\r\n\r\nno websocket for you',
      );
      return;
    }
    if (req.url?.includes('deflate')) {
      wssDeflate.handleUpgrade(req, socket, head, (ws) => wssDeflate.emit('connection', ws, req));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data: RawData, isBinary: boolean) => {
        const buf = data as Buffer;
        const text = isBinary ? '' : buf.toString();
        if (text === 'close-me') return ws.close(4001, 'upstream says bye');
        if (text === 'size?') return; // answered below
        if (text.startsWith('big:')) {
          const n = Number(text.slice(4));
          return ws.send(Buffer.alloc(n, 0x61), { binary: true });
        }
        if (isBinary) ws.send(buf, { binary: true });
        else ws.send('echo:' + text);
      });
      ws.on('close', (code, reason) => {
        lastClose = { code, reason: reason.toString() };
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  upPort = (server.address() as net.AddressInfo).port;
  deadPort = await freePort();
  tlsPort = await freePort();
  gw = await gateway({
    extraListen: `127.0.0.1:${tlsPort} ssl`,
    config: JSON.stringify({
      _format_version: '3.0',
      consumers: [{ username: 'alice', keyauth_credentials: [{ key: 'alice-key' }] }],
      services: [
        {
          name: 'echo',
          url: `http://127.0.0.1:${upPort}`,
          routes: [
            { name: 'ws', paths: ['/ws'], strip_path: false },
            { name: 'auth', paths: ['/auth'], strip_path: false, plugins: [{ name: 'key-auth' }] },
            {
              name: 'limited',
              paths: ['/limited'],
              strip_path: false,
              plugins: [{ name: 'rate-limiting', config: { minute: 2, limit_by: 'ip' } }],
            },
            { name: 'wsonly', paths: ['/only'], protocols: ['ws', 'wss'], strip_path: false },
          ],
        },
        {
          name: 'idle',
          url: `http://127.0.0.1:${upPort}`,
          read_timeout: 600,
          routes: [{ name: 'idle', paths: ['/idle'], strip_path: false }],
        },
        { name: 'dead', url: `http://127.0.0.1:${deadPort}`, retries: 0, routes: [{ name: 'dead', paths: ['/dead'] }] },
      ],
    }),
  });
});

after(async () => {
  wss.close();
  wssDeflate.close();
  server.closeAllConnections();
  server.close();
});

const wsUrl = (p: string): string => `ws://127.0.0.1:${gw.proxyPort}${p}`;

async function open(
  p: string,
  opts: ConstructorParameters<typeof WebSocket>[2] = {},
  protocols: string[] = [],
): Promise<WebSocket> {
  const ws = new WebSocket(wsUrl(p), protocols, { perMessageDeflate: false, ...opts });
  await once(ws, 'open');
  return ws;
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data: RawData, isBinary: boolean) => resolve({ data: data as Buffer, isBinary }));
    ws.once('error', reject);
  });
}

/** The handshake's HTTP answer when it is refused (no upgrade). */
function refusedWith(
  p: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(p), { headers, perMessageDeflate: false });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode!, headers: res.headers, body });
        ws.terminate();
      });
    });
    ws.on('open', () => reject(new Error('the handshake was accepted')));
    ws.on('error', () => {});
  });
}

async function wsGauge(): Promise<number> {
  const m = await gw.metrics();
  const line = m.split('\n').find((l) => l.startsWith('turnpike_websocket_connections '));
  return Number(line?.split(' ')[1]);
}

async function waitGauge(n: number): Promise<void> {
  const end = Date.now() + 3000;
  let v = -1;
  while (Date.now() < end) {
    v = await wsGauge();
    if (v === n) return;
    await sleep(50);
  }
  assert.equal(v, n, 'turnpike_websocket_connections');
}

test('text and binary messages both ways, upgrade headers forwarded, ping/pong', async () => {
  const ws = await open('/ws/chat?room=1', {}, ['chat.v1']);
  assert.equal(ws.protocol, 'chat.v1', 'the subprotocol the upstream chose reaches the client');
  assert.equal(lastHandshake.upgrade, 'websocket');
  assert.match(String(lastHandshake.connection), /upgrade/i);
  assert.ok(lastHandshake['sec-websocket-key']);
  assert.equal(lastHandshake['sec-websocket-version'], '13');
  assert.match(String(lastHandshake['x-forwarded-for']), /127\.0\.0\.1/);
  ws.send('hello');
  let m = await nextMessage(ws);
  assert.equal(m.isBinary, false);
  assert.equal(m.data.toString(), 'echo:hello');
  const bin = Buffer.from([0, 1, 2, 255, 254]);
  ws.send(bin);
  m = await nextMessage(ws);
  assert.equal(m.isBinary, true);
  assert.deepEqual(m.data, bin);
  ws.ping(Buffer.from('p1'));
  const [pong] = (await once(ws, 'pong')) as [Buffer];
  assert.equal(pong.toString(), 'p1');
  ws.close(1000, 'done');
  await once(ws, 'close');
});

test('a 1 MB message each way with backpressure; close code and reason from the client reach the upstream', async () => {
  const ws = await open('/ws/big');
  const big = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
  ws.send(big);
  let m = await nextMessage(ws);
  assert.equal(m.data.length, big.length);
  assert.ok(m.data.equals(big), '1 MB binary echoed intact');
  // Several large messages queued at once exercise the pause/resume path in both directions.
  for (let i = 0; i < 4; i++) ws.send('big:' + 1024 * 1024);
  for (let i = 0; i < 4; i++) {
    m = await nextMessage(ws);
    assert.equal(m.data.length, 1024 * 1024);
  }
  ws.close(4321, 'client reason');
  const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
  assert.equal(code, 4321, 'the upstream echoes the close code');
  assert.equal(reason.toString(), 'client reason');
  await sleep(100);
  assert.deepEqual(lastClose, { code: 4321, reason: 'client reason' });
});

test('close code and reason from the upstream reach the client', async () => {
  const ws = await open('/ws/x');
  ws.send('close-me');
  const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
  assert.equal(code, 4001);
  assert.equal(reason.toString(), 'upstream says bye');
});

test('key-auth: the handshake without a key is refused with 401 (no upgrade); with the key it opens', async () => {
  const r = await refusedWith('/auth/x');
  assert.equal(r.status, 401);
  assert.match(r.body, /No API key found/);
  const ws = await open('/auth/x', { headers: { apikey: 'alice-key' } });
  assert.equal(lastHandshake['x-consumer-username'], 'alice');
  ws.send('hi');
  assert.equal((await nextMessage(ws)).data.toString(), 'echo:hi');
  ws.close();
  await once(ws, 'close');
});

test('rate-limiting counts handshakes', async () => {
  const a = await open('/limited/a');
  const b = await open('/limited/b');
  const r = await refusedWith('/limited/c');
  assert.equal(r.status, 429);
  a.close();
  b.close();
  await Promise.all([once(a, 'close'), once(b, 'close')]);
});

test('plain HTTP on a WebSocket route still works; a ws-only route answers plain HTTP with 426', async () => {
  const res = await fetch(gw.url + '/ws/plain');
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'plain http /ws/plain');
  const only = await fetch(gw.url + '/only/x');
  assert.equal(only.status, 426);
  const ws = await open('/only/x');
  ws.send('o');
  assert.equal((await nextMessage(ws)).data.toString(), 'echo:o');
  ws.close();
  await once(ws, 'close');
});

test('the upstream refusing the upgrade: its answer reaches the client', async () => {
  const r = await refusedWith('/ws/forbidden');
  assert.equal(r.status, 403);
  assert.equal(r.headers['x-up'], 'refused');
  assert.equal(r.body, 'no websocket for you');
});

test('upstream down: 502 on the handshake', async () => {
  const r = await refusedWith('/dead/x');
  assert.equal(r.status, 502);
});

test('idle timeout (service read_timeout) closes the tunnel; traffic keeps it open', async () => {
  const ws = await open('/idle/x');
  for (let i = 0; i < 4; i++) {
    await sleep(300);
    ws.send('keep');
    assert.equal((await nextMessage(ws)).data.toString(), 'echo:keep');
  }
  const t0 = Date.now();
  const [code] = (await once(ws, 'close')) as [number];
  const waited = Date.now() - t0;
  assert.ok(waited >= 400 && waited < 2000, `closed after ${waited} ms idle`);
  assert.equal(code, 1006, 'the gateway cuts the connection (no close frame of its own)');
});

test('metrics: open WebSocket connections go up and back down', async () => {
  await waitGauge(0);
  const socks = await Promise.all([open('/ws/1'), open('/ws/2'), open('/ws/3')]);
  await waitGauge(3);
  const st = await gw.status();
  assert.equal(st.connections.websocket, 3);
  socks[0].close();
  await once(socks[0], 'close');
  await waitGauge(2);
  socks[1].terminate();
  socks[2].close();
  await waitGauge(0);
  const m = await gw.metrics();
  assert.match(m, /turnpike_http_requests_total\{service="echo",route="ws",code="101"\} \d+/);
});

test('a malformed client frame: close 1002 to the client, the upstream never sees the frame, the gateway serves on', async () => {
  // A raw handshake, then an unmasked frame (clients must mask: RFC 6455 §5.1).
  const sock = net.connect(gw.proxyPort, '127.0.0.1');
  await once(sock, 'connect');
  sock.write(
    'GET /ws/raw HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  let got = Buffer.alloc(0);
  sock.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
  const end = Date.now() + 2000;
  while (!got.includes('\r\n\r\n') && Date.now() < end) await sleep(20);
  assert.match(got.toString('latin1'), /^HTTP\/1\.1 101 /);
  assert.match(got.toString('latin1'), /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
  got = Buffer.alloc(0);
  lastClose = null;
  sock.write(Buffer.from([0x81, 0x02, 0x68, 0x69])); // "hi", unmasked
  await once(sock, 'close');
  assert.equal(got[0], 0x88, 'a close frame');
  assert.equal(got.readUInt16BE(2), 1002);
  assert.match(got.subarray(4).toString(), /not masked/);
  await sleep(200);
  assert.equal(
    (lastClose as { code: number } | null)?.code,
    1002,
    'the upstream got a clean 1002 close instead of the bad frame',
  );
  const ws = await open('/ws/after');
  ws.send('still');
  assert.equal((await nextMessage(ws)).data.toString(), 'echo:still');
  ws.close();
  await once(ws, 'close');
});

test('permessage-deflate negotiated end to end: compressed frames (RSV1) pass the frame check', async () => {
  const ws = await open('/ws/deflate', { perMessageDeflate: { threshold: 0 } });
  assert.match(ws.extensions, /permessage-deflate/);
  ws.send('z'.repeat(5000));
  assert.equal((await nextMessage(ws)).data.toString(), 'deflated:' + 'z'.repeat(5000));
  ws.close();
  await once(ws, 'close');
});

test('wss: the same tunnel through a TLS listener; the route sees protocol wss', async () => {
  const ws = new WebSocket(`wss://127.0.0.1:${tlsPort}/only/tls`, {
    perMessageDeflate: false,
    rejectUnauthorized: false,
  });
  await once(ws, 'open');
  const reply = nextMessage(ws);
  ws.send('over tls');
  assert.equal((await reply).data.toString(), 'echo:over tls');
  assert.equal(lastHandshake['x-forwarded-proto'], 'https');
  ws.close(1000, 'done');
  await once(ws, 'close');
});

test('SIGTERM: open WebSockets keep relaying while the gateway drains, new connections are refused, drain_timeout ends them and the process exits 0', async () => {
  const g = await gateway({
    env: { TURNPIKE_DRAIN_TIMEOUT: '2' },
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'echo',
          url: `http://127.0.0.1:${upPort}`,
          read_timeout: 60000,
          routes: [{ name: 'ws', paths: ['/ws'], strip_path: false }],
        },
      ],
    }),
  });
  const ws = new WebSocket(`ws://127.0.0.1:${g.proxyPort}/ws/drain`, { perMessageDeflate: false });
  await once(ws, 'open');
  const closed = once(ws, 'close') as Promise<[number, Buffer]>;
  g.signal('SIGTERM');
  await sleep(300);
  // New connections: the listener is closed (refused), or accepted and closed at once.
  const refused = await new Promise<boolean>((resolve) => {
    const s = net.connect(g.proxyPort, '127.0.0.1');
    s.on('error', () => resolve(true));
    s.on('connect', () => {
      s.end('GET /ws HTTP/1.1\r\nHost: x\r\n\r\n');
      s.on('data', () => resolve(false));
      s.on('close', () => resolve(true));
    });
  });
  assert.ok(refused, 'no new request is served while draining');
  // The open WebSocket still relays both ways.
  ws.send('during drain');
  const [reply] = (await once(ws, 'message')) as [Buffer];
  assert.equal(reply.toString(), 'echo:during drain');
  const [code] = await closed;
  assert.equal(code, 1006, 'closed at drain_timeout (the TCP connection ends)');
  await g.exited;
  assert.equal(g.exitCode, 0, g.stderr);
});
