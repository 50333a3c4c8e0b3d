// A container's cgroups as state.json records them, and its freezer: which one pauses it (the
// v1 freezer where the host has one, as runc uses it on v1 and hybrid hosts, else cgroup.freeze
// of its cgroup2 directory) and whether it is frozen now. Light on purpose: `state` derives the
// "paused" status from this on every call (native/front/state.c repeats the rule).
import { readFileSync } from 'node:fs';

export interface V1Dir {
  /** the hierarchy's name in /proc/self/cgroup: "memory", "cpu,cpuacct", "name=systemd" */
  key: string;
  dir: string;
}

export interface ContainerCgroups {
  /** the cgroup2 directory: a pure v2 host's, or the controller-less unified one of a hybrid host */
  v2?: string;
  /** one directory per cgroup v1 hierarchy, all of them joined by the init */
  v1: V1Dir[];
}

/** The fields of state.json that hold it (cgroupV1Controllers runs parallel to cgroupV1Paths). */
export interface CgroupStateFields {
  cgroupPath?: string;
  cgroupV1Paths?: string[];
  cgroupV1Controllers?: string[];
}

export function toStateFields(c: ContainerCgroups): CgroupStateFields {
  return {
    ...(c.v2 ? { cgroupPath: c.v2 } : {}),
    ...(c.v1.length ? { cgroupV1Paths: c.v1.map((h) => h.dir), cgroupV1Controllers: c.v1.map((h) => h.key) } : {}),
  };
}

export function fromStateFields(s: CgroupStateFields): ContainerCgroups {
  const paths = s.cgroupV1Paths ?? [];
  return {
    ...(s.cgroupPath ? { v2: s.cgroupPath } : {}),
    v1: paths.map((dir, i) => ({ dir, key: s.cgroupV1Controllers?.[i] ?? '' })),
  };
}

/** The v1 directory of the hierarchy holding this controller. */
export function v1DirOf(c: ContainerCgroups, controller: string): string | undefined {
  return c.v1.find((h) => h.key.split(',').includes(controller))?.dir;
}

/** Limits live in v1 hierarchies when the container has any with controllers (v1 and hybrid hosts). */
export function limitsOnV1(c: ContainerCgroups): boolean {
  return c.v1.some((h) => h.key.split(',').some((k) => k !== '' && !k.startsWith('name=')));
}

export type Freezer = { kind: 'v1'; dir: string } | { kind: 'v2'; dir: string };

export function freezerOf(c: ContainerCgroups): Freezer | undefined {
  const v1 = v1DirOf(c, 'freezer');
  if (v1) return { kind: 'v1', dir: v1 };
  return c.v2 ? { kind: 'v2', dir: c.v2 } : undefined;
}

/** FROZEN (v1) or cgroup.freeze 1 (v2); a freezer that cannot be read is not frozen. */
export function isFrozen(f: Freezer | undefined): boolean {
  if (!f) return false;
  try {
    if (f.kind === 'v1') return readFileSync(`${f.dir}/freezer.state`, 'utf8').trim() === 'FROZEN';
    return readFileSync(`${f.dir}/cgroup.freeze`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}
