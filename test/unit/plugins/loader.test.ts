import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCustomPlugins, PluginLoadError } from '../../../src/plugins/loader.js';
import { PluginRegistry } from '../../../src/plugins/registry.js';
import { bundled } from '../../../src/plugins/bundled/index.js';
import { plugin } from './helpers.js';

// The built SDK, as a plugin outside this repository would import it.
const SDK = fileURLToPath(new URL('../../../src/plugins/sdk.js', import.meta.url));
let dir = '';

const src = (name: string, exportAs = 'export default') => `import { definePlugin } from ${JSON.stringify(SDK)};
${exportAs} definePlugin({ name: ${JSON.stringify(name)}, version: '1.0.0', priority: 10, schema: { type: 'object', properties: { greeting: { type: 'string', default: 'hi' } } }, phases: { response(ctx, conf) { ctx.response.setHeader('X-Hello', conf.greeting); } } });
`;
const write = (rel: string, text: string) => {
  const p = join(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'turnpike-plugins-'));
  write('plugins/file-plugin.mjs', src('file-plugin'));
  write('plugins/dir-plugin/index.mjs', src('dir-plugin', 'export const plugin ='));
  write(
    'plugins/pkg-plugin/package.json',
    JSON.stringify({ name: 'pkg-plugin', type: 'module', main: 'dist/main.js' }),
  );
  write('plugins/pkg-plugin/dist/main.js', src('pkg-plugin'));
  write(
    'node_modules/npm-plugin/package.json',
    JSON.stringify({
      name: 'npm-plugin',
      exports: { '.': { types: './x.d.ts', import: './lib/index.mjs', require: './lib/index.cjs' } },
    }),
  );
  write('node_modules/npm-plugin/lib/index.mjs', src('npm-plugin'));
  write('node_modules/@acme/scoped/index.mjs', src('acme-scoped'));
  write('plugins/plain.mjs', "export default { name: 'plain', phases: { access() {} } };\n");
  write('plugins/broken.mjs', 'export default {;\n');
  write('plugins/typed.ts', 'export default 1;\n');
  write('plugins/typed-dir/index.ts', 'export default 1;\n');
  write('plugins/again.mjs', src('file-plugin'));
  write('plugins/named-bundled.mjs', src('bundled-test-plugin'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('loads a file, a directory (index.mjs, `plugin` export), a package.json main, npm packages (exports, scoped)', async () => {
  const reg = new PluginRegistry();
  const names = await loadCustomPlugins(
    'bundled, ./plugins/file-plugin.mjs,./plugins/dir-plugin,./plugins/pkg-plugin,npm-plugin,@acme/scoped',
    reg,
    join(dir, 'plugins', '..'),
  );
  assert.deepEqual(names, ['file-plugin', 'dir-plugin', 'pkg-plugin', 'npm-plugin', 'acme-scoped']);
  assert.deepEqual(reg.names(), ['acme-scoped', 'dir-plugin', 'file-plugin', 'npm-plugin', 'pkg-plugin']);
  const cfg: Record<string, unknown> = {};
  assert.deepEqual(reg.get('file-plugin')!.validate(cfg), []);
  assert.deepEqual(cfg, { greeting: 'hi' });
  // Extension may be left out; npm packages resolve from a subdirectory too.
  assert.deepEqual(await loadCustomPlugins('./plugins/file-plugin,npm-plugin', new PluginRegistry(), dir), [
    'file-plugin',
    'npm-plugin',
  ]);
  assert.deepEqual(await loadCustomPlugins('npm-plugin', new PluginRegistry(), join(dir, 'plugins', 'dir-plugin')), [
    'npm-plugin',
  ]);
});

test('bundled: kept when named, dropped when not; off drops everything; a bundled name cannot be taken', async () => {
  const extra = plugin('bundled-test-plugin', 1);
  bundled.push(extra);
  try {
    const reg = new PluginRegistry();
    reg.register(extra);
    assert.deepEqual(await loadCustomPlugins('bundled', reg, dir), []);
    assert.equal(reg.has('bundled-test-plugin'), true);
    await assert.rejects(
      loadCustomPlugins('bundled,./plugins/named-bundled.mjs', reg, dir),
      /defines plugin 'bundled-test-plugin', which is already a bundled plugin/,
    );
    assert.deepEqual(await loadCustomPlugins('./plugins/file-plugin.mjs', reg, dir), ['file-plugin']);
    assert.equal(reg.has('bundled-test-plugin'), false, 'not named: bundled plugins are dropped');
    await loadCustomPlugins('off', reg, dir);
    assert.deepEqual(reg.names(), []);
    await assert.rejects(loadCustomPlugins('off,bundled', reg, dir), /'off' disables every plugin/);
  } finally {
    bundled.splice(bundled.indexOf(extra), 1);
  }
});

test('clear errors: not found, not a plugin, syntax error, TypeScript, two of one name', async () => {
  const reg = () => new PluginRegistry();
  const check = async (spec: string, re: RegExp) => {
    await assert.rejects(loadCustomPlugins(spec, reg(), dir), (e: Error) => {
      assert.ok(e instanceof PluginLoadError, String(e));
      assert.match(e.message, re);
      return true;
    });
  };
  await check('./plugins/missing', /plugin '\.\/plugins\/missing' not found \(looked for .*plugins\/missing/);
  await check('no-such-package', /npm package 'no-such-package' not found in node_modules from .*; install it/);
  await check(
    './plugins/plain.mjs',
    /is not a plugin: its default export \(or 'plugin' export\) must be the result of definePlugin\(\{\.\.\.\}\); it exports a plain object: wrap it in definePlugin\(\)/,
  );
  await check('./plugins/broken.mjs', /plugin '\.\/plugins\/broken\.mjs' .* failed to load: /);
  await check('./plugins/typed.ts', /is TypeScript .*compile it with tsc/);
  await check('./plugins/typed-dir', /no entry point .*it has an index\.ts: compile it/);
  await check(
    './plugins/file-plugin.mjs,./plugins/again.mjs',
    /'\.\/plugins\/again\.mjs' and '\.\/plugins\/file-plugin\.mjs' both define plugin 'file-plugin'/,
  );
  await check('Not A Name', /neither 'bundled', a path .* nor an npm package name/);
});

test('a plugin whose imports do not resolve: the message names the package to install and the folder to install it in', async () => {
  write('ext/needs-pkg/package.json', JSON.stringify({ name: 'needs-pkg', type: 'module', main: 'index.js' }));
  write('ext/needs-pkg/index.js', "import leftPad from 'left-pad-not-installed-anywhere';\nexport default leftPad;\n");
  write('ext/needs-sdk/index.mjs', "import { definePlugin } from 'turnpike/sdk';\nexport default definePlugin;\n");
  write('ext/needs-file/index.mjs', "import x from './helper';\nexport default x;\n");
  const load = (item: string) => loadCustomPlugins(item, new PluginRegistry(), dir);
  await assert.rejects(load('./ext/needs-pkg'), (e: unknown) => {
    assert.ok(e instanceof PluginLoadError);
    assert.match(
      e.message,
      /imports the package 'left-pad-not-installed-anywhere', which is not installed; run `npm install left-pad-not-installed-anywhere` in .*ext\/needs-pkg/,
    );
    return true;
  });
  await assert.rejects(
    load('./ext/needs-sdk'),
    (e: unknown) =>
      e instanceof PluginLoadError &&
      /imports 'turnpike' \(the plugin SDK, turnpike\/sdk\).*install it in/.test(e.message),
  );
  await assert.rejects(
    load('./ext/needs-file'),
    (e: unknown) => e instanceof PluginLoadError && /imports .*helper, which does not exist/.test(e.message),
  );
});
