// process.execCPUAffinity, which `run` does not apply ("not applicable to the container's init
// process") but an exec plan carries, launched with the lifecycle's own launchInit and seen from
// inside by the probe. (consoleSize: terminal.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as native from '../../src/native.js';
import { launchInit } from '../../src/container/launch.js';
import { basePlan, makeRootfs } from '../helpers/native-rootfs.js';

const isRoot = process.getuid?.() === 0;
const rootOnly = isRoot ? {} : { skip: 'needs root (clone3 with new namespaces, mounts)' };

/** runs `sh -c 'probe report > /tmp/report'` through launchInit and returns what the probe saw */
async function launchReport(mutate: (p: ReturnType<typeof basePlan>) => void): Promise<{ cpus: string }> {
  const { dir, rootfs } = makeRootfs();
  try {
    const plan = basePlan(rootfs, ['/bin/busybox', 'sh', '-c', '/bin/probe report > /tmp/report']);
    mutate(plan);
    const init = launchInit(plan);
    const status = await native.waitExit(init.pidfd);
    native.closeFd(init.pidfd);
    assert.deepEqual(status, { code: 0, signal: null });
    return JSON.parse(readFileSync(join(rootfs, 'tmp', 'report'), 'utf8')) as { cpus: string };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('execCPUAffinity: initial before the cgroup, final after it; without final the initial one stays', {
  ...rootOnly,
  skip: rootOnly.skip ?? (availableParallelism() < 2 && 'needs two CPUs'),
}, async () => {
  const only1 = await launchReport((p) => (p.process.cpuAffinity = { initial: [1] }));
  assert.equal(only1.cpus, '1', 'runtime-spec: no final, the affinity is not changed after the move');
  const final0 = await launchReport((p) => (p.process.cpuAffinity = { initial: [1], final: [0] }));
  assert.equal(final0.cpus, '0');
  const none = await launchReport(() => {});
  assert.equal(none.cpus, readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:\s*(\S+)$/m)![1], 'none: inherited');
});
