// LaunchPlan translation: what a config means for the executor, checked without root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, planNamespaces, type HostFacts, type PlanOptions } from '../../src/linux/plan-builder.ts';
import { planCpuAffinity } from '../../src/linux/process-attrs.ts';
import { CLONE, MS, S_IF } from '../../src/linux/constants.ts';
import type { Spec } from '../../src/spec/types.ts';

const host = (over: Partial<HostFacts> = {}): HostFacts => ({
  euid: 0,
  egid: 0,
  inUserNamespace: false,
  cgroups: { mode: 'v2', v2Mount: '/sys/fs/cgroup', v2Dir: '/sys/fs/cgroup/c1', v1: [] },
  isDirectory: (p) => (p.endsWith('.conf') ? false : p.startsWith('/missing') ? undefined : true),
  namespaceInfo: (p) => {
    const m = /\/ns\/(\w+)$/.exec(p);
    const flags: Record<string, number> = {
      net: CLONE.NEWNET,
      pid: CLONE.NEWPID,
      user: CLONE.NEWUSER,
      mnt: CLONE.NEWNS,
      ipc: CLONE.NEWIPC,
      uts: CLONE.NEWUTS,
      cgroup: CLONE.NEWCGROUP,
      time: CLONE.NEWTIME,
    };
    if (!m || !flags[m[1]]) throw Object.assign(new Error('not a namespace'), { code: 'ENOTTY' });
    return { nstype: flags[m[1]], ino: 4026531000 + p.length, userIno: 4026531837 };
  },
  ownNetworkNamespace: () => 4026531840,
  ...over,
});
const opts: PlanOptions = { bundle: '/bundles/b1', noPivot: false, noNewKeyring: false, preserveFds: 0 };

function config(over: Partial<Spec> = {}): Spec {
  return {
    ociVersion: '1.3.0',
    root: { path: 'rootfs', readonly: true },
    process: {
      cwd: '/',
      args: ['sh'],
      env: ['PATH=/bin'],
      user: { uid: 1000, gid: 100, additionalGids: [5, 6], umask: 0o027 },
      capabilities: { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] },
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }],
      noNewPrivileges: true,
      oomScoreAdj: 100,
    },
    hostname: 'box',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro'] },
      { destination: '/etc/app.conf', type: 'bind', source: 'files/app.conf', options: ['rbind', 'ro', 'rprivate'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }],
      maskedPaths: ['/proc/kcore'],
      readonlyPaths: ['/proc/sys'],
      sysctl: { 'net.ipv4.ip_forward': '1' },
      devices: [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229, fileMode: 0o600 }],
    },
    ...over,
  } as Spec;
}

test('root plan: namespaces come from clone3, no user namespace, no maps', () => {
  const plan = buildPlan(config(), '/bundles/b1/rootfs', opts, host());
  assert.equal(plan.cloneFlags, CLONE.NEWPID | CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWNET);
  assert.equal(plan.unshareFlags, 0);
  assert.deepEqual(plan.joins, []);
  assert.equal(plan.forkAfterJoin, false);
  assert.equal(plan.userns, undefined);
  assert.equal(plan.hostname, 'box');
  assert.equal(plan.readonlyRoot, true);
  assert.equal(plan.rootPropagation, MS.SLAVE | MS.REC);
  assert.equal(plan.newSessionKeyring, true);
});

test('mount options become flags, data and propagation', () => {
  const plan = buildPlan(config(), '/bundles/b1/rootfs', opts, host());
  const byDest = Object.fromEntries(plan.mounts.map((m) => [m.destination, m]));
  assert.deepEqual(byDest['/dev'], {
    field: '/mounts/1',
    destination: '/dev',
    source: 'tmpfs',
    fstype: 'tmpfs',
    flags: MS.NOSUID | MS.STRICTATIME,
    remountFlags: 0,
    propagation: [],
    data: 'mode=755,size=65536k',
    createAs: 'dir',
    recursiveAttrSet: 0,
    recursiveAttrClear: 0,
    extras: { keepCoveredMode: true },
  });
  assert.equal(byDest['/dev/pts'].data, 'newinstance,ptmxmode=0666');
  assert.equal(byDest['/sys'].flags, MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY);
  assert.equal(byDest['/sys'].fallbackBindSource, undefined, 'root with a netns mounts sysfs itself');
  // the cgroup v1 word on a v2 host: cgroup2; without a cgroup namespace the fallback binds the host's hierarchy
  assert.equal(byDest['/sys/fs/cgroup'].fstype, 'cgroup2');
  assert.equal(byDest['/sys/fs/cgroup'].flags, MS.RDONLY);
  assert.equal(byDest['/sys/fs/cgroup'].fallbackBindSource, '/sys/fs/cgroup');
  const bind = byDest['/etc/app.conf'];
  assert.equal(bind.source, '/bundles/b1/files/app.conf', 'relative bind source resolves against the bundle');
  assert.equal(bind.flags, MS.BIND | MS.REC);
  assert.equal(bind.remountFlags, MS.RDONLY, 'ro on a bind needs a remount');
  assert.deepEqual(bind.propagation, [MS.PRIVATE | MS.REC]);
  assert.equal(bind.createAs, 'file', 'a file source gets a file mount point');
});

test('devices: defaults plus config, mknod as root, /dev/ptmx points into the new devpts', () => {
  const plan = buildPlan(config(), '/r', opts, host());
  const paths = plan.devices.map((d) => d.path);
  for (const p of ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/fuse']) {
    assert.ok(paths.includes(p), p);
  }
  const fuse = plan.devices.find((d) => d.path === '/dev/fuse')!;
  assert.equal(fuse.mode, S_IF.CHR | 0o600);
  assert.equal(fuse.field, '/linux/devices/0');
  assert.ok(plan.devices.every((d) => !d.bindFromHost));
  assert.ok(plan.symlinks.some((s) => s.link === '/dev/ptmx' && s.target === 'pts/ptmx'));
  assert.ok(plan.symlinks.some((s) => s.link === '/dev/fd' && s.target === '/proc/self/fd'));
});

test('device fileMode with the file type bits (podman --privileged sends st_mode) keeps the permission bits', () => {
  const c = config();
  c.linux!.devices = [
    { type: 'c', path: '/dev/tty0', major: 4, minor: 0, fileMode: 8630 }, // S_IFCHR|0666
    { type: 'b', path: '/dev/loop0', major: 7, minor: 0, fileMode: 24960 }, // S_IFBLK|0600
  ];
  const plan = buildPlan(c, '/r', opts, host());
  assert.equal(plan.devices.find((d) => d.path === '/dev/tty0')!.mode, S_IF.CHR | 0o666);
  assert.equal(plan.devices.find((d) => d.path === '/dev/loop0')!.mode, S_IF.BLK | 0o600);
});

test('ocirt inside a user namespace (rootless podman, uid 0 there): devices are bound, sysfs may fall back', () => {
  const c = config();
  c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'network');
  const plan = buildPlan(c, '/r', opts, host({ inUserNamespace: true }));
  assert.equal(plan.userns, undefined, "no user namespace of its own: the maps are the engine's");
  assert.ok(plan.devices.length > 0 && plan.devices.every((d) => d.bindFromHost), 'mknod is refused in a user namespace');
  assert.equal(plan.mounts.find((m) => m.destination === '/sys')!.fallbackBindSource, '/sys');
});

test('rootfsPropagation: runc\'s recursive words too (rootless podman --privileged sends "rslave")', () => {
  for (const [word, flag] of [
    ['rslave', MS.SLAVE],
    ['slave', MS.SLAVE],
    ['rprivate', MS.PRIVATE],
    ['rshared', MS.SHARED],
  ] as const) {
    const c = config();
    c.linux!.rootfsPropagation = word;
    assert.equal(buildPlan(c, '/r', opts, host()).rootPropagation, flag | MS.REC, word);
  }
});

test('a bind-mounted /dev gets no device nodes or symlinks', () => {
  const c = config();
  c.mounts = [{ destination: '/dev', source: '/dev', options: ['rbind'] }];
  const plan = buildPlan(c, '/r', opts, host());
  assert.deepEqual(plan.devices, []);
  assert.deepEqual(plan.symlinks, []);
});

test('process: ids, umask, capability bitmasks, rlimits, sysctls as paths', () => {
  const plan = buildPlan(config(), '/r', opts, host());
  const p = plan.process;
  assert.equal(p.uid, 1000);
  assert.equal(p.gid, 100);
  assert.deepEqual(p.additionalGids, [5, 6]);
  assert.equal(p.umask, 0o027);
  assert.equal(p.capabilities.bounding, (1n << 5n) | (1n << 0n));
  assert.equal(p.capabilities.effective, 1n << 5n);
  assert.equal(p.capabilities.ambient, 0n);
  assert.deepEqual(p.rlimits, [{ field: '/process/rlimits/0', resource: 7, soft: 1024n, hard: 4096n }]);
  assert.equal(p.noNewPrivileges, true);
  assert.equal(p.oomScoreAdj, 100);
  assert.deepEqual(plan.sysctls, [{ field: '/linux/sysctl/net.ipv4.ip_forward', path: 'net/ipv4/ip_forward', value: '1' }]);
});

test('rootless: the user namespace maps the caller, devices are bound, sysfs falls back to a bind', () => {
  const c = config();
  c.linux!.namespaces = [{ type: 'pid' }, { type: 'mount' }, { type: 'user' }, { type: 'uts' }, { type: 'ipc' }];
  c.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  c.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  c.process!.user = { uid: 0, gid: 0 };
  const plan = buildPlan(c, '/r', opts, host({ euid: 1000, egid: 1000 }));
  assert.ok(plan.cloneFlags & CLONE.NEWUSER);
  assert.deepEqual(plan.userns, {
    uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
    gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
    writer: 'direct',
    denySetgroups: true,
  });
  assert.ok(
    plan.devices.every((d) => d.bindFromHost),
    'mknod is not allowed in a user namespace',
  );
  const sys = plan.mounts.find((m) => m.destination === '/sys')!;
  assert.equal(sys.fallbackBindSource, '/sys');
  assert.equal(sys.remountFlags, MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY);
  assert.equal(sys.ordinaryDirectory, true, 'sysfs with a bind fallback: still only on an ordinary directory');
});

test('procfs and sysfs, and nothing else, must land on an ordinary directory', () => {
  const plan = buildPlan(config(), '/r', opts, host());
  const marked = plan.mounts.filter((m) => m.ordinaryDirectory).map((m) => m.fstype);
  assert.deepEqual(marked.sort(), ['proc', 'sysfs']);
});

test('rootless with several ranges needs newuidmap/newgidmap', () => {
  const c = config();
  c.linux!.namespaces = [{ type: 'user' }, { type: 'mount' }];
  c.linux!.uidMappings = [
    { containerID: 0, hostID: 1000, size: 1 },
    { containerID: 1, hostID: 100000, size: 65536 },
  ];
  c.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  c.process!.user = { uid: 0, gid: 0 };
  const plan = buildPlan(c, '/r', opts, host({ euid: 1000, egid: 1000 }));
  assert.equal(plan.userns?.writer, 'helpers');
  assert.equal(plan.userns?.denySetgroups, false);
});

test('joining a user namespace by path: the others are unshared after the join, pid needs a fork', () => {
  const ns = planNamespaces([
    { type: 'pid' },
    { type: 'network', path: '/proc/9/ns/net' },
    { type: 'user', path: '/proc/9/ns/user' },
    { type: 'mount' },
  ]);
  assert.equal(ns.cloneFlags, 0);
  assert.equal(ns.unshareFlags, CLONE.NEWPID | CLONE.NEWNS);
  assert.deepEqual(
    ns.joins.map((j) => j.type),
    ['user', 'network'],
    'the user namespace is joined first',
  );
  assert.equal(ns.joins[1].field, '/linux/namespaces/1/path');
  assert.equal(ns.forkAfterJoin, true);
});

test('joining a pid namespace by path forks once more', () => {
  const ns = planNamespaces([{ type: 'pid', path: '/proc/9/ns/pid' }, { type: 'mount' }]);
  assert.equal(ns.cloneFlags, CLONE.NEWNS);
  assert.equal(ns.forkAfterJoin, true);
});

test('errors name the config field', () => {
  const c = config();
  c.process!.capabilities = { bounding: ['CAP_KILL', 'CAP_TEST'] };
  assert.throws(() => buildPlan(c, '/r', opts, host()), /\/process\/capabilities\/bounding\/1: unknown capability "CAP_TEST"/);
  const t = config();
  t.process!.terminal = true;
  assert.throws(() => buildPlan(t, '/r', opts, host()), /\/process\/terminal.*--console-socket/);
  const u = config();
  u.linux!.namespaces = [{ type: 'user' }];
  assert.throws(() => buildPlan(u, '/r', opts, host()), /uidMappings/);
  const i = config();
  i.mounts = [{ destination: '/x', source: '/y', options: ['bind', 'idmap'] }];
  assert.throws(() => buildPlan(i, '/r', opts, host()), /\/mounts\/0\/options: "idmap" without uidMappings.*no user namespace/);
  const ni = config();
  ni.mounts = [{ destination: '/x', source: '/y', type: 'tmpfs', options: ['idmap'] }];
  assert.throws(() => buildPlan(ni, '/r', opts, host()), /\/mounts\/0\/options: an id-mapped mount must be a bind mount/);
  const rl = config();
  rl.mounts = [
    {
      destination: '/x',
      source: '/y',
      options: ['bind', 'idmap'],
      uidMappings: [{ containerID: 0, hostID: 1, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: 1, size: 1 }],
    },
  ];
  assert.throws(() => buildPlan(rl, '/r', opts, host({ euid: 1000 })), /\/mounts\/0: id-mapped mounts need a privileged runtime/);
  const cu = config();
  cu.mounts = [{ destination: '/x', source: '/y', options: ['bind', 'tmpcopyup'] }];
  assert.throws(() => buildPlan(cu, '/r', opts, host()), /\/mounts\/0\/options: tmpcopyup applies to a tmpfs/);
});

test('no uts namespace: the hostname is not set', () => {
  const c = config();
  c.linux!.namespaces = [{ type: 'mount' }];
  assert.equal(buildPlan(c, '/r', opts, host()).hostname, undefined);
});

test('without a mount namespace nothing is mounted: the init only chroots', () => {
  const c = config();
  c.linux!.namespaces = [{ type: 'pid' }, { type: 'uts' }];
  const warnings: string[] = [];
  const plan = buildPlan(c, '/r', { ...opts, warn: (m) => warnings.push(m) }, host());
  assert.equal(plan.noMountNamespace, true);
  assert.deepEqual(plan.mounts, []);
  assert.deepEqual(plan.devices, []);
  assert.deepEqual(plan.maskedPaths, []);
  assert.deepEqual(plan.readonlyPaths, []);
  assert.equal(plan.readonlyRoot, false);
  assert.match(warnings.join('\n'), /no mount namespace/);
  const joined = config();
  joined.linux!.namespaces = [{ type: 'mount', path: '/proc/9/ns/mnt' }];
  const pj = buildPlan(joined, '/r', opts, host());
  assert.equal(pj.noMountNamespace, false, 'a joined mount namespace is set up like a new one');
  assert.equal(pj.mounts.length, 6);
});

test('a config without a process plans an init that runs nothing', () => {
  const c = config();
  delete c.process;
  const plan = buildPlan(c, '/r', opts, host());
  assert.deepEqual(plan.process.args, []);
  assert.equal(plan.process.capabilities.bounding, 0n);
});

test("hooks: the init runs createContainer and startContainer, and waits for the runtime's prestart and createRuntime", () => {
  const c = config();
  assert.equal(buildPlan(c, '/r', opts, host()).hooks, undefined, 'no hooks, no section');
  c.hooks = { poststart: [{ path: '/bin/true' }], poststop: [{ path: '/bin/true' }] };
  assert.equal(buildPlan(c, '/r', opts, host()).hooks, undefined, "poststart and poststop are the runtime's alone");
  c.hooks = {
    createRuntime: [{ path: '/usr/bin/netsetup' }],
    createContainer: [{ path: '/usr/bin/ldconfig', args: ['ldconfig', '-v'], env: ['A=1'], timeout: 5 }],
    startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'true'] }],
  };
  const state = { prefix: '{"ociVersion":"1.3.0","id":"x","pid":', suffix: ',"status":"created","bundle":"/b"}' };
  const plan = buildPlan(c, '/r', { ...opts, hookState: state }, host());
  assert.deepEqual(plan.hooks, {
    pauseForRuntimeHooks: true,
    statePrefix: state.prefix,
    stateSuffix: state.suffix,
    createContainer: [{ field: '/hooks/createContainer/0', path: '/usr/bin/ldconfig', args: ['ldconfig', '-v'], env: ['A=1'], timeout: 5 }],
    startContainer: [{ field: '/hooks/startContainer/0', path: '/bin/sh', args: ['sh', '-c', 'true'], env: [], timeout: 0 }],
  });
  c.hooks = { prestart: [{ path: '/bin/true' }] };
  const only = buildPlan(c, '/r', opts, host()).hooks!;
  assert.equal(only.pauseForRuntimeHooks, true);
  assert.deepEqual([only.createContainer, only.startContainer], [[], []]);
  c.hooks = { startContainer: [{ path: '/bin/true' }] };
  const start = buildPlan(c, '/r', opts, host()).hooks!;
  assert.equal(start.pauseForRuntimeHooks, false);
  assert.deepEqual(start.startContainer[0].args, ['/bin/true'], 'no args: argv[0] is the path');
});

test('ambient capabilities that are not also permitted and inheritable are dropped with a warning', () => {
  const c = config();
  c.process!.capabilities = {
    bounding: ['CAP_KILL', 'CAP_CHOWN'],
    permitted: ['CAP_KILL', 'CAP_CHOWN'],
    inheritable: ['CAP_CHOWN'],
    ambient: ['CAP_KILL', 'CAP_CHOWN'],
  };
  const warnings: string[] = [];
  const plan = buildPlan(c, '/r', { ...opts, warn: (m) => warnings.push(m) }, host());
  assert.equal(plan.process.capabilities.ambient, 1n << 0n, 'only CAP_CHOWN can be raised');
  assert.deepEqual(warnings, [
    '/process/capabilities/ambient: CAP_KILL not raised: an ambient capability must also be permitted and inheritable',
  ]);
});

test('a user namespace must map the process ids', () => {
  const c = config();
  c.linux!.namespaces = [{ type: 'user' }, { type: 'mount' }];
  c.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  c.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  c.process!.user = { uid: 0, gid: 0 };
  assert.doesNotThrow(() => buildPlan(c, '/r', opts, host({ euid: 1000, egid: 1000 })));
  c.process!.user = { uid: 1000, gid: 0 };
  assert.throws(
    () => buildPlan(c, '/r', opts, host({ euid: 1000, egid: 1000 })),
    /\/process\/user\/uid: uid 1000 is not mapped .*maps 0-0/,
  );
  c.process!.user = { uid: 0, gid: 0, additionalGids: [5] };
  assert.throws(
    () => buildPlan(c, '/r', opts, host({ euid: 1000, egid: 1000 })),
    /\/process\/user\/additionalGids\/0: gid 5 is not mapped/,
  );
});

/** A config with every Linux field of runtime-spec v1.3.0 set. */
function everything(): Spec {
  const c = config();
  const p = c.process!;
  p.terminal = true;
  p.consoleSize = { height: 25, width: 80 };
  p.apparmorProfile = 'acme';
  p.selinuxLabel = 'system_u:system_r:container_t:s0';
  p.scheduler = { policy: 'SCHED_BATCH', nice: 5 };
  p.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 4 };
  p.execCPUAffinity = { initial: '0', final: '0-1' };
  c.hostname = 'h';
  c.domainname = 'd';
  c.hooks = { createRuntime: [{ path: '/bin/true' }] };
  const l = c.linux!;
  l.namespaces = [
    { type: 'pid' },
    { type: 'network' },
    { type: 'mount' },
    { type: 'ipc' },
    { type: 'uts' },
    { type: 'cgroup' },
    { type: 'time' },
  ];
  l.timeOffsets = { monotonic: { secs: 10 } };
  l.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }];
  l.netDevices = { eth9: { name: 'eth0' } };
  l.cgroupsPath = '/x';
  l.resources = { devices: [{ allow: false, access: 'rwm' }], pids: { limit: 10 } };
  l.rootfsPropagation = 'slave';
  l.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };
  l.sysctl = { 'net.ipv4.ip_forward': '1' };
  l.maskedPaths = ['/proc/kcore'];
  l.readonlyPaths = ['/proc/sys'];
  l.mountLabel = 'system_u:object_r:container_file_t:s0';
  l.intelRdt = { closID: 'gold' };
  l.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' };
  l.personality = { domain: 'LINUX32' };
  return c;
}

test('nothing accepted but ignored: a config with every Linux field set plans without a warning', () => {
  const c = everything();
  // seccomp and the LSM labels are refused where the host cannot apply them (seccomp.test.ts, lsm.test.ts)
  delete c.linux!.seccomp;
  delete c.linux!.mountLabel;
  delete c.process!.apparmorProfile;
  delete c.process!.selinuxLabel;
  const warnings: string[] = [];
  buildPlan(c, '/r', { ...opts, consoleSocket: '/run/c.sock', warn: (m) => warnings.push(m) }, host());
  assert.deepEqual(warnings, []);
});

test('every other Linux field lands in the plan', () => {
  const c = everything();
  // seccomp and the LSM labels have tests of their own (seccomp.test.ts, lsm.test.ts)
  delete c.linux!.seccomp;
  delete c.linux!.mountLabel;
  delete c.process!.apparmorProfile;
  delete c.process!.selinuxLabel;
  const plan = buildPlan(c, '/r', { ...opts, consoleSocket: '/run/c.sock' }, host());
  assert.deepEqual(plan.process.scheduling, {
    policy: { policy: 3, flags: 0n, nice: 5, priority: 0, runtime: 0n, deadline: 0n, period: 0n },
    ioprio: (2 << 13) | 4,
  });
  assert.deepEqual(plan.process.consoleSize, { height: 25, width: 80 });
  assert.equal(plan.process.cpuAffinity, undefined, 'execCPUAffinity is not for the init (runtime-spec); exec plans take it');
  assert.deepEqual(planCpuAffinity(everything().process!), { initial: [0], final: [0, 1] });
  assert.deepEqual(plan.timeNamespace, { monotonic: [10n, 0] });
  assert.equal(plan.cloneFlags & CLONE.NEWTIME, 0, 'the init makes the time namespace itself');
  assert.equal(plan.cloneFlags & CLONE.NEWCGROUP, 0);
  assert.equal(plan.unshareFlags, CLONE.NEWCGROUP, 'the cgroup namespace follows the cgroup placement');
  assert.deepEqual(plan.netDevices, [{ field: '/linux/netDevices/eth9', hostName: 'eth9', name: 'eth0' }]);
  assert.equal(plan.loopbackUp, true);
  assert.equal(plan.personality, 0x0008);
  assert.deepEqual(plan.memoryPolicy, { mode: 2, nodes: [0] });
  assert.equal(plan.domainname, 'd');
  assert.equal(plan.process.defaultHome, true, 'no HOME in env');
  assert.equal(plan.process.createCwd, true);
});

test("mount extras: runc's tmpfs mode and read-only /dev, tmpcopyup, sources the runtime opens, id maps", () => {
  const c = config();
  c.mounts = [
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'mode=755'] },
    { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'tmpcopyup'] },
    { destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['remount', 'ro'] },
    { destination: '/data', type: 'bind', source: '/srv', options: ['rbind'] },
    {
      destination: '/ids',
      type: 'bind',
      source: '/srv',
      options: ['bind', 'ridmap'],
      uidMappings: [{ containerID: 0, hostID: 1, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: 1, size: 1 }],
    },
  ];
  const byDest = (p: ReturnType<typeof buildPlan>) => Object.fromEntries(p.mounts.map((m) => [m.destination, m]));
  const root = byDest(buildPlan(c, '/r', opts, host()));
  assert.deepEqual(root['/dev'].extras, { keepCoveredMode: true, readonlyLast: true });
  assert.deepEqual(root['/tmp'].extras, { keepCoveredMode: true, copyUp: true, readonlyAfter: true });
  assert.equal(root['/t'].extras, undefined, 'a remount covers nothing');
  assert.equal(root['/data'].extras, undefined, 'no user namespace: the init reaches what the runtime reaches');
  assert.deepEqual(root['/ids'].extras, {
    openInRuntime: {
      recursive: false,
      idmap: {
        uidMappings: [{ containerID: 0, hostID: 1, size: 1 }],
        gidMappings: [{ containerID: 0, hostID: 1, size: 1 }],
        recursive: true,
      },
    },
  });
  const u = structuredClone(c);
  u.linux!.namespaces!.push({ type: 'user' });
  u.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  u.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  u.process!.user = { uid: 0, gid: 0 };
  u.mounts![4].options = ['bind', 'idmap'];
  delete u.mounts![4].uidMappings;
  delete u.mounts![4].gidMappings;
  const userns = byDest(buildPlan(u, '/r', opts, host()));
  assert.deepEqual(
    userns['/data'].extras,
    { openInRuntime: { recursive: true } },
    'opened by the runtime before the user namespace exists',
  );
  assert.deepEqual(
    userns['/ids'].extras!.openInRuntime!.idmap!.uidMappings,
    u.linux!.uidMappings,
    "no mappings of its own: the container's",
  );
});

test("joined namespaces are checked: missing, not a namespace, another type, another owner; sysctls in the host's", () => {
  const join = (namespaces: NonNullable<Spec['linux']>['namespaces']) => {
    const c = config();
    c.linux!.namespaces = namespaces;
    delete c.hostname;
    return () => buildPlan(c, '/r', opts, host());
  };
  assert.throws(
    join([{ type: 'network', path: '/etc/hosts' }, { type: 'mount' }]),
    /\/linux\/namespaces\/0\/path: network namespace \/etc\/hosts is not a namespace file/,
  );
  assert.throws(join([{ type: 'network', path: '/proc/9/ns/uts' }]), /\/proc\/9\/ns\/uts is a uts namespace, not a network namespace/);
  const missing = host({
    namespaceInfo: () => {
      throw Object.assign(new Error('x'), { code: 'ENOENT' });
    },
  });
  const c = config();
  c.linux!.namespaces = [{ type: 'ipc', path: '/proc/1/ns/ipc' }];
  assert.throws(() => buildPlan(c, '/r', opts, missing), /ipc namespace \/proc\/1\/ns\/ipc does not exist/);
  // owned by another user namespace than the joined one
  const owners = host({
    namespaceInfo: (p) => (p.endsWith('/user') ? { nstype: CLONE.NEWUSER, ino: 77 } : { nstype: CLONE.NEWNET, ino: 5, userIno: 78 }),
  });
  const o = config();
  o.linux!.namespaces = [
    { type: 'user', path: '/proc/9/ns/user' },
    { type: 'network', path: '/proc/8/ns/net' },
  ];
  delete o.hostname;
  assert.throws(
    () => buildPlan(o, '/r', opts, owners),
    /the network namespace \/proc\/8\/ns\/net is not owned by the user namespace \/proc\/9\/ns\/user/,
  );
  // net.* in the runtime's own network namespace
  const s = config();
  s.linux!.namespaces = [{ type: 'network', path: '/proc/1/ns/net' }, { type: 'mount' }];
  delete s.hostname;
  s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
  const same = host({ ownNetworkNamespace: () => 4026531000 + '/proc/1/ns/net'.length });
  assert.throws(
    () => buildPlan(s, '/r', opts, same),
    /\/linux\/sysctl\/net\.ipv4\.ip_forward: .*not allowed in the host's network namespace/,
  );
  assert.doesNotThrow(() => buildPlan(s, '/r', opts, host()), 'another network namespace: allowed');
});

/** What JSON.parse makes of config.json's integer text (rounded above 2^53). */
const parsed = (text: string): number => JSON.parse(text) as number;

test('rlimits of 18446744073709551615 (JSON: 2^64) mean unlimited', () => {
  const c = config();
  c.process!.rlimits = [{ type: 'RLIMIT_CORE', soft: parsed('18446744073709551615'), hard: parsed('18446744073709551615') }];
  assert.deepEqual(
    buildPlan(c, '/r', opts, host()).process.rlimits.map((r) => [r.soft, r.hard]),
    [[(1n << 64n) - 1n, (1n << 64n) - 1n]],
  );
});

test('uint64 fields take the exact integers of config.json (loadBundle().exactIntegers), not the rounded doubles', () => {
  const c = config();
  c.process!.rlimits = [{ type: 'RLIMIT_FSIZE', soft: parsed('9007199254740993'), hard: parsed('18446744073709551615') }];
  c.process!.scheduler = { policy: 'SCHED_DEADLINE', runtime: parsed('9007199254740993'), deadline: 2 ** 60, period: 2 ** 60 };
  const exact = (m: Record<string, bigint>) => ({ ...opts, exactIntegers: new Map(Object.entries(m)) });
  const plan = buildPlan(
    c,
    '/r',
    exact({
      '/process/rlimits/0/soft': 9007199254740993n,
      '/process/rlimits/0/hard': 18446744073709551615n,
      '/process/scheduler/runtime': 9007199254740993n,
    }),
    host(),
  );
  assert.deepEqual([plan.process.rlimits[0].soft, plan.process.rlimits[0].hard], [9007199254740993n, (1n << 64n) - 1n]);
  assert.equal(plan.process.scheduling?.policy?.runtime, 9007199254740993n);
  // a value recorded for another number at that pointer (an exec'd process of its own) is not taken
  assert.equal(buildPlan(c, '/r', exact({ '/process/rlimits/0/soft': 5n }), host()).process.rlimits[0].soft, 9007199254740992n);
  assert.throws(
    () => buildPlan(c, '/r', exact({ '/process/rlimits/0/hard': 1n << 64n }), host()),
    /\/process\/rlimits\/0\/hard: 18446744073709551616 is above the largest 64-bit value/,
  );
  c.process!.rlimits = [{ type: 'RLIMIT_CORE', soft: parsed('18446744073709551615'), hard: parsed('18446744073709551614') }];
  assert.throws(
    () =>
      buildPlan(
        c,
        '/r',
        exact({ '/process/rlimits/0/soft': 18446744073709551615n, '/process/rlimits/0/hard': 18446744073709551614n }),
        host(),
      ),
    /\/process\/rlimits\/0\/soft: rlimit soft limit 18446744073709551615 is above the hard limit 18446744073709551614/,
  );
});

test('a new user namespace with namespaces joined by path: the joins first, then the init unshares the user namespace and the rest', () => {
  const ns = planNamespaces([{ type: 'user' }, { type: 'network', path: '/proc/9/ns/net' }, { type: 'pid' }, { type: 'mount' }]);
  assert.equal(ns.cloneFlags, 0);
  assert.equal(ns.unshareFlags, CLONE.NEWUSER | CLONE.NEWPID | CLONE.NEWNS);
  assert.equal(ns.forkAfterJoin, true, 'the new pid namespace takes a fork');
  const c = config();
  c.linux!.namespaces = [{ type: 'user' }, { type: 'network', path: '/proc/9/ns/net' }, { type: 'pid' }, { type: 'mount' }];
  c.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  c.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  c.process!.user = { uid: 0, gid: 0 };
  delete c.hostname;
  assert.equal(buildPlan(c, '/r', opts, host()).unshareFlags & CLONE.NEWUSER, CLONE.NEWUSER);
  c.linux!.namespaces = [{ type: 'user' }, { type: 'ipc', path: '/proc/9/ns/ipc' }, { type: 'network' }, { type: 'mount' }];
  c.linux!.netDevices = { d0: {} };
  assert.throws(
    () => buildPlan(c, '/r', opts, host()),
    /\/linux\/netDevices: not supported with namespaces joined by path and a user namespace/,
  );
});

test('a new cgroup namespace is unshared by the init (after it joined its cgroups), not cloned', () => {
  const ns = planNamespaces([{ type: 'pid' }, { type: 'cgroup' }, { type: 'mount' }]);
  assert.equal(ns.cloneFlags, CLONE.NEWPID | CLONE.NEWNS);
  assert.equal(ns.unshareFlags, CLONE.NEWCGROUP);
  const joined = planNamespaces([{ type: 'cgroup', path: '/proc/9/ns/cgroup' }, { type: 'mount' }]);
  assert.equal(joined.unshareFlags, 0);
});

const hybridCgroups = {
  mode: 'v1' as const,
  v1: [
    { name: 'cpu,cpuacct', options: 'cpu,cpuacct', dir: '/sys/fs/cgroup/cpu,cpuacct/ocirt/c1' },
    { name: 'memory', options: 'memory', dir: '/sys/fs/cgroup/memory/ocirt/c1' },
    { name: 'systemd', options: 'name=systemd', dir: '/sys/fs/cgroup/systemd/ocirt/c1' },
  ],
};

test('cgroup mount on a v1/hybrid host: a tmpfs with each hierarchy bound from the container cgroup, comounts linked', () => {
  const plan = buildPlan(config(), '/r', opts, host({ cgroups: hybridCgroups }));
  const cg = plan.mounts.filter((m) => m.destination.startsWith('/sys/fs/cgroup'));
  assert.deepEqual(
    cg.map((m) => [m.destination, m.fstype, m.source]),
    [
      ['/sys/fs/cgroup', 'tmpfs', 'tmpfs'],
      ['/sys/fs/cgroup/cpu,cpuacct', '', '/sys/fs/cgroup/cpu,cpuacct/ocirt/c1'],
      ['/sys/fs/cgroup/memory', '', '/sys/fs/cgroup/memory/ocirt/c1'],
      ['/sys/fs/cgroup/systemd', '', '/sys/fs/cgroup/systemd/ocirt/c1'],
    ],
  );
  assert.equal(cg[0].data, 'mode=755');
  assert.equal(cg[0].flags, MS.NOSUID | MS.NODEV | MS.NOEXEC, 'the tmpfs stays writable, as runc has it');
  assert.equal(cg[1].flags, MS.BIND | MS.REC);
  assert.equal(cg[1].remountFlags, MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, "the config's ro reaches each hierarchy");
  assert.deepEqual(
    plan.symlinks.filter((l) => l.link.startsWith('/sys/fs/cgroup')),
    [
      { link: '/sys/fs/cgroup/cpu', target: 'cpu,cpuacct' },
      { link: '/sys/fs/cgroup/cpuacct', target: 'cpu,cpuacct' },
    ],
  );
});

test('cgroup mount with a cgroup namespace: each v1 hierarchy mounted afresh (rooted at the container), bind as fallback', () => {
  const c = config();
  c.linux!.namespaces!.push({ type: 'cgroup' });
  const plan = buildPlan(c, '/r', opts, host({ cgroups: hybridCgroups }));
  const byDest = Object.fromEntries(plan.mounts.map((m) => [m.destination, m]));
  assert.equal(byDest['/sys/fs/cgroup/memory'].fstype, 'cgroup');
  assert.equal(byDest['/sys/fs/cgroup/memory'].data, 'memory');
  assert.equal(byDest['/sys/fs/cgroup/memory'].flags, MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC);
  assert.equal(byDest['/sys/fs/cgroup/memory'].fallbackBindSource, '/sys/fs/cgroup/memory/ocirt/c1');
  assert.equal(byDest['/sys/fs/cgroup/systemd'].source, 'systemd');
  assert.equal(byDest['/sys/fs/cgroup/systemd'].data, 'name=systemd');
});

test("cgroup mount on a v2 host with a cgroup namespace falls back to the container's own directory", () => {
  const c = config();
  c.linux!.namespaces!.push({ type: 'cgroup' });
  const plan = buildPlan(c, '/r', opts, host());
  const m = plan.mounts.find((x) => x.destination === '/sys/fs/cgroup')!;
  assert.equal(m.fstype, 'cgroup2');
  assert.equal(m.fallbackBindSource, '/sys/fs/cgroup/c1');
  assert.throws(
    () => buildPlan(config(), '/r', opts, host({ cgroups: { mode: 'none', v1: [] } })),
    /\/mounts\/4: a mount of type cgroup needs cgroups/,
  );
});
