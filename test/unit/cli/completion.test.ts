// Shell completion, tried in a real bash: the script `turnpike completion bash` prints is
// sourced and its function called with COMP_WORDS/COMP_CWORD as bash's `complete` does.
// Also: every command's --help has examples, and usage errors exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, tmpDir } from '../../helpers/gateway.js';
import { onCleanup } from '../../helpers/scope.js';
import { needTool } from '../../helpers/tools.js';

const COMMANDS = [
  'start',
  'migrations',
  'migrations up',
  'migrations status',
  'config',
  'config db_import',
  'config db_export',
  'validate',
  'reload',
  'stop',
  'health',
  'get',
  'diff',
  'apply',
  'dump',
  'delete',
  'completion',
];

let script: string | undefined;
async function bashScript(): Promise<string> {
  if (script === undefined) {
    const r = await runCli(['completion', 'bash']);
    assert.equal(r.code, 0, r.stderr);
    const dir = tmpDir('turnpike-completion-');
    onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
    script = path.join(dir, 'turnpike.bash');
    fs.writeFileSync(script, r.stdout);
    fs.writeFileSync(path.join(dir, 'kong.yml'), '_format_version: "3.0"\n');
  }
  return script;
}

/** What bash offers after `words` (the last word is the one being completed). */
async function complete(...words: string[]): Promise<string[]> {
  const file = await bashScript();
  const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync(
    'bash',
    [
      '--norc',
      '--noprofile',
      '-c',
      `source '${file}'; COMP_WORDS=(turnpike ${quoted}); COMP_CWORD=${words.length}; _turnpike; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    {
      encoding: 'utf8',
      cwd: path.dirname(file),
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

test('bash: the script is valid bash and registers a completion for turnpike', async () => {
  const file = await bashScript();
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `source '${file}' && complete -p turnpike`], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /-F _turnpike turnpike/);
});

test('bash: subcommands, nested subcommands, kinds, flags and flag values', async () => {
  const top = await complete('');
  for (const c of ['start', 'validate', 'get', 'apply', 'diff', 'dump', 'delete', 'completion', 'config', 'migrations'])
    assert.ok(top.includes(c), `${c} in ${top.join(' ')}`);
  assert.deepEqual(await complete('d'), ['diff', 'dump', 'delete']);
  assert.deepEqual(await complete('config', ''), ['db_import', 'db_export']);
  assert.deepEqual(await complete('migrations', 's'), ['status']);
  assert.deepEqual(await complete('get', 'ser'), ['services', 'service']);
  assert.ok((await complete('delete', '')).includes('key-auth'));
  // After the kind, the name is free text: no kinds again.
  assert.deepEqual(await complete('get', 'services', ''), []);
  // A flag's value is skipped when finding the kind's position.
  assert.deepEqual(await complete('get', '-o', 'json', 'rou'), ['routes', 'route']);
  assert.deepEqual(await complete('get', 'services', '-o', ''), ['table', 'json', 'yaml']);
  assert.deepEqual(await complete('dump', '--output', ''), ['yaml', 'json']);
  assert.deepEqual(await complete('diff', '-o', ''), ['text', 'json']);
  const getFlags = await complete('get', 'services', '--');
  for (const f of [
    '--admin-url',
    '--token',
    '--token-file',
    '--output',
    '--consumer',
    '--upstream',
    '--tags',
    '--help',
  ])
    assert.ok(getFlags.includes(f), `${f} in ${getFlags.join(' ')}`);
  assert.deepEqual(await complete('apply', '--dr'), ['--dry-run']);
  assert.deepEqual(await complete('config', 'db_import', '--pre'), ['--prefix']);
  assert.deepEqual(await complete('completion', ''), ['bash', 'zsh', 'fish']);
  // Files where a file is expected.
  assert.deepEqual(await complete('apply', '-f', 'kon'), ['kong.yml']);
  assert.deepEqual(await complete('validate', 'kon'), ['kong.yml']);
  // A free-text value (a URL) offers nothing.
  assert.deepEqual(await complete('get', '--admin-url', ''), []);
});

test('zsh and fish scripts name every command', async () => {
  const zsh = await runCli(['completion', 'zsh']);
  assert.equal(zsh.code, 0);
  assert.match(zsh.stdout, /^#compdef turnpike/);
  assert.match(zsh.stdout, /bashcompinit/);
  const fish = await runCli(['completion', 'fish']);
  assert.equal(fish.code, 0);
  for (const c of ['get', 'apply', 'diff', 'dump', 'delete', 'validate'])
    assert.match(fish.stdout, new RegExp(`-n '__fish_use_subcommand' -a '${c}'`));
  assert.match(fish.stdout, /__fish_seen_subcommand_from get' -s o -l output -x -a 'table json yaml'/);
  const bad = await runCli(['completion', 'powershell']);
  assert.equal(bad.code, 2, 'an unknown shell is a usage error');
});

test('every command has --help with examples', async () => {
  const top = await runCli(['--help']);
  const listed = [...top.stdout.matchAll(/^ {2}([a-z_]+)\b/gm)].map((m) => m[1]).filter((c) => c !== 'help');
  assert.deepEqual(
    listed.sort(),
    COMMANDS.filter((c) => !c.includes(' ')).sort(),
    'the commands this test checks are the ones there are',
  );
  for (const c of COMMANDS) {
    const r = await runCli([...c.split(' '), '--help']);
    assert.equal(r.code, 0, c);
    assert.match(r.stdout, /Examples?:\n(\s+\$ .*turnpike .+\n)+/, `${c} --help has examples:\n${r.stdout}`);
  }
});

test('usage errors exit 2: unknown command or flag, missing argument, bad choice', async () => {
  for (const args of [
    ['bogus'],
    ['get'],
    ['get', 'services', '--bogus'],
    ['get', 'services', '-o', 'xml'],
    ['diff'],
    ['delete', 'service'],
    ['get', 'widgets'],
    ['get', 'targets'],
  ]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^turnpike: error: /m, args.join(' '));
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  }
});

test('fish: the script completes subcommands, kinds, flags with their short forms, choices and files', async (t) => {
  if (!needTool('fish', 'fish', 'the fish completion test')) return t.skip('fish is not installed');
  const r = await runCli(['completion', 'fish']);
  const dir = tmpDir('turnpike-fish-');
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'turnpike.fish');
  fs.writeFileSync(file, r.stdout);
  fs.writeFileSync(path.join(dir, 'kong.yml'), '_format_version: "3.0"\n');
  const complete = (line: string): string[] => {
    const out = spawnSync('fish', ['--no-config', '-c', `source '${file}'; complete -C '${line}'`], {
      encoding: 'utf8',
      cwd: dir,
    });
    assert.equal(out.status, 0, out.stderr);
    return out.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t')[0]!);
  };
  assert.deepEqual(complete('turnpike d'), ['delete', 'diff', 'dump']);
  assert.deepEqual(complete('turnpike config '), ['db_export', 'db_import']);
  assert.ok(complete('turnpike get ').includes('services'));
  assert.deepEqual(complete('turnpike get services -o '), ['json', 'table', 'yaml']);
  assert.deepEqual(complete('turnpike get services --output '), ['json', 'table', 'yaml']);
  assert.ok(complete('turnpike get services --').includes('--admin-url'));
  assert.deepEqual(complete('turnpike apply -f kon'), ['kong.yml']);
  assert.deepEqual(complete('turnpike get --admin-url '), [], 'a URL: no file names');
});

test('zsh: the script loads through bashcompinit and answers with the bash rules', async (t) => {
  if (!needTool('zsh', 'zsh', 'the zsh completion test')) return t.skip('zsh is not installed');
  const r = await runCli(['completion', 'zsh']);
  const dir = tmpDir('turnpike-zsh-');
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, '_turnpike');
  fs.writeFileSync(file, r.stdout);
  // bashcompinit's compgen runs the bash function as zsh's completion does (zsh's compadd
  // then keeps the words that start with what was typed).
  const complete = (...words: string[]): string[] => {
    const w = words.map((x) => `'${x}'`).join(' ');
    const out = spawnSync(
      'zsh',
      [
        '-f',
        '-c',
        `autoload -U compinit; compinit -u -d '${dir}/zcompdump'; source '${file}'; COMP_WORDS=(turnpike ${w}); COMP_CWORD=${words.length}; compgen -F _turnpike -- '${words.at(-1)}'`,
      ],
      { encoding: 'utf8', cwd: dir },
    );
    assert.equal(out.status, 0, out.stderr);
    return out.stdout.split('\n').filter((l) => l !== '');
  };
  assert.deepEqual(complete('get', 'services', '-o', ''), ['table', 'json', 'yaml']);
  assert.deepEqual(complete('config', ''), ['db_import', 'db_export']);
  assert.ok(complete('get', '').includes('services'));
  assert.ok(complete('config', 'db_import', '--p').includes('--prefix'));
});
