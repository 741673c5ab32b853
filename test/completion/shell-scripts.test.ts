/**
 * `dlq completion bash|zsh|fish`, checked in the shells themselves: bash sources the script and
 * its completion function fills COMPREPLY for given COMP_WORDS; fish answers `complete -C`; zsh
 * and fish parse the script (`-n`). Shells that are not installed are skipped with a message.
 * Expectations come from commander's definitions (buildProgram), so every flag other code adds
 * is checked too.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram, main } from '../../src/cli.js';
import { isPathPlaceholder } from '../../src/completion/command-tree.js';
import { GROUP_FIELDS, SORT_FIELDS } from '../../src/entries/fields.js';
import { captureIo } from '../support/capture-io.js';

const dir = mkdtempSync(join(tmpdir(), 'dlq-completion-'));
const cwd = join(dir, 'cwd');
mkdirSync(join(cwd, 'dumps'), { recursive: true });
for (const f of ['dlq-a.json', 'dlq-b.json', 'other.txt']) writeFileSync(join(cwd, f), '');

const has = (shell: string) => spawnSync(shell, ['-c', 'exit 0'], { stdio: 'ignore' }).status === 0;
const skipUnless = (shell: string) => (has(shell) ? false : `${shell} is not installed: its completion script is not checked here`);

async function script(shell: string): Promise<string> {
  const io = captureIo();
  assert.equal(await main(['node', 'dlq', 'completion', shell], io), 0, io.err());
  const file = join(dir, `dlq.${shell}`);
  writeFileSync(file, io.out());
  return file;
}

/** COMPREPLY for `dlq <words…>` with the cursor on the last word. */
async function bashComplete(...words: string[]): Promise<string[]> {
  const file = await script('bash');
  const r = spawnSync(
    'bash',
    ['--norc', '--noprofile', '-c', 'source "$1"; shift; COMP_WORDS=(dlq "$@"); COMP_CWORD=$#; _dlq_completion; printf "%s\\n" "${COMPREPLY[@]}"', 'bash', file, ...words],
    { cwd, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** Every command of the real program with its path, straight from commander. */
function commands(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  return [{ path, cmd }, ...cmd.commands.flatMap((sub) => commands(sub, [...path, sub.name()]))];
}
const program = buildProgram(captureIo(), () => {});

test('bash: `dlq li<TAB>` offers list, `dlq replay --max-<TAB>` the replay flags, `--group-by <TAB>` its fields', { skip: skipUnless('bash') }, async () => {
  assert.deepEqual(await bashComplete('li'), ['list']);
  const replay = program.commands.find((c) => c.name() === 'replay')!;
  const maxFlags = replay.options.map((o) => o.long).filter((l): l is string => !!l?.startsWith('--max-'));
  assert.ok(maxFlags.includes('--max-replays'));
  assert.deepEqual((await bashComplete('replay', '--max-')).sort(), maxFlags.sort());
  assert.deepEqual(await bashComplete('list', '--group-by', ''), [...GROUP_FIELDS]);
  assert.deepEqual(await bashComplete('list', '--sort', 'st'), SORT_FIELDS.filter((f) => f.startsWith('st')));
  assert.deepEqual(await bashComplete('list', '--replay-status', 'failed,p'), ['failed,pending']);
  assert.deepEqual(await bashComplete('completion', ''), ['bash', 'zsh', 'fish']);
  assert.deepEqual(await bashComplete('help', 're'), program.commands.map((c) => c.name()).filter((n) => n.startsWith('re')));
  assert.deepEqual(await bashComplete('list', '--color', '=', 'al'), ['always'], '--color=al, as bash splits it');
  assert.deepEqual(await bashComplete('--color', 'never', 'list', '--json', '--file', 'dlq-'), ['dlq-a.json', 'dlq-b.json']);
  assert.deepEqual(await bashComplete('list', '--since', ''), [], 'a free value: nothing to offer');
  assert.deepEqual(await bashComplete('list', '--since', '24h', '--gr'), ['--grep', '--group-by'], 'option values are skipped');
});

test('bash: every command and flag commander knows completes, with its choices, and path values complete files', { skip: skipUnless('bash') }, async () => {
  for (const { path, cmd } of commands(program)) {
    const subs = cmd.commands.map((c) => c.name());
    if (subs.length) assert.deepEqual(new Set(await bashComplete(...path, '')), new Set([...subs, 'help']), `subcommands of ${path.join(' ')}`);
    const offered = await bashComplete(...path, '--');
    for (const option of cmd.options) {
      assert.ok(offered.includes(option.long!), `${[...path, option.long].join(' ')} is offered`);
      if (option.argChoices) {
        assert.deepEqual(await bashComplete(...path, option.long!, ''), option.argChoices, `choices of ${option.long}`);
      } else if (/<(path|file)[^>]*>/.test(option.flags)) {
        assert.deepEqual(await bashComplete(...path, option.long!, ''), ['dlq-a.json', 'dlq-b.json', 'dumps', 'other.txt'], `files for ${option.long}`);
      }
    }
    for (const global of ['--color', '--no-color']) assert.ok(offered.includes(global), `${path.join(' ') || 'dlq'} offers ${global}`);
  }
});

test('a value is a path when its placeholder says so, whoever adds the option', () => {
  for (const p of ['path', 'file', 'dir', 'file.json', 'routes-file', 'out_dir']) assert.equal(isPathPlaceholder(p), true, p);
  for (const p of ['json-path', 'name-or-id', 'url', 'duration', 'profile', 'filename-pattern']) assert.equal(isPathPlaceholder(p), false, p);
});

test('zsh parses the zsh script', { skip: skipUnless('zsh') }, async () => {
  const r = spawnSync('zsh', ['-n', await script('zsh')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const registered = spawnSync('zsh', ['-f', '-c', 'autoload -U compinit; compinit -u -d "$2"; source "$1"; print -r -- $_comps[dlq]', 'zsh', await script('zsh'), join(dir, 'zcompdump')], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'], HOME: dir },
  });
  assert.equal(registered.stdout.trim(), '_dlq', registered.stderr);
});

test('fish parses the fish script and completes from it', { skip: skipUnless('fish') }, async () => {
  const file = await script('fish');
  const parsed = spawnSync('fish', ['-n', file], { encoding: 'utf8' });
  assert.equal(parsed.status, 0, parsed.stderr);
  const complete = (line: string) => {
    const r = spawnSync('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', file, line], { cwd, encoding: 'utf8', env: { PATH: process.env['PATH'], HOME: dir } });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t')[0]);
  };
  assert.deepEqual(complete('dlq li'), ['list']);
  assert.ok(complete('dlq replay --max-').includes('--max-replays'));
  assert.deepEqual(complete('dlq list --group-by ').sort(), [...GROUP_FIELDS].sort());
  assert.deepEqual(complete('dlq --color never list --file dlq-'), ['dlq-a.json', 'dlq-b.json']);
});
