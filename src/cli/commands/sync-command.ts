// The `diff` and `apply` commands' definitions (flags, help); what they do is in apply.ts,
// imported when one of them runs.
import { Command, Option } from 'commander';
import { adminOptions, clientFrom, runCommand } from './admin-client.js';
import type { SyncOptions } from './apply.js';

function syncCommand(
  program: Command,
  name: 'diff' | 'apply',
  description: string,
  help: string,
  run: 'runDiff' | 'runApply',
): Command {
  const cmd = program.command(name).description(description);
  adminOptions(cmd, [])
    .addOption(new Option('-f, --file <file>', 'declarative file (YAML or JSON, Kong format)').makeOptionMandatory())
    .addOption(
      new Option('-o, --output <format>', 'text: decK-like lines; json: the changes as one object')
        .choices(['text', 'json'])
        .default('text'),
    );
  if (name === 'apply')
    cmd.addOption(new Option('--dry-run', 'show the changes and make none (the same as diff, exit codes included)'));
  cmd.addHelpText('after', help).action((opts: SyncOptions) =>
    runCommand(async () => {
      // The loader and the plugins are loaded only when the command runs: `turnpike --help`
      // and completion stay quick.
      const impl = await import('./apply.js');
      return impl[run](clientFrom(opts), opts);
    }),
  );
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
    'runDiff',
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
    'runApply',
  );
}
