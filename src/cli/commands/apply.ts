// `turnpike diff -f FILE` and `turnpike apply -f FILE`: compare a declarative file with a
// running control plane's configuration, and make the control plane match the file through
// its Admin API (PUT by id in dependency order, then DELETE children first), as decK's sync.
import { formatConfigErrors, loadDeclarativeFile, parseDeclarative } from '../../config/load.js';
import type { Config } from '../../config/types.js';
import { nodeRegistry } from '../../plugins/node-registry.js';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { AdminError, EXIT, type AdminClient, type AdminFlags } from './admin-client.js';
import { computeDiff, explicitIds, type Change } from './diff.js';
import { formatChanges, showValue, summarize, summaryLine } from './diff-text.js';
import { fetchConfigText } from './dump.js';

interface Writable {
  write(chunk: string): unknown;
}

export interface SyncOptions extends AdminFlags {
  file: string;
  output: 'text' | 'json';
  dryRun?: boolean;
}

/** Loads the file and the server's configuration with the same loader and plugin registry. */
export async function planSync(
  client: AdminClient,
  file: string,
  pluginSpec: string = process.env.TURNPIKE_PLUGINS ?? 'bundled',
): Promise<{ changes: Change[]; text: string }> {
  let registry;
  try {
    registry = await nodeRegistry(pluginSpec);
  } catch (e) {
    throw new AdminError(`plugins (TURNPIKE_PLUGINS=${pluginSpec}): ${(e as Error).message}`);
  }
  const loaded = await loadDeclarativeFile(file, registry);
  if (!loaded.ok) {
    const n = loaded.errors.length;
    throw new AdminError(
      `${file} is not valid; nothing was compared or changed:\n${formatConfigErrors(loaded.errors, file)}\n${file}: ${n} error${n === 1 ? '' : 's'}`,
    );
  }
  const text = await readFile(file, 'utf8');
  const serverText = await fetchConfigText(client);
  const server = parseDeclarative(serverText, `${client.baseUrl}/config`, registry);
  if (!server.ok) {
    throw new AdminError(
      `the configuration of ${client.baseUrl} (GET /config) does not load here: ${server.errors
        .slice(0, 3)
        .map((e) => `${e.entity ? `${e.entity}: ` : ''}${e.message}`)
        .join('; ')}; if it uses custom plugins, set TURNPIKE_PLUGINS as on the server`,
    );
  }
  return {
    changes: computeDiff(loaded.config as Config, server.config as Config, explicitIds(text), selectTagsOf(text)),
    text,
  };
}

/** decK's `_info.select_tags` of a declarative file's text (the loader has checked it: a list of strings). */
export function selectTagsOf(text: string): string[] {
  let raw: unknown;
  try {
    raw = parse(text, { merge: true, maxAliasCount: 1000 });
  } catch {
    return [];
  }
  const tags = (raw as { _info?: { select_tags?: unknown } } | null)?._info?.select_tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

/** Whether the node runs DB-less (GET / says `configuration.database: off`): its entities are read-only. */
async function isDbless(client: AdminClient): Promise<boolean> {
  const info = (await client.call('GET', '/')) as { configuration?: { database?: unknown } } | null;
  return info?.configuration?.database === 'off';
}

/** The changes as JSON, secrets hidden. */
function changesJson(changes: Change[]): unknown[] {
  return changes.map((c) => ({
    action: c.action,
    kind: c.kind,
    id: c.id,
    label: c.label,
    ...(c.fields
      ? {
          fields: c.fields.map((f) => ({
            field: f.field,
            from: maskJson(f.field, f.from),
            to: maskJson(f.field, f.to),
          })),
        }
      : {}),
  }));
}

function maskJson(field: string, v: unknown): unknown {
  return showValue(field, v) === '(secret)' ? '(secret)' : v;
}

function report(changes: Change[], opts: SyncOptions, out: Writable, extra: Record<string, unknown> = {}): void {
  const summary = summarize(changes);
  if (opts.output === 'json') {
    out.write(JSON.stringify({ changes: changesJson(changes), summary, ...extra }, null, 2) + '\n');
    return;
  }
  if (changes.length === 0) out.write(`no differences: ${opts.file} matches the configuration of ${opts.adminUrl}\n`);
  else out.write(formatChanges(changes));
  out.write(`${summaryLine(summary)}\n`);
}

export async function runDiff(client: AdminClient, opts: SyncOptions, out: Writable = process.stdout): Promise<number> {
  const { changes } = await planSync(client, opts.file);
  report(changes, opts, out);
  return changes.length === 0 ? EXIT.ok : EXIT.differences;
}

/** Performs the changes in order; stops at the first failure. Returns how many were made. */
export async function performChanges(
  client: AdminClient,
  changes: Change[],
): Promise<{ done: number; error?: { change: Change; message: string } }> {
  let done = 0;
  for (const c of changes) {
    try {
      if (c.action === 'delete') await client.call('DELETE', c.path);
      else await client.call('PUT', c.path, c.body);
    } catch (e) {
      if (e instanceof AdminError) return { done, error: { change: c, message: e.message } };
      throw e;
    }
    done++;
  }
  return { done };
}

export async function runApply(
  client: AdminClient,
  opts: SyncOptions,
  out: Writable = process.stdout,
  err: Writable = process.stderr,
): Promise<number> {
  const { changes, text } = await planSync(client, opts.file);
  if (opts.dryRun) {
    report(changes, opts, out, { dry_run: true });
    return changes.length === 0 ? EXIT.ok : EXIT.differences;
  }
  const dbless = changes.length > 0 && (await isDbless(client));
  if (dbless && selectTagsOf(text).length > 0) {
    throw new AdminError(
      `${opts.file} has _info.select_tags, which scope a sync to the entities carrying them; a DB-less node takes its whole configuration at once (POST /config), so it cannot be applied in part: remove select_tags, or apply to a node with a database`,
    );
  }
  if (opts.output !== 'json') report(changes, opts, out);
  if (dbless) {
    // A DB-less node takes its whole configuration at once, as Kong's does (what decK does too).
    await client.call('POST', '/config', { config: text });
    const s = summarize(changes);
    if (opts.output === 'json') report(changes, opts, out, { applied: s, dbless: true });
    else {
      out.write(
        `applied to ${opts.adminUrl} (a DB-less node: the file replaced its whole configuration through POST /config): ${s.create} created, ${s.update} updated, ${s.delete} deleted\n`,
      );
      err.write(
        'turnpike: note: the file the node was started with is unchanged; when it is edited (or the node restarts) it replaces this configuration again\n',
      );
    }
    return EXIT.ok;
  }
  const result = await performChanges(client, changes);
  const applied = summarize(changes.slice(0, result.done));
  if (opts.output === 'json')
    report(changes, opts, out, {
      applied,
      ...(result.error
        ? { failed: { ...(changesJson([result.error.change])[0] as object), message: result.error.message } }
        : {}),
    });
  if (result.error) {
    const c = result.error.change;
    const sign = c.action === 'create' ? '+' : c.action === 'update' ? '~' : '-';
    err.write(
      `turnpike: error: change ${result.done + 1} of ${changes.length} failed (${sign} ${c.action} ${c.label}): ${result.error.message}\n` +
        `turnpike: ${result.done} change${result.done === 1 ? ' was' : 's were'} applied before it (${summaryLine(applied)}) and ${changes.length - result.done} not; ` +
        `fix the cause and run apply again (\`turnpike diff -f ${opts.file}\` shows what remains)\n`,
    );
    return EXIT.error;
  }
  if (opts.output !== 'json') {
    out.write(
      changes.length === 0
        ? 'nothing to apply\n'
        : `applied to ${opts.adminUrl}: ${applied.create} created, ${applied.update} updated, ${applied.delete} deleted\n`,
    );
  }
  return EXIT.ok;
}
