// Custom plugins named in the node settings, Kong's `plugins` setting:
// TURNPIKE_PLUGINS=bundled,./plugins/my-plugin,some-npm-package
//   bundled    the plugins of this build (the default when the setting is empty)
//   off        no plugins at all (alone)
//   a path     (starts with ./, ../ or /) a .js/.mjs file, or a directory (its package.json
//              `exports`/`main`, else index.js/index.mjs), resolved from baseDir
//   a name     an npm package installed where baseDir can see it (node_modules up the tree)
// The module's default export (or its `plugin` export) must be what `definePlugin` returns.
// TypeScript plugins are loaded from their compiled JavaScript (Node 20 does not run .ts).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PHASES, type PluginModule } from './sdk.js';
import { bundledNames, type PluginRegistry } from './registry.js';

export class PluginLoadError extends Error {
  override readonly name = 'PluginLoadError';
}

/**
 * Loads the custom plugins named in `spec` into `registry` and returns their names, in the
 * order given. Without `bundled` in the list, the bundled plugins are removed from the
 * registry (as Kong does); with it, a custom plugin may not take a bundled plugin's name.
 */
export async function loadCustomPlugins(
  spec: string,
  registry: PluginRegistry,
  baseDir: string = process.cwd(),
): Promise<string[]> {
  const items = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) return [];
  if (items.includes('off')) {
    if (items.length > 1)
      throw new PluginLoadError(
        `TURNPIKE_PLUGINS: 'off' disables every plugin and cannot be combined with others (got "${spec}")`,
      );
    for (const n of registry.names()) registry.delete(n);
    return [];
  }
  const withBundled = items.includes('bundled');
  const bundledSet = new Set(bundledNames());
  if (!withBundled) for (const n of bundledSet) registry.delete(n);

  const loaded: string[] = [];
  const from = new Map<string, string>();
  for (const item of items) {
    if (item === 'bundled') continue;
    const file = isPath(item) ? resolvePath(item, baseDir) : resolvePackage(item, baseDir);
    const module = await importPlugin(item, file);
    if (withBundled && bundledSet.has(module.name)) {
      throw new PluginLoadError(
        `TURNPIKE_PLUGINS: '${item}' defines plugin '${module.name}', which is already a bundled plugin; give it another name`,
      );
    }
    const earlier = from.get(module.name);
    if (earlier !== undefined) {
      throw new PluginLoadError(
        `TURNPIKE_PLUGINS: '${item}' and '${earlier}' both define plugin '${module.name}'; load it once`,
      );
    }
    from.set(module.name, item);
    registry.register(module);
    loaded.push(module.name);
  }
  return loaded;
}

const isPath = (s: string) => s.startsWith('./') || s.startsWith('../') || s === '.' || s === '..' || isAbsolute(s);

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function resolvePath(item: string, baseDir: string): string {
  const p = resolve(baseDir, item);
  if (!existsSync(p)) {
    for (const ext of ['.js', '.mjs', '.cjs']) if (isFile(p + ext)) return p + ext;
    throw new PluginLoadError(`TURNPIKE_PLUGINS: plugin '${item}' not found (looked for ${p} from ${baseDir})`);
  }
  return statSync(p).isDirectory() ? entryOfDirectory(item, p) : checkExtension(item, p);
}

function resolvePackage(name: string, baseDir: string): string {
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(name)) {
    throw new PluginLoadError(
      `TURNPIKE_PLUGINS: '${name}' is neither 'bundled', a path (./…, ../…, /…) nor an npm package name`,
    );
  }
  for (let dir = resolve(baseDir); ; dir = dirname(dir)) {
    const pkgDir = join(dir, 'node_modules', name);
    if (existsSync(pkgDir)) return entryOfDirectory(name, pkgDir);
    if (dirname(dir) === dir) break;
  }
  throw new PluginLoadError(
    `TURNPIKE_PLUGINS: npm package '${name}' not found in node_modules from ${baseDir}; install it (npm install ${name}) or give a path`,
  );
}

/** The entry file of a plugin directory: package.json `exports` / `main`, else index.js / index.mjs. */
function entryOfDirectory(item: string, dir: string): string {
  const pkgPath = join(dir, 'package.json');
  if (isFile(pkgPath)) {
    let pkg: { exports?: unknown; main?: unknown };
    try {
      pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as typeof pkg;
    } catch (err) {
      throw new PluginLoadError(`TURNPIKE_PLUGINS: '${item}': cannot read ${pkgPath}: ${(err as Error).message}`);
    }
    const target =
      pkg.exports !== undefined ? exportTarget(pkg.exports) : typeof pkg.main === 'string' ? pkg.main : undefined;
    if (target !== undefined) {
      const p = resolve(dir, target);
      for (const candidate of [p, p + '.js', join(p, 'index.js')])
        if (isFile(candidate)) return checkExtension(item, candidate);
      throw new PluginLoadError(
        `TURNPIKE_PLUGINS: '${item}': ${pkgPath} points at ${target}, which does not exist${extname(target) === '.js' ? ' (not built yet?)' : ''}`,
      );
    }
  }
  for (const name of ['index.js', 'index.mjs', 'index.cjs']) if (isFile(join(dir, name))) return join(dir, name);
  const ts = isFile(join(dir, 'index.ts'))
    ? '; it has an index.ts: compile it (tsc) and point package.json "main" at the .js'
    : '';
  throw new PluginLoadError(
    `TURNPIKE_PLUGINS: '${item}': no entry point in ${dir} (package.json "exports"/"main", index.js or index.mjs)${ts}`,
  );
}

/** The "." entry of package.json `exports`, with the conditions Node's import() uses. */
function exportTarget(exp: unknown): string | undefined {
  if (typeof exp === 'string') return exp;
  if (Array.isArray(exp)) {
    for (const e of exp) {
      const t = exportTarget(e);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  if (exp !== null && typeof exp === 'object') {
    const o = exp as Record<string, unknown>;
    if ('.' in o) return exportTarget(o['.']);
    for (const [k, v] of Object.entries(o))
      if (k === 'import' || k === 'node' || k === 'default') return exportTarget(v);
  }
  return undefined;
}

function checkExtension(item: string, file: string): string {
  const ext = extname(file);
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') {
    throw new PluginLoadError(
      `TURNPIKE_PLUGINS: '${item}' is TypeScript (${file}); Node 20 cannot load it directly: compile it with tsc and name the .js file or its directory`,
    );
  }
  return file;
}

async function importPlugin(item: string, file: string): Promise<PluginModule> {
  let ns: Record<string, unknown>;
  try {
    ns = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    const missing = missingImport(err, file);
    if (missing !== null)
      throw new PluginLoadError(`TURNPIKE_PLUGINS: plugin '${item}' (${file}) cannot be loaded: ${missing}`);
    throw new PluginLoadError(`TURNPIKE_PLUGINS: plugin '${item}' (${file}) failed to load: ${(err as Error).message}`);
  }
  const candidate = isPluginModule(ns.default) ? ns.default : isPluginModule(ns.plugin) ? ns.plugin : undefined;
  if (candidate) return candidate;
  const looksLikeSpec = [ns.default, ns.plugin].some(
    (x) => x !== null && typeof x === 'object' && 'phases' in x && 'name' in x,
  );
  throw new PluginLoadError(
    `TURNPIKE_PLUGINS: '${item}' (${file}) is not a plugin: its default export (or 'plugin' export) must be the result of definePlugin({...})` +
      (looksLikeSpec ? '; it exports a plain object: wrap it in definePlugin()' : ''),
  );
}

/**
 * An import the plugin's code could not resolve, said as what to do: which package to
 * install and in which folder (the nearest package.json above the file that imports it).
 * Null when the error is something else.
 */
function missingImport(err: unknown, pluginFile: string): string | null {
  const e = err as NodeJS.ErrnoException;
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') return null;
  const pkg = /Cannot find package '([^']+)' imported from (.+?)\s*$/m.exec(e.message);
  if (pkg !== null) {
    const name = pkg[1]!;
    const importer = pkg[2]!.replace(/^file:\/\//, '');
    const where = nearestPackageDir(importer) ?? dirname(importer);
    if (name === 'turnpike') {
      return `${importer} imports 'turnpike' (the plugin SDK, turnpike/sdk), which is not installed where the plugin is; install it in ${where} (npm install <path of the turnpike checkout>, or npm link turnpike), or write the plugin inside the checkout`;
    }
    return `${importer} imports the package '${name}', which is not installed; run \`npm install ${name}\` in ${where}`;
  }
  const file = /Cannot find module '([^']+)' imported from (.+?)\s*$/m.exec(e.message);
  if (file !== null)
    return `${file[2]!.replace(/^file:\/\//, '')} imports ${file[1]}, which does not exist (a file not built yet, or a missing .js extension in the import?)`;
  return `${e.message} (imported by ${pluginFile})`;
}

function nearestPackageDir(file: string): string | null {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (isFile(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

/** What definePlugin returns (checked structurally: the plugin may use its own copy of the SDK). */
export function isPluginModule(x: unknown): x is PluginModule {
  if (x === null || typeof x !== 'object') return false;
  const m = x as Record<string, unknown>;
  return (
    typeof m.name === 'string' &&
    typeof m.version === 'string' &&
    Number.isInteger(m.priority) &&
    m.schema !== null &&
    typeof m.schema === 'object' &&
    (m.prepare === null || typeof m.prepare === 'function') &&
    (m.upgrade === null || typeof m.upgrade === 'function') &&
    m.phases !== null &&
    typeof m.phases === 'object' &&
    Object.entries(m.phases as object).every(
      ([k, v]) => (PHASES as readonly string[]).includes(k) && typeof v === 'function',
    )
  );
}
