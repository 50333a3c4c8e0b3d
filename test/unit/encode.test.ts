// encodePlan against an independent reader of the documented format (native/plan_format.h), so a
// change on one side without the other fails here rather than in a container.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePlan, PF, PLAN_VERSION, PlanEncodeError, SECTION } from '../../src/linux/encode.js';
import type { LaunchPlan } from '../../src/linux/plan.js';

function samplePlan(): LaunchPlan {
  return {
    cloneFlags: 0x20000 | 0x4000000 | 0x20000000,
    joins: [{ type: 'network', path: '/proc/1/ns/net', nstype: 0x40000000, field: '/linux/namespaces/3' }],
    unshareFlags: 0,
    forkAfterJoin: false,
    hostname: 'box',
    rootfs: '/var/lib/x/rootfs',
    rootPropagation: (1 << 19) | 0x4000,
    rootfsPropagation: 0,
    noPivot: false,
    noMountNamespace: false,
    readonlyRoot: true,
    mounts: [
      {
        field: '/mounts/0',
        source: 'proc',
        destination: '/proc',
        fstype: 'proc',
        flags: 14,
        remountFlags: 0,
        propagation: [],
        data: '',
        createAs: 'dir',
        recursiveAttrSet: 0,
        recursiveAttrClear: 0,
      },
      {
        field: '/mounts/1',
        source: '/host/dir ü',
        destination: '/data',
        fstype: '',
        flags: 0x1000 | 0x4000,
        remountFlags: 1,
        propagation: [1 << 18, 1 << 19],
        data: 'x=y',
        createAs: 'file',
        fallbackBindSource: '/sys',
        recursiveAttrSet: 1,
        recursiveAttrClear: 2,
      },
    ],
    devices: [{ field: '', path: '/dev/null', mode: 0o20666, major: 1, minor: 3, uid: 0, gid: 5, bindFromHost: true }],
    symlinks: [{ link: '/dev/fd', target: '/proc/self/fd' }],
    maskedPaths: [{ field: '', path: '/proc/kcore' }],
    readonlyPaths: [
      { field: '', path: '/proc/sys' },
      { field: '', path: '/proc/bus' },
    ],
    sysctls: [{ field: '', path: 'net/ipv4/ip_forward', value: '1' }],
    process: {
      args: ['sh', '-c', 'echo hi'],
      env: ['PATH=/bin'],
      cwd: '/',
      uid: 1000,
      gid: 1001,
      additionalGids: [5, 6],
      umask: 0o22,
      capabilities: { bounding: (1n << 41n) - 1n, effective: 1n, permitted: 3n, inheritable: 0n, ambient: 0n },
      noNewPrivileges: true,
      rlimits: [{ field: '', resource: 7, soft: 1024n, hard: 0xffffffffffffffffn }],
      oomScoreAdj: -500,
      terminal: true,
      preserveFds: 2,
      defaultHome: false,
      createCwd: true,
    },
    loopbackUp: true,
    netDevices: [],
    newSessionKeyring: true,
    execFifo: '/run/ocirt/x/exec.fifo',
    consoleSocket: '/tmp/console.sock',
  };
}

/** A straightforward reader of the format, written from the comment in native/plan_format.h. */
function decode(b: Buffer) {
  let o = 0;
  const u32 = () => {
    const v = b.readUInt32LE(o);
    o += 4;
    return v;
  };
  const i32 = () => {
    const v = b.readInt32LE(o);
    o += 4;
    return v;
  };
  const u64 = () => {
    const v = b.readBigUInt64LE(o);
    o += 8;
    return v;
  };
  const str = () => {
    const n = u32();
    const s = b.subarray(o, o + n).toString('utf8');
    assert.equal(b[o + n], 0, 'strings are NUL-terminated');
    o += n + 1;
    return s;
  };
  const list = <T>(f: () => T): T[] => Array.from({ length: u32() }, f);
  const magic = b.subarray(0, 8).toString('latin1');
  o = 8;
  const d = {
    magic,
    version: u32(),
    length: u32(),
    cloneFlags: u32(),
    unshareFlags: u32(),
    flags: u32(),
    rootPropagation: u32(),
    rootfsPropagation: u32(),
    hostname: str(),
    domainname: str(),
    rootfs: str(),
    execFifo: str(),
    consoleSocket: str(),
    joins: list(() => ({ nstype: u32(), path: str() })),
    mounts: list(() => ({
      source: str(),
      destination: str(),
      fstype: str(),
      flags: u32(),
      remountFlags: u32(),
      propagation: list(u32),
      data: str(),
      createAs: u32(),
      hasFallback: u32(),
      fallback: str(),
      attrSet: u32(),
      attrClear: u32(),
    })),
    devices: list(() => ({ path: str(), mode: u32(), major: u32(), minor: u32(), uid: u32(), gid: u32(), bind: u32() })),
    symlinks: list(() => ({ link: str(), target: str() })),
    masked: list(str),
    readonly: list(str),
    sysctls: list(() => ({ path: str(), value: str() })),
    args: list(str),
    env: list(str),
    cwd: str(),
    uid: u32(),
    gid: u32(),
    gids: list(u32),
    umask: u32(),
    oom: i32(),
    caps: [u64(), u64(), u64(), u64(), u64()],
    rlimits: list(() => ({ resource: u32(), soft: u64(), hard: u64() })),
    preserveFds: u32(),
    sections: list(() => {
      const tag = u32();
      const n = u32();
      const bytes = b.subarray(o, o + n);
      o += n;
      return { tag, bytes };
    }),
  };
  assert.equal(o, b.length, 'no trailing bytes');
  return d;
}

test('encodePlan: every field lands where the format says', () => {
  const buf = encodePlan(samplePlan());
  const d = decode(buf);
  assert.equal(d.magic, 'OCIRTPL\0');
  assert.equal(d.version, PLAN_VERSION);
  assert.equal(d.length, buf.length);
  assert.equal(d.cloneFlags, 0x20000 | 0x4000000 | 0x20000000);
  assert.equal(
    d.flags,
    PF.READONLY_ROOT |
      PF.NEW_KEYRING |
      PF.TERMINAL |
      PF.HAS_UMASK |
      PF.HAS_OOM |
      PF.HAS_HOSTNAME |
      PF.HAS_EXEC_FIFO |
      PF.HAS_CONSOLE |
      PF.NO_NEW_PRIVS |
      PF.LOOPBACK_UP |
      PF.CREATE_CWD,
  );
  assert.deepEqual(d.sections, [], 'a plan without the optional features has no sections');
  assert.equal(d.hostname, 'box');
  assert.equal(d.domainname, '');
  assert.equal(d.rootfs, '/var/lib/x/rootfs');
  assert.equal(d.execFifo, '/run/ocirt/x/exec.fifo');
  assert.deepEqual(d.joins, [{ nstype: 0x40000000, path: '/proc/1/ns/net' }]);
  assert.equal(d.mounts.length, 2);
  assert.deepEqual(d.mounts[1], {
    source: '/host/dir ü',
    destination: '/data',
    fstype: '',
    flags: 0x5000,
    remountFlags: 1,
    propagation: [1 << 18, 1 << 19],
    data: 'x=y',
    createAs: 1,
    hasFallback: 1,
    fallback: '/sys',
    attrSet: 1,
    attrClear: 2,
  });
  assert.equal(d.mounts[0]!.hasFallback, 0);
  assert.deepEqual(d.devices, [{ path: '/dev/null', mode: 0o20666, major: 1, minor: 3, uid: 0, gid: 5, bind: 1 }]);
  assert.deepEqual(d.symlinks, [{ link: '/dev/fd', target: '/proc/self/fd' }]);
  assert.deepEqual(d.masked, ['/proc/kcore']);
  assert.deepEqual(d.readonly, ['/proc/sys', '/proc/bus']);
  assert.deepEqual(d.sysctls, [{ path: 'net/ipv4/ip_forward', value: '1' }]);
  assert.deepEqual(d.args, ['sh', '-c', 'echo hi']);
  assert.deepEqual(d.gids, [5, 6]);
  assert.equal(d.oom, -500);
  assert.equal(d.umask, 0o22);
  assert.deepEqual(d.caps, [(1n << 41n) - 1n, 1n, 3n, 0n, 0n]);
  assert.deepEqual(d.rlimits, [{ resource: 7, soft: 1024n, hard: 0xffffffffffffffffn }]);
  assert.equal(d.preserveFds, 2);
});

test('encodePlan: absent optionals clear their flags', () => {
  const p = samplePlan();
  delete p.hostname;
  delete p.execFifo;
  delete p.consoleSocket;
  delete p.process.umask;
  delete p.process.oomScoreAdj;
  p.process.noNewPrivileges = false;
  p.process.terminal = false;
  p.newSessionKeyring = false;
  p.readonlyRoot = false;
  p.loopbackUp = false;
  p.process.createCwd = false;
  p.userns = { uidMappings: [], gidMappings: [], writer: 'direct', denySetgroups: true };
  const d = decode(encodePlan(p));
  assert.equal(d.flags, PF.USERNS);
  assert.equal(d.execFifo, '');
});

test('encodePlan: flags with bit 31 set survive as unsigned', () => {
  const p = samplePlan();
  p.mounts[0]!.flags = 1 << 31; // negative in JS
  assert.equal(decode(encodePlan(p)).mounts[0]!.flags, 0x80000000);
});

test('encodePlan: rejects what C cannot represent, naming the field', () => {
  const nul = samplePlan();
  nul.process.args = ['a\0b'];
  assert.throws(
    () => encodePlan(nul),
    (e: unknown) => e instanceof PlanEncodeError && /process\.args\[0\]: contains a NUL/.test(e.message),
  );

  const big = samplePlan();
  big.process.rlimits[0]!.hard = 1n << 64n;
  assert.throws(() => encodePlan(big), /process\.rlimits\[0\]\.hard/);

  const frac = samplePlan();
  frac.mounts[1]!.flags = 1.5;
  assert.throws(() => encodePlan(frac), /mounts\[1\]\.flags/);

  const rel = samplePlan();
  rel.rootfs = 'rootfs';
  assert.throws(() => encodePlan(rel), /rootfs: must be an absolute path/);
});

test('encodePlan: grows past its initial buffer', () => {
  const p = samplePlan();
  p.process.env = Array.from({ length: 2000 }, (_, i) => `VAR_${i}=${'x'.repeat(20)}`);
  const d = decode(encodePlan(p));
  assert.equal(d.env.length, 2000);
  assert.equal(d.env[1999], `VAR_1999=${'x'.repeat(20)}`);
});

/** A reader over one section's bytes. */
function reader(b: Buffer) {
  let o = 0;
  const r = {
    u32: () => {
      o += 4;
      return b.readUInt32LE(o - 4);
    },
    i32: () => {
      o += 4;
      return b.readInt32LE(o - 4);
    },
    u64: () => {
      o += 8;
      return b.readBigUInt64LE(o - 8);
    },
    i64: () => {
      o += 8;
      return b.readBigInt64LE(o - 8);
    },
    str: () => {
      const n = r.u32();
      const s = b.subarray(o, o + n).toString('utf8');
      o += n + 1;
      return s;
    },
    bytes: (n: number) => {
      o += n;
      return [...b.subarray(o - n, o)];
    },
    list: <T>(f: () => T): T[] => Array.from({ length: r.u32() }, f),
    done: () => assert.equal(o, b.length, 'the section has no trailing bytes'),
  };
  return r;
}

test('encodePlan: each optional feature travels in its section, as native/plan_format.h lays it out', () => {
  const p = samplePlan();
  p.mounts[0]!.extras = { keepCoveredMode: true, readonlyAfter: true, copyUp: true };
  p.mounts[1]!.extras = { openInRuntime: { recursive: true }, sourceFd: 17, readonlyLast: true };
  p.process.scheduling = {
    policy: { policy: 6, flags: 0x1n, nice: -5, priority: 0, runtime: 10_000_000n, deadline: 30_000_000n, period: 40_000_000n },
    ioprio: (3 << 13) | 7,
  };
  p.process.cpuAffinity = { initial: [0], final: [1, 65] };
  p.personality = 0x0008 | 0x0040000;
  p.memoryPolicy = { mode: 2 | (1 << 15), nodes: [0, 3] };
  p.timeNamespace = { monotonic: [-7n, 500] };
  p.netDevices = [
    {
      field: '/linux/netDevices/d0',
      hostName: 'd0',
      name: 'eth9',
      addresses: [{ family: 2, prefixlen: 24, flags: 0x80, scope: 0, address: [10, 1, 2, 3] }],
    },
  ];
  const d = decode(encodePlan(p));
  const byTag = new Map(d.sections.map((s) => [s.tag, reader(s.bytes)]));
  assert.deepEqual(
    [...byTag.keys()],
    [SECTION.MOUNT_EXTRAS, SECTION.SCHEDULING, SECTION.PERSONALITY, SECTION.MEMORY_POLICY, SECTION.TIME_NAMESPACE, SECTION.NET_DEVICES],
  );

  const mx = byTag.get(SECTION.MOUNT_EXTRAS)!;
  assert.deepEqual(
    mx.list(() => [mx.u32(), mx.u32()]),
    [
      [0, 1 | 2 | 4],
      [1, 8 | 16],
    ],
  );
  mx.done();

  const sc = byTag.get(SECTION.SCHEDULING)!;
  assert.deepEqual(
    [sc.u32(), sc.u32(), sc.u64(), sc.i32(), sc.u32(), sc.u64(), sc.u64(), sc.u64(), sc.u32()],
    [1 | 2 | 4, 6, 1n, -5, 0, 10_000_000n, 30_000_000n, 40_000_000n, (3 << 13) | 7],
  );
  assert.deepEqual(sc.list(sc.u64), [1n << 1n, 1n << 1n], 'CPUs 1 and 65: bit 1 of words 0 and 1');
  sc.done();

  const pe = byTag.get(SECTION.PERSONALITY)!;
  assert.equal(pe.u32(), 0x0040008);
  pe.done();

  const mp = byTag.get(SECTION.MEMORY_POLICY)!;
  assert.equal(mp.u32(), 2 | (1 << 15));
  assert.deepEqual(mp.list(mp.u64), [0b1001n]);
  mp.done();

  const tn = byTag.get(SECTION.TIME_NAMESPACE)!;
  assert.deepEqual([tn.u32(), tn.i64(), tn.u32(), tn.i64(), tn.u32()], [1, -7n, 500, 0n, 0]);
  tn.done();

  const nd = byTag.get(SECTION.NET_DEVICES)!;
  assert.deepEqual(
    nd.list(() => ({ name: nd.str(), addrs: nd.list(() => [nd.u32(), nd.u32(), nd.u32(), nd.u32(), nd.bytes(16)]) })),
    [{ name: 'eth9', addrs: [[2, 24, 0x80, 0, [10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]] }],
  );
  nd.done();
});

test('encodePlan: ORDINARY_DIR_TARGETS lists the mounts that must land on an ordinary directory', () => {
  const p = samplePlan();
  assert.deepEqual(decode(encodePlan(p)).sections, [], 'no mark, no section');
  p.mounts[0]!.ordinaryDirectory = true;
  const sections = decode(encodePlan(p)).sections;
  assert.equal(sections.length, 1);
  assert.equal(sections[0]!.tag, SECTION.ORDINARY_DIR_TARGETS);
  // list<u32> of mount indexes: count 1, index 0
  assert.deepEqual([...sections[0]!.bytes], [1, 0, 0, 0, 0, 0, 0, 0]);
});

test('step names: STEP_NAMES[n] is the enum ocirt_step member numbered n in native/plan_format.h', async () => {
  const { readFileSync } = await import('node:fs');
  const { STEP_NAMES } = await import('../../src/native.js');
  const header = readFileSync(new URL('../../../native/plan_format.h', import.meta.url), 'utf8');
  const members = [...header.matchAll(/^\s*OCIRT_STEP_([A-Z_]+) = (\d+),/gm)].map((m) => [m[1], Number(m[2])] as const);
  assert.ok(members.length > 40, 'the enum was found');
  for (const [name, n] of members) assert.equal(STEP_NAMES[n], name, `step ${n}`);
  assert.equal(STEP_NAMES.length, members.length);
});
