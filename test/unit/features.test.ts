// `ocirt features` must be valid against the official features schema and say only what ocirt
// really applies. Each feature's tests add their own claims here as the feature lands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import Ajv04 from 'ajv-draft-04';
import { buildFeatures, type Features } from '../../src/container/features.ts';
import { parseMountOptions } from '../../src/linux/mount-options.ts';
import { notYetApplied } from '../../src/linux/plan-builder.ts';
import { HOOK_NAMES } from '../../src/spec/names.ts';
import type { Spec } from '../../src/spec/types.ts';

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

test('features: the CLI prints what buildFeatures says for this host', () => {
  const f = cliFeatures();
  assert.equal(f.ociVersionMax, '1.3.0');
  assert.equal(typeof f.linux.cgroup.v1, 'boolean');
  assert.deepEqual(f.mountOptions, buildFeatures({ cgroupV1: f.linux.cgroup.v1, cgroupV2: f.linux.cgroup.v2 }).mountOptions);
});

test('features: every listed mount option is one the planner applies, idmap is not claimed', () => {
  const f = buildFeatures({ cgroupV1: true, cgroupV2: true });
  for (const o of f.mountOptions) {
    const p = parseMountOptions([o]);
    assert.equal(p.idmap, false, o);
    assert.deepEqual(p.data, [], `${o} has a meaning of its own, not a data string`);
  }
  assert.equal(f.linux.mountExtensions.idmap.enabled, false);
});

test('features: nothing is claimed that is not applied yet', () => {
  const f = buildFeatures({ cgroupV1: true, cgroupV2: true });
  assert.equal(f.linux.seccomp.enabled, false);
  assert.equal(f.linux.apparmor.enabled, false);
  assert.equal(f.linux.selinux.enabled, false);
  assert.equal(f.linux.netDevices.enabled, false);
});

/**
 * A claim and the planner's "accepted but not applied" warning (notYetApplied) must never agree:
 * whoever makes a field work removes its warning and must then claim it here, and the other way
 * round. Each case is a config that uses the feature.
 */
test('features: every claim is something the planner applies, every unclaimed feature is warned about', () => {
  const f = buildFeatures({ cgroupV1: true, cgroupV2: true });
  const config = (over: Partial<Spec>): Spec => ({ ociVersion: '1.3.0', root: { path: 'rootfs' }, ...over });
  const warned = (c: Spec) => notYetApplied(c).length > 0;
  for (const name of HOOK_NAMES) {
    assert.equal(f.hooks.includes(name), !warned(config({ hooks: { [name]: [{ path: '/bin/true' }] } })), `hooks: ${name}`);
  }
  assert.deepEqual([...f.hooks].sort(), [...HOOK_NAMES].sort(), 'every hook kind runs (test/integration/hooks.test.ts)');
  const linux = (l: Spec['linux']) => config({ linux: l });
  const process = (p: Partial<NonNullable<Spec['process']>>) => config({ process: { cwd: '/', args: ['sh'], ...p } });
  const cases: [string, boolean, Spec][] = [
    ['seccomp', f.linux.seccomp.enabled, linux({ seccomp: { defaultAction: 'SCMP_ACT_ALLOW' } })],
    ['apparmor', f.linux.apparmor.enabled, process({ apparmorProfile: 'p' })],
    ['selinux', f.linux.selinux.enabled, process({ selinuxLabel: 'system_u:system_r:container_t:s0' })],
    ['intelRdt', f.linux.intelRdt.enabled, linux({ intelRdt: { closID: 'x' } })],
    ['netDevices', f.linux.netDevices.enabled, linux({ netDevices: { eth0: {} } })],
  ];
  for (const [what, claimed, c] of cases) assert.equal(claimed, !warned(c), `linux.${what}: claimed ${claimed}, warned ${warned(c)}`);
});
