// exec's policy without root: the process runc's flags make, the exec-kind plan, the template the
// native front end fills in, --cgroup, and the fds of socket activation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { buildExecPlan, buildPlan, type ExecPlanOptions, type HostFacts } from '../../src/linux/plan-builder.ts';
import { CLONE } from '../../src/linux/constants.ts';
import { encodePlan, encodePlanWithArgsSpan, PF, SECTION } from '../../src/linux/encode.ts';
import { argsOnly, processFromFlags, withFlags, type ExecFlags } from '../../src/container/exec-process.ts';
import { planExec } from '../../src/container/exec-plan.ts';
import { execTemplate } from '../../src/container/exec-template.ts';
import { listenFdsFromEnv } from '../../src/container/fds.ts';
import { subCgroups } from '../../src/cgroups/sub-cgroup.ts';
import type { Process, Spec } from '../../src/spec/types.ts';

function config(over: Partial<Spec> = {}): Spec {
  return {
    ociVersion: '1.3.0',
    root: { path: 'rootfs' },
    process: {
      cwd: '/work',
      args: ['server'],
      env: ['PATH=/bin', 'A=1'],
      user: { uid: 1000, gid: 100, additionalGids: [5], umask: 0o027 },
      capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] },
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }],
      noNewPrivileges: true,
      oomScoreAdj: 10,
      terminal: true,
    },
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }] },
    ...over,
  } as Spec;
}

const execOpts: ExecPlanOptions = { rootfs: '/b/rootfs', isOwnNamespace: () => false, noNewKeyring: false, preserveFds: 0 };
const host: HostFacts = { euid: 0, egid: 0, isDirectory: () => true };

test("ARGS and flags: runc's getProcess on the config's process", () => {
  const base = config().process!;
  const p = processFromFlags(base, argsOnly(['ls', '-l']));
  assert.deepEqual(p.args, ['ls', '-l']);
  assert.equal(p.terminal, false, 'no terminal unless -t, whatever the config says');
  assert.equal(p.cwd, '/work');
  assert.deepEqual(p.env, ['PATH=/bin', 'A=1']);
  assert.deepEqual(base.args, ['server'], 'the config is not changed');

  const q = processFromFlags(base, {
    args: ['sh'],
    cwd: '/tmp',
    env: ['B=2'],
    tty: true,
    user: '7:8',
    additionalGids: ['9'],
    caps: ['CAP_CHOWN'],
    noNewPrivs: true,
    apparmor: 'prof',
    processLabel: 'label',
  });
  assert.equal(q.cwd, '/tmp');
  assert.deepEqual(q.env, ['PATH=/bin', 'A=1', 'B=2'], 'appended');
  assert.equal(q.terminal, true);
  assert.deepEqual(q.user, { uid: 7, gid: 8, additionalGids: [5, 9], umask: 0o027 });
  assert.deepEqual(q.capabilities, {
    bounding: ['CAP_KILL', 'CAP_CHOWN'],
    effective: ['CAP_KILL', 'CAP_CHOWN'],
    permitted: ['CAP_KILL', 'CAP_CHOWN'],
  });
  assert.equal(q.apparmorProfile, 'prof');
  assert.equal(q.selinuxLabel, 'label');
  // a uid alone keeps the config's gid; ambient only where there are inheritable capabilities
  const r = processFromFlags({ ...base, capabilities: { inheritable: ['CAP_KILL'] } } as Process, {
    ...argsOnly(['sh']),
    user: '3',
    caps: ['CAP_KILL'],
  });
  assert.equal(r.user?.uid, 3);
  assert.equal(r.user?.gid, 100);
  assert.deepEqual(r.capabilities?.ambient, ['CAP_KILL']);

  const cases: [ExecFlags, RegExp][] = [
    [argsOnly([]), /no command given/],
    [argsOnly(['']), /command is empty/],
    [{ ...argsOnly(['sh']), user: 'root' }, /--user "root": expected UID\[:GID\]/],
    [{ ...argsOnly(['sh']), user: '1:x' }, /--user/],
    [{ ...argsOnly(['sh']), additionalGids: ['-1'] }, /--additional-gids "-1"/],
    [{ ...argsOnly(['sh']), caps: ['CAP_NOPE'] }, /--cap "CAP_NOPE": unknown capability/],
    [{ ...argsOnly(['sh']), env: ['NOEQUALS'] }, /--env "NOEQUALS": expected NAME=VALUE/],
    [{ ...argsOnly(['sh']), cwd: 'rel' }, /--cwd "rel": expected an absolute path/],
  ];
  for (const [flags, want] of cases) assert.throws(() => processFromFlags(base, flags), want);
});

test("exec plan: joins the config's namespaces through the pidfd, makes nothing, carries the process", () => {
  const plan = buildExecPlan(withFlags(config(), argsOnly(['ls'])), execOpts, host);
  assert.deepEqual(plan.exec, { nsFlags: CLONE.NEWPID | CLONE.NEWNS | CLONE.NEWNET | CLONE.NEWIPC | CLONE.NEWUTS, chroot: false });
  assert.equal(plan.cloneFlags, 0);
  assert.deepEqual([plan.joins, plan.mounts, plan.devices, plan.symlinks, plan.maskedPaths, plan.sysctls], [[], [], [], [], [], []]);
  assert.equal(plan.forkAfterJoin, false, 'the exec section forks, not the create path');
  assert.equal(plan.userns, undefined, 'the maps exist already');
  assert.deepEqual(plan.process.args, ['ls']);
  assert.equal(plan.process.uid, 1000);
  assert.equal(plan.process.umask, 0o027);
  assert.equal(plan.process.oomScoreAdj, 10);
  assert.equal(plan.process.noNewPrivileges, true);
  assert.equal(plan.newSessionKeyring, true);
  assert.equal(plan.consoleSocket, undefined, 'no terminal: no console socket');
  const bytes = encodePlan(plan);
  assert.ok(bytes.includes(Buffer.from([SECTION.EXEC, 0, 0, 0, 8, 0, 0, 0])), 'the exec section');

  // a namespace joined by path that is the runtime's own is left alone; no mount ns: chroot
  const own = buildExecPlan(
    withFlags(
      config({ linux: { namespaces: [{ type: 'pid' }, { type: 'network', path: '/proc/1/ns/net' }, { type: 'user', path: '/x' }] } }),
      argsOnly(['ls']),
    ),
    { ...execOpts, isOwnNamespace: (p) => p === '/proc/1/ns/net', noNewKeyring: true },
    host,
  );
  assert.deepEqual(own.exec, { nsFlags: CLONE.NEWPID | CLONE.NEWUSER, chroot: true });
  assert.equal(own.newSessionKeyring, false, "create's --no-new-keyring holds for exec too");

  // in a user namespace the process's ids must be mapped there
  const userns = config({
    process: { ...config().process!, user: { uid: 1000, gid: 0 } },
    linux: {
      namespaces: [{ type: 'user' }, { type: 'mount' }],
      uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
    },
  });
  assert.throws(() => buildExecPlan(withFlags(userns, argsOnly(['ls'])), execOpts, host), /uid 1000 is not mapped/);
  assert.equal(buildExecPlan(withFlags(userns, { ...argsOnly(['ls']), user: '0:0' }), execOpts, host).process.uid, 0);
});

test('exec plan: a terminal gets the console socket and consoleSize', () => {
  const c = config();
  c.process!.consoleSize = { height: 40, width: 120 };
  const plan = buildExecPlan(withFlags(c, { ...argsOnly(['sh']), tty: true }), { ...execOpts, consoleSocket: '/run/s.sock' }, host);
  assert.equal(plan.consoleSocket, '/run/s.sock');
  assert.deepEqual(plan.process.consoleSize, { height: 40, width: 120 });
  const flags = encodePlan(plan).readUInt32LE(24);
  assert.equal(flags & (PF.TERMINAL | PF.HAS_CONSOLE), PF.TERMINAL | PF.HAS_CONSOLE);
  const big = config();
  big.process!.consoleSize = { height: 70000, width: 80 };
  assert.throws(
    () => buildExecPlan(withFlags(big, { ...argsOnly(['sh']), tty: true }), { ...execOpts, consoleSocket: 's' }, host),
    /consoleSize\/height: 70000/,
  );
});

test('exec warns only about what create did not report already', () => {
  const c = config();
  c.process!.capabilities = { ...c.process!.capabilities, ambient: ['CAP_KILL'], inheritable: [] };
  const record = { config: c, noNewKeyring: false };
  const warned: string[] = [];
  const run = (process: Spec) =>
    planExec({ record, config: process, rootfs: '/r', preserveFds: 0, isOwnNamespace: () => false, host, warn: (m) => warned.push(m) });
  run(withFlags(c, argsOnly(['ls'])));
  assert.deepEqual(warned, [], 'the ambient capability not raised was reported by create');
  run({
    ...c,
    process: {
      ...c.process!,
      terminal: false,
      capabilities: { ...c.process!.capabilities, ambient: ['CAP_CHOWN'] },
      ioPriority: { class: 'IOPRIO_CLASS_IDLE' },
    },
  });
  assert.deepEqual(
    warned,
    ['/process/capabilities/ambient: CAP_CHOWN not raised: an ambient capability must also be permitted and inheritable'],
    'ioPriority is applied: no warning',
  );
});

test("the exec template: the plan of the config's process, whose arguments the front end replaces", () => {
  const record = { config: config(), noNewKeyring: false };
  const t = execTemplate(record, '/b/rootfs', host)!;
  assert.equal(t.subarray(0, 8).toString('latin1'), 'OCIRTXT\0');
  const start = t.readUInt32LE(12);
  const end = t.readUInt32LE(16);
  const plan = t.subarray(20);
  const encodeArgs = (args: string[]) => {
    const parts = [Buffer.alloc(4)];
    parts[0]!.writeUInt32LE(args.length);
    for (const a of args) {
      const b = Buffer.from(a, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length);
      parts.push(len, b, Buffer.from([0]));
    }
    return Buffer.concat(parts);
  };
  // what native/front/exec.c does: the same bytes as planning that exec in TypeScript
  fc.assert(
    fc.property(
      fc.array(
        fc.string({ minLength: 1 }).filter((s) => !s.includes('\0')),
        { minLength: 1, maxLength: 5 },
      ),
      (args) => {
        const spliced = Buffer.concat([plan.subarray(0, start), encodeArgs(args), plan.subarray(end)]);
        spliced.writeUInt32LE(spliced.length, 12);
        const direct = planExec({
          record,
          config: withFlags(record.config, argsOnly(args)),
          rootfs: '/b/rootfs',
          preserveFds: 0,
          isOwnNamespace: () => false,
          host,
        });
        assert.deepEqual(spliced, encodePlan(direct));
      },
    ),
    { numRuns: 50 },
  );
  assert.deepEqual(encodePlanWithArgsSpan(buildExecPlan(withFlags(record.config, argsOnly(['true'])), execOpts, host)).bytes, plan);

  // none where the plan would depend on the caller or need more than the init's pidfd
  const byPath = config({ linux: { namespaces: [{ type: 'mount' }, { type: 'network', path: '/var/run/netns/x' }] } });
  assert.equal(execTemplate({ config: byPath, noNewKeyring: false }, '/r', host), undefined);
  const noMountNs = config({ linux: { namespaces: [{ type: 'pid' }] } });
  assert.equal(execTemplate({ config: noMountNs, noNewKeyring: false }, '/r', host), undefined);
  assert.equal(execTemplate({ config: config({ process: undefined }), noNewKeyring: false }, '/r', host), undefined);
});

test("create: LISTEN_FDS fds first, then --preserve-fds; /dev/ptmx stays the devpts instance's", () => {
  const host = { euid: 0, egid: 0, isDirectory: () => true };
  const c = config({
    mounts: [
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs' },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['newinstance'] },
    ],
  });
  c.process!.terminal = false;
  c.linux!.devices = [
    { path: '/dev/ptmx', type: 'c', major: 5, minor: 2 },
    { path: '/dev/fuse', type: 'c', major: 10, minor: 229 },
  ];
  const plan = buildPlan(c, '/b/rootfs', { bundle: '/b', noPivot: false, noNewKeyring: false, preserveFds: 1, listenFds: 2 }, host);
  assert.equal(plan.process.preserveFds, 3);
  assert.deepEqual(plan.process.env.slice(-2), ['LISTEN_FDS=2', 'LISTEN_PID=1']);
  assert.ok(!plan.devices.some((d) => d.path === '/dev/ptmx'), 'not a device node');
  assert.ok(plan.devices.some((d) => d.path === '/dev/fuse'));
  assert.ok(plan.symlinks.some((l) => l.link === '/dev/ptmx' && l.target === 'pts/ptmx'));

  assert.equal(listenFdsFromEnv({ LISTEN_FDS: '2', LISTEN_PID: '42' }, 42), 2);
  assert.equal(listenFdsFromEnv({ LISTEN_FDS: '2', LISTEN_PID: '41' }, 42), 0, 'meant for another process');
  assert.equal(listenFdsFromEnv({}, 42), 0);
  assert.throws(() => listenFdsFromEnv({ LISTEN_FDS: 'x', LISTEN_PID: '42' }, 42), /LISTEN_FDS="x"/);
});

test("--cgroup: sub-cgroups of the container's, by controller or all at once", () => {
  const dir = mkdtempSync('/tmp/ocirt-subcg-');
  try {
    const v2 = join(dir, 'unified', 'ocirt', 'c1');
    const pids = join(dir, 'pids', 'ocirt', 'c1');
    for (const d of [join(v2, 'sub'), join(pids, 'sub'), join(pids, 'other')]) mkdirSync(d, { recursive: true });
    const set = { v2, v1: [{ key: 'pids', dir: pids }] };
    assert.deepEqual(subCgroups(set, []), set);
    assert.deepEqual(subCgroups(set, ['sub']), { v2: join(v2, 'sub'), v1: [{ key: 'pids', dir: join(pids, 'sub') }] });
    assert.deepEqual(subCgroups(set, ['pids:other']), { v2, v1: [{ key: 'pids', dir: join(pids, 'other') }] });
    assert.deepEqual(subCgroups(set, ['pids:other', 'unified:sub']), {
      v2: join(v2, 'sub'),
      v1: [{ key: 'pids', dir: join(pids, 'other') }],
    });
    assert.throws(() => subCgroups(set, ['a', 'b']), /each needs its <controller>: prefix/);
    assert.throws(() => subCgroups(set, ['a:b:c']), /invalid --cgroup "a:b:c"/);
    assert.throws(() => subCgroups(set, ['memory:sub']), /no cgroup of controller "memory"/);
    assert.throws(() => subCgroups(set, ['missing']), /no such cgroup/);
    assert.throws(() => subCgroups(set, ['../../x']), /not below the container's cgroup/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
