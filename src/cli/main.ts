// The `turnpike` command.

import { Command, Option } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rawFromEnv, resolveSettings, SettingsError, SETTING_NAMES, type RawSettings } from './settings.js';
import { runValidate } from './commands/validate.js';
import { runPrimary, StartupError } from '../process/primary.js';
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
  .configureOutput({ outputError: (str, write) => write(`turnpike: ${str.trimEnd()} (see turnpike --help)\n`) })
  .addHelpText('after', `
Examples:
  $ turnpike start --config examples/quickstart.yaml     run the gateway on a Kong declarative file
  $ turnpike validate kong.yml                           check a file, every error with its line
  $ turnpike reload --prefix ./.turnpike                 apply the edited file without a restart
  $ turnpike stop --prefix ./.turnpike                   drain and stop
  $ turnpike health --status-url http://127.0.0.1:8100   exit 0 when every worker is ready

Run "turnpike <command> --help" for the options of a command.`);

const start = program
  .command('start')
  .description('start the gateway (DB-less with --config FILE)')
  .option('-c, --config <file>', 'declarative configuration (YAML or JSON, Kong format); env TURNPIKE_DECLARATIVE_CONFIG')
  .addHelpText('after', `
Every setting can also be given as an environment variable TURNPIKE_<NAME>, e.g.
TURNPIKE_PROXY_LISTEN="0.0.0.0:8000". Flags win over the environment.

Examples:
  $ turnpike start --config examples/quickstart.yaml
  $ turnpike start --config kong.yml --workers 4 --proxy-listen "0.0.0.0:8000"
  $ TURNPIKE_PROXY_ACCESS_LOG=stdout turnpike start -c kong.yml`);
for (const name of SETTING_NAMES) {
  if (name === 'declarative_config') continue;
  start.addOption(new Option(`--${name.replace(/_/g, '-')} <value>`, `kong.conf "${name}"; env TURNPIKE_${name.toUpperCase()}`));
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
    await runPrimary(settings, workerEntry);
  } catch (err) {
    if (err instanceof StartupError) fail(err.message);
    fail(`could not start: ${(err as Error).message}`);
  }
});

program
  .command('validate')
  .description('check a declarative configuration file; exit 0 when valid, 1 with every error listed')
  .argument('<file>', 'YAML or JSON file in Kong declarative format')
  .addHelpText('after', '\nExample:\n  $ turnpike validate kong.yml')
  .action(async (file: string) => {
    process.exitCode = await runValidate(file);
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

program.parseAsync(process.argv).catch((err: Error) => fail(err.message));
