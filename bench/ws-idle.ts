// Memory of idle WebSocket connections: opens N WebSocket connections through the gateway
// (1 worker) to a `ws` upstream, leaves them idle, and reports the worker's RSS before and
// after. Not part of `npm run bench` (it holds tens of thousands of sockets).
//
//   npm run build
//   ulimit -n 65536          # the worker holds 2 descriptors per connection (client + upstream)
//   node dist/bench/ws-idle.js [N=10000]
//
// Each of the three processes (this one: the clients; a child: the upstream; the gateway
// worker: both sides) needs its own descriptors; the worker needs 2·N + a few dozen. Where the
// hard limit cannot be raised (a container without CAP_SYS_RESOURCE), use N < limit/2.

import { fork } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { startGateway, sleep } from '../test/helpers/gateway.js';

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) / 1024;
}

async function upstreamChild(): Promise<void> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, backlog: 4096 });
  wss.on('listening', () => process.send!({ port: (wss.address() as { port: number }).port }));
  wss.on('connection', (ws) => ws.on('message', (d) => ws.send(d)));
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 10_000);
  const child = fork(fileURLToPath(import.meta.url), ['--upstream'], { stdio: 'inherit' });
  const upPort = await new Promise<number>((resolve) =>
    child.once('message', (m: { port: number }) => resolve(m.port)),
  );
  const gw = await startGateway({
    config: JSON.stringify({
      _format_version: '3.0',
      services: [
        {
          name: 'ws',
          url: `http://127.0.0.1:${upPort}`,
          read_timeout: 3_600_000,
          write_timeout: 3_600_000,
          routes: [{ name: 'ws', paths: ['/'] }],
        },
      ],
    }),
    workers: 1,
    env: { TURNPIKE_PROXY_ACCESS_LOG: 'off' },
  });
  const clients: WebSocket[] = [];
  try {
    const st = await gw.status();
    const pid: number = st.workers[0].pid;
    await sleep(500);
    const before = rssMiB(pid);
    let failed = 0;
    let firstError = '';
    const t0 = Date.now();
    for (let i = 0; i < n; i += 250) {
      const batch: Promise<void>[] = [];
      for (let k = i; k < Math.min(n, i + 250); k++) {
        batch.push(
          new Promise<void>((resolve) => {
            const ws = new WebSocket(`ws://127.0.0.1:${gw.proxyPort}/`, { perMessageDeflate: false });
            ws.once('open', () => {
              clients.push(ws);
              resolve();
            });
            ws.once('error', (err) => {
              failed++;
              firstError ||= err.message;
              resolve();
            });
          }),
        );
      }
      await Promise.all(batch);
    }
    const openMs = Date.now() - t0;
    // One message on a sample proves the tunnels relay; then everything stays idle.
    const probe = clients[clients.length - 1];
    if (probe !== undefined) {
      probe.send('ping');
      await new Promise((r) => probe.once('message', r));
    }
    await sleep(2000);
    const gauge = (await gw.metrics()).split('\n').find((l) => l.startsWith('turnpike_websocket_connections '));
    const after = rssMiB(pid);
    const perConn = clients.length > 0 ? ((after - before) * 1024) / clients.length : NaN;
    console.log(
      JSON.stringify(
        {
          requested: n,
          open: clients.length,
          failed,
          firstError,
          gauge,
          openSeconds: openMs / 1000,
          workerRssBeforeMiB: Number(before.toFixed(1)),
          workerRssAfterMiB: Number(after.toFixed(1)),
          perConnectionKiB: Number(perConn.toFixed(2)),
          fdLimit: fs
            .readFileSync(`/proc/${pid}/limits`, 'utf8')
            .split('\n')
            .find((l) => l.startsWith('Max open files'))
            ?.replace(/\s+/g, ' '),
        },
        null,
        2,
      ),
    );
  } finally {
    for (const c of clients) c.terminate();
    await gw.stop();
    child.kill();
  }
}

if (process.argv.includes('--upstream')) void upstreamChild();
else void main();
