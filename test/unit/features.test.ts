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
  assert.deepEqual(f.hooks, []);
  assert.equal(f.linux.seccomp.enabled, false);
  assert.equal(f.linux.apparmor.enabled, false);
  assert.equal(f.linux.selinux.enabled, false);
  assert.equal(f.linux.netDevices.enabled, false);
});

test('features: cgroup support is what this host has (v1 controllers, a cgroup2 mount, the rdma controller)', () => {
  const f = buildFeatures({ cgroupV1: false, cgroupV2: true, cgroupRdma: true });
  assert.deepEqual(f.linux.cgroup, { v1: false, v2: true, systemd: false, systemdUser: false, rdma: true });
  assert.equal(buildFeatures({ cgroupV1: true, cgroupV2: true }).linux.cgroup.rdma, false);
  const cli = cliFeatures();
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  assert.equal(cli.linux.cgroup.v2, / - cgroup2 /.test(mounts), 'v2 claimed where a cgroup2 mount is');
  assert.equal(cli.linux.cgroup.systemd, false, 'no systemd cgroup driver');
});
