// The `turnpike` command: validate, help texts, and reload/stop/health against a running node.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, startGateway, sleep, tmpDir, type Gateway } from '../helpers/gateway.js';
import { startUpstream, simpleConfig, type TestUpstream } from '../helpers/upstream.js';
import { onCleanup } from '../helpers/scope.js';

async function upstream(name: string): Promise<TestUpstream> {
  const u = await startUpstream(name);
  onCleanup(() => u.close());
  return u;
}

async function gateway(config: string): Promise<Gateway> {
  const gw = await startGateway({ config });
  onCleanup(() => gw.stop());
  return gw;
}

function noStack(out: string): void {
  assert.doesNotMatch(out, /^\s+at /m, 'no stack trace:\n' + out);
}

test('validate: exit 0 on the shipped examples', async () => {
  for (const f of ['examples/quickstart.yaml', 'examples/kong/kong-3.0.yml']) {
    const r = await runCli(['validate', f]);
    assert.equal(r.code, 0, `${f}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /OK/);
    assert.equal(r.stderr, '');
  }
});

test('validate: exit 1 on a broken file, listing every error with its line', async () => {
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'broken.yml');
  fs.writeFileSync(
    file,
    [
      '_format_version: "3.0"', // 1
      'services:', // 2
      '  - name: svc', // 3
      '    url: http://127.0.0.1:1', // 4
      '    bogus_field: 1', // 5
      '    routes:', // 6
      '      - name: r', // 7
      '        paths: ["/"]', // 8
      '        methods: 42', // 9
      '', //
    ].join('\n'),
  );
  const r = await runCli(['validate', file]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const out = r.stdout + r.stderr;
  noStack(out);
  assert.ok(out.includes(`${file}:5:`), 'the unknown field at line 5:\n' + out);
  assert.match(out, /bogus_field/);
  assert.ok(out.includes(`${file}:9:`), 'the bad methods at line 9:\n' + out);
  assert.match(out, /methods/);
  assert.match(out, /2 errors/);
});

test('validate: a file that is not YAML, and a missing file, exit 1 with one message', async () => {
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'bad.yml');
  fs.writeFileSync(file, '_format_version: "3.0"\nservices:\n  - name: [unclosed\n');
  const r = await runCli(['validate', file]);
  assert.equal(r.code, 1);
  noStack(r.stdout + r.stderr);
  assert.ok((r.stdout + r.stderr).includes(`${file}:`), r.stdout + r.stderr);
  const missing = await runCli(['validate', path.join(dir, 'nope.yml')]);
  assert.equal(missing.code, 1);
  noStack(missing.stdout + missing.stderr);
  assert.match(missing.stdout + missing.stderr, /nope\.yml/);
});

test('--help lists the commands and shows examples', async () => {
  const top = await runCli(['--help']);
  assert.equal(top.code, 0);
  for (const c of ['start', 'validate', 'reload', 'stop']) assert.match(top.stdout, new RegExp(`^\\s+${c}\\b`, 'm'));
  assert.match(top.stdout, /Examples?:/, 'the top-level help shows examples:\n' + top.stdout);
  assert.match(top.stdout, /\$ turnpike /);
});

test('start --help shows examples and the settings; --version', async () => {
  const start = await runCli(['start', '--help']);
  assert.equal(start.code, 0);
  assert.match(start.stdout, /Examples:/);
  assert.match(start.stdout, /\$ turnpike start --config /);
  assert.match(start.stdout, /--proxy-listen/);
  assert.match(start.stdout, /--workers/);
  assert.match(start.stdout, /TURNPIKE_/);

  const v = await runCli(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout.trim(), /^\d+\.\d+\.\d+/);
});

test('reload and stop with --prefix act on the running gateway', async () => {
  const a = await upstream('a');
  const gw = await gateway(simpleConfig(a.port));
  const prefix = path.join(gw.dir, 'prefix');
  assert.equal(fs.readFileSync(path.join(prefix, 'turnpike.pid'), 'utf8').trim(), String(gw.proc.pid));

  const st0 = await gw.status();
  const r = await runCli(['reload', '--prefix', prefix]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`SIGHUP.*${gw.proc.pid}`));
  const end = Date.now() + 5000;
  let st = st0;
  while (Date.now() < end && st.reloads.success === st0.reloads.success) {
    await sleep(50);
    st = await gw.status();
  }
  assert.equal(st.reloads.success, st0.reloads.success + 1, 'the reload happened');
  assert.equal(st.last_reload.trigger, 'SIGHUP');
  assert.equal(st.last_reload.ok, true);

  // The harness's TURNPIKE_PREFIX is the default of --prefix.
  const health = await runCli(['health', '--status-url', gw.statusUrl]);
  assert.equal(health.code, 0, health.stdout + health.stderr);

  const s = await runCli(['stop', '--prefix', prefix]);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /SIGTERM/);
  await Promise.race([gw.exited, sleep(10_000)]);
  assert.equal(gw.exitCode, 0, 'the gateway stopped cleanly');
  assert.equal(fs.existsSync(path.join(prefix, 'turnpike.pid')), false);

  const again = await runCli(['stop', '--prefix', prefix]);
  assert.equal(again.code, 1, 'nothing to stop');
  assert.equal(again.stderr.trim().split('\n').length, 1, again.stderr);
  assert.match(again.stderr, /turnpike\.pid/);
  noStack(again.stderr);

  const down = await runCli(['health', '--status-url', gw.statusUrl]);
  assert.notEqual(down.code, 0);
  noStack(down.stdout + down.stderr);
});

test('reload uses TURNPIKE_PREFIX when --prefix is not given', async () => {
  const a = await upstream('a');
  const gw = await gateway(simpleConfig(a.port));
  const st0 = await gw.status();
  const r = await runCli(['reload'], { TURNPIKE_PREFIX: path.join(gw.dir, 'prefix') });
  assert.equal(r.code, 0, r.stderr);
  const end = Date.now() + 5000;
  let st = st0;
  while (Date.now() < end && st.reloads.success === st0.reloads.success) {
    await sleep(50);
    st = await gw.status();
  }
  assert.equal(st.reloads.success, st0.reloads.success + 1);
});

test('an unknown command says so and exits 2, with --help too, and suggests the nearest one', async () => {
  for (const args of [['sidcar', '--help'], ['sidcar'], ['-h', 'sidcar']]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /^turnpike: error: unknown command 'sidcar'/m);
    assert.doesNotMatch(r.stdout, /Usage:/, 'no main help for an unknown command');
  }
  const typo = await runCli(['strat']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^turnpike: error: unknown command 'strat' \(did you mean 'start'\?\)/m);
  const help = await runCli(['help', 'validate']);
  assert.equal(help.code, 0, 'help for a known command still works');
  assert.match(help.stdout, /turnpike validate/);
});

test('every failing validate ends with a "turnpike: error:" line that says what to do', async () => {
  const dir = tmpDir();
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const missing = path.join(dir, 'nope.yml');
  const r = await runCli(['validate', missing]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`^${missing.replace(/[.]/g, '\\.')}: file not found; check the path`, 'm'));
  assert.ok(!r.stderr.includes(`${missing}: ${missing}`), 'the path is said once:\n' + r.stderr);
  assert.match(r.stderr, /^turnpike: error: .*nope\.yml: 1 error; fix it and run `turnpike validate /m);
});
