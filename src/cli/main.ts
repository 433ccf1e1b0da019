// The `turnpike` command.

import { Command, Option } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DATABASE_SETTING_NAMES,
  rawFromEnv,
  resolveSettings,
  SettingsError,
  SETTING_NAMES,
  type RawSettings,
} from '../settings/index.js';
import { register as registerGet } from './commands/get.js';
import { register as registerSync } from './commands/sync-command.js';
import { register as registerDump } from './commands/dump.js';
import { register as registerDelete } from './commands/delete.js';
import { register as registerCompletion } from './commands/completion.js';
import { VERSION } from '../version.js';

const workerEntry = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'engine', 'worker-main.js');

function fail(message: string): never {
  process.stderr.write(`turnpike: error: ${message}\n`);
  process.exit(1);
}

/** Flags use kong.conf names with dashes; --config is the short name of declarative_config. */
function rawFromFlags(opts: Record<string, unknown>): RawSettings {
  const raw: RawSettings = {};
  for (const name of SETTING_NAMES) {
    const camel = name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    const v = opts[camel];
    if (typeof v === 'string') raw[name] = v;
  }
  if (typeof opts.config === 'string') raw.declarative_config = opts.config;
  return raw;
}

function readPid(prefix: string): number {
  const file = path.join(prefix, 'turnpike.pid');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    fail(`no running Turnpike found: ${file} does not exist (is it running with --prefix ${prefix}?)`);
  }
  const pid = Number(text.trim());
  try {
    process.kill(pid, 0);
  } catch {
    fail(`Turnpike (pid ${pid} from ${file}) is not running`);
  }
  return pid;
}

const program = new Command();
program
  .name('turnpike')
  .description('API gateway and service mesh for Node.js, with Kong-compatible configuration')
  .version(VERSION)
  .configureOutput({
    // commander says "error: unknown command 'strat'\n(Did you mean start?)": one line instead.
    outputError: (str, write) =>
      write(
        `turnpike: ${str.trimEnd().replace(/\n\(Did you mean (.*)\?\)$/, " (did you mean '$1'?)")} (see turnpike --help)\n`,
      ),
  })
  // Exit codes a script can rely on: --help/--version 0, a usage error (unknown command or
  // flag, missing argument, value not among the choices) 2; commands return 0, 1, 3 or 4.
  // Set before the commands are added: each inherits it.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .addHelpText(
    'after',
    `
Examples:
  $ turnpike start --config examples/quickstart.yaml     run the gateway on a Kong declarative file
  $ turnpike validate kong.yml                           check a file, every error with its line
  $ turnpike reload --prefix ./.turnpike                 apply the edited file without a restart
  $ turnpike stop --prefix ./.turnpike                   drain and stop
  $ turnpike health --status-url http://127.0.0.1:8100   exit 0 when every worker is ready
  $ turnpike migrations up                               create or upgrade the database (SQLite by default)
  $ turnpike config db_import kong.yml                   load a declarative file into the database
  $ turnpike get services                                list services of a running control plane
  $ turnpike diff -f kong.yml                            what apply would change (exit 3 when something)
  $ turnpike apply -f kong.yml                           make the control plane match the file
  $ turnpike dump > kong.yml                             the whole configuration as a file
  $ turnpike delete route users-api                      delete one entity
  $ source <(turnpike completion bash)                   shell completion

Exit codes: 0 ok, 1 error, 2 usage error, 3 differences (diff) or pending migrations,
4 not found (get/delete of one entity). docs/cli.md describes every command.

Run "turnpike <command> --help" for the options of a command.`,
  );

const start = program
  .command('start')
  .description('start the gateway (DB-less with --config FILE)')
  .option(
    '-c, --config <file>',
    'declarative configuration (YAML or JSON, Kong format); env TURNPIKE_DECLARATIVE_CONFIG',
  )
  .addHelpText(
    'after',
    `
Every setting can also be given as an environment variable TURNPIKE_<NAME>, e.g.
TURNPIKE_PROXY_LISTEN="0.0.0.0:8000". Flags win over the environment.

Examples:
  $ turnpike start --config examples/quickstart.yaml
  $ turnpike start --config kong.yml --workers 4 --proxy-listen "0.0.0.0:8000"
  $ TURNPIKE_PROXY_ACCESS_LOG=stdout turnpike start -c kong.yml`,
  );
for (const name of SETTING_NAMES) {
  if (name === 'declarative_config') continue;
  start.addOption(
    new Option(`--${name.replace(/_/g, '-')} <value>`, `kong.conf "${name}"; env TURNPIKE_${name.toUpperCase()}`),
  );
}
start.action(async (opts: Record<string, unknown>) => {
  let settings;
  try {
    settings = resolveSettings({ ...rawFromEnv(process.env), ...rawFromFlags(opts) });
  } catch (err) {
    if (err instanceof SettingsError) fail(`bad setting: ${err.message}`);
    throw err;
  }
  try {
    // The gateway, the store and the loader are imported by the command that needs them, so
    // that `turnpike --help`, completion and the Admin API commands start quickly.
    const { runPrimary } = await import('../process/primary.js');
    await runPrimary(settings, workerEntry);
  } catch (err) {
    if (err instanceof Error && err.name === 'StartupError') fail(err.message);
    fail(`could not start: ${(err as Error).message}`);
  }
});

/** The settings of a database command: --database/--prefix flags, else the environment. */
function dbSettings(opts: Record<string, unknown>) {
  let settings;
  try {
    settings = resolveSettings({ ...rawFromEnv(process.env), ...rawFromFlags(opts), declarative_config: undefined });
  } catch (err) {
    if (err instanceof SettingsError) fail(`bad setting: ${err.message}`);
    throw err;
  }
  if (settings.db === null)
    fail('database is "off": this command needs --database sqlite or postgres (or TURNPIKE_DATABASE)');
  return settings;
}

function databaseOptions(cmd: Command): Command {
  cmd
    .option('--database <kind>', 'sqlite or postgres; env TURNPIKE_DATABASE', undefined)
    .option('-p, --prefix <dir>', 'prefix holding turnpike.db (SQLite); env TURNPIKE_PREFIX');
  for (const name of DATABASE_SETTING_NAMES) {
    cmd.addOption(
      new Option(
        `--${name.replace(/_/g, '-')} <value>`,
        `kong.conf "${name}"; env TURNPIKE_${name.toUpperCase()}`,
      ).hideHelp(),
    );
  }
  return cmd.addHelpText(
    'after',
    `
The database is SQLite at $TURNPIKE_PREFIX/turnpike.db unless TURNPIKE_DATABASE=postgres,
then TURNPIKE_PG_HOST, TURNPIKE_PG_PORT, TURNPIKE_PG_USER, TURNPIKE_PG_PASSWORD,
TURNPIKE_PG_DATABASE, TURNPIKE_PG_SCHEMA and TURNPIKE_PG_SSL say where (or the flags
--pg-host, --pg-port, ... of the same names); see docs/deployment.md.`,
  );
}

const migrations = program
  .command('migrations')
  .description('create or upgrade the database schema')
  .addHelpText(
    'after',
    '\nExamples:\n  $ turnpike migrations up --prefix ./.turnpike\n  $ turnpike migrations status; echo "exit $? (3: migrations pending)"',
  );
databaseOptions(
  migrations
    .command('up')
    .description('run the pending migrations (safe while other nodes start: they wait for each other)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ turnpike migrations up --prefix ./.turnpike\n  $ TURNPIKE_DATABASE=postgres TURNPIKE_PG_HOST=db.internal turnpike migrations up',
    ),
).action(async (opts: Record<string, unknown>) => {
  const s = dbSettings(opts);
  process.exitCode = await (await import('./commands/database.js')).runMigrations('up', s.db!);
});
databaseOptions(
  migrations
    .command('status')
    .description('list the migrations, executed and pending; exit 0 up to date, 3 pending, 1 error')
    .addHelpText('after', '\nExample:\n  $ turnpike migrations status --prefix ./.turnpike'),
).action(async (opts: Record<string, unknown>) => {
  const s = dbSettings(opts);
  process.exitCode = await (await import('./commands/database.js')).runMigrations('status', s.db!);
});

const configCmd = program
  .command('config')
  .description('move configuration between a declarative file and the database')
  .addHelpText(
    'after',
    '\nExamples:\n  $ turnpike config db_import kong.yml --prefix ./.turnpike\n  $ turnpike config db_export - > backup.yml',
  );
databaseOptions(
  configCmd
    .command('db_import')
    .description('validate a declarative file and write its entities into the database, all or nothing')
    .argument('<file>', 'YAML or JSON file in Kong declarative format')
    .addHelpText(
      'after',
      '\nEntities are matched by id: importing the same file twice changes nothing.\n\nExample:\n  $ turnpike config db_import kong.yml --prefix ./.turnpike',
    ),
).action(async (file: string, opts: Record<string, unknown>) => {
  const s = dbSettings(opts);
  process.exitCode = await (await import('./commands/database.js')).runDbImport(file, s.db!, s.plugins);
});
databaseOptions(
  configCmd
    .command('db_export')
    .description('write the database content as a declarative file (YAML, _format_version "3.0")')
    .argument('[file]', "output file, or '-' for standard output", 'kong.yml')
    .option('-f, --force', 'overwrite the file when it exists')
    .addHelpText(
      'after',
      '\nExamples:\n  $ turnpike config db_export kong.yml\n  $ turnpike config db_export - > backup.yml',
    ),
).action(async (file: string, opts: Record<string, unknown>) => {
  const s = dbSettings(opts);
  process.exitCode = await (await import('./commands/database.js')).runDbExport(file, s.db!, opts.force === true);
});

program
  .command('validate')
  .description('check a declarative configuration file; exit 0 when valid, 1 with every error listed')
  .argument('<file>', 'YAML or JSON file in Kong declarative format')
  .addHelpText('after', '\nExample:\n  $ turnpike validate kong.yml')
  .action(async (file: string) => {
    process.exitCode = await (await import('./commands/validate.js')).runValidate(file);
  });

for (const [cmd, signal, what] of [
  ['reload', 'SIGHUP', 'reload the configuration file of a running node'],
  ['stop', 'SIGTERM', 'stop a running node gracefully (drains connections)'],
] as const) {
  program
    .command(cmd)
    .description(what)
    .option('-p, --prefix <dir>', 'prefix of the running node', process.env.TURNPIKE_PREFIX ?? './.turnpike')
    .addHelpText('after', `\nExample:\n  $ turnpike ${cmd} --prefix ./.turnpike`)
    .action((opts: { prefix: string }) => {
      const pid = readPid(path.resolve(opts.prefix));
      process.kill(pid, signal);
      process.stdout.write(`sent ${signal} to Turnpike (pid ${pid})\n`);
    });
}

program
  .command('health')
  .description('ask a running node whether every worker is ready (exit 0) or not (exit 1)')
  .option('--status-url <url>', 'status listener URL', 'http://127.0.0.1:8100')
  .addHelpText('after', '\nExample:\n  $ turnpike health --status-url http://127.0.0.1:8100')
  .action(async (opts: { statusUrl: string }) => {
    try {
      const res = await fetch(new URL('/status/ready', opts.statusUrl));
      const body = (await res.json()) as { ready: boolean };
      process.stdout.write(body.ready ? 'healthy: every worker is ready\n' : 'unhealthy: some workers are not ready\n');
      process.exitCode = body.ready ? 0 : 1;
    } catch (err) {
      fail(`cannot reach the status listener at ${opts.statusUrl}: ${(err as Error).message}`);
    }
  });

// The management commands of a running control plane (Admin API), one file each.
registerGet(program);
registerSync(program);
registerDump(program);
registerDelete(program);
registerCompletion(program);

/**
 * commander answers `turnpike sidcar --help` with the main help and exit 0, as if the help
 * flag were the program's own. Without the flag, its unknown-command error (exit 2, with a
 * suggestion) is what the user should see.
 */
function argvForParse(argv: string[]): string[] {
  const operand = argv.slice(2).find((a) => !a.startsWith('-'));
  if (operand === undefined || operand === 'help') return argv;
  const known = program.commands.some((c) => c.name() === operand || c.aliases().includes(operand));
  return known ? argv : argv.filter((a, i) => i < 2 || (a !== '--help' && a !== '-h'));
}

program.parseAsync(argvForParse(process.argv)).catch((err: Error) => fail(err.message));
