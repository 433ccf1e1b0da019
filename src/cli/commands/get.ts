// `turnpike get <kind> [name]`: list a collection of the Admin API (every page) or show one entity.
import { Command, Option } from 'commander';
import {
  adminOptions,
  clientFrom,
  EXIT,
  AdminError,
  runCommand,
  type AdminClient,
  type AdminFlags,
  type OutputFormat,
} from './admin-client.js';
import {
  collectionPath,
  CREDENTIAL_RANGE,
  KIND_LIST,
  KIND_SUMMARY,
  PARENT_KINDS,
  resolveKind,
  type KindInfo,
  type NameLookup,
  type ParentKind,
} from './kinds.js';
import { renderEntities } from './output.js';

type Obj = Record<string, unknown>;

interface Writable {
  write(chunk: string): unknown;
}

export interface GetOptions extends AdminFlags {
  output: OutputFormat;
  service?: string;
  route?: string;
  upstream?: string;
  consumer?: string;
  tags?: string;
  size?: string;
  offset?: string;
}

export function parentsOf(opts: Partial<Record<ParentKind, string>>): Partial<Record<ParentKind, string>> {
  const out: Partial<Record<ParentKind, string>> = {};
  for (const p of PARENT_KINDS) if (opts[p] !== undefined) out[p] = opts[p];
  return out;
}

/** Ids → names of the services, routes and consumers the rows refer to (ids when a lookup fails). */
async function nameLookup(client: AdminClient, kind: KindInfo, rows: Obj[]): Promise<NameLookup> {
  const maps = new Map<string, Map<string, string>>();
  for (const refKind of kind.refs) {
    const field = refKind.slice(0, -1);
    if (!rows.some((r) => (r[field] as { id?: string } | null)?.id)) continue;
    try {
      const { data } = await client.list(`/${refKind}`);
      maps.set(refKind, new Map(data.map((e) => [String(e.id), String(e.name ?? e.username ?? e.custom_id ?? e.id)])));
    } catch {
      // The table then shows ids: a listing that fails here is not the command's failure.
    }
  }
  return (k, id) => maps.get(k)?.get(id) ?? id;
}

export async function runGet(
  client: AdminClient,
  kindName: string,
  name: string | undefined,
  opts: GetOptions,
  out: Writable = process.stdout,
  err: Writable = process.stderr,
): Promise<number> {
  const kind = resolveKind(kindName);
  const base = collectionPath(kind, parentsOf(opts));
  if (name !== undefined) {
    const entity = await client.find(`${base}/${encodeURIComponent(name)}`);
    if (entity === null)
      throw new AdminError(`${kind.singular} '${name}' not found at ${client.baseUrl}${base}`, EXIT.notFound, 404);
    out.write(
      renderEntities(
        opts.output,
        kind.columns,
        [entity],
        opts.output === 'table' ? await nameLookup(client, kind, [entity]) : (_k, id) => id,
        true,
      ),
    );
    return EXIT.ok;
  }
  let size: number | undefined;
  if (opts.size !== undefined) {
    size = Number(opts.size);
    if (!Number.isInteger(size) || size < 1 || size > 1000)
      throw new AdminError(`--size ${opts.size}: expected a whole number from 1 to 1000`, EXIT.usage);
  }
  const page = await client.list(base, { size, offset: opts.offset, tags: opts.tags, onePage: size !== undefined });
  if (page.data.length === 0 && opts.output === 'table') {
    err.write(`no ${kind.name} found${opts.tags ? ` with tags ${opts.tags}` : ''}\n`);
    return EXIT.ok;
  }
  out.write(
    renderEntities(
      opts.output,
      kind.columns,
      page.data,
      opts.output === 'table' ? await nameLookup(client, kind, page.data) : (_k, id) => id,
    ),
  );
  if (page.offset !== null) err.write(`more ${kind.name} follow: add --offset ${page.offset}\n`);
  return EXIT.ok;
}

/** The --service/--route/--upstream/--consumer options of get and delete. */
export function parentOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--service <name-or-id>', 'routes or plugins of this service'))
    .addOption(new Option('--route <name-or-id>', 'plugins of this route'))
    .addOption(new Option('--upstream <name-or-id>', 'targets of this upstream (required for targets)'))
    .addOption(new Option('--consumer <name-or-id>', 'credentials or plugins of this consumer'));
}

export const KINDS_HELP = `Kinds (singular, plural and Kong's names are all accepted):
  ${KIND_LIST.map((k) => k.name + (k.requires ? ` (--${k.requires})` : '')).join(', ')}
Credentials (${CREDENTIAL_RANGE}) are those of every consumer, or of --consumer's.`;

export function register(program: Command): void {
  const cmd = program
    .command('get')
    .description('list the entities of a kind, or show one, from a running control plane')
    .argument('<kind>', KIND_SUMMARY)
    .argument('[name]', 'name or id of one entity');
  parentOptions(adminOptions(cmd))
    .option('--tags <tags>', "only entities with every tag ('a,b') or any of them ('a/b')")
    .option('--size <n>', 'only the first page, of n entities (default: every page)')
    .option('--offset <cursor>', 'start at this page cursor (printed when --size leaves more)')
    .addHelpText(
      'after',
      `
${KINDS_HELP}

Exit codes: 0 ok, 1 error, 2 usage error, 4 the named entity does not exist.

Examples:
  $ turnpike get services
  $ turnpike get route users-api -o yaml
  $ turnpike get plugins --service users -o json
  $ turnpike get targets --upstream users-upstream
  $ turnpike get key-auth --consumer alice
  $ turnpike get services --tags team-a --size 10
  $ TURNPIKE_ADMIN_URL=http://cp.internal:8001 TURNPIKE_ADMIN_TOKEN=s3cret turnpike get consumers`,
    )
    .action((kind: string, name: string | undefined, opts: GetOptions) =>
      runCommand(async () => runGet(clientFrom(opts), kind, name, opts)),
    );
}
