// A mount of type "cgroup" or "cgroup2" (usually /sys/fs/cgroup): what runc shows the container.
// On a v1 or hybrid host that is a tmpfs with one directory per v1 hierarchy (comounted
// controllers such as "cpu,cpuacct" get a symlink per controller), each showing the container's
// own cgroup: a fresh cgroup mount when the container has a cgroup namespace (rooted at its
// cgroup by the kernel), else a bind of its cgroup directory. On a v2 host, one cgroup2 mount;
// where that is refused (a user namespace without its own cgroup namespace) a bind of the
// container's directory, or of the host's hierarchy without a cgroup namespace, as runc does.
// The hybrid host's controller-less cgroup2 hierarchy is not shown, as in runc. Pure.
import { posix as path } from 'node:path';
import type { Mount } from '../spec/types.js';
import { OcirtError } from '../errors.js';
import { MS } from './constants.js';
import { parseMountOptions } from './mount-options.js';
import { withMountContext } from '../lsm/labels.js';
import type { MountStep, SymlinkStep } from './plan.js';

export interface CgroupMountFacts {
  /** v2: one unified hierarchy; v1: controllers in v1 hierarchies (v1 and hybrid hosts); none */
  mode: 'v2' | 'v1' | 'none';
  /** v2: the host's cgroup2 mount point and the container's directory in it */
  v2Mount?: string;
  v2Dir?: string;
  /** v1: each hierarchy's name under /sys/fs/cgroup, its mount options and the container's directory */
  v1: { name: string; options: string; dir: string }[];
}

export function isCgroupMount(m: Mount): boolean {
  return m.type === 'cgroup' || m.type === 'cgroup2';
}

/** runc's flags for these mounts whatever the config says */
const DEFAULT_FLAGS = MS.NOSUID | MS.NODEV | MS.NOEXEC;

export function planCgroupMount(
  m: Mount,
  field: string,
  facts: CgroupMountFacts,
  cgroupns: boolean,
  /** linux.mountLabel as a mount option (the tmpfs takes it; cgroup file systems label themselves) */
  context?: string,
): { mounts: MountStep[]; symlinks: SymlinkStep[] } {
  const o = parseMountOptions(m.options);
  const base = {
    field,
    propagation: o.propagation,
    recursiveAttrSet: o.attrSet,
    recursiveAttrClear: o.attrClear,
    createAs: 'dir' as const,
  };
  const flags = o.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
  if (facts.mode === 'none') {
    throw new OcirtError(`config.json: ${field}: a mount of type ${m.type} needs cgroups, and this host has none mounted`);
  }
  if (facts.mode === 'v2') {
    const fallback = cgroupns && facts.v2Dir ? facts.v2Dir : facts.v2Mount;
    return {
      mounts: [
        {
          ...base,
          destination: m.destination,
          source: 'cgroup2',
          fstype: 'cgroup2',
          flags,
          remountFlags: flags,
          data: o.data.join(','),
          ...(fallback ? { fallbackBindSource: fallback } : {}),
        },
      ],
      symlinks: [],
    };
  }
  const mounts: MountStep[] = [
    {
      ...base,
      destination: m.destination,
      source: 'tmpfs',
      fstype: 'tmpfs',
      flags: DEFAULT_FLAGS,
      remountFlags: 0,
      data: withMountContext('mode=755', 'tmpfs', context),
    },
  ];
  const symlinks: SymlinkStep[] = [];
  for (const h of facts.v1) {
    const destination = path.join(m.destination, h.name);
    const hierFlags = flags | DEFAULT_FLAGS;
    if (cgroupns) {
      // systemd's named hierarchy mounts as "systemd", as runc does
      const source = h.options.startsWith('name=') ? h.options.slice(5) : 'cgroup';
      mounts.push({
        ...base,
        propagation: [],
        destination,
        source,
        fstype: 'cgroup',
        flags: hierFlags,
        remountFlags: hierFlags,
        data: h.options,
        fallbackBindSource: h.dir,
      });
    } else {
      mounts.push({
        ...base,
        propagation: [],
        destination,
        source: h.dir,
        fstype: '',
        flags: MS.BIND | MS.REC,
        remountFlags: hierFlags,
        data: '',
      });
    }
    if (h.name.includes(',')) {
      for (const part of h.name.split(',')) symlinks.push({ link: path.join(m.destination, part), target: h.name });
    }
  }
  return { mounts, symlinks };
}
