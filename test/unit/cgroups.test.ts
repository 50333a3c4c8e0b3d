// src/cgroups without root: host discovery, cgroupsPath semantics, every resource conversion for
// v1 and v2, device rules (kernel semantics, v1 transitions, the eBPF program checked against
// them), the write plan's fallbacks, and the stats document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { CGROUP2_SUPER_MAGIC, CGROUP_SUPER_MAGIC, parseCgroupHost, type Hierarchy } from '../../src/cgroups/host.ts';
import { containerDir } from '../../src/cgroups/paths.ts';
import { blkioWeightToIoWeight, hugepageDirToSize, pageSizeBytes, sharesToWeight, swapToV2, v2Limit } from '../../src/cgroups/convert.ts';
import { planV1 } from '../../src/cgroups/resources-v1.ts';
import { planV2 } from '../../src/cgroups/resources-v2.ts';
import type { CgroupWrite } from '../../src/cgroups/plan.ts';
import {
  ACC,
  DEFAULT_ALLOWED,
  DENY_ALL,
  allows,
  deviceRules,
  emulate,
  parseDevicesList,
  v1Transition,
  type DeviceRule,
  type DeviceState,
} from '../../src/cgroups/devices.ts';
import { deviceProgram, encodeProgram, type BpfInsn } from '../../src/cgroups/device-bpf.ts';
import { applyWrites } from '../../src/cgroups/files.ts';
import { readStats, statsJson, parseList } from '../../src/cgroups/stats.ts';
import { freezerOf, fromStateFields, limitsOnV1, toStateFields } from '../../src/cgroups/record.ts';
import { mergeResources, resourcesToApply } from '../../src/container/update.ts';

// ---- host discovery -----------------------------------------------------------------------

const HYBRID_MOUNTINFO = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');
const HYBRID_CGROUP = ['5:name=systemd:/', '4:pids:/', '3:memory:/process_api/abc', '1:cpu,cpuacct:/', '0::/'].join('\n');

const fsTypes =
  (over: Record<string, number> = {}) =>
  (p: string) =>
    over[p] ?? (p === '/sys/fs/cgroup/unified' || p === '/sys/fs/cgroup' ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC);

test('host: a hybrid host has v1 hierarchies (controllers and named) beside a controller-less cgroup2', () => {
  const h = parseCgroupHost({ mountinfo: HYBRID_MOUNTINFO, procSelfCgroup: HYBRID_CGROUP, fsType: fsTypes() });
  assert.equal(h.mode, 'hybrid');
  assert.equal(h.unified?.mountPoint, '/sys/fs/cgroup/unified');
  assert.deepEqual(
    h.v1.map((x) => [x.key, x.mountPoint, x.own, x.controllers.join('+')]),
    [
      ['cpu,cpuacct', '/sys/fs/cgroup/cpu,cpuacct', '/', 'cpu+cpuacct'],
      ['memory', '/sys/fs/cgroup/memory', '/process_api/abc', 'memory'],
      ['pids', '/sys/fs/cgroup/pids', '/', 'pids'],
      ['name=systemd', '/sys/fs/cgroup/systemd', '/', ''],
    ],
  );
});

test('host: a cgroup2 mount covered by another mount is not a cgroup2 mount (statfs)', () => {
  const covered = HYBRID_MOUNTINFO + '\n99 41 0:99 / /sys/fs/cgroup/unified rw - tmpfs cover rw';
  const h = parseCgroupHost({
    mountinfo: covered,
    procSelfCgroup: HYBRID_CGROUP,
    fsType: fsTypes({ '/sys/fs/cgroup/unified': 0x01021994 }),
  });
  assert.equal(h.mode, 'v1');
  assert.equal(h.unified, undefined);
});

test('host: pure v2 (a named v1 hierarchy is left alone), v1 only, none', () => {
  const v2 = parseCgroupHost({
    mountinfo:
      '30 22 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n40 30 0:37 / /run/systemd rw - cgroup cgroup rw,name=compat',
    procSelfCgroup: '1:name=compat:/\n0::/user.slice/x.scope',
    fsType: fsTypes({ '/run/systemd': CGROUP_SUPER_MAGIC }),
  });
  assert.equal(v2.mode, 'v2');
  assert.equal(v2.unified?.own, '/user.slice/x.scope');
  assert.deepEqual(v2.v1, []);
  assert.equal(parseCgroupHost({ mountinfo: '', procSelfCgroup: '', fsType: () => undefined }).mode, 'none');
});

// ---- cgroupsPath ------------------------------------------------------------------------------

const hier = (over: Partial<Hierarchy> = {}): Hierarchy => ({
  key: 'memory',
  controllers: ['memory'],
  mountPoint: '/sys/fs/cgroup/memory',
  mountRoot: '/',
  own: '/process_api/abc',
  ...over,
});

test("cgroupsPath: absolute from the hierarchy root, relative and default from ocirt's own cgroup (as runc)", () => {
  assert.equal(containerDir(hier(), '/pods/a', 'c1'), '/sys/fs/cgroup/memory/pods/a');
  assert.equal(containerDir(hier(), 'pods/a', 'c1'), '/sys/fs/cgroup/memory/process_api/abc/pods/a');
  assert.equal(containerDir(hier(), undefined, 'c1'), '/sys/fs/cgroup/memory/process_api/abc/c1');
  assert.equal(containerDir(hier({ own: '/' }), undefined, 'c1'), '/sys/fs/cgroup/memory/c1');
  assert.equal(containerDir(hier(), '/a/../../etc/', 'c1'), '/sys/fs/cgroup/memory/etc', 'cannot climb out of the hierarchy');
  // a mount showing only part of the hierarchy (inside a cgroup namespace or a bind)
  assert.equal(containerDir(hier({ mountRoot: '/process_api', own: '/process_api/abc' }), undefined, 'c1'), '/sys/fs/cgroup/memory/abc/c1');
  assert.throws(() => containerDir(hier(), 'system.slice:ocirt:c1', 'c1'), /--systemd-cgroup/);
  assert.throws(() => containerDir(hier(), '/', 'c1'), /root cgroup/);
  assert.throws(() => containerDir(hier({ mountRoot: '/elsewhere' }), undefined, 'c1'), /outside the part of the hierarchy/);
});

// ---- conversions --------------------------------------------------------------------------

test("conversions: cpu shares to weight and blkio weight to io.weight with runc's integer formulas", () => {
  assert.equal(sharesToWeight(0), 0);
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(1024), 39);
  assert.equal(sharesToWeight(262144), 10000);
  assert.equal(blkioWeightToIoWeight(10), 1);
  assert.equal(blkioWeightToIoWeight(500), 4950);
  assert.equal(blkioWeightToIoWeight(1000), 10000);
});

test('conversions: memory+swap to memory.swap.max as runc converts it', () => {
  assert.equal(swapToV2(undefined, undefined), undefined);
  assert.equal(swapToV2(0, 1000), undefined, 'unset');
  assert.equal(swapToV2(-1, 1000), 'max');
  assert.equal(swapToV2(undefined, -1), 'max', 'unlimited memory without a swap value unlimits swap');
  assert.equal(swapToV2(3000, 1000), '2000');
  assert.equal(swapToV2(1000, 1000), '0', 'swap equal to the limit: no swap');
  assert.throws(() => swapToV2(1000, undefined), /needs a memory limit/);
  assert.throws(() => swapToV2(500, 1000), /below the memory limit/);
  assert.equal(v2Limit(-1), 'max');
  assert.equal(v2Limit(0), undefined);
  assert.equal(v2Limit(42), '42');
  assert.equal(pageSizeBytes('2MB'), 2 * 1024 * 1024);
  assert.equal(hugepageDirToSize('hugepages-2048kB'), '2MB');
  assert.equal(hugepageDirToSize('hugepages-1048576kB'), '1GB');
  assert.equal(hugepageDirToSize('hugepages-64kB'), '64KB');
});

const files = (ws: CgroupWrite[]) => ws.map((w) => `${w.controller}:${w.candidates.map((c) => `${c.file}=${c.value}`).join('|')}`);

test("v1: every resource to its controller's files", () => {
  const p = planV1({
    pids: { limit: 1000 },
    memory: { limit: 100, reservation: 50, swap: 200, kernel: 7, kernelTCP: 9, swappiness: 10, disableOOMKiller: true, useHierarchy: true },
    cpu: {
      shares: 1024,
      quota: 50000,
      period: 100000,
      burst: 1000,
      realtimeRuntime: 950,
      realtimePeriod: 1000,
      idle: 1,
      cpus: '0-1',
      mems: '0',
    },
    blockIO: {
      weight: 500,
      leafWeight: 300,
      weightDevice: [{ major: 8, minor: 0, weight: 400, leafWeight: 200 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1024 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2048 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 10 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
    network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }] },
    rdma: { mlx4_0: { hcaHandles: 2, hcaObjects: 2000 } },
  });
  assert.deepEqual(files(p.writes), [
    'pids:pids.max=1000',
    'memory:memory.limit_in_bytes=100',
    'memory:memory.memsw.limit_in_bytes=200',
    'memory:memory.soft_limit_in_bytes=50',
    'memory:memory.kmem.tcp.limit_in_bytes=9',
    'memory:memory.swappiness=10',
    'memory:memory.oom_control=1',
    'memory:memory.use_hierarchy=1',
    'cpu:cpu.shares=1024',
    'cpu:cpu.cfs_period_us=100000',
    'cpu:cpu.cfs_quota_us=50000',
    'cpu:cpu.cfs_burst_us=1000',
    'cpu:cpu.rt_period_us=1000',
    'cpu:cpu.rt_runtime_us=950',
    'cpu:cpu.idle=1',
    'cpuset:cpuset.cpus=0-1',
    'cpuset:cpuset.mems=0',
    'blkio:blkio.weight=500|blkio.bfq.weight=500',
    'blkio:blkio.leaf_weight=300',
    'blkio:blkio.weight_device=8:0 400|blkio.bfq.weight_device=8:0 400',
    'blkio:blkio.leaf_weight_device=8:0 200',
    'blkio:blkio.throttle.read_bps_device=8:0 1024',
    'blkio:blkio.throttle.write_bps_device=8:0 2048',
    'blkio:blkio.throttle.read_iops_device=8:0 10',
    'blkio:blkio.throttle.write_iops_device=8:0 0',
    'hugetlb:hugetlb.2MB.limit_in_bytes=4194304',
    'hugetlb:hugetlb.2MB.rsvd.limit_in_bytes=4194304',
    'net_cls:net_cls.classid=1048577',
    'net_prio:net_prio.ifpriomap=eth0 5',
    'rdma:rdma.max=mlx4_0 hca_handle=2 hca_object=2000',
  ]);
  assert.deepEqual(p.warnings, [
    '/linux/resources/memory/kernel is ignored: kernel memory limits are deprecated by the kernel (as runc ignores them)',
  ]);
  assert.equal(p.writes.find((w) => w.candidates[0].file === 'cpu.cfs_period_us')?.retryLaterOnEinval, true);
  assert.equal(p.writes.find((w) => w.candidates[0].file.includes('rsvd'))?.ifMissing, 'skip');
  assert.equal(p.writes.find((w) => w.candidates[0].file === 'memory.swappiness')?.field, '/linux/resources/memory/swappiness');
});

test('v1: memory and memsw are written in the order the kernel accepts (memsw never below the limit)', () => {
  const order = (cur: number | undefined, limit: number, swap: number) =>
    planV1({ memory: { limit, swap } }, { memoryLimit: cur }).writes.map((w) => w.candidates[0].file.split('.')[1]);
  assert.deepEqual(order(undefined, 100, 200), ['limit_in_bytes', 'memsw'], 'new cgroup: limit first');
  assert.deepEqual(order(100, 300, 400), ['memsw', 'limit_in_bytes'], 'raising past the current limit: memsw first');
  assert.deepEqual(order(300, 100, 200), ['limit_in_bytes', 'memsw'], 'lowering: limit first');
  assert.deepEqual(order(undefined, 100, -1), ['memsw', 'limit_in_bytes'], 'unlimited swap first');
  const unlimited = planV1({ memory: { limit: -1 } }).writes.map((w) => `${w.candidates[0].file}=${w.candidates[0].value}`);
  assert.deepEqual(unlimited, ['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=-1'], 'unlimited memory unlimits swap (runc)');
});

test('v1: pids 0 is unset, negative is max; unified is refused; shares out of range are refused', () => {
  assert.deepEqual(planV1({ pids: { limit: 0 } }).writes, []);
  assert.deepEqual(files(planV1({ pids: { limit: -1 } }).writes), ['pids:pids.max=max']);
  assert.throws(() => planV1({ unified: { 'memory.high': '1' } }), /\/linux\/resources\/unified: .*cgroup v1.*as runc refuses/);
  assert.throws(() => planV1({ cpu: { shares: 1 } }), /2\.\.262144/);
  assert.throws(() => planV1({ memory: { swappiness: 101 } }), /0\.\.100/);
});

test("v2: every resource to cgroup v2 files, with runc's conversions", () => {
  const p = planV2({
    pids: { limit: 64 },
    memory: { limit: 1000, reservation: 500, swap: 3000 },
    cpu: { shares: 1024, quota: 50000, period: 100000, burst: 5000, idle: 0, cpus: '0', mems: '0' },
    blockIO: {
      weight: 500,
      weightDevice: [{ major: 8, minor: 0, weight: 300 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1024 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 0 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 16, rate: 10 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 20 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }],
    rdma: { mlx5_1: { hcaHandles: 3 } },
    unified: { 'memory.high': '900', 'cgroup.max.depth': '5' },
  });
  assert.deepEqual(files(p.writes), [
    'pids:pids.max=64',
    'memory:memory.swap.max=2000',
    'memory:memory.max=1000',
    'memory:memory.low=500',
    'cpu:cpu.weight=39',
    'cpu:cpu.max=50000 100000',
    'cpu:cpu.max.burst=5000',
    'cpu:cpu.idle=0',
    'cpuset:cpuset.cpus=0',
    'cpuset:cpuset.mems=0',
    'io:io.bfq.weight=500|io.weight=4950',
    'io:io.bfq.weight=8:0 300',
    'io:io.max=8:0 rbps=1024',
    'io:io.max=8:0 wbps=max',
    'io:io.max=8:16 riops=10',
    'io:io.max=8:16 wiops=20',
    'hugetlb:hugetlb.2MB.max=2097152',
    'hugetlb:hugetlb.2MB.rsvd.max=2097152',
    'rdma:rdma.max=mlx5_1 hca_handle=3',
    'memory:memory.high=900',
    'cgroup:cgroup.max.depth=5',
  ]);
  assert.deepEqual(p.warnings, []);
  assert.equal(
    typeof p.writes.find((w) => w.field === '/linux/resources/blockIO/weightDevice/0/weight')?.ifMissing,
    'object',
    'per-device weight needs BFQ: else warned',
  );
});

test('v2: cpu.max forms, swap disabled or unlimited tolerated without swap accounting', () => {
  const max = (cpu: object) => files(planV2({ cpu }).writes);
  assert.deepEqual(max({ quota: 20000 }), ['cpu:cpu.max=20000']);
  assert.deepEqual(max({ period: 50000 }), ['cpu:cpu.max=max 50000']);
  assert.deepEqual(max({ quota: -1, period: 50000 }), ['cpu:cpu.max=max 50000']);
  const swapOff = planV2({ memory: { limit: 1000, swap: 1000 } }).writes[0];
  assert.deepEqual([swapOff.candidates[0].value, swapOff.ifMissing], ['0', 'skip']);
});

test('v2: fields without a v2 file are warned about (as runc ignores them) or refused (realtime)', () => {
  const p = planV2({
    memory: { kernel: 1, kernelTCP: 2, swappiness: 10, disableOOMKiller: true },
    blockIO: { leafWeight: 10, weightDevice: [{ major: 8, minor: 0, leafWeight: 3 }] },
    network: { classID: 1 },
  });
  assert.equal(p.writes.length, 0);
  assert.deepEqual(
    p.warnings.map((w) => w.split(' ')[0]),
    [
      '/linux/resources/memory/kernel',
      '/linux/resources/memory/kernelTCP',
      '/linux/resources/memory/swappiness',
      '/linux/resources/memory/disableOOMKiller',
      '/linux/resources/blockIO/leafWeight',
      '/linux/resources/blockIO/weightDevice/0/leafWeight',
      '/linux/resources/network',
    ],
  );
  assert.throws(() => planV2({ cpu: { realtimeRuntime: 1000 } }), /realtimeRuntime: cgroup v2 has no realtime CPU budget/);
  assert.throws(() => planV2({ unified: { '../memory.max': '1' } }), /is not a cgroup file name/);
  assert.throws(() => planV2({ unified: { memory: '1' } }), /is not a cgroup file name/);
  assert.throws(() => planV2({ memory: { swap: 100 } }), /needs a memory limit/);
});

// ---- device rules -------------------------------------------------------------------------

const r = (allow: boolean, type: 'a' | 'b' | 'c', major: number, minor: number, access: number): DeviceRule => ({
  allow,
  type,
  major,
  minor,
  access,
});
const RWM = ACC.READ | ACC.WRITE | ACC.MKNOD;

test("devices: the config's rules come first, then runc's default allow list; access is required", () => {
  const rules = deviceRules([
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' },
  ]);
  assert.deepEqual(rules.slice(0, 2), [r(false, 'a', -1, -1, RWM), r(true, 'c', 10, 229, ACC.READ | ACC.WRITE)]);
  assert.deepEqual(rules.slice(2), DEFAULT_ALLOWED);
  assert.ok(!DEFAULT_ALLOWED.some((d) => d.major === 10 && d.minor === 200), '/dev/net/tun is not allowed by default (runc 1.2)');
  assert.throws(
    () => deviceRules([{ allow: true, type: 'c', major: 1, minor: 3 }]),
    /\/linux\/resources\/devices\/0\/access: .*needs an access/,
  );
  assert.throws(() => deviceRules([{ allow: true, type: 'x', access: 'r' }]), /unknown device type/);
  assert.deepEqual(deviceRules([{ allow: true, type: 'c', major: -1, access: 'm' }])[0], r(true, 'c', -1, -1, ACC.MKNOD));
});

test("devices: the kernel's v1 semantics — resets, merged exceptions, allow and deny taking access away", () => {
  const s = emulate([
    r(false, 'a', -1, -1, RWM),
    r(true, 'c', 1, 3, ACC.READ),
    r(true, 'c', 1, 3, ACC.WRITE),
    r(true, 'b', 8, 0, RWM),
    r(false, 'b', 8, 0, ACC.WRITE),
    r(true, 'c', 5, -1, RWM),
    r(false, 'c', 5, -1, RWM),
  ]);
  assert.deepEqual(s, {
    defaultAllow: false,
    exceptions: [
      { type: 'c', major: 1, minor: 3, access: ACC.READ | ACC.WRITE },
      { type: 'b', major: 8, minor: 0, access: ACC.READ | ACC.MKNOD },
    ],
  });
  assert.equal(allows(s, 'c', 1, 3, ACC.READ | ACC.WRITE), true);
  assert.equal(allows(s, 'c', 1, 3, ACC.MKNOD), false);
  assert.equal(allows(s, 'b', 8, 0, ACC.WRITE), false);
  const open = emulate([r(true, 'a', -1, -1, RWM), r(false, 'c', 1, -1, ACC.WRITE)]);
  assert.equal(allows(open, 'c', 1, 9, ACC.READ), true);
  assert.equal(allows(open, 'c', 1, 9, ACC.READ | ACC.WRITE), false, 'a deny matches any requested access it names');
  assert.equal(allows(open, 'b', 1, 9, ACC.WRITE), true);
  assert.deepEqual(emulate([r(true, 'c', 1, 3, RWM)]).exceptions.length, 1, 'the starting point is deny-all, as in runc');
});

test('devices v1: a fresh cgroup gets "a" denied then each exception in the config\'s order (devices.list order)', () => {
  const to = emulate(
    deviceRules([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
      { allow: true, type: 'b', major: 8, minor: 20, access: 'rw' },
    ]),
  );
  const ws = v1Transition(parseDevicesList('a *:* rwm\n'), to);
  assert.deepEqual(ws.slice(0, 4), [
    { file: 'devices.deny', value: 'a' },
    { file: 'devices.allow', value: 'c 10:229 rwm' },
    { file: 'devices.allow', value: 'b 8:20 rw' },
    { file: 'devices.allow', value: 'c *:* m' },
  ]);
  // what the kernel then lists reads back as the same state
  const listed = ws
    .slice(1)
    .map((w) => w.value)
    .join('\n');
  assert.deepEqual(parseDevicesList(listed), to);
});

test('devices v1: an update writes only the difference, taking away first, without a reset', () => {
  const from: DeviceState = {
    defaultAllow: false,
    exceptions: [
      { type: 'c', major: 1, minor: 3, access: RWM },
      { type: 'b', major: 8, minor: 0, access: RWM },
    ],
  };
  const to: DeviceState = {
    defaultAllow: false,
    exceptions: [
      { type: 'c', major: 1, minor: 3, access: RWM },
      { type: 'b', major: 8, minor: 0, access: ACC.READ },
      { type: 'c', major: 4, minor: 1, access: ACC.READ },
    ],
  };
  assert.deepEqual(v1Transition(from, to), [
    { file: 'devices.deny', value: 'b 8:0 wm' },
    { file: 'devices.allow', value: 'c 4:1 r' },
  ]);
  assert.deepEqual(v1Transition(to, to), []);
  assert.deepEqual(v1Transition(from, { defaultAllow: true, exceptions: [] }), [{ file: 'devices.allow', value: 'a' }]);
});

// A reference interpreter of the few eBPF instructions the program uses: the program must decide
// every access exactly as the v1 semantics (allows) do.
function runProgram(prog: BpfInsn[], type: number, access: number, major: number, minor: number): number {
  const reg = new Array<number>(11).fill(0);
  const ctx = [((access << 16) | type) >>> 0, major >>> 0, minor >>> 0];
  for (let pc = 0, steps = 0; pc < prog.length && steps < 10000; pc++, steps++) {
    const x = prog[pc];
    const imm = x.imm >>> 0;
    switch (x.code) {
      case 0x61:
        reg[x.dst] = ctx[x.off / 4];
        break;
      case 0xbc:
        reg[x.dst] = reg[x.src] >>> 0;
        break;
      case 0xb4:
        reg[x.dst] = imm;
        break;
      case 0x54:
        reg[x.dst] = (reg[x.dst] & imm) >>> 0;
        break;
      case 0x74:
        reg[x.dst] = reg[x.dst] >>> imm;
        break;
      case 0x56:
        if (reg[x.dst] >>> 0 !== imm) pc += x.off;
        break;
      case 0x16:
        if (reg[x.dst] >>> 0 === imm) pc += x.off;
        break;
      case 0x95:
        return reg[0];
      default:
        throw new Error(`unexpected opcode 0x${x.code.toString(16)}`);
    }
  }
  throw new Error('program ran off its end');
}

test('devices v2: the eBPF program decides every access as the v1 semantics do (property test)', () => {
  const ruleArb = fc.record({
    allow: fc.boolean(),
    type: fc.constantFrom<'a' | 'b' | 'c'>('a', 'b', 'c', 'c', 'b'),
    major: fc.constantFrom(-1, 1, 5, 8),
    minor: fc.constantFrom(-1, 0, 3, 9),
    access: fc.integer({ min: 1, max: 7 }),
  });
  const reqArb = fc.record({
    type: fc.constantFrom<'b' | 'c'>('b', 'c'),
    major: fc.constantFrom(1, 5, 8, 200),
    minor: fc.constantFrom(0, 3, 9, 77),
    access: fc.integer({ min: 1, max: 7 }),
  });
  fc.assert(
    fc.property(
      fc.array(ruleArb, { maxLength: 8 }),
      fc.array(reqArb, { minLength: 1, maxLength: 10 }),
      fc.boolean(),
      (rules, reqs, startAllow) => {
        const state = emulate(rules, startAllow ? { defaultAllow: true, exceptions: [] } : DENY_ALL);
        const prog = deviceProgram(state);
        for (const q of reqs) {
          const got = runProgram(prog, q.type === 'b' ? 1 : 2, q.access, q.major, q.minor) === 1;
          assert.equal(got, allows(state, q.type, q.major, q.minor, q.access), JSON.stringify({ state, q }));
        }
      },
    ),
    { numRuns: 300 },
  );
});

test("devices v2: the program with runc's defaults allows /dev/null and mknod, denies an unknown block device", () => {
  const prog = deviceProgram(emulate(deviceRules([{ allow: false, access: 'rwm' }])));
  assert.equal(runProgram(prog, 2, ACC.READ | ACC.WRITE, 1, 3), 1);
  assert.equal(runProgram(prog, 1, ACC.MKNOD, 7, 0), 1);
  assert.equal(runProgram(prog, 1, ACC.READ, 7, 0), 0);
  assert.equal(runProgram(prog, 2, ACC.READ, 136, 4), 1, '/dev/pts/*');
  const bytes = encodeProgram(prog);
  assert.equal(bytes.length, prog.length * 8);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x61, 0x12, 0, 0, 0, 0, 0, 0], 'r2 = *(u32 *)(r1 + 0)');
});

// ---- the write plan on a directory ------------------------------------------------------------

test('applyWrites: the first existing candidate, skip or warn when missing, errors name the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-cg-'));
  try {
    writeFileSync(join(dir, 'blkio.bfq.weight'), '');
    const warnings: string[] = [];
    const target = { dirFor: (c: string) => (c === 'blkio' ? dir : undefined), missing: (c: string) => `no ${c} here` };
    applyWrites(
      target,
      [
        {
          controller: 'blkio',
          candidates: [
            { file: 'blkio.weight', value: '500' },
            { file: 'blkio.bfq.weight', value: '500' },
          ],
          field: '/w',
        },
        { controller: 'blkio', candidates: [{ file: 'blkio.nothing', value: '1' }], field: '/x', ifMissing: 'skip' },
        { controller: 'blkio', candidates: [{ file: 'blkio.nothing', value: '1' }], field: '/y', ifMissing: { warn: 'y ignored' } },
      ],
      (w) => warnings.push(w),
    );
    assert.equal(readFileSync(join(dir, 'blkio.bfq.weight'), 'utf8'), '500');
    assert.deepEqual(warnings, ['y ignored']);
    assert.throws(
      () =>
        applyWrites(
          target,
          [{ controller: 'blkio', candidates: [{ file: 'blkio.leaf_weight', value: '3' }], field: '/linux/resources/blockIO/leafWeight' }],
          () => {},
        ),
      /cannot apply \/linux\/resources\/blockIO\/leafWeight: this kernel has no blkio.leaf_weight/,
    );
    assert.throws(
      () => applyWrites(target, [{ controller: 'hugetlb', candidates: [{ file: 'x', value: '3' }], field: '/h' }], () => {}),
      /cannot apply \/h: no hugetlb here/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- the state record, freezer choice, stats ----------------------------------------------------

test('record: state fields round-trip; the v1 freezer is used where there is one, else cgroup.freeze', () => {
  const c = {
    v2: '/u/c1',
    v1: [
      { key: 'memory', dir: '/m/c1' },
      { key: 'freezer', dir: '/f/c1' },
    ],
  };
  assert.deepEqual(fromStateFields(toStateFields(c)), c);
  assert.deepEqual(freezerOf(c), { kind: 'v1', dir: '/f/c1' });
  assert.deepEqual(freezerOf({ v2: '/u/c1', v1: [] }), { kind: 'v2', dir: '/u/c1' });
  assert.equal(limitsOnV1(c), true);
  assert.equal(limitsOnV1({ v2: '/u', v1: [{ key: 'name=systemd', dir: '/s' }] }), false);
});

test("stats: runc's v1 document from the controllers' files, exact 64-bit numbers", () => {
  const root = mkdtempSync(join(tmpdir(), 'ocirt-st-'));
  try {
    const put = (ctrl: string, f: string, v: string) => {
      mkdirSync(join(root, ctrl), { recursive: true });
      writeFileSync(join(root, ctrl, f), v);
    };
    put('memory', 'memory.limit_in_bytes', '9223372036854771712\n');
    put('memory', 'memory.usage_in_bytes', '2842624\n');
    put('memory', 'memory.max_usage_in_bytes', '2871296\n');
    put('memory', 'memory.failcnt', '0\n');
    put('memory', 'memory.stat', 'cache 1888256\nrss 49152\n');
    put('pids', 'pids.current', '3\n');
    put('pids', 'pids.max', 'max\n');
    put('cpuacct', 'cpuacct.usage', '16661898\n');
    put('cpuacct', 'cpuacct.usage_percpu', '11585208 5076690 \n');
    put('cpuacct', 'cpuacct.stat', 'user 0\nsystem 1\n');
    put('cpuacct', 'cpuacct.usage_all', 'cpu user system\n0 4000000 7929408\n1 0 4000000\n');
    put('cpu', 'cpu.stat', 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n');
    put('cpuset', 'cpuset.cpus', '0-1\n');
    put('cpuset', 'cpuset.mems', '0\n');
    put('cpuset', 'cpuset.sched_relax_domain_level', '-1\n');
    const c = { v1: ['memory', 'pids', 'cpuacct', 'cpu', 'cpuset'].map((k) => ({ key: k, dir: join(root, k) })) };
    const text = statsJson({
      type: 'stats',
      id: 'x',
      data: readStats(
        c,
        (p) => {
          try {
            return readFileSync(p, 'utf8');
          } catch {
            return undefined;
          }
        },
        [],
      ),
    });
    const doc = JSON.parse(text) as { data: Record<string, Record<string, unknown>> };
    assert.match(text, /"usage":\{"limit":9223372036854771712,"usage":2842624,"max":2871296,"failcnt":0\}/);
    assert.deepEqual(doc.data.cpu, {
      usage: {
        total: 16661898,
        percpu: [11585208, 5076690],
        percpu_kernel: [7929408, 4000000],
        percpu_user: [4000000, 0],
        kernel: 10000000,
        user: 0,
      },
      throttling: {},
    });
    assert.deepEqual(doc.data.pids, { current: 3 });
    assert.equal(doc.data.memory.cache, 1888256);
    assert.deepEqual(doc.data.cpuset.cpus, [0, 1]);
    assert.equal(doc.data.cpuset.sched_relax_domain_level, -1);
    assert.deepEqual(doc.data.blkio, {});
    assert.deepEqual(doc.data.hugetlb, {});
    assert.equal(doc.data.network_interfaces, null);
    assert.deepEqual(Object.keys(doc.data), ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('stats: the v2 document (usage in nanoseconds, memory+swap as v1 reports it, io.stat)', () => {
  const f: Record<string, string> = {
    '/c/cpu.stat': 'usage_usec 100\nuser_usec 60\nsystem_usec 40\nnr_periods 5\nnr_throttled 2\nthrottled_usec 7\n',
    '/c/memory.current': '4096\n',
    '/c/memory.max': 'max\n',
    '/c/memory.swap.current': '0\n',
    '/c/memory.swap.max': '1000\n',
    '/c/memory.stat': 'file 10\nanon 20\n',
    '/c/memory.events': 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n',
    '/c/pids.current': '2\n',
    '/c/pids.max': '10\n',
    '/c/io.stat': '8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n',
  };
  const doc = JSON.parse(statsJson(readStats({ v2: '/c', v1: [] }, (p) => f[p], []))) as Record<string, Record<string, unknown>>;
  assert.deepEqual(doc.cpu, {
    usage: { total: 100000, kernel: 40000, user: 60000 },
    throttling: { periods: 5, throttledPeriods: 2, throttledTime: 7000 },
  });
  // biome-ignore lint/correctness/noPrecisionLoss: the kernel's 2^64-1, as JSON.parse rounds it
  assert.deepEqual(doc.memory.usage, { limit: 18446744073709551615, usage: 4096, failcnt: 3 });
  assert.deepEqual(doc.pids, { current: 2, limit: 10 });
  assert.deepEqual(doc.blkio, {
    ioServiceBytesRecursive: [
      { major: 8, op: 'Read', value: 100 },
      { major: 8, op: 'Write', value: 200 },
    ],
    ioServicedRecursive: [
      { major: 8, op: 'Read', value: 1 },
      { major: 8, op: 'Write', value: 2 },
    ],
  });
  assert.deepEqual(parseList('0-2,5'), [0n, 1n, 2n, 5n]);
});

test('update: a quota or period alone keeps the other in force, a swap limit is taken against the memory limit in force', () => {
  const current = { cpu: { quota: 20000, period: 50000, shares: 512 }, memory: { limit: 1000, swap: 2000 }, pids: { limit: 5 } };
  assert.deepEqual(resourcesToApply(current, { cpu: { quota: 30000 } }), { cpu: { quota: 30000, period: 50000 } });
  assert.deepEqual(resourcesToApply(current, { cpu: { period: 100000 } }), { cpu: { quota: 20000, period: 100000 } });
  // both given, or nothing in force: as asked
  assert.deepEqual(resourcesToApply(current, { cpu: { quota: 1, period: 2 } }), { cpu: { quota: 1, period: 2 } });
  assert.deepEqual(resourcesToApply({}, { cpu: { quota: 30000 } }), { cpu: { quota: 30000 } });
  assert.deepEqual(resourcesToApply(current, { memory: { swap: 3000 } }), { memory: { swap: 3000, limit: 1000 } });
  assert.deepEqual(resourcesToApply(current, { memory: { limit: 1500, swap: 3000 } }), { memory: { limit: 1500, swap: 3000 } });
  // the request is not changed in place
  const req = { cpu: { quota: 30000 } };
  resourcesToApply(current, req);
  assert.deepEqual(req, { cpu: { quota: 30000 } });
});

test('update: what is in force afterwards is the request over the old resources, field by field', () => {
  const current = { cpu: { quota: 20000, period: 50000 }, memory: { limit: 1000 }, devices: [{ allow: false, access: 'rwm' }] };
  assert.deepEqual(mergeResources(current, { cpu: { quota: 30000 }, pids: { limit: 9 }, devices: [{ allow: true, access: 'r' }] }), {
    cpu: { quota: 30000, period: 50000 },
    memory: { limit: 1000 },
    devices: [{ allow: true, access: 'r' }],
    pids: { limit: 9 },
  });
});
