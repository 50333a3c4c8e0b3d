// The native executor end to end: hand-written LaunchPlans run through src/native.ts with the
// parent protocol, checked by what the probe program sees inside. Needs root; the rootless case
// re-runs this file as an unprivileged user (OCIRT_NATIVE_CHILD=rootless).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, readSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import * as native from '../../src/native.js';
import { describeInitError } from '../../src/container/init-errors.js';
import { CLONE, MS, allCaps, basePlan, hex, makeRootfs, runPlan } from '../helpers/native-rootfs.js';

const isRoot = process.getuid?.() === 0;
const rootOnly = isRoot ? {} : { skip: 'needs root (clone3 with new namespaces, mounts)' };

interface Probe {
  uid: number;
  gid: number;
  euid: number;
  groups: number[];
  caps: Record<'inheritable' | 'permitted' | 'effective' | 'bounding' | 'ambient', string>;
  no_new_privs: number;
  umask: number;
  cwd: string;
  hostname: string;
  domainname: string;
  pid: number;
  env: string[];
  args: string[];
  rlimits: Record<string, { soft: string; hard: string }>;
  oom_score_adj: number;
  fds: { fd: number; target: string }[];
  mountinfo: string[];
  ns: Record<string, string>;
  sysctls: Record<string, string>;
}

/** mountinfo line of the mount point `mp`: "id parent maj:min root mp opts ... - fstype src superopts" */
function mountAt(p: Probe, mp: string): { opts: string[]; fstype: string } | undefined {
  // the last one: a later mount on the same point hides the earlier ones
  const line = [...p.mountinfo].reverse().find((l) => l.split(' ')[4] === mp);
  if (!line) return undefined;
  const f = line.split(' ');
  const dash = f.indexOf('-');
  return { opts: f[5]!.split(','), fstype: f[dash + 1]! };
}

async function rootlessChild(): Promise<void> {
  // Runs as the unprivileged user: everything below is what a rootless ocirt would do.
  const { dir, rootfs } = makeRootfs();
  const plan = basePlan(rootfs, ['probe', 'report']);
  const uid = process.getuid!();
  const gid = process.getgid!();
  plan.cloneFlags |= CLONE.NEWUSER;
  plan.userns = {
    uidMappings: [{ containerID: 0, hostID: uid, size: 1 }],
    gidMappings: [{ containerID: 0, hostID: gid, size: 1 }],
    writer: 'direct',
    denySetgroups: true,
  };
  // mknod is not allowed in a user namespace: bind the host's nodes
  plan.devices = plan.devices.map((d) => ({ ...d, bindFromHost: true }));
  // OCIRT_NATIVE_EARLY: the child execs the stub before the maps exist and the stub re-execs
  // itself as the namespace's root (launch.ts does this whenever the caller becomes root there)
  // (the maps are written late on purpose: the stub, already running, must leave them writable)
  const early = process.env.OCIRT_NATIVE_EARLY === '1';
  const res = await runPlan(plan, { workDir: dir, callerIsNsRoot: early, mapsDelayMs: early ? 100 : 0 });
  process.stdout.write(JSON.stringify({ res, hostUid: uid }) + '\n');
  rmSync(dir, { recursive: true, force: true });
}

async function inheritChild(): Promise<void> {
  const { dir, rootfs } = makeRootfs();
  try {
    const res = await runPlan(basePlan(rootfs, ['probe', 'report']), { workDir: dir, inheritStdio: true });
    process.exitCode = res.status.code ?? 100;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.env.OCIRT_NATIVE_CHILD === 'rootless') {
  await rootlessChild();
} else if (process.env.OCIRT_NATIVE_CHILD === 'inherit') {
  await inheritChild();
} else {
  test("native: without stdio the container writes to the caller's own fds 0-2", rootOnly, () => {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
      env: { ...process.env, OCIRT_NATIVE_CHILD: 'inherit' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as Probe).pid, 1);
  });

  test('native: a container with mount/uts/pid/ipc namespaces, proc, /dev, credentials', rootOnly, async () => {
    const { dir, rootfs } = makeRootfs();
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    writeFileSync(join(shared, 'hello'), 'hi');
    try {
      const plan = basePlan(rootfs, ['probe', 'report', 'kernel/hostname', 'kernel/msgmax']);
      plan.domainname = 'example.org';
      plan.sysctls = [{ field: '/linux/sysctl/kernel.msgmax', path: 'kernel/msgmax', value: '4242' }];
      plan.mounts.push({
        field: '/mounts/2',
        source: shared,
        destination: '/mnt/shared',
        fstype: '',
        flags: MS.BIND | MS.REC,
        remountFlags: MS.RDONLY | MS.NOSUID,
        propagation: [MS.PRIVATE],
        data: '',
        createAs: 'dir',
        recursiveAttrSet: 0,
        recursiveAttrClear: 0,
      });
      const keep = (1n << 0n) | (1n << 5n) | (1n << 10n); // CHOWN, KILL, NET_BIND_SERVICE
      plan.process.uid = 1000;
      plan.process.gid = 1000;
      plan.process.additionalGids = [2000, 2001];
      plan.process.capabilities = { bounding: keep, effective: keep, permitted: keep, inheritable: keep, ambient: 1n << 10n };
      plan.process.noNewPrivileges = true;
      plan.process.umask = 0o027;
      plan.process.cwd = '/tmp';
      plan.process.env.push('FOO=bar');
      plan.process.rlimits = [{ field: '', resource: 7 /* NOFILE */, soft: 1024n, hard: 2048n }];
      plan.process.oomScoreAdj = 123;

      const res = await runPlan(plan, { workDir: dir });
      assert.deepEqual(
        res.messages.map((m) => m.type),
        ['ready', 'eof'],
        JSON.stringify(res.messages),
      );
      assert.deepEqual(res.status, { code: 0, signal: null }, res.stderr);
      const p = JSON.parse(res.stdout) as Probe;
      assert.equal(p.hostname, 'ocirt-test');
      assert.equal(p.domainname, 'example.org');
      assert.equal(p.sysctls['kernel/hostname'], 'ocirt-test');
      assert.equal(p.sysctls['kernel/msgmax'], '4242', 'sysctl written in the new ipc namespace');
      assert.equal(p.pid, 1);
      assert.equal(p.uid, 1000);
      assert.equal(p.euid, 1000);
      assert.equal(p.gid, 1000);
      assert.deepEqual(p.groups, [2000, 2001]);
      assert.equal(p.caps.bounding, hex(keep));
      // execve as a non-root uid keeps only the ambient set in permitted/effective
      assert.equal(p.caps.effective, hex(1n << 10n));
      assert.equal(p.caps.permitted, hex(1n << 10n));
      assert.equal(p.caps.inheritable, hex(keep));
      assert.equal(p.caps.ambient, hex(1n << 10n));
      assert.equal(p.no_new_privs, 1);
      assert.equal(p.umask, 0o027);
      assert.equal(p.cwd, '/tmp');
      assert.deepEqual(p.env, ['PATH=/bin:/usr/bin', 'HOME=/', 'FOO=bar']);
      assert.deepEqual(p.args, ['probe', 'report', 'kernel/hostname', 'kernel/msgmax']);
      assert.deepEqual(p.rlimits.RLIMIT_NOFILE, { soft: '1024', hard: '2048' });
      assert.equal(p.oom_score_adj, 123);
      assert.deepEqual(
        p.fds.map((f) => f.fd),
        [0, 1, 2],
        JSON.stringify(p.fds),
      );
      for (const ns of ['mnt', 'uts', 'pid', 'ipc']) {
        assert.notEqual(p.ns[ns], readlinkSync(`/proc/self/ns/${ns}`), `${ns} namespace is new`);
      }
      assert.equal(p.ns.net, readlinkSync('/proc/self/ns/net'), 'net namespace is shared');
      assert.equal(mountAt(p, '/proc')?.fstype, 'proc');
      assert.equal(mountAt(p, '/dev')?.fstype, 'tmpfs');
      assert.ok(mountAt(p, '/proc/sys')?.opts.includes('ro'), 'readonly path');
      assert.ok(mountAt(p, '/proc/kmsg'), 'masked file: /dev/null bound over it');
      const driver = mountAt(p, '/proc/driver');
      assert.ok(driver?.fstype === 'tmpfs' && driver.opts.includes('ro'), 'masked dir: read-only tmpfs');
      const bind = mountAt(p, '/mnt/shared');
      assert.ok(bind?.opts.includes('ro') && bind.opts.includes('nosuid'), JSON.stringify(bind));
      assert.equal(mountAt(p, '/')?.opts.includes('ro'), false);
      // the rootfs bind shows the host path as its root (field 4), but no mount point may be a host one
      const points = p.mountinfo.map((l) => l.split(' ')[4]!);
      assert.ok(!points.some((mp) => mp.startsWith(dir) || mp === '/work'), `old root is detached: ${points.join(' ')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('native: devices, symlinks and the readonly root as seen by the probe', rootOnly, async () => {
    const { dir, rootfs } = makeRootfs();
    try {
      const plan = basePlan(rootfs, ['/bin/probe', 'stat', '/dev/null']);
      plan.readonlyRoot = true;
      const res = await runPlan(plan, { workDir: dir });
      assert.deepEqual(res.status, { code: 0, signal: null }, res.stderr + JSON.stringify(res.messages));
      const st = JSON.parse(res.stdout);
      assert.deepEqual(st, { path: '/dev/null', type: 'char', mode: 0o666, uid: 0, gid: 0, rdev_major: 1, rdev_minor: 3 });

      const plan2 = basePlan(rootfs, ['/bin/probe', 'write', '/etc/x', 'y']);
      plan2.readonlyRoot = true;
      const res2 = await runPlan(plan2, { workDir: dir });
      assert.equal(res2.status.code, 1);
      assert.match(res2.stderr, /Read-only file system/);

      const plan3 = basePlan(rootfs, ['/bin/probe', 'stat', '/dev/fd']);
      plan3.noPivot = true; // MS_MOVE + chroot instead of pivot_root
      const res3 = await runPlan(plan3, { workDir: dir });
      assert.deepEqual(res3.status, { code: 0, signal: null }, res3.stderr + JSON.stringify(res3.messages));
      assert.equal(JSON.parse(res3.stdout).type, 'symlink');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('native: exec.fifo holds the init until it is opened for reading', rootOnly, async () => {
    const { dir, rootfs } = makeRootfs();
    try {
      const fifo = join(dir, 'exec.fifo');
      native.mkfifo(fifo, 0o622);
      const plan = basePlan(rootfs, ['probe', 'exit', '3']);
      plan.execFifo = fifo;
      let waitedPid = 0;
      const res = await runPlan(plan, {
        workDir: dir,
        afterReady: async (pid) => {
          waitedPid = pid;
          await new Promise((r) => setTimeout(r, 200));
          // still blocked: the init has not exec'd and is not a zombie
          const stat = execFileSync('cat', [`/proc/${pid}/stat`]).toString();
          assert.match(stat, /^\d+ \(ocirt-init\) S /, stat);
          // the waiting init is the small static stub, not a copy of Node's heap
          const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
          const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN);
          const priv = kb('Private_Clean') + kb('Private_Dirty');
          assert.ok(priv < 4096, `waiting init holds ${priv} kB private memory`);
          const fd = openSync(fifo, 'r');
          const buf = Buffer.alloc(8);
          const n = readSync(fd, buf);
          closeSync(fd);
          assert.equal(buf.subarray(0, n).toString(), '0');
        },
      });
      assert.ok(waitedPid > 0);
      assert.deepEqual(res.status, { code: 3, signal: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('native: a failing mount reports step, index and errno name', rootOnly, async () => {
    const { dir, rootfs } = makeRootfs();
    try {
      const plan = basePlan(rootfs, ['probe']);
      plan.mounts.push({
        ...plan.mounts[1]!,
        field: '/mounts/2',
        source: 'none',
        destination: '/bad',
        fstype: 'nosuchfs',
        data: '',
      });
      const res = await runPlan(plan, { workDir: dir });
      const m = res.messages[0];
      assert.ok(m && m.type === 'error', JSON.stringify(res.messages));
      assert.equal(m.stepName, 'MOUNT');
      assert.equal(m.index, 2);
      assert.equal(m.errnoName, 'ENODEV');
      assert.equal(m.detail, '/bad');
      assert.match(describeInitError(plan, m), /^config\.json \/mounts\/2: container init: .*\/bad: ENODEV/);
      assert.deepEqual(res.status, { code: 1, signal: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('native: a missing executable fails before ready', rootOnly, async () => {
    const { dir, rootfs } = makeRootfs();
    try {
      const res = await runPlan(basePlan(rootfs, ['no-such-binary']), { workDir: dir });
      const m = res.messages[0];
      assert.ok(m && m.type === 'error', JSON.stringify(res.messages));
      assert.equal(m.stepName, 'EXEC_LOOKUP');
      assert.equal(m.errnoName, 'ENOENT');
      assert.equal(m.detail, 'no-such-binary');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('native: waitExit reports a signal; pidfdSendSignal reaches the init', rootOnly, async () => {
    const { dir, rootfs } = makeRootfs();
    try {
      const res = await runPlan(basePlan(rootfs, ['probe', 'sleep', '30']), {
        workDir: dir,
        afterReady: (_pid, pidfd) => native.pidfdSendSignal(pidfd, 9),
      });
      assert.deepEqual(res.status, { code: null, signal: 9 });
      const segv = await runPlan(basePlan(rootfs, ['probe', 'kill-self', '11']), { workDir: dir });
      assert.deepEqual(segv.status, { code: null, signal: 11 }, segv.stderr);
      const term = await runPlan(basePlan(rootfs, ['probe', 'kill-self', '15']), { workDir: dir });
      assert.deepEqual(term.status, { code: 1, signal: null });
      assert.match(term.stderr, /pid 1 of a pid namespace ignores/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('native: an exec failure after ready goes to stderr, exit 127, and an EXEC record', rootOnly, async () => {
    const { dir, rootfs } = makeRootfs();
    try {
      // passes the lookup (an executable regular file) but its interpreter does not exist
      writeFileSync(join(rootfs, 'bin', 'badinterp'), '#!/nonexistent/interpreter\n');
      chmodSync(join(rootfs, 'bin', 'badinterp'), 0o755);
      const res = await runPlan(basePlan(rootfs, ['badinterp']), { workDir: dir });
      assert.equal(res.messages[0]?.type, 'ready');
      const m = res.messages[1];
      assert.ok(m && m.type === 'error', JSON.stringify(res.messages));
      assert.equal(m.stepName, 'EXEC');
      assert.equal(m.errnoName, 'ENOENT');
      assert.equal(res.stderr, 'ocirt: exec "badinterp": no such file or directory\n');
      assert.deepEqual(res.status, { code: 127, signal: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('native: joining a pid namespace by path forks and reports the pid', rootOnly, async () => {
    const { dir, rootfs } = makeRootfs();
    try {
      const first = await runPlan(basePlan(rootfs, ['probe', 'sleep', '30']), {
        workDir: dir,
        afterReady: async (pid, pidfd) => {
          const plan = basePlan(rootfs, ['probe', 'sleep', '30']);
          plan.cloneFlags = CLONE.NEWNS;
          plan.hostname = undefined;
          plan.joins = [{ type: 'pid', path: `/proc/${pid}/ns/pid`, nstype: CLONE.NEWPID, field: '' }];
          plan.forkAfterJoin = true;
          const second = await runPlan(plan, { workDir: dir });
          assert.equal(second.messages[0]?.type, 'pid', JSON.stringify(second.messages));
          const forked = second.messages[0]!.type === 'pid' ? second.messages[0]!.pid : 0;
          assert.ok(forked > 0 && forked !== second.pid);
          assert.equal(second.messages[1]?.type, 'ready');
          // the intermediate exits right after reporting; its exit is what waitExit saw
          assert.deepEqual(second.status, { code: 0, signal: null });
          const fd = native.pidfdOpen(forked);
          try {
            // NSpid: host pid, then the pid inside the joined namespace (not 1: the first init is)
            const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${forked}/status`, 'utf8'))?.[1]?.split(/\s+/);
            assert.equal(nspid?.length, 2);
            assert.ok(Number(nspid![1]) > 1);
            // forked with CLONE_PARENT: our child, whose status we can read
            assert.equal(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${forked}/status`, 'utf8'))?.[1], String(process.pid));
            const gone = native.waitExit(fd);
            native.pidfdSendSignal(pidfd, 9); // killing the pid ns init kills the joined process too
            assert.deepEqual(await gone, { code: null, signal: 9 });
          } finally {
            native.closeFd(fd);
          }
        },
      });
      assert.deepEqual(first.status, { code: null, signal: 9 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('native: terminal: the pty master arrives on the console socket the runtime connected', rootOnly, async () => {
    const { dir, rootfs } = makeRootfs();
    try {
      const sockPath = join(dir, 'console.sock');
      const listener = native.unixListen(sockPath);
      const connected = native.connectUnix(sockPath);
      const plan = basePlan(rootfs, ['probe', 'report']);
      plan.mounts.push({
        field: '/mounts/2',
        source: 'devpts',
        destination: '/dev/pts',
        fstype: 'devpts',
        flags: MS.NOSUID | MS.NOEXEC,
        remountFlags: 0,
        propagation: [],
        data: 'newinstance,ptmxmode=0666,mode=0620',
        createAs: 'dir',
        recursiveAttrSet: 0,
        recursiveAttrClear: 0,
      });
      plan.symlinks.push({ link: '/dev/ptmx', target: 'pts/ptmx' });
      plan.process.terminal = true;
      plan.consoleSocket = sockPath;
      let master = -1;
      const res = await runPlan(plan, {
        workDir: dir,
        fds: [connected],
        afterReady: () => {
          const conn = native.acceptFd(listener);
          const got = native.recvFd(conn);
          native.closeFd(conn);
          master = got.fd;
          assert.equal(got.data, '/dev/ptmx');
        },
      });
      assert.deepEqual(res.status, { code: 0, signal: null }, res.stderr);
      assert.equal(res.stdout, '', 'stdout went to the pty, not the file');
      // read what the probe printed on its terminal
      let text = '';
      const buf = Buffer.alloc(65536);
      for (;;) {
        let n = 0;
        try {
          n = readSync(master, buf);
        } catch {
          break; // EIO once the slave side is closed
        }
        if (n <= 0) break;
        text += buf.subarray(0, n).toString();
      }
      native.closeFd(master);
      native.closeFd(listener);
      native.closeFd(connected);
      const p = JSON.parse(text.trim()) as Probe & { fds: { fd: number; target: string }[] };
      assert.equal(p.pid, 1);
      assert.match(p.fds[0]!.target, /^\/dev\/pts\/\d+$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const early of [false, true]) {
    const how = early ? "stub exec'd at once, re-exec'd as the namespace root" : 'child copied, exec after the maps';
    test(`native: rootless (unprivileged user, user namespace, direct maps; ${how})`, rootOnly, async (t) => {
      const user = 'ocirt-test';
      if (spawnSync('id', ['-u', user]).status !== 0) {
        const r = spawnSync('useradd', ['-m', user]);
        if (r.status !== 0) return t.skip(`cannot create user ${user}: ${r.stderr}`);
      }
      const self = fileURLToPath(import.meta.url);
      const r = spawnSync('setpriv', ['--reuid', user, '--regid', user, '--clear-groups', process.execPath, self], {
        env: { ...process.env, OCIRT_NATIVE_CHILD: 'rootless', OCIRT_NATIVE_EARLY: early ? '1' : '0', HOME: '/tmp' },
        encoding: 'utf8',
        cwd: '/tmp',
      });
      assert.equal(r.status, 0, `rootless child failed: ${r.stderr}`);
      const { res, hostUid } = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      assert.notEqual(hostUid, 0);
      assert.deepEqual(
        res.messages.map((m: native.SyncMessage) => m.type),
        ['ready', 'eof'],
        JSON.stringify(res.messages),
      );
      assert.deepEqual(res.status, { code: 0, signal: null }, res.stderr);
      const p = JSON.parse(res.stdout) as Probe;
      assert.equal(p.uid, 0);
      assert.equal(p.pid, 1);
      assert.equal(p.hostname, 'ocirt-test');
      assert.equal(p.caps.effective, hex(allCaps()));
      assert.equal(mountAt(p, '/proc')?.fstype, 'proc');
      assert.ok(mountAt(p, '/dev/null'), 'bind-mounted /dev/null');
      assert.ok(mountAt(p, '/proc/sys')?.opts.includes('ro'));
    });
  }
}
