// What container engines depend on, each with the command line the engine really uses (podman
// 4.3 through conmon, containerd 1.6's runc shim): the strings they match, exit codes, the --log
// file they read the last error from, and the engine-found bugs of issue 8 item 9.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  IS_ROOT,
  OCIRT,
  PROBE,
  hostSnapshot,
  json,
  makeBundle,
  newId,
  runner,
  stateDirs,
  testUser,
  type Bundle,
  type Config,
  type Runner,
  type User,
} from '../helpers/containers.ts';

const skip = !IS_ROOT
  ? 'integration tests need root (CI runs them as root)'
  : !existsSync(PROBE)
    ? 'probe not built (npm run build:native)'
    : false;

interface LogEntry {
  level: string;
  msg: string;
  time: string;
}

function logEntries(file: string): LogEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogEntry);
}

/** The error an engine shows: the last error line of the log, which must be stderr's last line too. */
function lastError(file: string): string | undefined {
  return logEntries(file)
    .filter((e) => e.level === 'error')
    .pop()?.msg;
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`${mode}: the engine contract`, { skip }, () => {
    let user: User | undefined;
    let r: Runner;
    const bundles: Bundle[] = [];
    const bundle = (mutate?: (c: Config) => void) => {
      const b = makeBundle(mutate, user);
      bundles.push(b);
      return b;
    };
    const logFile = (name: string) => join(r.root, `.${name}.log`);

    before(() => {
      if (mode === 'rootless') user = testUser();
      r = runner(user);
    });
    after(() => {
      r.cleanup();
      for (const b of bundles) b.cleanup();
    });

    test("containerd: the runc shim's lifecycle and the strings and exit codes it depends on", () => {
      const b = bundle((c) => (c.process.args = ['/bin/probe', 'sleep', '60']));
      const id = newId('shim');
      const log = logFile(id);
      // runc shim v2: every call is `--root R --log <bundle>/log.json --log-format json <cmd> ...`
      const shim = (...args: string[]) => r.run(['--log', log, '--log-format', 'json', ...args]);
      const pidFile = join(r.root, `.${id}.pid`);
      assert.equal(shim('create', '--bundle', b.dir, '--pid-file', pidFile, id).status, 0);
      assert.equal(shim('start', id).status, 0);
      assert.equal(shim('kill', id, '0').status, 0, 'kill ID 0: the liveness check');
      assert.equal(shim('kill', id, '9').status, 0);
      let st = json<{ status: string }>(shim('state', id));
      for (let i = 0; i < 500 && st.status !== 'stopped'; i++) st = json(shim('state', id));
      assert.equal(st.status, 'stopped');

      const stopped0 = shim('kill', id, '0');
      assert.equal(stopped0.status, 1, 'kill ID 0 of a stopped container fails: it is not alive');
      assert.match(stopped0.stderr, /container not running/);
      const stopped = shim('kill', id, '15');
      assert.equal(stopped.status, 1);
      assert.match(stopped.stderr, /container not running/);
      assert.match(lastError(log)!, /container not running/, 'the shim maps this log line to "process already finished"');
      assert.equal(
        shim('kill', '--all', id, '9').status,
        0,
        'kill --all of a stopped container succeeds (the shim sends it on every stop)',
      );
      assert.equal(shim('delete', id).status, 0);
      assert.equal(shim('delete', '--force', id).status, 0, 'delete --force of an unknown id succeeds');
      for (const cmd of [
        ['state', id],
        ['start', id],
        ['kill', id, '9'],
        ['delete', id],
      ]) {
        const res = shim(...cmd);
        assert.equal(res.status, 1, cmd.join(' '));
        assert.match(res.stderr, new RegExp(`container "${id}" does not exist`), cmd.join(' '));
        assert.match(lastError(log)!, /does not exist/, `${cmd[0]}: engines match "does not exist"`);
      }
      assert.deepEqual(stateDirs(r), []);
    });

    test('every error goes to --log as one JSON line, the same words as stderr', () => {
      const b = bundle((c) => (c.process.args = ['/nonexistent/program']));
      const cases: string[][] = [
        ['state', 'nope'],
        ['kill', 'nope', 'SIGNOPE'],
        ['create', '--bundle', b.dir, '../bad'],
        ['create', '--bundle', '/nonexistent/bundle', newId('nobundle')],
        ['create', '--bundle', b.dir, newId('noprog')],
        ['exec', 'nope', 'true'],
        ['ps', 'nope'],
        ['pause', 'nope'],
        ['events', 'nope'],
      ];
      for (const args of cases) {
        const log = logFile(newId('errlog'));
        const res = r.run(['--log', log, '--log-format', 'json', ...args]);
        assert.notEqual(res.status, 0, args.join(' '));
        const lines = logEntries(log);
        assert.ok(lines.length >= 1, `${args.join(' ')}: nothing in the log (stderr: ${res.stderr})`);
        for (const l of lines) assert.deepEqual(Object.keys(l).sort(), ['level', 'msg', 'time'], 'exactly {level,msg,time}');
        const msg = lastError(log)!;
        assert.ok(msg, `${args.join(' ')}: no error line in ${JSON.stringify(lines)}`);
        assert.ok(!Number.isNaN(Date.parse(lines[0].time)));
        assert.ok(
          res.stderr.includes(`ocirt: ${msg}`),
          `${args.join(' ')}: stderr ${JSON.stringify(res.stderr)} lacks the log's ${JSON.stringify(msg)}`,
        );
      }
      assert.deepEqual(stateDirs(r), []);
    });

    test("podman: a missing or non-executable program fails create with the errno's words (podman: 127, 126)", () => {
      const log = logFile(newId('execerr'));
      // podman: `--log-format=json --log <f> create --bundle B --pid-file P ID`
      const create = (b: Bundle, id: string) =>
        r.run(['--log-format=json', '--log', log, 'create', '--bundle', b.dir, '--pid-file', join(r.root, `.${id}.pid`), id]);
      const cases: [string, (c: Config) => void, RegExp][] = [
        ['absent', (c) => (c.process.args = ['/bin/absent']), /no such file or directory/],
        ['not on $PATH', (c) => (c.process.args = ['absent-program']), /no such file or directory/],
        ['not executable', (c) => (c.process.args = ['/etc/hostname']), /permission denied/],
        ['a directory', (c) => (c.process.args = ['/etc']), /permission denied/],
      ];
      const before = hostSnapshot();
      for (const [what, mutate, words] of cases) {
        const res = create(bundle(mutate), newId('exec'));
        assert.equal(res.status, 1, what);
        assert.match(res.stderr, words, what);
        assert.match(lastError(log)!, words, `${what}: in the log line podman reads`);
        assert.match(lastError(log)!, /\/process\/args\/0/, `${what}: names the config field`);
      }
      assert.deepEqual(stateDirs(r), []);
      assert.deepEqual(hostSnapshot(), before);
    });

    test("a program that passes the lookup but cannot be exec'd: start fails with the errno's words, in the log too", () => {
      const b = bundle((c) => (c.process.args = ['/bin/badinterp']));
      // an executable script whose interpreter does not exist: execve says ENOENT only at start
      writeFileSync(join(b.rootfs, 'bin', 'badinterp'), '#!/no/such/interpreter\n');
      chmodSync(join(b.rootfs, 'bin', 'badinterp'), 0o755);
      if (user) chownSync(join(b.rootfs, 'bin', 'badinterp'), user.uid, user.gid);
      const id = newId('badexec');
      const log = logFile(id);
      assert.equal(r.run(['create', '--bundle', b.dir, id]).status, 0);
      const res = r.run(['--log', log, '--log-format', 'json', 'start', id]);
      assert.equal(res.status, 1);
      assert.equal(res.stderr, 'ocirt: exec "/bin/badinterp": no such file or directory\n');
      assert.equal(lastError(log), 'exec "/bin/badinterp": no such file or directory');
      assert.equal(json<{ status: string }>(r.run(['state', id])).status, 'stopped');
      assert.equal(r.run(['delete', id]).status, 0);
    });

    test('podman --init: the program comes from a bind mount, found after the mounts', () => {
      // podman run --init binds catatonit at /run/podman-init and runs ["/run/podman-init", "--", ...]
      const b = bundle((c) => {
        c.mounts.push({ destination: '/run/podman-init', type: 'bind', source: PROBE, options: ['bind', 'ro'] });
        c.process.args = ['/run/podman-init', 'report'];
      });
      assert.equal(existsSync(join(b.rootfs, 'run')), false, 'nothing at /run in the rootfs itself');
      const res = r.run(['run', '-b', b.dir, newId('init')]);
      assert.equal(res.status, 0, res.stderr);
      assert.equal((JSON.parse(res.stdout) as { args: string[] }).args[0], '/run/podman-init');
    });

    test('podman --privileged: device fileMode with the file type bits (8630, 24960) is taken as runc takes it', () => {
      // podman copies st_mode of the host's nodes: 8630 = S_IFCHR|0666, 8576 = S_IFCHR|0600
      const b = bundle((c) => {
        c.linux.devices = [
          { path: '/dev/null2', type: 'c', major: 1, minor: 3, fileMode: 8630, uid: 0, gid: 0 },
          { path: '/dev/zero2', type: 'c', major: 1, minor: 5, fileMode: 8576, uid: 0, gid: 0 },
        ];
        if (mode === 'rootless') {
          // rootless: nodes are bound from the host, at their own paths
          c.linux.devices = [{ path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 8630 }];
        }
        c.process.args = ['/bin/probe', 'stat', mode === 'root' ? '/dev/null2' : '/dev/full'];
      });
      const res = r.run(['run', '-b', b.dir, newId('devmode')]);
      assert.equal(res.status, 0, res.stderr);
      const st = JSON.parse(res.stdout) as { type: string; mode: number; rdev_major: number };
      assert.equal(st.type, 'char');
      if (mode === 'root') assert.equal(st.mode, 0o666, 'the permission bits of 8630');
      if (mode === 'root') {
        const zero = r.run([
          'run',
          '-b',
          bundle((c) => {
            c.linux.devices = [{ path: '/dev/zero2', type: 'c', major: 1, minor: 5, fileMode: 8576 }];
            c.process.args = ['/bin/probe', 'stat', '/dev/zero2'];
          }).dir,
          newId('devmode'),
        ]);
        assert.equal((JSON.parse(zero.stdout) as { mode: number }).mode, 0o600);
      }
      const bad = r.run([
        'create',
        '-b',
        bundle((c) => (c.linux.devices = [{ path: '/dev/x', type: 'c', major: 1, minor: 3, fileMode: 24960 }])).dir,
        newId('devbad'),
      ]);
      assert.equal(bad.status, 1, 'block-device type bits on a character device are refused');
      assert.match(bad.stderr, /\/linux\/devices\/0\/fileMode: .*do not match type "c"/);
    });

    test('rootless podman --privileged: rootfsPropagation "rslave", as runc takes it', () => {
      const b = bundle((c) => {
        c.linux.rootfsPropagation = 'rslave';
        c.process.args = ['/bin/probe', 'exit', '0'];
      });
      const res = r.run(['run', '-b', b.dir, newId('rslave')]);
      assert.equal(res.status, 0, res.stderr);
    });

    test('containerd null io: one read-only /dev/null as stdin, stdout and stderr; the container can write', () => {
      const out = mkdtempSync('/tmp/ocirt-nullio-');
      if (user) chownSync(out, user.uid, user.gid);
      try {
        const b = bundle((c) => {
          c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
          c.process.args = [
            '/bin/sh',
            '-c',
            'echo to-stdout; echo "out $?" > /out/rc; echo to-stderr >&2; echo "err $?" >> /out/rc; read x; echo "in $?" >> /out/rc',
          ];
          // accepted but not applied: a warning, which without --log goes to ocirt's (read-only) stderr
          c.process.scheduler = { policy: 'SCHED_OTHER' };
        });
        mkdirSync(join(b.rootfs, 'out'));
        const id = newId('nullio');
        const devNull = openSync('/dev/null', 'r');
        let created: SpawnSyncReturns<string>;
        try {
          const argv = [
            ...(user
              ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--inh-caps=-all', '--bounding-set=-all']
              : []),
            OCIRT,
            '--root',
            r.root,
            'create',
            '--bundle',
            b.dir,
            id,
          ];
          created = spawnSync(argv[0], argv.slice(1), { stdio: [devNull, devNull, devNull], encoding: 'utf8', timeout: 30_000 });
        } finally {
          closeSync(devNull);
        }
        assert.equal(created.status, 0, 'its warning to a read-only stderr does not fail create');
        assert.equal(r.run(['start', id]).status, 0);
        let st = json<{ status: string }>(r.run(['state', id]));
        for (let i = 0; i < 500 && st.status !== 'stopped'; i++) st = json(r.run(['state', id]));
        assert.equal(readFileSync(join(out, 'rc'), 'utf8'), 'out 0\nerr 0\nin 1\n', 'writes succeed; stdin reads end-of-file');
        assert.equal(r.run(['delete', id]).status, 0);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });

    test('--debug writes debug lines, in JSON and in text', () => {
      const b = bundle((c) => (c.process.args = ['/bin/probe', 'exit', '0']));
      const json1 = logFile(newId('debugjson'));
      assert.equal(r.run(['--debug', '--log', json1, '--log-format', 'json', 'run', '-b', b.dir, newId('dbg')]).status, 0);
      const debug = logEntries(json1)
        .filter((e) => e.level === 'debug')
        .map((e) => e.msg);
      for (const want of [/^ocirt run/, /bundle .* loaded/, /plan built/, /cgroups/, /init pid \d+ ready/, /delete .*removed/]) {
        assert.ok(
          debug.some((m) => want.test(m)),
          `${want}: ${JSON.stringify(debug)}`,
        );
      }
      const text = logFile(newId('debugtext'));
      assert.equal(r.run(['--debug', '--log', text, 'state', 'nope']).status, 1);
      assert.match(readFileSync(text, 'utf8'), /^time="[^"]+" level=debug msg="ocirt state: root [^"]*"$/m);
      const quiet = logFile(newId('quiet'));
      assert.equal(r.run(['--log', quiet, '--log-format', 'json', 'run', '-b', b.dir, newId('nodbg')]).status, 0);
      assert.deepEqual(
        logEntries(quiet).filter((e) => e.level === 'debug'),
        [],
        'no debug lines without --debug',
      );
      const stderrOnly = r.run(['--debug', 'state', 'nope']);
      assert.match(stderrOnly.stderr, /^ocirt: debug: ocirt state/m, 'without --log, debug lines go to stderr');
    });
  });
}

/**
 * Rootless podman runs the runtime as uid 0 inside its own user namespace (mapped to the user),
 * with XDG_RUNTIME_DIR set and no --root: `--log-format=json --log F create --bundle B --pid-file P
 * ID`. The config has no user namespace of its own.
 */
describe('rootless podman: ocirt as uid 0 of a user namespace', { skip }, () => {
  let user: User;
  let xdg: string;
  const bundles: Bundle[] = [];
  before(() => {
    user = testUser();
    xdg = mkdtempSync('/tmp/ocirt-xdg-');
    chownSync(xdg, user.uid, user.gid);
  });
  after(() => {
    for (const b of bundles) b.cleanup();
    rmSync(xdg, { recursive: true, force: true });
  });

  /** ocirt as uid 0 of a fresh user namespace owned by the test user (each command its own, as podman's re-exec). */
  const inUserns = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const argv = [
      'setpriv',
      `--reuid=${user.uid}`,
      `--regid=${user.gid}`,
      '--init-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      'unshare',
      '--user',
      '--map-root-user',
      '--',
      OCIRT,
      ...args,
    ];
    return spawnSync(argv[0], argv.slice(1), {
      encoding: 'utf8',
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: `/home/${user.name}`, USER: user.name, XDG_RUNTIME_DIR: xdg, ...extraEnv },
    });
  };

  const podmanStyle = (args = ['/bin/probe', 'sleep', '60']) => {
    const b = makeBundle((c) => {
      // podman's rootless config: its namespaces, no user namespace of the container's own
      c.linux.namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }];
      delete c.linux.uidMappings;
      delete c.linux.gidMappings;
      c.mounts = c.mounts.map((m: Config) =>
        m.destination === '/sys'
          ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] }
          : m,
      );
      c.process.args = args;
    }, user);
    bundles.push(b);
    return b;
  };

  test('the state goes to $XDG_RUNTIME_DIR/ocirt, devices are bound, the cgroup is skipped, not an error', () => {
    const b = podmanStyle();
    const id = newId('podman-rootless');
    const log = join(xdg, `${id}.log`);
    const pid = join(xdg, `${id}.pid`);
    const created = inUserns(['--log-format=json', '--log', log, 'create', '--bundle', b.dir, '--pid-file', pid, id]);
    assert.equal(created.status, 0, created.stderr);
    assert.ok(existsSync(join(xdg, 'ocirt', id, 'state.json')), 'state under $XDG_RUNTIME_DIR/ocirt');
    assert.equal(inUserns(['start', id]).status, 0);
    const st = JSON.parse(inUserns(['state', id]).stdout) as { status: string; pid: number };
    assert.equal(st.status, 'running');
    if (OCIRT.endsWith('ocirt-exe')) {
      // the native front end finds the same default root: it answers without the core
      const native = inUserns(['state', id], { OCIRT_CORE: '/nonexistent/ocirt-core' });
      assert.equal(native.status, 0, native.stderr);
    }
    assert.equal(Number(readFileSync(pid, 'utf8')), st.pid);
    assert.equal(inUserns(['kill', id, '9']).status, 0);
    for (let i = 0; i < 500 && (JSON.parse(inUserns(['state', id]).stdout) as { status: string }).status !== 'stopped'; i++);
    const del = inUserns(['delete', '--force', id]);
    assert.equal(del.status, 0, del.stderr);
    assert.ok(!existsSync(join(xdg, 'ocirt', id)));
  });

  test('with --root given, a cgroup it may not create is skipped (rootless mode), as runc does', () => {
    const b = podmanStyle(['/bin/probe', 'exit', '3']);
    const root = join(xdg, 'explicit-root');
    mkdirSync(root, { recursive: true });
    chownSync(root, user.uid, user.gid);
    const res = inUserns(['--root', root, 'run', '-b', b.dir, newId('podman-root')]);
    assert.equal(res.status, 3, res.stderr);
    assert.deepEqual(
      readdirSync(root).filter((n) => !n.startsWith('.')),
      [],
    );
  });
});
