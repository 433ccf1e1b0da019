// `turnpike dump`: the whole configuration of a running control plane as a declarative file
// (the Admin API's GET /config), which `turnpike apply -f` and `turnpike start -c` accept.
import fs from 'node:fs';
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

interface Writable {
  write(chunk: string): unknown;
}

/** The server's configuration as YAML text (GET /config → {"config": "<YAML>"}). */
export async function fetchConfigText(client: AdminClient): Promise<string> {
  const body = await client.call('GET', '/config');
  const text = (body as { config?: unknown } | null)?.config;
  if (typeof text !== 'string')
    throw new AdminError(
      `GET /config at ${client.baseUrl}: expected {"config": "<YAML text>"}; is this a Turnpike or Kong Admin API?`,
    );
  return text;
}

export interface DumpOptions extends AdminFlags {
  output: 'yaml' | 'json';
  file?: string;
  force?: boolean;
}

export async function runDump(
  client: AdminClient,
  opts: DumpOptions,
  out: Writable = process.stdout,
  err: Writable = process.stderr,
): Promise<number> {
  if (opts.file !== undefined && opts.file !== '-' && fs.existsSync(opts.file) && !opts.force) {
    throw new AdminError(`${opts.file} already exists; choose another name or pass --force to overwrite it`);
  }
  const yamlText = await fetchConfigText(client);
  let text = yamlText.endsWith('\n') || yamlText === '' ? yamlText : `${yamlText}\n`;
  if (opts.output === 'json') {
    let value: unknown;
    try {
      const { parse } = await import('yaml'); // loaded here only: `turnpike --help` registers this command
      value = parse(yamlText);
    } catch (e) {
      throw new AdminError(
        `GET /config at ${client.baseUrl}: the configuration is not valid YAML (${(e as Error).message.split('\n')[0]})`,
      );
    }
    text = JSON.stringify(value, null, 2) + '\n';
  }
  if (opts.file === undefined || opts.file === '-') out.write(text);
  else {
    try {
      fs.writeFileSync(opts.file, text);
    } catch (e) {
      throw new AdminError(`cannot write ${opts.file}: ${(e as Error).message}`);
    }
    err.write(`${client.baseUrl}: configuration written to ${opts.file}\n`);
  }
  return EXIT.ok;
}

export function register(program: Command): void {
  const cmd = program
    .command('dump')
    .description("write a running control plane's whole configuration as a declarative file (YAML by default)");
  adminOptions(cmd, ['yaml', 'json'])
    .addOption(
      new Option('-f, --file <file>', "write to this file instead of standard output ('-' for standard output)"),
    )
    .addOption(new Option('--force', 'overwrite the file when it exists'))
    .addHelpText(
      'after',
      `
The output is the declarative format (_format_version "3.0") that \`turnpike apply -f\`,
\`turnpike diff -f\`, \`turnpike config db_import\` and \`turnpike start -c\` read.

Exit codes: 0 ok, 1 error (unreachable, refused, file exists without --force), 2 usage error.

Examples:
  $ turnpike dump > kong.yml
  $ turnpike dump -f backup.yml --force
  $ turnpike dump -o json | jq '.services[].name'`,
    )
    .action((opts: DumpOptions) => runCommand(async () => runDump(clientFrom(opts), opts)));
}
