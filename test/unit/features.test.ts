// `ocirt features` must be valid against the official features schema and say only what ocirt
// really applies. Each feature's tests add their own claims here as the feature lands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import Ajv04 from 'ajv-draft-04';
import { buildFeatures, type FeatureHost, type Features } from '../../src/container/features.ts';
import { parseMountOptions } from '../../src/linux/mount-options.ts';
import { detectLsm } from '../../src/lsm/host.ts';
import { seccompFeatures } from '../../src/seccomp/features.ts';
import { FILTER_FLAG, translateProfile } from '../../src/seccomp/profile.ts';
import { HOOK_NAMES } from '../../src/spec/names.ts';
import type { LinuxSeccomp } from '../../src/spec/types.ts';

const SPEC = resolve(process.cwd(), '..', 'shared', 'oci-runtime-spec');
const skip = existsSync(join(SPEC, 'features-schema.json')) ? false : `official schemas not found at ${SPEC}`;
const OCIRT = process.env.OCIRT_BIN ? resolve(process.env.OCIRT_BIN) : join(process.cwd(), 'bin', 'ocirt');

function featuresValidator(): ((d: unknown) => boolean) & { errors?: unknown } {
  type AjvClass = typeof Ajv04.default;
  const Ctor: AjvClass = typeof Ajv04 === 'function' ? (Ajv04 as unknown as AjvClass) : Ajv04.default;
  const ajv = new Ctor({ allErrors: true, strict: false });
  for (const f of readdirSync(SPEC)) {
    if (f.endsWith('.json')) ajv.addSchema(JSON.parse(readFileSync(join(SPEC, f), 'utf8')) as object, f);
  }
  const v = ajv.getSchema('features-schema.json');
  assert.ok(v);
  return v as ((d: unknown) => boolean) & { errors?: unknown };
}

function cliFeatures(): Features {
  const r = spawnSync(OCIRT, ['features'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Features;
}

test('features: the CLI output is valid against the official features schema', { skip }, () => {
  const v = featuresValidator();
  const f = cliFeatures();
  assert.ok(v(f), JSON.stringify(v.errors));
  // the official vectors agree with the validator, so the check above means something
  assert.ok(v(JSON.parse(readFileSync(join(SPEC, 'test/features/good/runc.json'), 'utf8'))));
  assert.ok(!v(JSON.parse(readFileSync(join(SPEC, 'test/features/bad/missing-ociVersionMax.json'), 'utf8'))));
});

/** A host with everything: libseccomp at API level 6 knowing x86_64 and aarch64, every flag. */
const fullHost: FeatureHost = {
  cgroupV1: true,
  cgroupV2: true,
  seccomp: { libseccomp: { apiLevel: 6, archs: ['x86_64', 'aarch64'] }, kernelFlags: 0x3f },
  apparmor: true,
  selinux: false,
};

test('features: the CLI prints what buildFeatures says for this host', () => {
  const f = cliFeatures();
  assert.equal(f.ociVersionMax, '1.3.0');
  assert.equal(typeof f.linux.cgroup.v1, 'boolean');
  assert.deepEqual(f.mountOptions, buildFeatures({ ...fullHost, cgroupV1: f.linux.cgroup.v1, cgroupV2: f.linux.cgroup.v2 }).mountOptions);
  // the LSMs as the planner sees them: a label for one that is not enforced here is refused
  const lsm = detectLsm();
  assert.equal(f.linux.apparmor.enabled, lsm.apparmor);
  assert.equal(f.linux.selinux.enabled, lsm.selinux);
});

test('features: seccomp on this host (libseccomp is installed here and in CI) lists the native architecture', () => {
  const sc = cliFeatures().linux.seccomp;
  assert.equal(sc.enabled, true);
  assert.ok(sc.archs?.includes(process.arch === 'arm64' ? 'SCMP_ARCH_AARCH64' : 'SCMP_ARCH_X86_64'), JSON.stringify(sc.archs));
  assert.ok(sc.actions?.includes('SCMP_ACT_ERRNO'));
  assert.deepEqual(sc.operators, [
    'SCMP_CMP_NE',
    'SCMP_CMP_LT',
    'SCMP_CMP_LE',
    'SCMP_CMP_EQ',
    'SCMP_CMP_GE',
    'SCMP_CMP_GT',
    'SCMP_CMP_MASKED_EQ',
  ]);
  for (const flag of sc.supportedFlags ?? []) assert.ok(sc.knownFlags?.includes(flag), flag);
});

test('features: seccomp is what libseccomp and the kernel here support, and off without libseccomp', () => {
  assert.deepEqual(seccompFeatures({ kernelFlags: 0x3f }), { enabled: false });
  const old = seccompFeatures({
    libseccomp: { apiLevel: 2, archs: ['x86_64', 'x86', 'nosuch'] },
    kernelFlags: FILTER_FLAG.SECCOMP_FILTER_FLAG_TSYNC,
  });
  assert.deepEqual(old.actions, [
    'SCMP_ACT_KILL',
    'SCMP_ACT_KILL_THREAD',
    'SCMP_ACT_TRAP',
    'SCMP_ACT_ERRNO',
    'SCMP_ACT_TRACE',
    'SCMP_ACT_ALLOW',
  ]);
  assert.deepEqual(old.archs, ['SCMP_ARCH_X86', 'SCMP_ARCH_X86_64']);
  assert.deepEqual(old.supportedFlags, ['SECCOMP_FILTER_FLAG_TSYNC']);
  assert.equal(old.knownFlags?.length, 4);
  const full = buildFeatures(fullHost).linux.seccomp;
  assert.equal(full.actions?.length, 9);
  assert.deepEqual(full.supportedFlags, full.knownFlags);
});

test('features: every seccomp action, operator and architecture listed is one the translation takes', () => {
  const f = buildFeatures({
    ...fullHost,
    seccomp: { libseccomp: { apiLevel: 6, archs: ['x86', 'x86_64', 'x32', 'arm', 'aarch64', 'riscv64', 's390x'] }, kernelFlags: 0x3f },
  }).linux.seccomp;
  for (const action of f.actions ?? []) {
    for (const op of f.operators ?? []) {
      const sc = {
        // a default no listed action equals, so that no rule is dropped as a no-op
        defaultAction: 'SCMP_ACT_TRACE',
        defaultErrnoRet: 999,
        architectures: f.archs,
        syscalls: [{ names: ['read'], action, args: [{ index: 0, value: 1, op }] }],
      } as LinuxSeccomp;
      const p = translateProfile(sc);
      assert.ok(p.rules.length === 1 && p.rules[0].args[0].op >= 1 && p.rules[0].args[0].op <= 7, `${action} ${op}`);
    }
  }
});

test('features: every listed mount option is one the planner applies, id-mapped mounts included', () => {
  const f = buildFeatures(fullHost);
  for (const o of f.mountOptions) {
    const p = parseMountOptions([o]);
    assert.deepEqual(p.data, [], `${o} has a meaning of its own, not a data string`);
  }
  for (const o of ['idmap', 'ridmap', 'tmpcopyup', 'rro', 'ratime', 'rnorelatime', 'nosymfollow', 'rprivate'])
    assert.ok(f.mountOptions.includes(o), o);
  assert.equal(f.linux.mountExtensions.idmap.enabled, true, 'id-mapped mounts are applied (test/integration/linux-mounts.test.ts)');
  assert.equal(f.linux.netDevices.enabled, true, 'netDevices are moved (test/integration/linux-netdevices.test.ts)');
});

test('features: nothing is claimed that is not applied yet', () => {
  const f = buildFeatures(fullHost);
  assert.deepEqual([...f.hooks].sort(), [...HOOK_NAMES].sort(), 'every hook kind runs (test/integration/hooks.test.ts)');
  // an LSM is claimed exactly when the host enforces it
  assert.equal(f.linux.apparmor.enabled, true);
  assert.equal(f.linux.selinux.enabled, false);
  assert.equal(buildFeatures({ ...fullHost, apparmor: false, selinux: true }).linux.selinux.enabled, true);
  assert.equal(f.linux.intelRdt.enabled, false, 'no resctrl mounted: intelRdt is an error');
  assert.equal(buildFeatures({ ...fullHost, resctrl: true }).linux.intelRdt.enabled, true);
});

test('features: cgroup support is what this host has (v1 controllers, a cgroup2 mount, the rdma controller)', () => {
  const f = buildFeatures({ ...fullHost, cgroupV1: false, cgroupV2: true, cgroupRdma: true });
  assert.deepEqual(f.linux.cgroup, { v1: false, v2: true, systemd: false, systemdUser: false, rdma: true });
  assert.equal(buildFeatures({ ...fullHost, cgroupV1: true, cgroupV2: true }).linux.cgroup.rdma, false);
  const cli = cliFeatures();
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  assert.equal(cli.linux.cgroup.v2, / - cgroup2 /.test(mounts), 'v2 claimed where a cgroup2 mount is');
  assert.equal(cli.linux.cgroup.systemd, false, 'no systemd cgroup driver');
});
