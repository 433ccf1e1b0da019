// `npm start`: the gateway on examples/quickstart.yaml, with two demo upstreams it can reach
// offline. Ctrl-C (or SIGTERM to npm or to this process) stops all three.
//
// TURNPIKE_DEMO_PORTS=9101,9102 moves the demo upstreams (default 9001,9002); the gateway
// then runs on a copy of examples/quickstart.yaml, in the prefix, with those targets.
// TURNPIKE_PROXY_LISTEN / TURNPIKE_ADMIN_LISTEN / TURNPIKE_STATUS_LISTEN move the gateway.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const CONFIG = 'examples/quickstart.yaml';
const DEFAULT_PORTS = [9001, 9002];
/** After SIGTERM, how long the children get before SIGKILL (the gateway drains up to its drain timeout first). */
const STOP_GRACE_MS = 20_000;

function fail(message) {
  process.stderr.write(`turnpike: error: ${message}\n`);
  process.exit(1);
}

function demoPorts() {
  const text = process.env.TURNPIKE_DEMO_PORTS;
  if (text === undefined || text.trim() === '') return DEFAULT_PORTS;
  const ports = text.split(',').map((p) => p.trim());
  if (
    ports.length !== 2 ||
    ports.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) ||
    ports[0] === ports[1]
  ) {
    fail(
      `TURNPIKE_DEMO_PORTS="${text}": give two different ports separated by a comma, e.g. TURNPIKE_DEMO_PORTS=9101,9102`,
    );
  }
  return ports.map(Number);
}

/** null when 127.0.0.1:port can be listened on, else the error code. */
function tryListen(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', (err) => resolve(err.code ?? err.message));
    s.listen({ host: '127.0.0.1', port, exclusive: true }, () => s.close(() => resolve(null)));
  });
}

const ports = demoPorts();
const busy = [];
for (const port of ports) {
  const err = await tryListen(port);
  if (err === 'EADDRINUSE') busy.push(port);
  else if (err !== null)
    fail(
      `demo upstream port ${port}: ${err}; set TURNPIKE_DEMO_PORTS to two other ports, e.g. TURNPIKE_DEMO_PORTS=9101,9102`,
    );
}
if (busy.length > 0) {
  const other = ports[0] + 100 > 65534 ? '9101,9102' : `${ports[0] + 100},${ports[1] + 100}`;
  fail(
    `${busy.length === 1 ? `port ${busy[0]} is` : `ports ${busy.join(' and ')} are`} in use by another process (the demo upstreams of npm start need ${ports.join(' and ')}): stop it or set TURNPIKE_DEMO_PORTS to free ports, e.g. TURNPIKE_DEMO_PORTS=${other} npm start`,
  );
}

// The demo targets follow the ports: the file itself when they are the defaults (so that
// editing it reloads the gateway), else a copy with the ports replaced.
let config = CONFIG;
if (ports[0] !== DEFAULT_PORTS[0] || ports[1] !== DEFAULT_PORTS[1]) {
  const prefix = path.resolve(process.env.TURNPIKE_PREFIX ?? './.turnpike');
  fs.mkdirSync(prefix, { recursive: true });
  config = path.join(prefix, 'quickstart.yaml');
  const text = fs
    .readFileSync(CONFIG, 'utf8')
    .replaceAll(`127.0.0.1:${DEFAULT_PORTS[0]}`, `127.0.0.1:${ports[0]}`)
    .replaceAll(`127.0.0.1:${DEFAULT_PORTS[1]}`, `127.0.0.1:${ports[1]}`);
  fs.writeFileSync(config, text);
  console.log(
    `demo upstreams on ports ${ports.join(' and ')}: the gateway runs on ${config} (${CONFIG} with those targets)`,
  );
}

const children = [];
let stopping = false;
let exitCode = 0;

function run(name, cmd, args, opts) {
  const c = spawn(cmd, args, opts);
  c.name = name;
  c.done = new Promise((resolve) => c.on('exit', (code, signal) => resolve({ code, signal })));
  children.push(c);
  c.done.then(({ code, signal }) => {
    if (stopping) return;
    // One child ended on its own (a demo port taken meanwhile, the gateway failed to start or
    // was killed): stop the others and exit non-zero. The child printed why.
    exitCode = code === 0 ? (name === 'gateway' ? 0 : 1) : (code ?? 1);
    // A child that exited by itself said why (one "turnpike: error:" line); a killed one cannot.
    void stop(signal !== null ? `${name} was killed (${signal})` : null);
  });
  return c;
}

// The demo upstreams get an IPC channel: if this process dies (even by SIGKILL), the channel
// closes and they exit (examples/demo-upstream.mjs).
const demoOpts = { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] };
run('demo-a', process.execPath, ['examples/demo-upstream.mjs', String(ports[0]), 'demo-a'], demoOpts);
run('demo-b', process.execPath, ['examples/demo-upstream.mjs', String(ports[1]), 'demo-b'], demoOpts);
const proxyListen = process.env.TURNPIKE_PROXY_LISTEN ?? '0.0.0.0:8000';
run('gateway', process.execPath, ['bin/turnpike.js', 'start', '--config', config, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: {
    ...process.env,
    TURNPIKE_PROXY_LISTEN: proxyListen,
    TURNPIKE_ADMIN_LISTEN: process.env.TURNPIKE_ADMIN_LISTEN ?? '127.0.0.1:8001',
    // The gateway stops if this process dies without passing on a signal (src/process/launcher.ts).
    TURNPIKE_STOP_WITH_PARENT: '1',
  },
});

// The hint once the gateway says every worker is ready (not at all if it never is).
const first = proxyListen.split(',')[0].trim().split(/\s+/)[0];
const proxyPort = Number(first.slice(first.lastIndexOf(':') + 1));
const statusListen = (process.env.TURNPIKE_STATUS_LISTEN ?? '127.0.0.1:8100').split(',')[0].trim().split(/\s+/)[0];
const statusPort = statusListen === 'off' ? null : Number(statusListen.slice(statusListen.lastIndexOf(':') + 1));
const hint = setInterval(async () => {
  if (statusPort === null) return clearInterval(hint);
  const ready = await fetch(`http://127.0.0.1:${statusPort}/status/ready`).then(
    (r) => r.ok,
    () => false,
  );
  if (!ready || stopping) return;
  clearInterval(hint);
  console.log(`\nTry:  curl -i http://localhost:${proxyPort}/demo/hello\n`);
}, 300);
hint.unref();

/** SIGTERM to every child still running, wait for them (SIGKILL after a grace period), exit. */
async function stop(why) {
  if (stopping) return;
  stopping = true;
  clearInterval(hint);
  if (why !== null) process.stderr.write(`quickstart: ${why}; stopping the others\n`);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  const hard = setTimeout(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }, STOP_GRACE_MS);
  await Promise.all(children.map((c) => c.done));
  clearTimeout(hard);
  process.exit(exitCode);
}

// Ctrl-C in a terminal reaches every process of the group; SIGTERM (from npm, a process
// manager, kill) reaches only this one: either way each child gets exactly one SIGTERM here.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void stop(null));
