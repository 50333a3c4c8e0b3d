// The CLI's fast parser (src/cli/fastpath.ts) must hand command modules exactly what yargs would,
// and must give up (leave the argv to yargs) whenever it is not sure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fastParse, splitCommand, unknownFlags } from '../../src/cli/fastpath.ts';
import { buildParser } from '../../src/cli/yargs-cli.ts';

interface Outcome {
  command?: string;
  args?: Record<string, unknown>;
  error?: string;
}

async function viaYargs(argv: string[]): Promise<Outcome> {
  let out: Outcome = {};
  const parser = buildParser(argv, (spec, args) => {
    const copy = { ...args };
    delete copy.$0;
    out = { command: spec.name, args: copy };
  });
  try {
    await parser.parseAsync();
  } catch (err) {
    return { error: (err as Error).message };
  }
  return out;
}

const split = (s: string) => (s === '' ? [] : s.split(' '));

// Parsed by the fast path: yargs must produce the same object.
const FAST: string[] = [
  '--root /run/x --log /l --log-format json create --bundle /b --pid-file /p id',
  '--root /run/x --log /l --log-format text create --bundle /b --pid-file /p --console-socket /s 0123abcdef',
  'create --bundle=/b --pid-file=/p --preserve-fds 3 --no-pivot --no-new-keyring id',
  'create -b /b id',
  'create id --bundle /b',
  'create --preserve-fds=0 id',
  'start id',
  'state id',
  'state 123',
  'state 0x1f',
  'state 1e3',
  'state abc-def_1.2',
  'state 99999999999999999999',
  'kill id',
  'kill id KILL',
  'kill id SIGTERM',
  'kill id 9',
  'kill --all id 15',
  'kill -a id TERM',
  'delete id',
  'delete --force id',
  'delete -f id',
  'run -d -b . id',
  'run --detach --keep --bundle /b id',
  'run -b /b id',
  '--systemd-cgroup state id',
  '--debug state id',
  '--rootless true state id',
  '--rootless=false state id',
  '--rootless auto run -d -b /b id',
  '--root= state id',
  'list',
  'list -q',
  'list --format json',
  'list -f table --quiet',
  '--root /r list -q',
  'state --root /r id',
  'create --log /l -b /b id',
  'validate',
  'validate -b /b',
  'validate --bundle /b',
  // runc's end of flags (issue 12: "Not enough non-option arguments")
  'create -b . -- id',
  '--root /r create --bundle /b -- id',
  'kill -- id KILL',
  'delete -f -- id',
  'state id --',
];

// Left to yargs (help, errors, forms the fast parser does not take on).
const SLOW: string[] = [
  '',
  '--help',
  'state --help',
  '-h',
  '--version',
  '-v',
  'state',
  'state a b',
  'state --frobnicate id',
  'kill -9 id',
  'kill id -- -9',
  'create -- -id',
  '-- state id',
  'delete --force true',
  'delete --force=true id',
  'delete -fx id',
  'create -b=/b id',
  'create --bundle /a --bundle /b id',
  'create --preserve-fds x id',
  'create --preserve-fds 1.5 id',
  'create --bundle',
  '--bundle /b create id',
  '--log-format xml state id',
  '--rootless 1 state id',
  '--rootless state id',
  'frobnicate id',
  'spec',
  'spec --rootless',
  'validate extra',
  'exec id ls',
  'exec -e A=1 id ls',
  'list -f yaml',
  '--Root /r state id',
];

test('fast path and yargs agree on engine-style argv', async () => {
  for (const line of FAST) {
    const argv = split(line);
    const fast = fastParse(argv);
    assert.ok(fast, `fast path should take: ${line}`);
    const slow = await viaYargs(argv);
    assert.equal(slow.error, undefined, `yargs failed on ${line}: ${slow.error}`);
    assert.equal(fast.spec.name, slow.command, line);
    assert.deepStrictEqual(fast.args, slow.args, line);
  }
});

test('fast path gives up on help, errors and unusual forms', async () => {
  for (const line of SLOW) {
    assert.equal(fastParse(split(line)), undefined, `fast path should leave to yargs: ${line}`);
  }
});

// exec: the command after the id is split off first (main.ts), then parsed like the rest.
const EXEC: [line: string, command: string[] | undefined, fast: boolean][] = [
  ['exec id ls -l', ['ls', '-l'], true],
  ['exec id -- ls -l', ['ls', '-l'], true],
  ['exec id sh -c 0x10 --root /x -e A=1', ['sh', '-c', '0x10', '--root', '/x', '-e', 'A=1'], true],
  ['--root /r exec -d --pid-file /p id true', ['true'], true],
  ['exec --detach --pid-file=/p id true', ['true'], true],
  ['exec -e A=1 -e B=2 --env C=3 -u 1:2 -g 5 -g 6 --cap CAP_KILL -c CAP_CHOWN id true', ['true'], true],
  ['exec --cwd /tmp -t --console-socket /s --preserve-fds 2 --cgroup pids:sub --ignore-paused --no-new-privs id true', ['true'], true],
  ['exec --apparmor p --process-label l id true', ['true'], true],
  ['exec -p /proc.json id', [], true],
  ['exec --process /proc.json -d id', [], true],
  ['exec -td id sh', ['sh'], false],
  ['exec -d true id sh', ['id', 'sh'], false],
  ['exec id', [], true],
  ['exec', undefined, false],
  ['exec -- id ls', undefined, false],
];

test('exec: the command is split off verbatim; fast path and yargs agree on the rest', async () => {
  for (const [line, command, fast] of EXEC) {
    const sp = splitCommand(split(line));
    assert.deepEqual(sp.command, command, line);
    const f = fastParse(sp.argv);
    if (!fast) {
      assert.equal(f, undefined, `fast path should leave to yargs: ${line}`);
      continue;
    }
    assert.ok(f, `fast path should take: ${line}`);
    const slow = await viaYargs(sp.argv);
    assert.equal(slow.error, undefined, `yargs failed on ${line}: ${slow.error}`);
    assert.deepStrictEqual(f.args, slow.args, line);
  }
  assert.deepEqual(splitCommand(split('state id')), { argv: ['state', 'id'] }, 'other commands are left alone');
  // ps: the words after the id are ps(1)'s options, as runc passes them
  assert.deepEqual(splitCommand(split('ps -f table id -o pid,args')), {
    argv: ['ps', '-f', 'table', 'id'],
    command: ['-o', 'pid,args'],
    name: 'ps-options',
  });
  assert.deepEqual(splitCommand(split('--root /r ps id -ef')), {
    argv: ['--root', '/r', 'ps', 'id'],
    command: ['-ef'],
    name: 'ps-options',
  });
});

test('unknown flags are found for the error message', () => {
  assert.deepEqual(unknownFlags(split('state --frobnicate id')), ['frobnicate']);
  assert.deepEqual(unknownFlags(split('--root /r delete --forse -f -x id')), ['forse', 'x']);
  assert.deepEqual(unknownFlags(split('kill -a id -- -9')), []);
  assert.deepEqual(unknownFlags(split('--root /r create --bundle=/b -b /b --pid-file /p id')), []);
});

const BIN = resolve(process.cwd(), 'bin', 'ocirt');
const built = existsSync(resolve(process.cwd(), 'dist', 'ocirt.cjs'));

test('the CLI exits 1 naming an unknown flag', { skip: built ? false : 'dist not built' }, () => {
  for (const argv of [
    ['state', '--frobnicate', 'id'],
    ['--root', '/nonexistent', 'delete', '--forse', 'id'],
    ['kill', '-x', 'id'],
  ]) {
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const r = spawnSync(process.env.OCIRT_BIN ? resolve(process.env.OCIRT_BIN) : BIN, argv, { env, encoding: 'utf8' });
    assert.equal(r.status, 1, argv.join(' '));
    assert.match(r.stderr, new RegExp(argv.find((a) => a.startsWith('-') && a !== '--root')!.replace(/^-+/, '')), argv.join(' '));
  }
});
