// Helpers for the native integration tests: a throw-away rootfs with the probe program, a
// hand-written LaunchPlan, and the parent's half of the launch protocol (see src/native.ts).
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, closeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LaunchPlan, MountStep } from '../../src/linux/plan.js';
import { encodePlan } from '../../src/linux/encode.js';
import * as native from '../../src/native.js';

export const CLONE = { NEWNS: 0x20000, NEWUTS: 0x4000000, NEWIPC: 0x8000000, NEWUSER: 0x10000000, NEWPID: 0x20000000 };
export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  BIND: 0x1000,
  REC: 0x4000,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  STRICTATIME: 1 << 24,
};

/** build/Release above the bundled test file (build/test/integration/*.mjs) or the source tree */
export function releaseDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const c = join(dir, 'build', 'Release');
    if (existsSync(join(c, 'ocirt-probe'))) return c;
    const up = dirname(dir);
    if (up === dir) throw new Error('ocirt-probe not built: run npm run build:native');
    dir = up;
  }
}

export function capLastCap(): number {
  return Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
}

/** The caller's bounding set: a container cannot get more (some hosts drop e.g. CAP_SYS_RESOURCE). */
export function allCaps(): bigint {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? BigInt(`0x${m[1]}`) : (1n << BigInt(capLastCap() + 1)) - 1n;
}

/** A rootfs in a fresh temp dir: /bin/probe (+ busybox when the host has a static one). */
export function makeRootfs(): { dir: string; rootfs: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-native-'));
  chmodSync(dir, 0o755);
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'proc', 'dev', 'tmp', 'etc', 'data']) mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  copyFileSync(join(releaseDir(), 'ocirt-probe'), join(rootfs, 'bin', 'probe'));
  chmodSync(join(rootfs, 'bin', 'probe'), 0o755);
  if (existsSync('/bin/busybox')) {
    copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
    chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  }
  writeFileSync(join(rootfs, 'etc', 'hostname'), 'image\n');
  return { dir, rootfs };
}

export function procMount(): MountStep {
  return {
    field: '/mounts/0',
    source: 'proc',
    destination: '/proc',
    fstype: 'proc',
    flags: MS.NOSUID | MS.NOEXEC | MS.NODEV,
    remountFlags: 0,
    propagation: [],
    data: '',
    createAs: 'dir',
    recursiveAttrSet: 0,
    recursiveAttrClear: 0,
  };
}

export function devMount(): MountStep {
  return {
    field: '/mounts/1',
    source: 'tmpfs',
    destination: '/dev',
    fstype: 'tmpfs',
    flags: MS.NOSUID | MS.STRICTATIME,
    remountFlags: 0,
    propagation: [],
    data: 'mode=755,size=65536k',
    createAs: 'dir',
    recursiveAttrSet: 0,
    recursiveAttrClear: 0,
  };
}

export function basePlan(rootfs: string, args: string[]): LaunchPlan {
  const caps = allCaps();
  return {
    cloneFlags: CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWPID | CLONE.NEWIPC,
    joins: [],
    unshareFlags: 0,
    forkAfterJoin: false,
    hostname: 'ocirt-test',
    rootfs,
    rootPropagation: MS.SLAVE | MS.REC,
    rootfsPropagation: 0,
    noPivot: false,
    noMountNamespace: false,
    readonlyRoot: false,
    mounts: [procMount(), devMount()],
    devices: [
      { field: '', path: '/dev/null', mode: 0o20666, major: 1, minor: 3, uid: 0, gid: 0, bindFromHost: false },
      { field: '', path: '/dev/zero', mode: 0o20666, major: 1, minor: 5, uid: 0, gid: 0, bindFromHost: false },
    ],
    symlinks: [{ link: '/dev/fd', target: '/proc/self/fd' }],
    maskedPaths: [
      { field: '', path: '/proc/kmsg' },
      { field: '', path: '/proc/driver' },
      { field: '', path: '/proc/does-not-exist' },
    ],
    readonlyPaths: [{ field: '', path: '/proc/sys' }],
    sysctls: [],
    process: {
      args,
      env: ['PATH=/bin:/usr/bin', 'HOME=/'],
      cwd: '/',
      uid: 0,
      gid: 0,
      additionalGids: [],
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: 0n, ambient: 0n },
      noNewPrivileges: false,
      rlimits: [],
      terminal: false,
      preserveFds: 0,
    },
    newSessionKeyring: true,
  };
}

export interface RunResult {
  pid: number;
  messages: native.SyncMessage[];
  status: native.ExitStatus;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** called after 'ready' with the init still waiting (exec fifo) or running */
  afterReady?: (pid: number, pidfd: number) => void | Promise<void>;
  /** writes the id maps like the lifecycle code does */
  writeMaps?: boolean;
  workDir: string;
  /** leave the container on ocirt's own fds 0-2 instead of capture files */
  inheritStdio?: boolean;
  /** spawnInit's callerIsNsRoot: the early exec + re-exec path for a user namespace */
  callerIsNsRoot?: boolean;
  /** wait this long before writing the id maps: whatever the init does meanwhile must not stop them */
  mapsDelayMs?: number;
  /** descriptors sent with "go" (plan_format.h's 'F' message) */
  fds?: number[];
}

/** The parent protocol: spawn, maps, go, read until ready/error/eof, then wait for the exit. */
export async function runPlan(plan: LaunchPlan, o: RunOptions): Promise<RunResult> {
  const outPath = join(o.workDir, `stdout-${process.hrtime.bigint()}`);
  const errPath = `${outPath}.err`;
  const out = openSync(outPath, 'w+');
  const err = openSync(errPath, 'w+');
  // the test runner may leave fd 0 closed: give the container a defined stdin
  const input = openSync('/dev/null', 'r');
  let spawned: native.SpawnedInit;
  try {
    spawned = native.spawnInit({
      plan: encodePlan(plan),
      cloneFlags: plan.cloneFlags,
      preserveFds: plan.process.preserveFds,
      ...(o.callerIsNsRoot !== undefined ? { callerIsNsRoot: o.callerIsNsRoot } : {}),
      ...(o.inheritStdio ? {} : { stdio: [input, out, err] as [number, number, number] }),
    });
  } finally {
    closeSync(out);
    closeSync(err);
    closeSync(input);
  }
  const messages: native.SyncMessage[] = [];
  try {
    if (plan.userns && o.writeMaps !== false) {
      if (o.mapsDelayMs) await new Promise((resolve) => setTimeout(resolve, o.mapsDelayMs));
      const u = plan.userns;
      const text = (m: typeof u.uidMappings) => m.map((e) => `${e.containerID} ${e.hostID} ${e.size}\n`).join('');
      writeFileSync(`/proc/${spawned.pid}/uid_map`, text(u.uidMappings));
      if (u.denySetgroups) writeFileSync(`/proc/${spawned.pid}/setgroups`, 'deny');
      writeFileSync(`/proc/${spawned.pid}/gid_map`, text(u.gidMappings));
    }
    native.sendGo(spawned.syncFd, o.fds ?? []);
    for (;;) {
      const m = native.readSyncMessage(spawned.syncFd, 20000);
      messages.push(m);
      if (m.type !== 'pid') break;
    }
    if (messages.at(-1)?.type === 'ready') {
      await o.afterReady?.(spawned.pid, spawned.pidfd);
      // after ready the socket closes at execve: eof, or an 'exec' error record
      messages.push(native.readSyncMessage(spawned.syncFd, 20000));
    }
    const status = await native.waitExit(spawned.pidfd);
    return {
      pid: spawned.pid,
      messages,
      status,
      stdout: readFileSync(outPath, 'utf8'),
      stderr: readFileSync(errPath, 'utf8'),
    };
  } catch (e) {
    try {
      native.pidfdSendSignal(spawned.pidfd, 9);
      native.reap(spawned.pidfd);
    } catch {
      // already gone
    }
    throw e;
  } finally {
    native.closeFd(spawned.syncFd);
    native.closeFd(spawned.pidfd);
  }
}

export function hex(v: bigint): string {
  return v.toString(16).padStart(16, '0');
}
