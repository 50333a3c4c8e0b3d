// Facts about the running host that the planner and the cgroup manager depend on.
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import type { HostFacts } from './plan-builder.js';
import type { NamespaceType } from './plan.js';
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
}

export function hostFacts(o: HostOptions = {}): HostFacts {
  let lsm: LsmHost | undefined;
  return {
    euid: process.geteuid!(),
    egid: process.getegid!(),
    inUserNamespace: runningInUserNamespace(),
    cgroup2Mount: findCgroup2Mount(),
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

/** The mount point of the host's cgroup2 hierarchy: /sys/fs/cgroup (pure v2) or .../unified (hybrid). */
export function findCgroup2Mount(mountinfo = safeRead('/proc/self/mountinfo')): string | undefined {
  let best: string | undefined;
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0];
    if (fstype !== 'cgroup2') continue;
    const mountPoint = unescapeMountPath(line.slice(0, sep).split(' ')[4]);
    if (best === undefined || mountPoint === '/sys/fs/cgroup') best = mountPoint;
  }
  return best;
}

/** cgroup v1 controller -> mount point (hybrid hosts), e.g. pids -> /sys/fs/cgroup/pids. */
export function findCgroupV1Mounts(mountinfo = safeRead('/proc/self/mountinfo')): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    if (fstype !== 'cgroup') continue;
    const mountPoint = unescapeMountPath(line.slice(0, sep).split(' ')[4]);
    for (const opt of superOpts.split(',')) {
      if (opt === 'rw' || opt === 'ro' || opt.includes('=')) continue;
      out[opt] ??= mountPoint;
    }
  }
  return out;
}

function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
