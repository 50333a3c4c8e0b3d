// Process settings `run` does not take from config.json but a process plan can carry (an exec'd
// process: process.execCPUAffinity is "not applicable to the container's init process", and
// process.consoleSize needs a console socket), launched with the lifecycle's own launchInit and
// seen from inside by the probe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { readFileSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as native from '../../src/native.js';
import { launchInit } from '../../src/container/launch.js';
import { MS, basePlan, makeRootfs, runPlan } from '../helpers/native-rootfs.js';

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

test('execCPUAffinity: initial before the cgroup, final after it; without final the initial one stays', { ...rootOnly, skip: rootOnly.skip ?? (availableParallelism() < 2 && 'needs two CPUs') }, async () => {
  const only1 = await launchReport((p) => (p.process.cpuAffinity = { initial: [1] }));
  assert.equal(only1.cpus, '1', 'runtime-spec: no final, the affinity is not changed after the move');
  const final0 = await launchReport((p) => (p.process.cpuAffinity = { initial: [1], final: [0] }));
  assert.equal(final0.cpus, '0');
  const none = await launchReport(() => {});
  assert.equal(none.cpus, readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:\s*(\S+)$/m)![1], 'none: inherited');
});

test('consoleSize: the pty the container gets has the configured size', rootOnly, async () => {
  const { dir, rootfs } = makeRootfs();
  try {
    const sockPath = join(dir, 'console.sock');
    const listener = native.unixListen(sockPath);
    const plan = basePlan(rootfs, ['probe', 'winsize']);
    plan.mounts.push({
      field: '/mounts/2',
      source: 'devpts',
      destination: '/dev/pts',
      fstype: 'devpts',
      flags: MS.NOSUID | MS.NOEXEC,
      remountFlags: 0,
      propagation: [],
      data: 'newinstance,ptmxmode=0666,mode=0620',
      createAs: 'dir',
      recursiveAttrSet: 0,
      recursiveAttrClear: 0,
    });
    plan.symlinks.push({ link: '/dev/ptmx', target: 'pts/ptmx' });
    plan.process.terminal = true;
    plan.process.consoleSize = { height: 33, width: 111 };
    plan.consoleSocket = sockPath;
    let master = -1;
    const res = await runPlan(plan, {
      workDir: dir,
      afterReady: () => {
        const conn = native.acceptFd(listener);
        master = native.recvFd(conn).fd;
        native.closeFd(conn);
      },
    });
    assert.deepEqual(res.status, { code: 0, signal: null }, res.stderr);
    let text = '';
    const buf = Buffer.alloc(4096);
    for (;;) {
      let n = 0;
      try {
        n = readSync(master, buf);
      } catch {
        break; // EIO once the slave side is closed
      }
      if (n <= 0) break;
      text += buf.subarray(0, n).toString();
    }
    native.closeFd(master);
    native.closeFd(listener);
    assert.deepEqual(JSON.parse(text.trim()), { rows: 33, cols: 111 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
