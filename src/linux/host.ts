// Facts about the running host that the planner depends on.
import { readlinkSync, statSync } from 'node:fs';
import type { HostFacts } from './plan-builder.js';
import type { NamespaceType } from './plan.js';
import type { CgroupMountFacts } from './cgroup-mounts.js';
import { detectLsm, type LsmHost } from '../lsm/host.js';
import { seccompHost } from '../seccomp/host.js';
import { runningInUserNamespace } from '../container/rootless.js';

/** /proc/<pid>/ns/<file> of each runtime-spec namespace type */
const NS_FILES: Record<NamespaceType, string> = {
  user: 'user',
  mount: 'mnt',
  pid: 'pid',
  network: 'net',
  ipc: 'ipc',
  uts: 'uts',
  cgroup: 'cgroup',
  time: 'time',
};

/** Whether the namespace file at `path` (a config's namespace path) is this process's own. */
export function isOwnNamespace(path: string, type: NamespaceType): boolean {
  const theirs = safeReadlink(path);
  return theirs !== undefined && theirs === safeReadlink(`/proc/self/ns/${NS_FILES[type]}`);
}

function safeReadlink(p: string): string | undefined {
  try {
    return readlinkSync(p);
  } catch {
    return undefined;
  }
}

export interface HostOptions {
  /** a private directory for compiled seccomp programs (none: compile every time) */
  seccompCacheDir?: string;
  /** the container's cgroups as its cgroup mounts show them (src/cgroups/manager.ts cgroupMountFacts) */
  cgroups?: CgroupMountFacts;
}

export function hostFacts(o: HostOptions = {}): HostFacts {
  let lsm: LsmHost | undefined;
  return {
    euid: process.geteuid!(),
    egid: process.getegid!(),
    inUserNamespace: runningInUserNamespace(),
    ...(o.cgroups ? { cgroups: o.cgroups } : {}),
    isDirectory(p: string) {
      try {
        return statSync(p).isDirectory();
      } catch {
        return undefined;
      }
    },
    seccomp: seccompHost(o.seccompCacheDir),
    lsm: () => (lsm ??= detectLsm()),
  };
}
