// `turnpike delete <kind> <name or id>`: delete one entity through the Admin API.
// Kong answers 204 whether or not the entity existed, so the entity is looked up first:
// a missing one is exit 4 (or 0 with --ignore-not-found), never a silent success.
import { Command, Option } from 'commander';
import {
  adminOptions,
  clientFrom,
  AdminError,
  EXIT,
  runCommand,
  type AdminClient,
  type AdminFlags,
} from './admin-client.js';
import { collectionPath, describe, KIND_SUMMARY, resolveKind, type ParentKind } from './kinds.js';
import { KINDS_HELP, parentOptions, parentsOf } from './get.js';

interface Writable {
  write(chunk: string): unknown;
}

export interface DeleteOptions extends AdminFlags, Partial<Record<ParentKind, string>> {
  ignoreNotFound?: boolean;
}

export async function runDelete(
  client: AdminClient,
  kindName: string,
  name: string,
  opts: DeleteOptions,
  out: Writable = process.stdout,
): Promise<number> {
  const kind = resolveKind(kindName);
  const base = collectionPath(kind, parentsOf(opts));
  const entity = await client.find(`${base}/${encodeURIComponent(name)}`);
  if (entity === null) {
    if (opts.ignoreNotFound) {
      out.write(`${kind.singular} '${name}' does not exist; nothing to delete\n`);
      return EXIT.ok;
    }
    throw new AdminError(
      `${kind.singular} '${name}' not found at ${client.baseUrl}${base}; nothing was deleted`,
      EXIT.notFound,
      404,
    );
  }
  const id = typeof entity.id === 'string' ? entity.id : name;
  try {
    await client.call('DELETE', `${base}/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e instanceof AdminError && e.status !== undefined && e.status < 500 && e.status !== 401 && e.status !== 403) {
      // Kong's 400 for an entity still referenced ("routes still reference this service").
      throw new AdminError(
        `cannot delete ${describe(kind, entity)}: ${e.message}`,
        e.exitCode === EXIT.notFound ? EXIT.notFound : EXIT.error,
        e.status,
      );
    }
    throw e;
  }
  out.write(`deleted ${describe(kind, entity)} (${id})\n`);
  return EXIT.ok;
}

export function register(program: Command): void {
  const cmd = program
    .command('delete')
    .description('delete one entity from a running control plane')
    .argument('<kind>', KIND_SUMMARY)
    .argument('<name>', 'name or id of the entity');
  parentOptions(adminOptions(cmd, []))
    .addOption(new Option('--ignore-not-found', 'exit 0 when the entity does not exist'))
    .addHelpText(
      'after',
      `
${KINDS_HELP}

Deleting a service that routes still use is refused by the server (delete the routes
first); deleting an upstream or a consumer deletes its targets or credentials with it.

Exit codes: 0 deleted, 1 error (refused by the server, unreachable), 2 usage error,
4 no such entity (0 with --ignore-not-found).

Examples:
  $ turnpike delete route users-api
  $ turnpike delete service 0b4f5f0c-3c5e-4c1a-9a57-6a1a3c1f1c77
  $ turnpike delete target 10.0.0.7:8080 --upstream users-upstream
  $ turnpike delete acls admins --consumer alice
  $ turnpike delete plugin rate-limiting-users --ignore-not-found`,
    )
    .action((kind: string, name: string, opts: DeleteOptions) =>
      runCommand(async () => runDelete(clientFrom(opts), kind, name, opts)),
    );
}
