// LogSink on real file descriptors: a FIFO whose reader is slow (EAGAIN) or gone (EPIPE),
// /dev/full (ENOSPC), a descriptor that is not open (EBADF), and pino logging through a sink
// in a child process whose stdout is /dev/full.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogSink } from '../../../src/observe/log-sink.js';
import { AccessLog } from '../../../src/observe/access-log.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'turnpike-log-sink-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const flushed = (s: LogSink) => new Promise<void>((r) => s.flush(() => r()));

/** A FIFO opened at both ends without blocking: [reader, writer]. */
function fifo(name: string): [number, number] {
  const p = path.join(dir, name);
  const r = spawnSync('mkfifo', [p]);
  assert.equal(r.status, 0, 'mkfifo: ' + r.stderr);
  const reader = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writer = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  return [reader, writer];
}

function readAvailable(fd: number): string {
  const buf = Buffer.alloc(65536);
  let out = '';
  for (;;) {
    try {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) return out;
      out += buf.toString('utf8', 0, n);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return out;
      throw err;
    }
  }
}

// Both queue kinds: lines kept as strings, and ASCII lines copied into buffers (the access log's).
for (const ascii of [false, true]) {
  const kind = ascii ? ' (ASCII buffers)' : '';

  test(`a slow reader (EAGAIN on a non-blocking pipe): writes never block, the backlog is bounded, every line is either delivered whole and in order or counted${kind}`, async () => {
    const [reader, writer] = fifo('slow' + kind.length);
    const sink = new LogSink(writer, { log: 'process', sink: 'stdout', maxBacklogBytes: 256 * 1024, ascii });
    const total = 10_000;
    const t0 = performance.now();
    for (let i = 0; i < total; i++) sink.write(`{"n":${i},"pad":"${'x'.repeat(80)}"}\n`);
    assert.ok(performance.now() - t0 < 1000, 'queueing 10,000 lines does not wait for the reader');
    await sleep(300); // the pipe (64 KiB) fills up; the rest waits, EAGAIN after EAGAIN
    assert.ok(sink.dropped > 0, 'lines beyond the 256 KiB backlog are dropped');
    assert.ok(sink.dropped < total, 'the backlog is kept');
    assert.equal(sink.error, null, 'EAGAIN does not stop the sink');

    let received = '';
    const end = Date.now() + 10_000;
    while (received.split('\n').length - 1 + sink.dropped < total && Date.now() < end) {
      received += readAvailable(reader);
      await sleep(5);
    }
    const lines = received.split('\n').slice(0, -1);
    assert.equal(
      lines.length + sink.dropped,
      total,
      `delivered ${lines.length} + dropped ${sink.dropped} = written ${total}`,
    );
    const numbers = lines.map((l) => (JSON.parse(l) as { n: number }).n);
    assert.deepEqual(
      numbers,
      [...numbers].sort((a, b) => a - b),
      'whole lines, in order',
    );
    assert.equal(numbers[0], 0, 'the first lines were written');

    // Once drained, it writes again.
    sink.write('{"n":"after"}\n');
    await flushed(sink);
    assert.equal(readAvailable(reader), '{"n":"after"}\n');
    await sink.close();
    fs.closeSync(reader);
    fs.closeSync(writer);
  });

  test(`the reader went away (EPIPE): the sink stops writing to the descriptor and counts every line${kind}`, async () => {
    const [reader, writer] = fifo('gone' + kind.length);
    const sink = new LogSink(writer, { log: 'process', sink: 'stderr', ascii });
    sink.write('one\n');
    await flushed(sink);
    assert.equal(readAvailable(reader), 'one\n');
    fs.closeSync(reader);
    for (let i = 0; i < 5; i++) sink.write(`line ${i}\n`);
    await flushed(sink);
    assert.equal(sink.error, 'EPIPE');
    assert.equal(sink.dropped, 5);
    assert.equal(sink.write('later\n'), false, 'a later line is refused at once');
    assert.equal(sink.dropped, 6);
    await sink.close();
    fs.closeSync(writer);
  });

  test(`a full disk (ENOSPC on /dev/full): lines are counted, nothing blocks, and writing pauses instead of retrying each line${kind}`, async () => {
    const fd = fs.openSync('/dev/full', 'w');
    const sink = new LogSink(fd, { log: 'access', sink: 'file', ascii }, true);
    for (let i = 0; i < 3; i++) sink.write(`line ${i}\n`);
    await flushed(sink);
    assert.equal(sink.error, 'ENOSPC');
    assert.equal(sink.dropped, 3);
    for (let i = 0; i < 100; i++) sink.write(`more ${i}\n`);
    await flushed(sink);
    assert.equal(sink.dropped, 103, 'lines written while the disk is full are dropped without a write each');
    sink.flushSync(); // no loop, no throw
    await sink.close();
  });
}

test('access log lines are ASCII JSON: a path, a service and an error with non-ASCII text or quotes read back unchanged; a line longer than a batch is written whole', async () => {
  const file = path.join(dir, 'access.log');
  const log = new AccessLog(file);
  const entry = {
    requestId: 'r1',
    clientIp: '127.0.0.1',
    method: 'GET',
    path: '/caf\u00e9/\u{1F600}?q="x"\\',
    protocol: 'HTTP/1.1',
    status: 200,
    latencyMs: 1.5,
    upstreamLatencyMs: 1,
    target: '127.0.0.1:1',
    bytesIn: 0,
    bytesOut: 12,
    service: 'Dienst-\u00fc\u00df',
    route: 'r',
    error: 'line\nbreak \u2028',
  };
  log.write(entry);
  log.write({ ...entry, requestId: 'r2', path: '/' + 'long'.repeat(40_000) });
  log.write({ ...entry, requestId: 'r3' });
  await log.close();
  const bytes = fs.readFileSync(file);
  assert.ok(
    bytes.every((b) => b < 0x80),
    'only ASCII bytes in the file',
  );
  const lines = bytes
    .toString('latin1')
    .split('\n')
    .slice(0, -1)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    lines.map((l) => l.request_id),
    ['r1', 'r2', 'r3'],
  );
  assert.equal(lines[0].path, entry.path);
  assert.equal(lines[0].service, entry.service);
  assert.equal(lines[0].error, entry.error);
  assert.equal((lines[1].path as string).length, 160_001);
});

test('a descriptor that is not open (EBADF): counted, no throw', async () => {
  const sink = new LogSink(987, { log: 'process', sink: 'stdout' });
  sink.write('x\n');
  sink.write('y\n');
  await flushed(sink);
  assert.equal(sink.error, 'EBADF');
  assert.equal(sink.dropped, 2);
});

test("pino through a sink on stdout = /dev/full: the process logs, exits promptly with code 0 (pino's default destination loops forever at exit)", async () => {
  const stdio = path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '..',
    '..',
    '..',
    'src',
    'observe',
    'stdio.js',
  );
  const script = `
    import { pino } from 'pino';
    import { guardStdio, stdSink } from ${JSON.stringify(stdio)};
    guardStdio();
    const log = pino({}, stdSink('stdout'));
    for (let i = 0; i < 50; i++) log.info({ i }, 'a line');
    log.fatal('fatal calls flushSync');
    console.log('console.log on a full stdout');
    setTimeout(() => {
      process.stderr.write('dropped ' + stdSink('stdout').dropped + ' ' + stdSink('stdout').error + '\\n');
      process.exit(0);
    }, 200);
  `;
  const full = fs.openSync('/dev/full', 'w');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', full, 'pipe'],
    cwd: path.dirname(stdio),
  });
  fs.closeSync(full);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = await new Promise<number | string | null>((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('timeout');
    }, 5000);
    child.on('exit', (code, signal) => {
      clearTimeout(t);
      resolve(code ?? signal);
    });
  });
  assert.equal(exit, 0, 'exited by itself with 0; stderr: ' + err);
  const m = /dropped (\d+) ENOSPC/.exec(err);
  assert.ok(m !== null, 'the sink reports ENOSPC: ' + err);
  assert.ok(Number(m[1]) >= 51, `every pino line counted (got ${m[1]})`);
});

test('guardStdio: process.stdout.write on a pipe whose reader exited (EPIPE) does not kill the process; the loss is counted', async () => {
  const stdio = path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '..',
    '..',
    '..',
    'src',
    'observe',
    'stdio.js',
  );
  const script = `
    import { guardStdio, stdSink } from ${JSON.stringify(stdio)};
    guardStdio();
    process.once('message', () => {
      for (let i = 0; i < 5; i++) process.stdout.write('a line\\n');
      setTimeout(() => process.send({ dropped: stdSink('stdout').dropped }, () => process.exit(0)), 200);
    });
    process.send('ready');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const messages: unknown[] = [];
  child.on('message', (m) => {
    messages.push(m);
    if (m === 'ready') {
      child.stdout!.destroy(); // the reader exits
      setTimeout(() => child.send('go'), 100);
    }
  });
  const exit = await new Promise<number | string | null>((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('timeout');
    }, 5000);
    child.on('exit', (code, signal) => {
      clearTimeout(t);
      resolve(code ?? signal);
    });
  });
  assert.equal(exit, 0, 'no uncaught EPIPE');
  const report = messages.find((m) => typeof m === 'object') as { dropped: number } | undefined;
  assert.ok(report !== undefined && report.dropped >= 1, 'the failed write is counted: ' + JSON.stringify(messages));
});
