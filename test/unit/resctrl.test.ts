// linux.intelRdt: the plan (which group, made or found, schemata in the spec's order) and the
// resctrl work, on a directory that stands in for a resctrl mount (this host has none; the
// integration tests check the "not supported on this host" error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planIntelRdt } from '../../src/linux/intel-rdt.ts';
import { applyRdt, requireResctrl } from '../../src/container/resctrl.ts';
import { findResctrl } from '../../src/linux/host.ts';

test('intelRdt plan: the group, who made it, the schemata in order', () => {
  assert.equal(planIntelRdt({}, 'c1'), undefined);
  assert.deepEqual(planIntelRdt({ intelRdt: { l3CacheSchema: 'L3:0=ff', memBwSchema: 'MB:0=50', schemata: ['L2:0=f'] } }, 'c1'), {
    group: 'c1',
    preconfigured: false,
    schemata: ['L3:0=ff', 'MB:0=50', 'L2:0=f'],
    monitoring: false,
  });
  assert.equal(planIntelRdt({ intelRdt: { closID: '/' } }, 'c1')!.group, '', '"/" is the root group');
  assert.deepEqual(planIntelRdt({ intelRdt: { closID: 'gold', enableMonitoring: true } }, 'c1'), {
    group: 'gold',
    preconfigured: true,
    schemata: [],
    monitoring: true,
  });
});

test('resctrl: a group made for the container, with its schemata and tasks; a MON group', () => {
  const root = mkdtempSync(join(tmpdir(), 'ocirt-resctrl-'));
  try {
    const fresh = applyRdt(planIntelRdt({ intelRdt: { l3CacheSchema: 'L3:0=ff', memBwSchema: 'MB:0=50' } }, 'c3')!, root, 7, 'c3');
    assert.deepEqual(fresh, [join(root, 'c3')], 'made: removed at delete');
    // resctrl takes one line per write: this stand-in keeps the last, the memBwSchema after the l3CacheSchema
    assert.equal(readFileSync(join(root, 'c3', 'schemata'), 'utf8'), 'MB:0=50\n');
    assert.equal(readFileSync(join(root, 'c3', 'tasks'), 'utf8'), '7');
    // an existing group (resctrl gives every group its mon_groups) is joined, not made
    mkdirSync(join(root, 'c2', 'mon_groups'), { recursive: true });
    writeFileSync(join(root, 'c2', 'schemata'), 'L3:0=ff\n');
    const made = applyRdt({ group: 'c2', preconfigured: false, schemata: ['L3:0=ff'], monitoring: true }, root, 4242, 'c2');
    assert.deepEqual(made, [join(root, 'c2', 'mon_groups', 'c2')], 'only the MON group is made');
    assert.equal(readFileSync(join(root, 'c2', 'tasks'), 'utf8'), '4242');
    assert.equal(readFileSync(join(root, 'c2', 'mon_groups', 'c2', 'tasks'), 'utf8'), '4242');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('resctrl: a preconfigured closID must exist and agree with the config', () => {
  const root = mkdtempSync(join(tmpdir(), 'ocirt-resctrl-'));
  try {
    assert.throws(
      () => applyRdt({ group: 'gold', preconfigured: true, schemata: [], monitoring: false }, root, 1, 'c'),
      /\/linux\/intelRdt\/closID: the resctrl group .*gold does not exist/,
    );
    mkdirSync(join(root, 'gold'));
    writeFileSync(join(root, 'gold', 'schemata'), '    L3:0=ff;1=ff\n    MB:0=100;1=100\n');
    assert.deepEqual(applyRdt({ group: 'gold', preconfigured: true, schemata: ['L3:0=ff;1=ff'], monitoring: false }, root, 1, 'c'), []);
    assert.throws(
      () => applyRdt({ group: 'gold', preconfigured: true, schemata: ['MB:0=50;1=50'], monitoring: false }, root, 1, 'c'),
      /has MB:0=100;1=100, the config asks for MB:0=50;1=50/,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('resctrl: found in mountinfo, or a clear error', () => {
  assert.equal(findResctrl('22 1 0:20 / /sys/fs/resctrl rw,relatime shared:5 - resctrl resctrl rw\n'), '/sys/fs/resctrl');
  assert.equal(findResctrl('22 1 0:20 / /sys rw - sysfs sysfs rw\n'), undefined);
  assert.throws(
    () => requireResctrl(undefined),
    /\/linux\/intelRdt: Intel RDT is not supported on this host: no resctrl filesystem is mounted/,
  );
});
