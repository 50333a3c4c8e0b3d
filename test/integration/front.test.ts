// The native front end (native/front, dist/ocirt-exe): it must print byte for byte what the
// TypeScript CLI prints, really do state/start/kill/delete on its own (run with
// OCIRT_CORE=/nonexistent, any fallback fails with "cannot run"), leave everything else to the
// core, and give the core's exact errors.
//
// It runs against dist/ocirt-exe + dist/ocirt-core when `npm run build:exe` made them. Otherwise
// (plain `npm test`, which rebuilds dist/) it compiles the front end into a temp dir with
// scripts/build-front.mjs and gives it bin/ocirt (the Node entry) as its core through OCIRT_CORE.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BUSYBOX,
  IS_ROOT,
  PROBE,
  REPO,
  hostSnapshot,
  makeBundle,
  runner,
  type Bundle,
  type Config,
  type Runner,
} from '../helpers/containers.ts';

const NODE_ENTRY = join(REPO, 'bin', 'ocirt');
const NO_CORE = '/nonexistent';
const CANNOT_RUN = `ocirt: cannot run ${NO_CORE}: No such file or directory\n`;

interface Setup {
  front: string;
  /** OCIRT_CORE for the runs that may fall back; undefined: the front end finds dist/ocirt-core */
  core?: string;
  skip: string | false;
  /** the front end did not compile: a test failure, not a skip */
  buildError?: string;
  tmp?: string;
}

const onPath = (name: string) => (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, name)));

function setup(): Setup {
  const front = join(REPO, 'dist', 'ocirt-exe');
  if (existsSync(front) && existsSync(join(REPO, 'dist', 'ocirt-core'))) return { front, skip: false };
  if (!onPath('musl-gcc') && !onPath('cc'))
    return { front, skip: 'dist/ocirt-exe + dist/ocirt-core absent (npm run build:exe) and no C compiler to build the front end' };
  const tmp = mkdtempSync('/tmp/ocirt-front-');
  const out = join(tmp, 'ocirt-exe');
  const r = spawnSync(process.execPath, [join(REPO, 'scripts', 'build-front.mjs'), out], { encoding: 'utf8', cwd: REPO });
  return { front: out, core: NODE_ENTRY, skip: false, tmp, buildError: r.status === 0 ? undefined : `${r.stdout}${r.stderr}` };
}

const skip = !IS_ROOT
  ? 'integration tests need root (CI runs them as root)'
  : !existsSync(PROBE)
    ? 'probe not built (npm run build:native)'
    : !BUSYBOX
      ? 'busybox-static not installed'
      : false;
const S: Setup = skip ? { front: '', skip } : setup();

interface Res {
  status: number | null;
  stdout: string;
  stderr: string;
}

describe('native front end (dist/ocirt-exe)', { skip: S.skip }, () => {
  let r: Runner;
  const bundles: Bundle[] = [];
  const frozen: string[] = [];
  const sleepers: ChildProcess[] = [];

  before(() => {
    assert.equal(S.buildError, undefined, 'scripts/build-front.mjs failed');
    r = runner();
  });
  after(() => {
    // a paused one left by a failure is removed by the cleanup's delete -f
    for (const c of sleepers) c.kill('SIGKILL');
    r?.cleanup();
    for (const b of bundles) b.cleanup();
    if (S.tmp) rmSync(S.tmp, { recursive: true, force: true });
  });

  const envFor = (core: string | undefined): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.XDG_RUNTIME_DIR;
    delete env.NODE_EXTRA_CA_CERTS;
    delete env.OCIRT_CORE;
    if (core) env.OCIRT_CORE = core;
    return env;
  };
  const exec = (bin: string, args: string[], core?: string, root = true): Res => {
    const res = spawnSync(bin, root ? ['--root', r.root, ...args] : args, { encoding: 'utf8', env: envFor(core), timeout: 60_000 });
    return { status: res.status, stdout: res.stdout, stderr: res.stderr };
  };
  /** the front end with its core (fallbacks allowed) */
  const front = (args: string[], root = true) => exec(S.front, args, S.core, root);
  /** the front end alone: a fallback fails with CANNOT_RUN */
  const alone = (args: string[], root = true) => exec(S.front, args, NO_CORE, root);
  /** the Node entry: the reference */
  const ts = (args: string[]) => exec(NODE_ENTRY, args);
  /** the core run directly (Bun's and Node's JSON.parse word their errors differently) */
  const core = (args: string[]) => exec(S.core ?? join(REPO, 'dist', 'ocirt-core'), args);
  const frontAsync = (args: string[]): Promise<Res> =>
    new Promise((resolve) => {
      const child = spawn(S.front, ['--root', r.root, ...args], { env: envFor(S.core), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });

  const ok = (res: Res, what: string) => assert.equal(res.status, 0, `${what}: ${res.stderr}`);
  const statusOf = (id: string) => (JSON.parse(ts(['state', id]).stdout) as { status: string }).status;
  const stored = (id: string) =>
    JSON.parse(readFileSync(join(r.root, id, 'state.json'), 'utf8')) as { pid: number; cgroupPath?: string; cgroupV1Paths?: string[] };
  const waitFor = async (cond: () => boolean, what: string) => {
    for (let i = 0; i < 500 && !cond(); i++) await new Promise((res) => setTimeout(res, 10));
    assert.ok(cond(), `timed out waiting for ${what}`);
  };
  const bundle = (mutate?: (c: Config) => void) => {
    const b = makeBundle(mutate);
    bundles.push(b);
    return b;
  };
  const create = (id: string, b: Bundle) => ok(r.run(['create', '-b', b.dir, id]), `create ${id}`);
  const sleeper = (mutate?: (c: Config) => void) =>
    bundle((c) => {
      c.process.args = ['/bin/probe', 'sleep', '60'];
      mutate?.(c);
    });
  const killAndWait = async (id: string) => {
    ok(ts(['kill', id, 'KILL']), `kill ${id}`);
    await waitFor(() => statusOf(id) === 'stopped', `${id} stopped`);
  };

  const ANNOTATIONS = {
    'org.example/quote': 'say "hi"',
    'back\\slash': 'C:\\path\\to',
    newline: 'line 1\nline 2\ttab\r',
    control: '\u0001\u001f\u007f',
    ünïcödé: 'Grüße, 東京',
    emoji: '🐳 container 😀',
    slash: '/a/b',
  };

  test('state is byte-identical to the TypeScript CLI: created, running, paused, stopped, annotations, tricky ids', async () => {
    const withAnnotations = sleeper((c) => (c.annotations = ANNOTATIONS));
    const plain = sleeper((c) => (c.annotations = {}));
    const cases: [string, Bundle, string][] = [
      ['a.b+c_d-1', withAnnotations, 'created'],
      ['123', plain, 'created'],
      ['run-1', withAnnotations, 'running'],
      ['paused-1', plain, 'paused'],
      ['stopped-1', withAnnotations, 'stopped'],
    ];
    for (const [id, b, want] of cases) {
      create(id, b);
      if (want !== 'created') ok(ts(['start', id]), `start ${id}`);
      if (want === 'paused') {
        // the v1 freezer on v1/hybrid hosts, cgroup.freeze on v2: the front end must read the same one
        ok(ts(['pause', id]), `pause ${id}`);
        frozen.push(id);
      }
      if (want === 'stopped') await killAndWait(id);
      const mine = alone(['state', id]);
      const theirs = ts(['state', id]);
      ok(mine, `front end state ${id}`);
      ok(theirs, `bin/ocirt state ${id}`);
      assert.equal(mine.stdout, theirs.stdout, `state ${id}`);
      assert.equal(mine.stderr, '');
      assert.equal(JSON.parse(mine.stdout).status, want, id);
    }
    const annotated = JSON.parse(alone(['state', 'run-1']).stdout) as { annotations: Record<string, string> };
    assert.deepEqual(annotated.annotations, ANNOTATIONS);
    assert.equal('annotations' in JSON.parse(alone(['state', '123']).stdout), false, 'empty annotations are left out');
    // global flags in the forms engines use, before and after the command
    const theirs = ts(['state', 'run-1']).stdout;
    assert.equal(alone(['--log', join(r.root, 'log'), '--log-format', 'json', 'state', 'run-1']).stdout, theirs);
    assert.equal(alone(['state', 'run-1', '--log-format=text', '--rootless=false'], true).stdout, theirs);
    assert.equal(alone([`--root=${r.root}`, 'state', 'run-1'], false).stdout, theirs);
    assert.equal(existsSync(join(r.root, 'log')), false, 'nothing is logged on success');
    for (const id of frozen.splice(0)) ok(ts(['resume', id]), `resume ${id}`);
  });

  test('an unusual state.json is printed exactly as TypeScript prints it, or left to the core', () => {
    create(
      'edited',
      sleeper((c) => (c.annotations = { a: '1', b: 'x' })),
    );
    const file = join(r.root, 'edited', 'state.json');
    const original = readFileSync(file, 'utf8');
    assert.ok(original.includes('"annotations":{"a":"1","b":"x"}'), original);
    const annotations = (text: string) => original.replace('"annotations":{"a":"1","b":"x"}', `"annotations":{${text}}`);
    const [head, tail] = annotations('"a":"x"').split('"a":"x"');
    const variants: [string, string | Buffer, 'fast' | 'core'][] = [
      ['as written', original, 'fast'],
      ['indented', JSON.stringify(JSON.parse(original), null, 1), 'fast'],
      ['a lone surrogate (JSON.stringify escapes it the same way)', annotations('"a":"\\udc00 x"'), 'fast'],
      ['a control character escape', annotations('"a":"\\u001f"'), 'fast'],
      ['an escaped slash', annotations('"a":"\\/x"'), 'core'],
      ['an escaped letter', annotations('"a":"\\u0041"'), 'core'],
      ['an upper-case escape', annotations('"a":"\\u001F"'), 'core'],
      ['an escaped surrogate pair', annotations('"a":"\\ud83d\\udc33"'), 'core'],
      ['\\u000a for \\n', annotations('"a":"\\u000a"'), 'core'],
      ['numeric keys (JavaScript sorts them first)', annotations('"b":"1","10":"2","2":"3"'), 'core'],
      ['a repeated annotation', annotations('"a":"1","a":"2"'), 'core'],
      ['a nested annotation', annotations('"a":{"b":"c"}'), 'core'],
      ['a repeated key', original.replace('{', '{"owner":"someone",'), 'core'],
      ['an unknown key', original.replace('{', '{"extra":1,'), 'core'],
      ['a string pid', original.replace(/"pid":(\d+)/, '"pid":"$1"'), 'core'],
      ['a fractional start time', original.replace(/"pidStartTime":(\d+)/, '"pidStartTime":$1.0'), 'core'],
      ['no owner', original.replace(/"owner":"[^"]*",/, ''), 'core'],
      ['null annotations', annotations('').replace('"annotations":{}', '"annotations":null'), 'core'],
      ['trailing text', original + 'x', 'core'],
      [
        'not UTF-8 (an overlong "/")',
        Buffer.concat([Buffer.from(head + '"a":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"' + tail)]),
        'core',
      ],
    ];
    try {
      for (const [what, text, want] of variants) {
        writeFileSync(file, text);
        const mine = alone(['state', 'edited']);
        const theirs = ts(['state', 'edited']);
        if (want === 'fast') {
          ok(mine, what);
          assert.equal(mine.stdout, theirs.stdout, what);
        } else {
          assert.equal(mine.stderr, CANNOT_RUN, `${what}: left to the core`);
        }
        assert.deepEqual(front(['state', 'edited']), core(['state', 'edited']), `${what}: with the core`);
      }
    } finally {
      writeFileSync(file, original);
    }
  });

  test('start, kill (TERM, KILL, 9, SIGUSR1, RTMIN+2) and delete work without the core', async () => {
    const out = mkdtempSync('/tmp/ocirt-front-out-');
    const script = [
      "trap 'echo usr1 >> /out/log' USR1",
      "trap 'echo rtmin+2 >> /out/log' 36", // SIGRTMIN (34) + 2
      "trap 'echo term >> /out/log; exit 0' TERM",
      'echo ready > /out/ready',
      'while :; do sleep 1 & wait $!; done',
    ].join('; ');
    const shell = bundle((c) => {
      c.process.args = ['sh', '-c', script];
      c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
      c.linux.resources = { pids: { limit: 64 } }; // a v1 pids cgroup on hybrid hosts: cgroupV1Paths
    });
    mkdirSync(join(shell.rootfs, 'out'));
    const log = () => (existsSync(join(out, 'log')) ? readFileSync(join(out, 'log'), 'utf8') : '');
    try {
      create('sig', shell);
      ok(alone(['start', 'sig']), 'start');
      assert.equal(existsSync(join(r.root, 'sig', 'exec.fifo')), false, 'start removes the fifo');
      assert.equal(existsSync(join(r.root, '.lock-sig')), false, 'start releases the lock');
      await waitFor(() => existsSync(join(out, 'ready')), 'the shell to set its traps');
      assert.equal(statusOf('sig'), 'running');
      ok(alone(['kill', 'sig', '0']), 'kill 0: the liveness check engines make');
      ok(alone(['kill', 'sig', 'SIGUSR1']), 'kill SIGUSR1');
      await waitFor(() => log().includes('usr1'), 'USR1 in the container');
      ok(alone(['kill', '--log-format', 'json', 'sig', 'RTMIN+2']), 'kill RTMIN+2');
      await waitFor(() => log().includes('rtmin+2'), 'RTMIN+2 in the container');
      const cgroups = [stored('sig').cgroupPath, ...(stored('sig').cgroupV1Paths ?? [])].filter((p): p is string => !!p);
      ok(alone(['kill', 'sig']), 'kill (TERM)');
      await waitFor(() => log().includes('term'), 'TERM in the container');
      await waitFor(() => statusOf('sig') === 'stopped', 'the container to exit');
      ok(alone(['delete', 'sig']), 'delete');
      assert.equal(existsSync(join(r.root, 'sig')), false, 'state directory removed');
      assert.equal(existsSync(join(r.root, '.lock-sig')), false, 'lock released');
      for (const cg of cgroups) assert.equal(existsSync(cg), false, `cgroup ${cg} removed`);
      assert.equal(log(), 'usr1\nrtmin+2\nterm\n');

      // KILL a created container, 9 a running one; delete with and without --force
      const b = sleeper();
      create('k1', b);
      ok(alone(['kill', 'k1', 'KILL']), 'kill KILL');
      await waitFor(() => statusOf('k1') === 'stopped', 'k1 stopped');
      create('k2', b);
      ok(alone(['start', 'k2']), 'start k2');
      ok(alone(['kill', 'k2', '9']), 'kill 9');
      await waitFor(() => statusOf('k2') === 'stopped', 'k2 stopped');
      ok(alone(['delete', '--force', 'k1']), 'delete --force of a stopped container');
      ok(alone(['delete', 'k2', '-f']), 'delete k2 -f');
      assert.equal(existsSync(join(r.root, 'k1')) || existsSync(join(r.root, 'k2')), false);
      ok(alone(['delete', '-f', 'never-created']), 'delete -f of a missing container succeeds');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('everything else goes to the core (which does not exist here)', async () => {
    create('fb', sleeper());
    ok(ts(['start', 'fb']), 'start');
    const cases: [string, string[], boolean?][] = [
      ['list', ['list']],
      ['--version', ['--version'], false],
      ['kill --all', ['kill', '--all', 'fb', 'KILL']],
      ['delete of a running container without -f', ['delete', 'fb']],
      ['delete -f of a running container', ['delete', '-f', 'fb']],
      ['start of a running container', ['start', 'fb']],
      ['state of a missing id', ['state', 'missing']],
      ['an invalid id', ['state', '../fb']],
      ['a number yargs would rewrite', ['state', '1e3']],
      ['--debug', ['--debug', 'state', 'fb']],
      ['a repeated flag', ['--log-format', 'json', '--log-format', 'text', 'state', 'fb']],
      ['an unknown signal', ['kill', 'fb', 'SIGNOPE']],
      ['--help', ['state', '--help']],
      ['a flag value starting with -', ['--log', '-x', 'state', 'fb']],
      ['--force followed by true', ['delete', '--force', 'true', 'fb']],
    ];
    for (const [what, args, root] of cases) {
      const res = alone(args, root ?? true);
      assert.equal(res.status, 1, `${what}: exit status (stdout ${res.stdout})`);
      assert.equal(res.stderr, CANNOT_RUN, what);
      assert.equal(res.stdout, '', what);
    }
    assert.equal(statusOf('fb'), 'running', 'none of them touched the container');
    // a paused container's kill is the core's (a SIGKILL may need the v1 freezer thawed)
    create('fbp', sleeper());
    ok(ts(['start', 'fbp']), 'start fbp');
    ok(ts(['pause', 'fbp']), 'pause fbp');
    frozen.push('fbp');
    const paused = alone(['kill', 'fbp', 'KILL']);
    assert.equal(paused.stderr, CANNOT_RUN, 'kill of a paused container');
    assert.equal(statusOf('fbp'), 'paused');
    ok(front(['kill', 'fbp', 'KILL']), 'kill of a paused container through the core');
    await waitFor(() => statusOf('fbp') === 'stopped', 'fbp stopped (thawed for the SIGKILL)');
    frozen.splice(frozen.indexOf('fbp'), 1);
    // and with the core, they do what the TypeScript CLI does
    assert.match(front(['list', '-q']).stdout, /^fb$/m);
    assert.match(front(['--version'], false).stdout, /^ocirt version /);
    ok(front(['kill', '--all', 'fb', 'KILL']), 'kill --all through the core');
    await waitFor(() => statusOf('fb') === 'stopped', 'fb stopped');
  });

  test('exec ID ARGS runs without the core, as the TypeScript CLI runs it', async () => {
    const b = sleeper((c) => {
      c.process.cwd = '/tmp';
      c.process.env.push('FROM_CONFIG=1');
      c.linux.resources = { pids: { limit: 64 } }; // a v1 pids cgroup on hybrid hosts: cgroupV1Paths
    });
    create('ex', b);
    ok(ts(['start', 'ex']), 'start');
    const pid = stored('ex').pid;
    const mine = alone(['exec', 'ex', '/bin/probe', 'report', '-x', '0x10']);
    const theirs = ts(['exec', 'ex', '/bin/probe', 'report', '-x', '0x10']);
    ok(mine, 'front end exec');
    ok(theirs, 'bin/ocirt exec');
    assert.equal(mine.stderr, '');
    const strip = (text: string) => {
      const rep = JSON.parse(text) as Record<string, unknown>;
      // what differs between two runs: the pid, the fds, the clocks (a second may pass)
      for (const k of ['pid', 'fds', 'clocks']) delete rep[k];
      return rep;
    };
    assert.deepEqual(strip(mine.stdout), strip(theirs.stdout));
    const rep = JSON.parse(mine.stdout) as { ns: Record<string, string>; args: string[]; cwd: string };
    for (const ns of ['mnt', 'pid', 'net', 'ipc', 'uts']) assert.equal(rep.ns[ns], readlinkSync(`/proc/${pid}/ns/${ns}`), ns);
    assert.deepEqual(rep.args, ['/bin/probe', 'report', '-x', '0x10']);
    assert.equal(alone(['exec', 'ex', '--', '/bin/probe', 'exit', '7']).status, 7, "the exit code is the process's");
    assert.equal(alone(['exec', 'ex', '/bin/probe', 'kill-self', '15']).status, 128 + 15);
    assert.equal(existsSync(join(r.root, '.lock-ex')), false, 'the lock is released');

    // detached, with a pid file; in the container's cgroups. Its stdio is not a pipe: the process
    // keeps what exec gives it, and spawnSync would wait for the pipe's end.
    const pidFile = join(r.root, 'ex.pid');
    const detached = spawnSync(S.front, ['--root', r.root, 'exec', '-d', '--pid-file', pidFile, 'ex', '/bin/probe', 'sleep', '30'], {
      env: envFor(NO_CORE),
      stdio: 'ignore',
      timeout: 60_000,
    });
    assert.equal(detached.status, 0, 'exec -d');
    const child = Number(readFileSync(pidFile, 'utf8'));
    assert.equal(readFileSync(`/proc/${child}/cgroup`, 'utf8'), readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
    assert.match(readFileSync(`/proc/${child}/cmdline`, 'utf8'), /^\/bin\/probe\0sleep\0/);
    process.kill(child, 'SIGKILL');
    // gone, or a zombie (empty cmdline); it may vanish between any two looks at /proc
    const cmdlineOf = (p: number) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    };
    await waitFor(() => cmdlineOf(child) === '', 'the detached process to go');
    ok(alone(['exec', '--detach', `--pid-file=${pidFile}`, 'ex', '/bin/probe', 'exit', '0']), '--detach --pid-file=');
    assert.notEqual(readFileSync(pidFile, 'utf8'), String(child), 'the pid file was rewritten');

    // signals reach the process
    const fg = spawn(S.front, ['--root', r.root, 'exec', 'ex', 'sh', '-c', 'trap "exit 9" TERM; echo ready; sleep 30 & wait'], {
      env: envFor(NO_CORE),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    fg.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('ready'), 'the shell to set its trap');
    fg.kill('SIGTERM');
    assert.equal(await new Promise((res) => fg.on('exit', (code) => res(code))), 9);

    // what it leaves to the core
    const before = hostSnapshot().probes;
    const fallbacks: [string, string[]][] = [
      ['a flag it does not handle', ['exec', '-e', 'A=1', 'ex', '/bin/probe']],
      ['-t', ['exec', '-t', 'ex', 'sh']],
      ['-p', ['exec', '-p', '/nonexistent.json', 'ex']],
      ['no command', ['exec', 'ex']],
      ['an empty command', ['exec', 'ex', '']],
      ['a missing container', ['exec', 'missing', '/bin/probe']],
      ['a missing program (its failure is reported by the core)', ['exec', 'ex', 'no-such-program']],
      ['--pid-file with a value starting with -', ['exec', '--pid-file', '-x', 'ex', '/bin/probe']],
    ];
    for (const [what, args] of fallbacks) assert.equal(alone(args).stderr, CANNOT_RUN, what);
    assert.equal(existsSync(join(r.root, '.lock-ex')), false, 'a failed fast path releases the lock');
    // without a template (a container made before templates existed) the core does it
    const template = join(r.root, 'ex', 'exec-template');
    const saved = readFileSync(template);
    rmSync(template);
    assert.equal(alone(['exec', 'ex', '/bin/probe', 'exit', '0']).stderr, CANNOT_RUN, 'no template');
    ok(front(['exec', 'ex', '/bin/probe', 'exit', '0']), 'no template: through the core');
    writeFileSync(template, saved);
    // the same errors as the TypeScript CLI
    for (const args of [
      ['exec', 'missing', '/bin/probe'],
      ['exec', 'ex', 'no-such-program'],
      ['exec', 'ex'],
    ]) {
      const a = front(args);
      const b2 = ts(args);
      assert.equal(a.status, b2.status, args.join(' '));
      assert.equal(a.stderr, b2.stderr, args.join(' '));
    }
    assert.deepEqual(hostSnapshot().probes, before, 'no process left behind');
    assert.equal(statusOf('ex'), 'running');
  });

  test("errors are the TypeScript CLI's, message and exit status", async () => {
    create('err-run', sleeper());
    ok(ts(['start', 'err-run']), 'start');
    create('err-stop', sleeper());
    await killAndWait('err-stop');
    const cases: string[][] = [
      ['state', 'missing'],
      ['kill', 'missing'],
      ['start', 'missing'],
      ['delete', 'missing'],
      ['state', '../x'],
      ['kill', '../x'],
      ['start', '../x'],
      ['delete', '../x'],
      ['kill', 'err-stop'],
      ['kill', 'err-stop', 'KILL'],
      ['kill', 'err-stop', '0'],
      ['start', 'err-run'],
      ['start', 'err-stop'],
      ['delete', 'err-run'],
      ['kill', 'err-run', 'SIGNOPE'],
      ['kill', 'err-run', '65'],
      ['kill', 'err-run', 'RTMAX+1'],
      ['state'],
      ['state', 'a', 'b'],
    ];
    for (const args of cases) {
      const mine = front(args);
      const theirs = ts(args);
      assert.notEqual(theirs.status, 0, `${args.join(' ')} is an error`);
      assert.equal(mine.status, theirs.status, `${args.join(' ')}: exit status (${mine.stderr})`);
      assert.equal(mine.stderr, theirs.stderr, args.join(' '));
      assert.equal(mine.stdout, theirs.stdout, args.join(' '));
    }
    assert.equal(statusOf('err-run'), 'running');
  });

  test('a held lock sends start and delete to the core, which waits for the holder', async () => {
    const b = sleeper();
    create('locked', b);
    const lock = join(r.root, '.lock-locked');
    const hold = () => {
      const holder = spawn('sleep', ['1'], { stdio: 'ignore' });
      sleepers.push(holder);
      writeFileSync(lock, String(holder.pid), { mode: 0o600 });
      return holder;
    };

    let holder = hold();
    const refused = alone(['start', 'locked']);
    assert.equal(refused.stderr, CANNOT_RUN, 'the front end leaves a locked id to the core');
    assert.equal(statusOf('locked'), 'created', 'and did not start it');
    assert.equal(readFileSync(lock, 'utf8'), String(holder.pid), 'nor touch the lock');
    let t0 = Date.now();
    ok(await frontAsync(['start', 'locked']), 'start through the core');
    assert.ok(holder.exitCode !== null || holder.signalCode !== null, 'the core waited for the holder to exit');
    assert.ok(Date.now() - t0 > 300, 'it waited');
    assert.equal(statusOf('locked'), 'running');
    assert.equal(existsSync(lock), false);

    await killAndWait('locked');
    holder = hold();
    assert.equal(alone(['delete', 'locked']).stderr, CANNOT_RUN);
    assert.equal(existsSync(join(r.root, 'locked', 'state.json')), true, 'nothing removed');
    t0 = Date.now();
    ok(await frontAsync(['delete', 'locked']), 'delete through the core');
    assert.ok(holder.exitCode !== null || holder.signalCode !== null, 'the core waited for the holder to exit');
    assert.ok(Date.now() - t0 > 300, 'it waited');
    assert.equal(existsSync(join(r.root, 'locked')), false);
    assert.equal(existsSync(lock), false);
  });
});
