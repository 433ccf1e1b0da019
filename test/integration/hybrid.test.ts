// Hybrid mode with real processes: control planes on SQLite and on one PostgreSQL schema, data
// planes proxying to real upstreams; pushes, acks and refusals as the control plane lists them
// (GET /clustering/data-planes); a data plane through a control-plane outage and a restart
// during it; mutual TLS refusing the wrong certificate on either side.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { BIN, ROOT, freePort, runCli, sleep, tmpDir, type Gateway } from '../helpers/gateway.js';
import { gateway, onCleanup, upstream } from '../helpers/scope.js';
import { makeCa, leaf, type Pair } from '../helpers/certs.js';
import { dropSchema, pgAvailable, pgEnv, uniqueSchema } from '../helpers/pg.js';
import { encode, FrameReader } from '../../src/control/cluster/protocol.js';

const dir = tmpDir('turnpike-hybrid-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
// Asked before any test is registered (see database-mode.test.ts).
const pgUp = await pgAvailable();
const schema = uniqueSchema('tp_hybrid');
if (pgUp) after(() => dropSchema(schema));

const shared = await makeCa('turnpike cluster');
const intruder = await makeCa('not the cluster');
const certEnv = (p: Pair) => ({ TURNPIKE_CLUSTER_CERT: p.cert, TURNPIKE_CLUSTER_CERT_KEY: p.key });
/** Short heartbeats and reconnect pauses so the tests see outages and returns quickly. */
const fast = {
  TURNPIKE_CLUSTER_PING_INTERVAL: '0.5',
  TURNPIKE_CLUSTER_MAX_RECONNECT_DELAY: '1',
  TURNPIKE_DRAIN_TIMEOUT: '1',
};

const HELLO = path.join(ROOT, 'examples', 'plugins', 'hello-header');

function service(name: string, port: number, extra = ''): string {
  return `  - name: ${name}
    url: http://127.0.0.1:${port}
${extra}    routes:
      - name: ${name}
        paths: [/${name}]
`;
}

function writeConfig(name: string, services: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `_format_version: "3.0"\nservices:\n${services}`);
  return file;
}

async function dbImport(file: string, env: Record<string, string>): Promise<void> {
  const r = await runCli(['config', 'db_import', file], env);
  assert.equal(r.code, 0, r.stdout + r.stderr);
}

/** A control-plane process (no proxy workers): ready once its Admin API answers. */
class ControlPlane {
  out = '';
  exited: Promise<void>;
  dead = false;
  constructor(
    readonly proc: ChildProcess,
    readonly adminUrl: string,
    readonly statusUrl: string,
    readonly clusterPort: number,
  ) {
    proc.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((r) =>
      proc.on('exit', () => {
        this.dead = true;
        r();
      }),
    );
  }

  async dataPlanes(): Promise<any[]> {
    const res = await fetch(`${this.adminUrl}/clustering/data-planes`);
    assert.equal(res.status, 200);
    return ((await res.json()) as { data: any[] }).data;
  }

  async configHash(): Promise<string> {
    return ((await (await fetch(`${this.statusUrl}/status`)).json()) as { config_hash: string }).config_hash;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.dead) {
      this.proc.kill(signal);
      await this.exited;
    }
  }
}

async function startControlPlane(env: Record<string, string>, clusterPort?: number): Promise<ControlPlane> {
  const port = clusterPort ?? (await freePort());
  const adminPort = await freePort();
  const statusPort = await freePort();
  const proc = spawn(process.execPath, [BIN, 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      TURNPIKE_ROLE: 'control_plane',
      TURNPIKE_CLUSTER_LISTEN: `127.0.0.1:${port}`,
      TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      TURNPIKE_LOG_LEVEL: 'info',
      ...certEnv(shared),
      ...fast,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const cp = new ControlPlane(proc, `http://127.0.0.1:${adminPort}`, `http://127.0.0.1:${statusPort}`, port);
  onCleanup(() => cp.stop());
  const end = Date.now() + 15000;
  while (Date.now() < end && !cp.dead) {
    try {
      if ((await fetch(cp.adminUrl + '/')).status === 200) return cp;
    } catch {
      /* not up yet */
    }
    await sleep(50);
  }
  await cp.stop('SIGKILL');
  throw new Error(`the control plane did not start:\n${cp.out}`);
}

function startDataPlane(
  cp: { clusterPort: number },
  prefix: string,
  env: Record<string, string> = {},
): Promise<Gateway> {
  return gateway({
    config: '',
    database: true,
    prefix,
    env: {
      TURNPIKE_ROLE: 'data_plane',
      TURNPIKE_CLUSTER_CONTROL_PLANE: `127.0.0.1:${cp.clusterPort}`,
      ...certEnv(shared),
      ...fast,
      ...env,
    },
  });
}

/** Polls until `check` holds; the milliseconds it took. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10000): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    try {
      if (await check()) return Date.now() - start;
    } catch {
      /* not yet */
    }
    await sleep(20);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}

const answers = (url: string, status: number, upstreamName?: string) => async () => {
  const r = await fetch(url);
  await r.arrayBuffer();
  return r.status === status && (upstreamName === undefined || r.headers.get('x-upstream') === upstreamName);
};

/** Requests `url` in a loop until stopped; every status seen. */
function hammer(url: string): { stop(): Promise<number[]> } {
  const seen: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const r = await fetch(url);
        await r.arrayBuffer();
        seen.push(r.status);
      } catch (err) {
        seen.push(-1);
        void err;
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return seen;
    },
  };
}

const nodeIdOf = (prefix: string) => fs.readFileSync(path.join(prefix, 'node_id'), 'utf8').trim();

test('SQLite control plane + data plane: serves the pushed configuration, a change arrives without a restart or a failed request, the data plane is listed in sync', async () => {
  const a = await upstream('A');
  const b = await upstream('B');
  const cpEnv = { TURNPIKE_DATABASE: 'sqlite', TURNPIKE_PREFIX: path.join(dir, 'cp1') };
  await dbImport(writeConfig('t1-base.yml', service('a', a.port)), cpEnv);
  const cp = await startControlPlane(cpEnv);
  assert.match(cp.out, /no proxy workers/);
  assert.equal((await fetch(`${cp.statusUrl}/status/ready`)).status, 200, 'a control plane without workers is ready');
  const dpPrefix = path.join(dir, 'dp1');
  const dp = await startDataPlane(cp, dpPrefix);
  await until('the data plane serves /a from upstream A', answers(`${dp.url}/a`, 200, 'A'));

  const h1 = await cp.configHash();
  await until('the data plane is listed in sync', async () =>
    (await cp.dataPlanes()).some((d) => d.sync_status === 'normal'),
  );
  const [listed] = await cp.dataPlanes();
  assert.equal(listed.id, nodeIdOf(dpPrefix));
  assert.equal(listed.config_hash, h1);
  assert.equal(listed.ip, '127.0.0.1');
  assert.equal(listed.connected, true);
  assert.equal(typeof listed.version, 'string');
  assert.equal(typeof listed.hostname, 'string');
  assert.ok(Math.abs(listed.last_seen - Date.now() / 1000) < 10, `last_seen ${listed.last_seen}`);
  assert.equal((await dp.status()).config_hash, h1);

  // A change through the control plane's database, with traffic going on meanwhile.
  const load = hammer(`${dp.url}/a`);
  await sleep(200);
  await dbImport(writeConfig('t1-change.yml', service('a', a.port) + service('b', b.port)), cpEnv);
  const ms = await until('/b reaches the data plane', answers(`${dp.url}/b`, 200, 'B'), 10000);
  console.log(`# SQLite: a change reached the data plane ${ms} ms after db_import returned (goal: < 1000 ms)`);
  await sleep(200);
  const seen = await load.stop();
  assert.ok(seen.length > 10, `requests made during the change: ${seen.length}`);
  assert.deepEqual([...new Set(seen)], [200], `every request during the change succeeded (${seen.length} requests)`);

  const h2 = await cp.configHash();
  assert.notEqual(h2, h1);
  await until('the data plane acknowledged the new configuration', async () => {
    const [d] = await cp.dataPlanes();
    return d.config_hash === h2 && d.sync_status === 'normal';
  });
  // Heartbeats keep last_seen current.
  const seen1 = (await cp.dataPlanes())[0].last_seen;
  await until('last_seen moves on', async () => (await cp.dataPlanes())[0].last_seen > seen1, 5000);
  // The data plane was not restarted: the same process serves.
  assert.equal(dp.exitCode, null);
  assert.match(dp.stdout, /control plane push/);

  // A data plane that goes silent (its primary stopped) is marked disconnected once three of
  // its heartbeats are missing; it comes back by itself when it resumes.
  dp.signal('SIGSTOP');
  await until(
    'the control plane notices the silence',
    async () => (await cp.dataPlanes())[0].connected === false,
    8000,
  );
  assert.match(cp.out, /sent nothing for 1500 ms; closing its connection/);
  dp.signal('SIGCONT');
  await until(
    'the data plane is back',
    async () => {
      const [d] = await cp.dataPlanes();
      return d.connected === true && d.sync_status === 'normal';
    },
    8000,
  );
});

test('control-plane outage: the data plane keeps serving, restarts from its saved snapshot, and catches up when the control plane returns', async () => {
  const a = await upstream('A');
  const cpEnv = { TURNPIKE_DATABASE: 'sqlite', TURNPIKE_PREFIX: path.join(dir, 'cp2') };
  await dbImport(writeConfig('t2-base.yml', service('a', a.port)), cpEnv);
  let cp = await startControlPlane(cpEnv);
  const dpPrefix = path.join(dir, 'dp2');
  let dp = await startDataPlane(cp, dpPrefix);
  await until('the data plane serves /a', answers(`${dp.url}/a`, 200, 'A'));
  await until('the snapshot is saved', async () => fs.existsSync(path.join(dpPrefix, 'cluster-snapshot.json')));
  assert.equal(
    fs.statSync(path.join(dpPrefix, 'cluster-snapshot.json')).mode & 0o777,
    0o600,
    'the snapshot (credentials included) is readable by its owner only',
  );

  // The control plane hangs (no FIN, no answers): the heartbeat notices; then it dies. Traffic goes on.
  cp.proc.kill('SIGSTOP');
  await until(
    'the data plane notices the silence',
    async () =>
      /the control plane at .* did not answer for 1500 ms; still serving the current configuration, reconnecting/.test(
        dp.stdout + dp.stderr,
      ),
    8000,
  );
  for (let i = 0; i < 10; i++) assert.equal((await fetch(`${dp.url}/a`)).status, 200);
  await cp.stop('SIGKILL');
  for (let i = 0; i < 20; i++) assert.equal((await fetch(`${dp.url}/a`)).status, 200);

  // A restart while no control plane answers: the data plane starts from its snapshot.
  await dp.stop();
  dp = await startDataPlane(cp, dpPrefix);
  assert.match(dp.stdout, /started from the configuration snapshot saved at/);
  const r = await fetch(`${dp.url}/a`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-upstream'), 'A');
  assert.equal((await fetch(`${dp.url}/late`)).status, 404);

  // Changed meanwhile; the control plane returns on the same address: the data plane catches up.
  await dbImport(writeConfig('t2-change.yml', service('a', a.port) + service('late', a.port)), cpEnv);
  cp = await startControlPlane(cpEnv, cp.clusterPort);
  const ms = await until('the data plane catches up', answers(`${dp.url}/late`, 200, 'A'), 15000);
  console.log(`# the data plane caught up ${ms} ms after the control plane came back`);
  const h = await cp.configHash();
  await until('listed in sync', async () =>
    (await cp.dataPlanes()).some((d) => d.config_hash === h && d.sync_status === 'normal'),
  );
  const saved = JSON.parse(fs.readFileSync(path.join(dpPrefix, 'cluster-snapshot.json'), 'utf8')) as { hash: string };
  assert.equal(saved.hash, h, 'the snapshot on disk is the new configuration');
});

test(
  'two control planes on one PostgreSQL: a change made on A reaches the data planes of both',
  { skip: pgUp ? false : 'PostgreSQL unreachable (see the message above)' },
  async () => {
    const a = await upstream('A');
    const b = await upstream('B');
    const env = pgEnv(schema);
    await dbImport(writeConfig('t3-base.yml', service('a', a.port)), env);
    const cpA = await startControlPlane({ ...env, TURNPIKE_PREFIX: path.join(dir, 'cp3a') });
    const cpB = await startControlPlane({ ...env, TURNPIKE_PREFIX: path.join(dir, 'cp3b') });
    const dp = await startDataPlane(cpB, path.join(dir, 'dp3'));
    const dpOfA = await startDataPlane(cpA, path.join(dir, 'dp3a'));
    await until('the data plane of B serves /a', answers(`${dp.url}/a`, 200, 'A'));
    await until('the data plane of A serves /a', answers(`${dpOfA.url}/a`, 200, 'A'));

    // The change goes through A's Admin API; B learns of it from PostgreSQL (LISTEN/NOTIFY).
    const t0 = Date.now();
    let res = await fetch(`${cpA.adminUrl}/services`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'b', url: `http://127.0.0.1:${b.port}` }),
    });
    assert.equal(res.status, 201, await res.text());
    res = await fetch(`${cpA.adminUrl}/services/b/routes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'b', paths: ['/b'] }),
    });
    assert.equal(res.status, 201, await res.text());
    const t1 = Date.now();
    const ms = await until('/b reaches the data plane of B', answers(`${dp.url}/b`, 200, 'B'), 10000);
    await until('/b reaches the data plane of A', answers(`${dpOfA.url}/b`, 200, 'B'), 10000);
    const msA = Date.now() - t1;
    console.log(
      `# PostgreSQL: the change made on control plane A reached B's data plane ${ms} ms and A's ${msA} ms after the last Admin API call (${t1 - t0} ms for the two calls; goal: < 1000 ms)`,
    );
    assert.match(cpB.out, /database change/);

    const h = await cpB.configHash();
    assert.equal(await cpA.configHash(), h, 'both control planes hold the same configuration');
    await until('listed in sync on B', async () =>
      (await cpB.dataPlanes()).some((d) => d.config_hash === h && d.sync_status === 'normal'),
    );
    await until('listed in sync on A', async () =>
      (await cpA.dataPlanes()).some((d) => d.config_hash === h && d.sync_status === 'normal'),
    );
    assert.equal((await cpA.dataPlanes()).length, 1, 'each control plane lists only its own data planes');
    assert.equal((await cpB.dataPlanes()).length, 1);
    // Both control planes push the same configuration under the same version: the database's.
    const snapB = JSON.parse(fs.readFileSync(path.join(dir, 'dp3', 'cluster-snapshot.json'), 'utf8')) as {
      version: number;
      hash: string;
    };
    const snapA = JSON.parse(fs.readFileSync(path.join(dir, 'dp3a', 'cluster-snapshot.json'), 'utf8')) as {
      version: number;
      hash: string;
    };
    assert.equal(snapB.hash, h);
    assert.deepEqual(snapA, {
      ...snapB,
      received_at: (snapA as any).received_at,
      control_plane: (snapA as any).control_plane,
    });
    assert.ok(snapB.version > 1, `version ${snapB.version}`);
  },
);

test('a data plane refuses a configuration it cannot load: the refusal and its reason are listed, the previous configuration keeps serving', async () => {
  const a = await upstream('A');
  // The control plane has the hello-header plugin; the data plane does not.
  const cpEnv = {
    TURNPIKE_DATABASE: 'sqlite',
    TURNPIKE_PREFIX: path.join(dir, 'cp4'),
    TURNPIKE_PLUGINS: `bundled,${HELLO}`,
  };
  await dbImport(writeConfig('t4-base.yml', service('a', a.port)), cpEnv);
  const cp = await startControlPlane(cpEnv);
  const dp = await startDataPlane(cp, path.join(dir, 'dp4'));
  await until('the data plane serves /a', answers(`${dp.url}/a`, 200, 'A'));
  const h1 = await cp.configHash();
  await until('in sync', async () => (await cp.dataPlanes()).some((d) => d.sync_status === 'normal'));

  await dbImport(
    writeConfig(
      't4-plugin.yml',
      service('a', a.port, '    plugins:\n      - name: hello-header\n        config: { greeting: hi }\n'),
    ),
    cpEnv,
  );
  await until('the control plane has the new configuration', async () => (await cp.configHash()) !== h1);
  await until('the refusal is listed', async () =>
    (await cp.dataPlanes()).some((d) => d.sync_status === 'config_refused'),
  );
  const [d] = await cp.dataPlanes();
  assert.match(d.error, /hello-header/);
  assert.equal(d.config_hash, h1, 'it still serves the previous configuration');
  const r = await fetch(`${dp.url}/a`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-hello'), null);
  assert.equal((await dp.status()).config_hash, h1);

  // A data plane whose saved snapshot it cannot load (it names the plugin this node lacks)
  // still starts, empty, and takes the next configuration it can load.
  const dp2Prefix = path.join(dir, 'dp4-bad-snapshot');
  fs.mkdirSync(dp2Prefix, { recursive: true });
  const pluginConfig = {
    _format_version: '3.0',
    services: [
      {
        name: 'a',
        url: `http://127.0.0.1:${a.port}`,
        plugins: [{ name: 'hello-header' }],
        routes: [{ name: 'a', paths: ['/a'] }],
      },
    ],
  };
  fs.writeFileSync(
    path.join(dp2Prefix, 'cluster-snapshot.json'),
    JSON.stringify({
      version: 7,
      hash: 'h',
      config: JSON.stringify(pluginConfig),
      received_at: new Date().toISOString(),
      control_plane: 'x',
    }),
  );
  const dp2 = await startDataPlane(cp, dp2Prefix);
  assert.match(dp2.stdout, /the saved configuration snapshot is refused .*hello-header/);
  await until(
    'the new data plane refuses the current configuration too',
    async () => (await cp.dataPlanes()).filter((d) => d.sync_status === 'config_refused').length === 2,
  );
  assert.equal((await fetch(`${dp2.url}/a`)).status, 404);
  // The plugin goes (db_import only adds and updates, so through the Admin API).
  const plugins = ((await (await fetch(`${cp.adminUrl}/plugins`)).json()) as { data: { id: string; name: string }[] })
    .data;
  assert.deepEqual(
    plugins.map((p) => p.name),
    ['hello-header'],
  );
  assert.equal((await fetch(`${cp.adminUrl}/plugins/${plugins[0]!.id}`, { method: 'DELETE' })).status, 204);
  await until('the new data plane serves the next configuration', answers(`${dp2.url}/a`, 200, 'A'));
  await until('both in sync again', async () => (await cp.dataPlanes()).every((d) => d.sync_status === 'normal'));
});

/** Connects to a cluster listener as a data plane would, with `pair`; what it got back. */
async function probe(port: number, pair: Pair): Promise<{ secure: boolean; messages: any[] }> {
  return new Promise((resolve) => {
    const messages: any[] = [];
    const reader = new FrameReader();
    let secure = false;
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      cert: pair.cert,
      key: pair.key,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    });
    s.on('secureConnect', () => {
      secure = true;
      s.write(
        encode({
          t: 'hello',
          node_id: '00000000-0000-4000-8000-000000000000',
          hostname: 'probe',
          version: 'x',
          config_hash: null,
        }),
      );
    });
    s.on('data', (d: Buffer) => {
      messages.push(...reader.push(d));
      if (messages.length > 0) s.destroy();
    });
    s.on('error', () => {});
    s.on('close', () => resolve({ secure, messages }));
    setTimeout(() => s.destroy(), 3000);
  });
}

test('mutual TLS: the control plane refuses a client without the cluster certificate; a data plane refuses a control plane without it; pki mode checks the CA and the name', async () => {
  const a = await upstream('A');
  const cpEnv = { TURNPIKE_DATABASE: 'sqlite', TURNPIKE_PREFIX: path.join(dir, 'cp5') };
  await dbImport(writeConfig('t5-base.yml', service('a', a.port)), cpEnv);
  const cp = await startControlPlane(cpEnv);

  // The same probe with the cluster certificate gets the configuration: the refusal below is the certificate's doing.
  const good = await probe(cp.clusterPort, shared);
  assert.equal(good.messages[0]?.t, 'config');
  assert.equal(good.messages[0]?.hash, await cp.configHash());
  const bad = await probe(cp.clusterPort, intruder);
  assert.deepEqual(bad.messages, []);
  await until(
    'the control plane logs the refusal',
    async () =>
      /refused a connection from 127\.0\.0\.1: its certificate .* is not the cluster certificate/.test(cp.out),
    3000,
  );

  // A data plane pointed at an impostor control plane (another certificate) does not talk to it.
  const impostorPort = await freePort();
  let impostorSaw = 0;
  const impostor = tls.createServer(
    { cert: intruder.cert, key: intruder.key, requestCert: true, rejectUnauthorized: false },
    (s) => {
      s.on('error', () => {});
      s.write(
        encode({
          t: 'config',
          version: 1,
          hash: 'x',
          config:
            '{"_format_version":"3.0","services":[{"name":"evil","url":"http://127.0.0.1:1","routes":[{"paths":["/a"]}]}]}',
        }),
      );
    },
  );
  impostor.on('connection', () => impostorSaw++);
  impostor.on('tlsClientError', () => {});
  await new Promise<void>((r) => impostor.listen(impostorPort, '127.0.0.1', () => r()));
  onCleanup(() => new Promise<void>((r) => impostor.close(() => r())));
  const dp = await startDataPlane({ clusterPort: impostorPort }, path.join(dir, 'dp5'));
  await until(
    'the data plane refuses the impostor',
    async () => /refused the control plane at .*is not the cluster certificate/.test(dp.stdout + dp.stderr),
    5000,
  );
  assert.ok(impostorSaw > 0);
  assert.equal((await fetch(`${dp.url}/a`)).status, 404, 'nothing the impostor sent is served');
  assert.doesNotMatch(dp.stdout, /received configuration/);

  // pki: certificates from a CA; the data plane checks the control plane's name.
  const ca = await makeCa('cluster CA');
  const cpCert = await leaf(ca, 'cp.cluster.test', 'serverAuth');
  const dpCert = await leaf(ca, 'dp.cluster.test', 'clientAuth');
  const pki = { TURNPIKE_CLUSTER_MTLS: 'pki', TURNPIKE_CLUSTER_CA_CERT: ca.cert };
  const cpPki = await startControlPlane({
    TURNPIKE_DATABASE: 'sqlite',
    TURNPIKE_PREFIX: path.join(dir, 'cp5') + '-pki',
    ...pki,
    ...certEnv(cpCert),
  });
  const dpPki = await startDataPlane(cpPki, path.join(dir, 'dp5-pki'), {
    ...pki,
    ...certEnv(dpCert),
    TURNPIKE_CLUSTER_SERVER_NAME: 'cp.cluster.test',
  });
  await until('the pki data plane is listed in sync', async () =>
    (await cpPki.dataPlanes()).some((d) => d.sync_status === 'normal'),
  );
  assert.match(dpPki.stdout, /connected to the control plane/);
  // A client certificate from another CA is refused in the handshake.
  const outsider = await probe(
    cpPki.clusterPort,
    await leaf(await makeCa('other CA'), 'dp.cluster.test', 'clientAuth'),
  );
  assert.deepEqual(outsider.messages, []);
  // The wrong expected name: the data plane refuses the control plane.
  const dpWrongName = await startDataPlane(cpPki, path.join(dir, 'dp5-name'), {
    ...pki,
    ...certEnv(dpCert),
    TURNPIKE_CLUSTER_SERVER_NAME: 'other.cluster.test',
  });
  await until(
    'the data plane refuses a control plane with another name',
    async () => /not for \\?"other\.cluster\.test/.test(dpWrongName.stdout + dpWrongName.stderr),
    5000,
  );
  assert.equal((await cpPki.dataPlanes()).length, 1);
});

test('a data plane started with a database is refused with a clear message (the other role checks: unit tests)', async () => {
  const r = await runCli(
    ['start', '--role', 'data_plane', '--database', 'sqlite', '--cluster-control-plane', '127.0.0.1:1'],
    { TURNPIKE_PREFIX: path.join(dir, 'refused'), ...certEnv(shared) },
  );
  assert.equal(r.code, 1);
  assert.match(r.stderr, /turnpike: error: role data_plane: the database must be "off"/);
});
