// `exec` through the CLI, as root and as an unprivileged user: what the new process sees (every
// namespace and cgroup of the container, the process settings of the config and the flags), exit
// statuses and signals, detached runs, the states exec refuses, and what it leaves behind.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BUSYBOX,
  IS_ROOT,
  PROBE,
  hostSnapshot,
  json,
  makeBundle,
  newId,
  runner,
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

interface Report {
  uid: number;
  gid: number;
  groups: number[];
  caps: Record<string, string>;
  no_new_privs: number;
  umask: number;
  cwd: string;
  hostname: string;
  pid: number;
  ppid: number;
  env: string[];
  args: string[];
  rlimits: Record<string, { soft: string; hard: string }>;
  ns: Record<string, string>;
  fds: { fd: number; target: string }[];
}

const NS = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts'];
const capHex = (bits: number[]) => bits.reduce((m, b) => m | (1n << BigInt(b)), 0n);

function waitFor(what: string, cond: () => boolean, ms = 10_000): void {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}

function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function killAndWait(pid: number): void {
  process.kill(pid, 'SIGKILL');
  waitFor(`process ${pid} to go`, () => !alive(pid));
}

for (const mode of ['root', 'rootless'] as const) {
  describe(`exec, ${mode}`, { skip }, () => {
    let user: User | undefined;
    let r: Runner;
    let b: Bundle;
    const id = newId(`exec-${mode}`);
    let initPid = 0;
    const bundles: Bundle[] = [];
    const bundle = (mutate?: (c: Config) => void) => {
      const x = makeBundle(mutate, user);
      bundles.push(x);
      return x;
    };
    const exec = (args: string[], opts?: Parameters<Runner['run']>[1]) => r.run(['exec', ...args], opts);
    const report = (args: string[], opts?: Parameters<Runner['run']>[1]): Report => {
      const res = exec(args, opts);
      assert.equal(res.status, 0, res.stderr);
      return JSON.parse(res.stdout) as Report;
    };

    before(() => {
      if (mode === 'rootless') user = testUser();
      r = runner(user);
      b = bundle((c) => {
        c.process.args = ['/bin/probe', 'sleep', '600'];
        c.process.cwd = '/tmp';
        c.process.user.umask = 0o027;
        c.process.env.push('FROM_CONFIG=1');
        c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 300, hard: 400 }];
      });
      const res = r.run(['run', '-d', '-b', b.dir, id]);
      assert.equal(res.status, 0, res.stderr);
      initPid = json(r.run(['state', id])).pid;
    });
    after(() => {
      r.cleanup();
      for (const x of bundles) x.cleanup();
    });

    test("the process joins every namespace of the container and gets the config's process settings", () => {
      const rep = report([id, '/bin/probe', 'report']);
      for (const ns of NS) assert.equal(rep.ns[ns], readlinkSync(`/proc/${initPid}/ns/${ns}`), `${ns} namespace`);
      assert.notEqual(rep.pid, 1, 'not the init');
      assert.ok(rep.pid > 1 && rep.pid < 100, `a pid of the container's pid namespace (${rep.pid})`);
      assert.equal(rep.ppid, 0, 'its parent (the runtime) is outside the pid namespace');
      assert.equal(rep.hostname, 'ocirt-test');
      assert.equal(rep.cwd, '/tmp');
      assert.equal(rep.umask, 0o027);
      assert.equal(rep.uid, 0);
      assert.ok(rep.env.includes('FROM_CONFIG=1'));
      assert.deepEqual(rep.args, ['/bin/probe', 'report']);
      assert.deepEqual(rep.rlimits.RLIMIT_NOFILE, { soft: '300', hard: '400' });
      assert.equal(rep.no_new_privs, 1);
      const want = capHex([29, 5, 10]);
      assert.equal(BigInt('0x' + rep.caps.bounding), want);
      assert.equal(BigInt('0x' + rep.caps.effective), want);
      assert.deepEqual(
        rep.fds.map((f) => f.fd),
        [0, 1, 2],
        'stdio only',
      );
    });

    test("it is in the container's cgroup from its start", {
      skip: mode === 'rootless' && 'a rootless container here has no cgroup of its own',
    }, () => {
      const pidFile = join(b.dir, `exec-${Date.now()}.pid`);
      const res = exec(['-d', '--pid-file', pidFile, id, '/bin/probe', 'sleep', '30']);
      assert.equal(res.status, 0, res.stderr);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      assert.equal(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), readFileSync(`/proc/${initPid}/cgroup`, 'utf8'));
      killAndWait(pid);
    });

    test('exit statuses: the code, 128+signal', () => {
      assert.equal(exec([id, '/bin/probe', 'exit', '7']).status, 7);
      // not pid 1: a signal it raises itself kills it
      assert.equal(exec([id, '/bin/probe', 'kill-self', '15']).status, 128 + 15);
    });

    test('the command is everything after the id: its own flags and numbers stay as they are', () => {
      const rep = report([id, '/bin/probe', 'report', '-e', '0x10', '--cap', '-t']);
      assert.deepEqual(rep.args, ['/bin/probe', 'report', '-e', '0x10', '--cap', '-t']);
      assert.deepEqual(report([id, '--', '/bin/probe', 'report', '--']).args, ['/bin/probe', 'report', '--']);
    });

    test('flags: --cwd, --env, --user, --additional-gids, --cap, --no-new-privs', () => {
      const uid = mode === 'root' ? '1000:1001' : '0:0';
      const rep = report([
        '--cwd',
        '/proc',
        '-e',
        'ADDED=yes',
        '--env',
        'OCIRT_TEST=2',
        '-u',
        uid,
        ...(mode === 'root' ? ['-g', '44', '--additional-gids', '55'] : []),
        '--cap',
        'CAP_CHOWN',
        '-c',
        'CAP_SETUID',
        '--no-new-privs',
        id,
        '/bin/probe',
        'report',
      ]);
      assert.equal(rep.cwd, '/proc');
      assert.ok(rep.env.includes('ADDED=yes') && rep.env.includes('FROM_CONFIG=1'), "added to the config's env");
      // HOME comes last, as runc exec sets it (the config has none)
      assert.deepEqual(rep.env.slice(-2), ['OCIRT_TEST=2', 'HOME=/'], "flags come after the config's entries");
      assert.equal(`${rep.uid}:${rep.gid}`, uid);
      if (mode === 'root') assert.deepEqual([...rep.groups].sort(), [44, 55]);
      assert.equal(BigInt('0x' + rep.caps.bounding), capHex([29, 5, 10, 0, 7]));
      assert.equal(rep.no_new_privs, 1);
      if (mode === 'rootless') {
        const bad = exec(['-u', '1000', id, '/bin/probe']);
        assert.equal(bad.status, 1);
        assert.match(bad.stderr, /uid 1000 is not mapped in the user namespace/);
      }
      const badCap = exec(['--cap', 'CAP_NOPE', id, '/bin/probe']);
      assert.equal(badCap.status, 1);
      assert.match(badCap.stderr, /unknown capability "CAP_NOPE"/);
      // labels go the way of the first process's: "unconfined" asks for nothing, a profile this
      // host cannot apply is refused (where AppArmor is enforced, lsm.test.ts's VM guest runs them)
      if (!existsSync('/sys/kernel/security/apparmor')) {
        assert.equal(exec(['--apparmor', 'unconfined', id, '/bin/probe', 'exit', '0']).status, 0);
        const label = exec(['--apparmor', 'ocirt-no-such-profile', id, '/bin/probe']);
        assert.equal(label.status, 1);
        assert.match(label.stderr, /exec: the process \(config\.json's, with the command and flags\): \/process\/apparmorProfile: /);
      }
      const badUser = exec(['-u', 'daemon', id, '/bin/probe']);
      assert.equal(badUser.status, 1);
      assert.match(badUser.stderr, /--user "daemon": expected UID\[:GID\]/);
    });

    test('-p process.json: the process as given; a bad one is refused with its location', () => {
      const file = join(b.dir, 'process.json');
      writeFileSync(file, JSON.stringify({ args: ['/bin/probe', 'report'], cwd: '/dev', env: ['ONLY=this'], user: { uid: 0, gid: 0 } }));
      const rep = report(['-p', file, id]);
      // HOME as runc exec sets it when the process has none: the image's /etc/passwd (none here: "/")
      assert.deepEqual(rep.env, ['ONLY=this', 'HOME=/']);
      assert.equal(rep.cwd, '/dev');
      assert.equal(BigInt('0x' + rep.caps.effective), 0n, 'no capabilities unless the file gives them');
      assert.equal(rep.no_new_privs, 0);
      writeFileSync(file, '{\n  "args": [],\n  "cwd": "relative"\n}\n');
      const bad = exec(['--process', file, id]);
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, new RegExp(`${file}:2:\\d+: /args: process.args is empty`));
      assert.match(bad.stderr, new RegExp(`${file}:3:\\d+: /cwd: .*absolute`));
      writeFileSync(file, '{"args": ["x"], ');
      assert.match(exec(['-p', file, id]).stderr, /process\.json:1:\d+: invalid JSON/);
    });

    test('detached: returns once the program runs, --pid-file holds its host pid', () => {
      const pidFile = join(b.dir, 'detached.pid');
      const res = exec(['-d', '--pid-file', pidFile, id, '/bin/probe', 'sleep', '30']);
      assert.equal(res.status, 0, res.stderr);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      assert.ok(alive(pid));
      assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^\/bin\/probe\0sleep\0/, 'the program runs already');
      assert.equal(readlinkSync(`/proc/${pid}/ns/pid`), readlinkSync(`/proc/${initPid}/ns/pid`));
      assert.deepEqual(
        readdirSync(b.dir).filter((f) => f.startsWith('detached.pid.')),
        [],
        'written atomically, no temp file left',
      );
      killAndWait(pid);
    });

    test("a missing program or cwd fails with the errno's words, and leaves no process", () => {
      const before = hostSnapshot().probes;
      const missing = exec([id, 'no-such-program']);
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /no-such-program: ENOENT \(no such file or directory\)/); // Go's words, which engines match
      const cwd = exec(['--cwd', '/no/such/dir', id, '/bin/probe']);
      assert.equal(cwd.status, 1);
      assert.match(cwd.stderr, /\/process\/cwd: change to the working directory \/no\/such\/dir: ENOENT/);
      assert.deepEqual(hostSnapshot().probes, before);
    });

    test('unknown, stopped and created containers', () => {
      const unknown = exec(['no-such-container', '/bin/probe']);
      assert.equal(unknown.status, 1);
      assert.match(unknown.stderr, /container "no-such-container" does not exist/);

      const c = bundle((x) => (x.process.args = ['/bin/probe', 'sleep', '600']));
      const cid = newId('exec-created');
      assert.equal(r.run(['create', '-b', c.dir, cid]).status, 0);
      // runc execs into a created container too: its namespaces exist, its init waits for start
      const rep = report([cid, '/bin/probe', 'report']);
      const cpid = json(r.run(['state', cid])).pid;
      assert.equal(rep.ns.pid, readlinkSync(`/proc/${cpid}/ns/pid`));
      assert.equal(json(r.run(['state', cid])).status, 'created', 'exec does not start it');
      assert.equal(r.run(['kill', cid, 'KILL']).status, 0);
      waitFor('the init to exit', () => json(r.run(['state', cid])).status === 'stopped');
      const stopped = exec([cid, '/bin/probe']);
      assert.equal(stopped.status, 1);
      assert.match(stopped.stderr, /cannot exec in container "[^"]+": container not running/);
      assert.equal(r.run(['delete', cid]).status, 0);
    });

    test('paused: refused, unless --ignore-paused (which then waits for the resume)', {
      skip: mode === 'rootless' && 'no cgroup to freeze',
    }, async () => {
      // the container's own freezer (the v1 freezer on a hybrid host, cgroup.freeze on v2)
      assert.equal(r.run(['pause', id]).status, 0);
      try {
        assert.equal(json(r.run(['state', id])).status, 'paused');
        const refused = exec([id, '/bin/probe']);
        assert.equal(refused.status, 1);
        assert.match(refused.stderr, /it is paused \(use --ignore-paused to override\)/);
        const pending = r.runAsync(['exec', '--ignore-paused', id, '/bin/probe', 'exit', '4']);
        await new Promise((res) => setTimeout(res, 300));
        assert.equal(r.run(['resume', id]).status, 0);
        assert.equal((await pending).status, 4);
      } finally {
        r.run(['resume', id]);
      }
    });

    test("--cgroup: an existing sub-cgroup of the container's", { skip: mode === 'rootless' && 'no cgroup of its own' }, () => {
      const st = JSON.parse(readFileSync(join(r.root, id, 'state.json'), 'utf8')) as { cgroupPath: string; cgroupV1Paths?: string[] };
      // without a controller prefix the path is below every cgroup of the container, as in runc
      const dirs = [st.cgroupPath, ...(st.cgroupV1Paths ?? [])];
      const missing = exec(['--cgroup', 'sub', id, '/bin/probe']);
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /--cgroup sub: no such cgroup/);
      const outside = exec(['--cgroup', '../..', id, '/bin/probe']);
      assert.match(outside.stderr, /is not below the container's cgroup/);
      // a process cannot join an inner cgroup node while the container's cgroup holds processes
      // directly only on a controller-enabled v2 hierarchy; this hybrid host's cgroup2 allows it
      for (const d of dirs) {
        mkdirSync(join(d, 'sub'));
        // a new v1 cpuset takes no process until given CPUs and memory nodes
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          if (existsSync(join(d, f))) writeFileSync(join(d, 'sub', f), readFileSync(join(d, f), 'utf8').trim());
        }
      }
      try {
        const pidFile = join(b.dir, 'sub.pid');
        const res = exec(['-d', '--pid-file', pidFile, '--cgroup', 'sub', id, '/bin/probe', 'sleep', '30']);
        assert.equal(res.status, 0, res.stderr);
        const pid = Number(readFileSync(pidFile, 'utf8'));
        assert.match(
          readFileSync(`/proc/${pid}/cgroup`, 'utf8'),
          new RegExp(`^0::${st.cgroupPath.replace(/^\/sys\/fs\/cgroup(\/unified)?/, '')}/sub$`, 'm'),
        );
        killAndWait(pid);
        waitFor('the process to leave the cgroup', () => readFileSync(join(st.cgroupPath, 'sub', 'cgroup.procs'), 'utf8') === '');
      } finally {
        for (const d of dirs) rmdirSync(join(d, 'sub'));
      }
    });

    test('fds: exactly stdio and the preserved ones, whatever the runtime was started with', () => {
      const a = openSync('/dev/null', 'r');
      const c = openSync(b.dir, 'r');
      try {
        // the runtime starts with fds 3 and 4 (/dev/null) and 6 and 7 (a directory) open, as an
        // engine leaks them
        const leaked = [a, a, null, c, c];
        assert.deepEqual(
          report([id, '/bin/probe', 'report'], { extraFds: leaked }).fds.map((f) => f.fd),
          [0, 1, 2],
        );
        const rep = report(['--preserve-fds', '2', id, '/bin/probe', 'report'], { extraFds: leaked });
        assert.deepEqual(
          rep.fds.map((f) => f.fd),
          [0, 1, 2, 3, 4],
        );
        assert.deepEqual(
          rep.fds.slice(3).map((f) => f.target),
          ['/dev/null', '/dev/null'],
          "the runtime's fds 3 and 4",
        );
        // as runc: each fd asked for must be open (a hole may be taken by the runtime's own fds,
        // which Node and Bun open at the lowest free numbers: a caller must not leave one)
        const missing = exec(['--preserve-fds', '5000', id, '/bin/probe'], { extraFds: leaked });
        assert.equal(missing.status, 1);
        assert.match(missing.stderr, /fd \d+ is not open: --preserve-fds/);
      } finally {
        closeSync(a);
        closeSync(c);
      }
    });

    test("a leaked directory fd cannot become the process's cwd (CVE-2024-21626)", () => {
      const dir = openSync('/sys/fs/cgroup', 'r');
      try {
        // fds 3..7 leaked into ocirt: the host directory at each
        const leaked = [dir, dir, dir, dir, dir];
        for (const fd of [3, 5, 7]) {
          const res = exec(['--cwd', `/proc/self/fd/${fd}`, id, '/bin/probe', 'report'], { extraFds: leaked });
          assert.equal(res.status, 1, `cwd /proc/self/fd/${fd}: ${res.stdout}`);
          assert.match(res.stderr, /change to the working directory/);
        }
        // a directory fd passed on purpose (--preserve-fds) is the container's, but it is no way
        // out either: a cwd through it lies outside the container's root
        const passed = exec(['--preserve-fds', '1', '--cwd', '/proc/self/fd/3', id, '/bin/probe', 'report'], { extraFds: leaked });
        assert.equal(passed.status, 1, `cwd through a preserved fd: ${passed.stdout}`);
        assert.match(passed.stderr, /outside the container's root/);
        const file = join(b.dir, 'cve.json');
        writeFileSync(file, JSON.stringify({ args: ['/bin/probe', 'report'], cwd: '/proc/self/fd/4', user: { uid: 0, gid: 0 } }));
        const viaFile = exec(['-p', file, id], { extraFds: leaked });
        assert.equal(viaFile.status, 1, viaFile.stdout);
      } finally {
        closeSync(dir);
      }
    });

    test('foreground: signals to ocirt reach the process', { skip: !BUSYBOX && 'busybox-static not installed' }, async () => {
      const child = r.spawnRun(['exec', id, 'sh', '-c', 'trap "echo got-term; exit 9" TERM; echo ready; sleep 30 & wait']);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise<void>((resolve) => {
        const check = () => (out.includes('ready') ? resolve() : setTimeout(check, 20));
        check();
      });
      child.kill('SIGTERM');
      const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      assert.equal(status, 9, out);
      assert.match(out, /got-term/);
    });

    test("the container's seccomp filter holds for the exec'd process too", () => {
      const c = bundle((x) => {
        x.process.args = ['/bin/probe', 'sleep', '600'];
        x.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 77 }] };
      });
      const cid = newId('exec-seccomp');
      assert.equal(r.run(['run', '-d', '-b', c.dir, cid]).status, 0);
      try {
        const res = exec([cid, '/bin/probe', 'sys', 'getppid']);
        assert.equal(res.status, 0, res.stderr);
        const sys = JSON.parse(res.stdout) as { ret: number; errno: number };
        assert.deepEqual([sys.ret, sys.errno], [-1, 77]);
        assert.equal((report([cid, '/bin/probe', 'report']) as unknown as { seccomp: string }).seccomp, '2', 'in filter mode');
        // -p gets it as well: the filter is the container's, not the process's
        const file = join(c.dir, 'p.json');
        writeFileSync(file, JSON.stringify({ args: ['/bin/probe', 'sys', 'getppid'], cwd: '/', user: { uid: 0, gid: 0 } }));
        assert.deepEqual(JSON.parse(exec(['-p', file, cid]).stdout).errno, 77);
      } finally {
        r.run(['delete', '-f', cid]);
      }
    });

    test('the container is still running and alone afterwards', () => {
      assert.equal(json(r.run(['state', id])).status, 'running');
      assert.equal(json(r.run(['state', id])).pid, initPid);
    });
  });
}
