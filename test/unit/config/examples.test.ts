import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeclarativeFile } from '../../../src/config/load.js';
import { runValidate } from '../../../src/cli/commands/validate.js';
import { PluginRegistry } from '../../../src/plugins/registry.js';

// dist/test/unit/config → repository root
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const example = (name: string) => `${root}examples/kong/${name}`;

test('examples/kong/kong-3.0.yml loads with everything normalized', async () => {
  const r = await loadDeclarativeFile(example('kong-3.0.yml'), new PluginRegistry());
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const c = r.config;
  assert.equal(c.services.length, 3);
  assert.equal(c.routes.length, 7);
  assert.equal(c.upstreams.length, 2);
  assert.equal(c.targets.length, 5);
  assert.equal(c.consumers.length, 2);
  const users = c.services.find((s) => s.name === 'users-api')!;
  assert.deepEqual([users.protocol, users.host, users.port, users.path], ['http', 'users.internal', 8080, '/v1']);
  const billing = c.services.find((s) => s.name === 'legacy-billing')!;
  assert.deepEqual([billing.protocol, billing.port], ['https', 443]);
  const health = c.routes.find((x) => x.name === 'orders-health')!;
  assert.deepEqual(health.service, { id: c.services.find((s) => s.name === 'orders-api')!.id });
  assert.deepEqual(c.routes.find((x) => x.name === 'orders-v2')!.paths, [
    '~/v2/orders/(?<order_id>[0-9a-f-]{36})/items$',
  ]);
  assert.deepEqual(Object.keys(c.routes.find((x) => x.name === 'users-admin')!.headers!), [
    'x-admin-token',
    'x-region',
  ]);
  const orders = c.upstreams.find((u) => u.name === 'orders.upstream')!;
  assert.equal(orders.healthchecks.active.http_path, '/healthz');
  assert.equal(orders.healthchecks.passive.unhealthy.http_failures, 5);
  assert.deepEqual(orders.healthchecks.passive.unhealthy.http_statuses, [429, 500, 503]);
  assert.ok(c.targets.some((t) => t.target === 'orders-canary.internal:8000'));
  assert.ok(c.targets.some((t) => t.target === '[fd00::10]:9000'));
  assert.equal(c.consumers[1]!.credentials!.keyauth_credentials!.length, 2);
});

test('examples/kong/kong-2.1.yml and kong-1.1.yml load (older styles)', async () => {
  const r21 = await loadDeclarativeFile(example('kong-2.1.yml'), new PluginRegistry());
  assert.ok(r21.ok, JSON.stringify(!r21.ok && r21.errors));
  assert.deepEqual(r21.config.routes.find((x) => x.name === 'catalog-items')!.paths, ['~/items/\\d+$', '/items']);
  const r11 = await loadDeclarativeFile(example('kong-1.1.yml'), new PluginRegistry());
  assert.ok(r11.ok, JSON.stringify(!r11.ok && r11.errors));
  assert.equal(r11.config.routes.length, 2);
  assert.deepEqual(
    r11.config.targets.map((t) => t.target),
    ['192.168.10.5:8080', '192.168.10.6:8000'],
  );
  assert.deepEqual(r11.config.routes.find((x) => x.name === 'legacy-root')!.paths, ['/legacy', '~/old/v[12]/']);
});

test('examples/kong/kong-plugins.yml fails ONLY with "not available" plugin errors', async () => {
  const r = await loadDeclarativeFile(example('kong-plugins.yml'), new PluginRegistry());
  assert.equal(r.ok, false);
  const errs = (r as { errors: { path: string; message: string; line: number | null }[] }).errors;
  assert.equal(errs.length, 4);
  for (const e of errs) {
    assert.match(
      e.message,
      /^plugin '[a-z-]+' is not available in this build \(available: none yet\); remove it or load a custom plugin$/,
    );
    assert.match(e.path, /plugins\[\d\]\.name$/);
    assert.ok(e.line !== null);
  }
  assert.deepEqual(
    errs.map((e) => e.path),
    ['services[0].plugins[0].name', 'services[0].routes[0].plugins[0].name', 'plugins[0].name', 'plugins[1].name'],
  );
});

test('the same example files load with the plugins registered', async () => {
  const reg = new PluginRegistry();
  for (const name of ['rate-limiting', 'key-auth', 'correlation-id'])
    reg.register({ name, version: '1', priority: 1, validate: () => [] });
  const r = await loadDeclarativeFile(example('kong-plugins.yml'), reg);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const scoped = r.config.plugins.find((p) => p.consumer !== null)!;
  assert.deepEqual(scoped.route, { id: r.config.routes[0]!.id });
});

function sink() {
  const chunks: string[] = [];
  return { write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

test('runValidate: OK summary and exit 0; errors and exit 1; missing file', async () => {
  const out = sink();
  const err = sink();
  assert.equal(await runValidate(example('kong-3.0.yml'), out, err), 0);
  assert.equal(
    out.text(),
    `${example('kong-3.0.yml')}: OK (3 services, 7 routes, 2 upstreams, 0 plugins, 2 consumers)\n`,
  );
  assert.equal(err.text(), '');
  // The plugins this example names are bundled now: it validates with the node's registry.
  assert.equal(await runValidate(example('kong-plugins.yml'), sink(), sink()), 0);
  // A plugin that is not bundled is reported with its line and the names that are available.
  const dir = mkdtempSync(join(tmpdir(), 'validate-'));
  const file = join(dir, 'kong.yml');
  writeFileSync(file, '_format_version: "3.0"\nplugins:\n  - name: no-such-plugin\n');
  const err2 = sink();
  assert.equal(await runValidate(file, sink(), err2), 1);
  assert.match(
    err2.text(),
    /kong\.yml:3:11: .*plugin 'no-such-plugin' is not available in this build \(available: [a-z-]+, /,
  );
  rmSync(dir, { recursive: true, force: true });
  const err3 = sink();
  assert.equal(await runValidate('/nonexistent/kong.yml', sink(), err3), 1);
  assert.match(err3.text(), /\/nonexistent\/kong\.yml: file not found; check the path/);
});
