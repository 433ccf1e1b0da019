// `turnpike diff -f FILE` and `turnpike apply -f FILE`: compare a declarative file with a
// running control plane's configuration, and make the control plane match the file through
// its Admin API (PUT by id in dependency order, then DELETE children first), as decK's sync.
import { Command, Option } from 'commander';
import { formatConfigErrors, loadDeclarativeFile, parseDeclarative } from '../../config/load.js';
import type { Config } from '../../config/types.js';
import { nodeRegistry } from '../../plugins/node-registry.js';
import { readFile } from 'node:fs/promises';
import { adminOptions, clientFrom, AdminError, EXIT, runCommand, type AdminClient, type AdminFlags } from './admin-client.js';
import { computeDiff, explicitIds, formatChanges, showValue, summarize, summaryLine, type Change } from './diff.js';
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
export async function planSync(client: AdminClient, file: string, pluginSpec: string = process.env.TURNPIKE_PLUGINS ?? 'bundled'): Promise<{ changes: Change[]; text: string }> {
  let registry;
  try {
    registry = await nodeRegistry(pluginSpec);
  } catch (e) {
    throw new AdminError(`plugins (TURNPIKE_PLUGINS=${pluginSpec}): ${(e as Error).message}`);
  }
  const loaded = await loadDeclarativeFile(file, registry);
  if (!loaded.ok) {
    const n = loaded.errors.length;
    throw new AdminError(`${file} is not valid; nothing was compared or changed:\n${formatConfigErrors(loaded.errors, file)}\n${file}: ${n} error${n === 1 ? '' : 's'}`);
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
  return { changes: computeDiff(loaded.config as Config, server.config as Config, explicitIds(text)), text };
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
    ...(c.fields ? { fields: c.fields.map((f) => ({ field: f.field, from: maskJson(f.field, f.from), to: maskJson(f.field, f.to) })) } : {}),
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
export async function performChanges(client: AdminClient, changes: Change[]): Promise<{ done: number; error?: { change: Change; message: string } }> {
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

export async function runApply(client: AdminClient, opts: SyncOptions, out: Writable = process.stdout, err: Writable = process.stderr): Promise<number> {
  const { changes, text } = await planSync(client, opts.file);
  if (opts.dryRun) {
    report(changes, opts, out, { dry_run: true });
    return changes.length === 0 ? EXIT.ok : EXIT.differences;
  }
  if (opts.output !== 'json') report(changes, opts, out);
  if (changes.length > 0 && (await isDbless(client))) {
    // A DB-less node takes its whole configuration at once, as Kong's does (what decK does too).
    await client.call('POST', '/config', { config: text });
    const s = summarize(changes);
    if (opts.output === 'json') report(changes, opts, out, { applied: s, dbless: true });
    else {
      out.write(`applied to ${opts.adminUrl} (a DB-less node: the file replaced its whole configuration through POST /config): ${s.create} created, ${s.update} updated, ${s.delete} deleted\n`);
      err.write('turnpike: note: the file the node was started with is unchanged; when it is edited (or the node restarts) it replaces this configuration again\n');
    }
    return EXIT.ok;
  }
  const result = await performChanges(client, changes);
  const applied = summarize(changes.slice(0, result.done));
  if (opts.output === 'json') report(changes, opts, out, { applied, ...(result.error ? { failed: { ...changesJson([result.error.change])[0] as object, message: result.error.message } } : {}) });
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
    out.write(changes.length === 0 ? 'nothing to apply\n' : `applied to ${opts.adminUrl}: ${applied.create} created, ${applied.update} updated, ${applied.delete} deleted\n`);
  }
  return EXIT.ok;
}

function syncCommand(program: Command, name: 'diff' | 'apply', description: string, help: string, run: (client: AdminClient, opts: SyncOptions) => Promise<number>): Command {
  const cmd = program.command(name).description(description);
  adminOptions(cmd, [])
    .addOption(new Option('-f, --file <file>', 'declarative file (YAML or JSON, Kong format)').makeOptionMandatory())
    .addOption(new Option('-o, --output <format>', 'text: decK-like lines; json: the changes as one object').choices(['text', 'json']).default('text'));
  if (name === 'apply') cmd.addOption(new Option('--dry-run', 'show the changes and make none (the same as diff, exit codes included)'));
  cmd.addHelpText('after', help).action((opts: SyncOptions) => runCommand(async () => run(clientFrom(opts), opts)));
  return cmd;
}

const MATCHING = `Entities are matched by id when the file gives one, otherwise by name (consumers by
username or custom_id, targets by upstream and address, credentials by their key, plugins by
name, instance_name and service/route/consumer; an unnamed route by its service and matching
fields). created_at/updated_at are ignored. Plugins other than the bundled ones need
TURNPIKE_PLUGINS set as on the server.`;

export function register(program: Command): void {
  syncCommand(
    program,
    'diff',
    'show what `apply -f FILE` would change on a running control plane; exit 0 when nothing, 3 when something',
    `
Prints one line per change: "+ create", "~ update" (with the changed fields, secrets
hidden) and "- delete", then "N to create, N to update, N to delete".

${MATCHING}

Exit codes: 0 no differences, 3 differences (like diff(1) and terraform plan
-detailed-exitcode), 1 error (invalid file, unreachable, refused), 2 usage error.

Examples:
  $ turnpike diff -f kong.yml
  $ turnpike diff -f kong.yml -o json | jq .summary
  $ turnpike diff -f kong.yml >/dev/null; [ $? -eq 3 ] && echo "drift detected"`,
    runDiff,
  );
  syncCommand(
    program,
    'apply',
    'make a running control plane match a declarative file: shows the changes, then creates, updates and deletes',
    `
The changes are made through the Admin API in dependency order: certificates,
ca_certificates, snis, services, routes, upstreams, targets, consumers, credentials,
plugins (each PUT by id, keeping the server's id of a matched entity); then the deletes,
children first. Entities on the server that the file does not have are DELETED: the file
is the whole configuration. apply stops at the first change the server refuses and says
which one and why; the changes before it stay made. A DB-less node (started with --config)
gets the whole file at once through POST /config instead.

${MATCHING}

Exit codes: 0 applied (or nothing to do), 1 error (invalid file, a change refused,
unreachable), 2 usage error; with --dry-run the exit codes of diff (0 none, 3 changes).

Examples:
  $ turnpike apply -f kong.yml
  $ turnpike apply -f kong.yml --dry-run
  $ turnpike dump > before.yml && turnpike apply -f kong.yml    keep a copy to go back to
  $ TURNPIKE_ADMIN_TOKEN=s3cret turnpike apply -f kong.yml --admin-url https://cp.internal:8444`,
    runApply,
  );
}
