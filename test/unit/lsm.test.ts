// AppArmor and SELinux labels -> the attribute writes the init makes and the mount option of
// linux.mountLabel, without root. SELinux cannot be loaded on any machine this project runs on
// (no policy), so these plan tests are its tests; AppArmor also runs for real in the VM guest
// (test/guest/apparmor.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mountContext, planLabels, withMountContext } from '../../src/lsm/labels.ts';
import type { LsmHost } from '../../src/lsm/host.ts';
import { buildPlan, type HostFacts } from '../../src/linux/plan-builder.ts';
import { encodePlan } from '../../src/linux/encode.ts';
import { ConfigError } from '../../src/errors.ts';
import type { Spec } from '../../src/spec/types.ts';

const lsm =
  (over: Partial<LsmHost> = {}) =>
  (): LsmHost => ({
    apparmor: false,
    apparmorExecAttr: 'attr/apparmor/exec',
    apparmorProfileLoaded: () => undefined,
    selinux: false,
    ...over,
  });
const isConfigError = (pointer: string, re: RegExp) => (e: unknown) =>
  e instanceof ConfigError && e.pointer === pointer && re.test(e.detail);

test('AppArmor enforced: "exec <profile>" to its exec attribute, right before execve', () => {
  assert.deepEqual(planLabels({ apparmorProfile: 'ocirt-test' }, lsm({ apparmor: true }), { newKeyring: true }), {
    writes: [{ field: '/process/apparmorProfile', when: 'before-exec', attr: 'attr/apparmor/exec', value: 'exec ocirt-test' }],
  });
  // kernels before 5.8 have only the shared attribute
  const old = planLabels({ apparmorProfile: 'p' }, lsm({ apparmor: true, apparmorExecAttr: 'attr/exec' }), { newKeyring: false });
  assert.equal(old?.writes[0].attr, 'attr/exec');
  // "unconfined" is a profile like any other where AppArmor runs
  assert.equal(
    planLabels({ apparmorProfile: 'unconfined' }, lsm({ apparmor: true }), { newKeyring: false })?.writes[0].value,
    'exec unconfined',
  );
});

test('AppArmor: a profile known not to be loaded fails at create; an unreadable list or a stacked name is left to the kernel', () => {
  const loaded = (names: string[]) => lsm({ apparmor: true, apparmorProfileLoaded: (n) => names.includes(n) });
  assert.throws(
    () => planLabels({ apparmorProfile: 'typo' }, loaded(['ocirt-test']), { newKeyring: true }),
    isConfigError('/process/apparmorProfile', /"typo" is not loaded/),
  );
  assert.equal(planLabels({ apparmorProfile: 'ocirt-test' }, loaded(['ocirt-test']), { newKeyring: true })?.writes.length, 1);
  assert.equal(planLabels({ apparmorProfile: 'unconfined' }, loaded([]), { newKeyring: true })?.writes.length, 1);
  assert.equal(planLabels({ apparmorProfile: 'a//&b' }, loaded([]), { newKeyring: true })?.writes.length, 1);
  assert.equal(planLabels({ apparmorProfile: 'x' }, lsm({ apparmor: true }), { newKeyring: true })?.writes.length, 1, 'list unreadable');
});

test('AppArmor not enforced: empty or "unconfined" asks for nothing, any other profile is an error (as runc)', () => {
  assert.equal(planLabels({ apparmorProfile: '' }, lsm(), { newKeyring: true }), undefined);
  assert.equal(planLabels({ apparmorProfile: 'unconfined' }, lsm(), { newKeyring: true }), undefined);
  assert.equal(planLabels({}, lsm(), { newKeyring: true }), undefined);
  assert.throws(
    () => planLabels({ apparmorProfile: 'docker-default' }, lsm(), { newKeyring: true }),
    isConfigError('/process/apparmorProfile', /AppArmor is not enabled on this host/),
  );
});

test('SELinux enforced: the exec label, and the keyring label when a new session keyring is made', () => {
  const label = 'system_u:system_r:container_t:s0:c1,c2';
  assert.deepEqual(planLabels({ selinuxLabel: label }, lsm({ selinux: true }), { newKeyring: true })?.writes, [
    { field: '/process/selinuxLabel', when: 'before-keyring', attr: 'attr/keycreate', value: label },
    { field: '/process/selinuxLabel', when: 'before-exec', attr: 'attr/exec', value: label },
  ]);
  assert.deepEqual(
    planLabels({ selinuxLabel: label }, lsm({ selinux: true }), { newKeyring: false })?.writes.map((w) => w.attr),
    ['attr/exec'],
  );
});

test('SELinux not enforced: an empty label asks for nothing, any other label is an error', () => {
  assert.equal(planLabels({ selinuxLabel: '' }, lsm(), { newKeyring: true }), undefined);
  assert.throws(
    () => planLabels({ selinuxLabel: 'system_u:system_r:container_t:s0' }, lsm(), { newKeyring: true }),
    isConfigError('/process/selinuxLabel', /SELinux is not enabled/),
  );
  // exec names its own fields (the --apparmor / --process-label flags)
  assert.throws(
    () =>
      planLabels({ selinuxLabel: 'x' }, lsm(), {
        newKeyring: true,
        fields: { apparmorProfile: '--apparmor', selinuxLabel: '--process-label' },
      }),
    isConfigError('--process-label', /SELinux/),
  );
});

test('the LSM host is asked only when a label is there', () => {
  let asked = 0;
  const counting = () => {
    asked++;
    return lsm()();
  };
  planLabels({}, counting, { newKeyring: true });
  mountContext(undefined, counting);
  mountContext('', counting);
  assert.equal(asked, 0);
});

test('mountLabel: context="..." on new mounts, not on binds nor on the file systems the kernel labels itself', () => {
  const label = 'system_u:object_r:container_file_t:s0:c715,c811';
  const ctx = mountContext(label, lsm({ selinux: true }));
  assert.equal(ctx, `context="${label}"`);
  assert.equal(withMountContext('mode=755,size=65536k', 'tmpfs', ctx), `mode=755,size=65536k,context="${label}"`);
  assert.equal(withMountContext('', 'mqueue', ctx), `context="${label}"`);
  for (const fs of ['proc', 'sysfs', 'cgroup', 'cgroup2', '']) assert.equal(withMountContext('x=1', fs, ctx), 'x=1', fs);
  assert.equal(withMountContext('x=1', 'tmpfs', undefined), 'x=1');
  assert.throws(() => mountContext(label, lsm()), isConfigError('/linux/mountLabel', /SELinux is not enabled/));
  assert.throws(() => mountContext('a"b', lsm({ selinux: true })), isConfigError('/linux/mountLabel', /double quote/));
});

const host = (l: Partial<LsmHost>): HostFacts => ({ euid: 0, egid: 0, isDirectory: () => true, lsm: lsm(l) });
const spec = (over: Partial<Spec> = {}): Spec =>
  ({
    ociVersion: '1.3.0',
    root: { path: 'rootfs' },
    process: { cwd: '/', args: ['sh'], apparmorProfile: 'ocirt-test' },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['mode=755'] },
      { destination: '/data', type: 'bind', source: '/srv', options: ['rbind'] },
    ],
    linux: { namespaces: [{ type: 'mount' }] },
    ...over,
  }) as Spec;
const opts = { bundle: '/b', noPivot: false, noNewKeyring: false, preserveFds: 0 };

test('buildPlan: labels in their plan section, mountLabel in the mounts data', () => {
  const cfg = spec();
  cfg.linux!.mountLabel = 'system_u:object_r:container_file_t:s0';
  const plan = buildPlan(cfg, '/b/rootfs', opts, host({ apparmor: true, selinux: true }));
  assert.deepEqual(
    plan.lsm?.writes.map((w) => w.value),
    ['exec ocirt-test'],
  );
  assert.deepEqual(
    plan.mounts.map((m) => m.data),
    ['', 'mode=755,context="system_u:object_r:container_file_t:s0"', ''],
  );
  const bytes = encodePlan(plan);
  // the LSM section: when=1 (before exec), attr, value (other sections may follow it)
  const attr = bytes.indexOf(Buffer.from('attr/apparmor/exec\0'));
  assert.ok(attr > 0);
  assert.equal(bytes.indexOf(Buffer.from('exec ocirt-test\0'), attr), attr + 'attr/apparmor/exec\0'.length + 4);
});

test('buildPlan: a label the host cannot apply fails before anything is made; no process, no labels', () => {
  assert.throws(() => buildPlan(spec(), '/b/rootfs', opts, host({})), isConfigError('/process/apparmorProfile', /not enabled/));
  const none = buildPlan(spec({ process: undefined }), '/b/rootfs', opts, host({}));
  assert.equal(none.lsm, undefined);
});
