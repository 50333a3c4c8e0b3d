// The host's cgroup hierarchies as this process sees them: which are mounted where (mountinfo),
// which cgroup this process is in (/proc/self/cgroup), and whether each mount point really shows
// that hierarchy (statfs: a cgroup mount covered by another mount is not there for us). The
// parsing is pure (parseCgroupHost) and unit-tested; readCgroupHost gathers the inputs.
import { readFileSync, statfsSync } from 'node:fs';

export const CGROUP_SUPER_MAGIC = 0x27e0eb;
export const CGROUP2_SUPER_MAGIC = 0x63677270;

export interface Hierarchy {
  /**
   * The hierarchy's name in /proc/self/cgroup: its v1 controllers ("cpu,cpuacct", "memory") or
   * "name=systemd" for a named one; "" for the cgroup2 hierarchy.
   */
  key: string;
  /** v1 controllers this hierarchy holds (none for a named hierarchy or cgroup2) */
  controllers: string[];
  mountPoint: string;
  /** the cgroup (a path in this process's cgroup namespace) shown at the mount point */
  mountRoot: string;
  /** this process's own cgroup in the hierarchy */
  own: string;
}

/**
 * v2: one unified hierarchy holds the controllers. hybrid: v1 hierarchies hold them and a
 * controller-less cgroup2 mount is beside them (used for placement, freeze and kill where v1 has
 * no equivalent). v1: no cgroup2 mount. none: nothing mounted.
 */
export type CgroupMode = 'v2' | 'hybrid' | 'v1' | 'none';

export interface CgroupHost {
  mode: CgroupMode;
  /** the cgroup2 hierarchy (the unified one of a hybrid host) */
  unified?: Hierarchy;
  /** v1 hierarchies, controllers and named ones alike (empty on a v2 host) */
  v1: Hierarchy[];
}

export interface HostInputs {
  mountinfo: string;
  procSelfCgroup: string;
  /** statfs(2) f_type of a path, undefined if it cannot be read */
  fsType(path: string): number | undefined;
}

interface CgroupMount {
  fstype: 'cgroup' | 'cgroup2';
  mountPoint: string;
  root: string;
  superOptions: Set<string>;
}

function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

function cgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const f = line.slice(0, sep).split(' ');
    out.push({ fstype, root: unescapeMountPath(f[3]), mountPoint: unescapeMountPath(f[4]), superOptions: new Set(superOpts.split(',')) });
  }
  return out;
}

/** The mount of this hierarchy to use: really visible at its mount point, preferring the whole hierarchy. */
function pickMount(candidates: CgroupMount[], magic: number, inputs: HostInputs): CgroupMount | undefined {
  const visible = candidates.filter((m) => inputs.fsType(m.mountPoint) === magic);
  return visible.find((m) => m.root === '/') ?? visible[0];
}

export function parseCgroupHost(inputs: HostInputs): CgroupHost {
  const mounts = cgroupMounts(inputs.mountinfo);
  const own = new Map<string, string>();
  for (const line of inputs.procSelfCgroup.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (m) own.set(m[2], m[3]);
  }

  let unified: Hierarchy | undefined;
  const v2own = own.get('');
  if (v2own !== undefined) {
    const m = pickMount(
      mounts.filter((x) => x.fstype === 'cgroup2'),
      CGROUP2_SUPER_MAGIC,
      inputs,
    );
    if (m) unified = { key: '', controllers: [], mountPoint: m.mountPoint, mountRoot: m.root, own: v2own };
  }

  const v1: Hierarchy[] = [];
  for (const [key, path] of own) {
    if (key === '') continue;
    const parts = key.split(',');
    const candidates = mounts.filter((x) => x.fstype === 'cgroup' && parts.every((p) => x.superOptions.has(p)));
    const m = pickMount(candidates, CGROUP_SUPER_MAGIC, inputs);
    if (!m) continue;
    v1.push({ key, controllers: parts.filter((p) => !p.startsWith('name=')), mountPoint: m.mountPoint, mountRoot: m.root, own: path });
  }
  // a plain comparison: localeCompare loads ICU's collator (about 1.5 ms under Bun)
  v1.sort((a, b) => (a.mountPoint < b.mountPoint ? -1 : a.mountPoint > b.mountPoint ? 1 : 0));

  const v1Controllers = v1.some((h) => h.controllers.length > 0);
  if (v1Controllers) return { mode: unified ? 'hybrid' : 'v1', ...(unified ? { unified } : {}), v1 };
  // a v2 host may keep a named v1 hierarchy for old software: the container uses cgroup2 alone
  if (unified) return { mode: 'v2', unified, v1: [] };
  return { mode: 'none', v1: [] };
}

/** The hierarchy holding a v1 controller, if one does. */
export function hierarchyOf(host: CgroupHost, controller: string): Hierarchy | undefined {
  return host.v1.find((h) => h.controllers.includes(controller));
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

export function readCgroupHost(): CgroupHost {
  return parseCgroupHost({
    mountinfo: safeRead('/proc/self/mountinfo'),
    procSelfCgroup: safeRead('/proc/self/cgroup'),
    fsType(p) {
      try {
        return statfsSync(p).type;
      } catch {
        return undefined;
      }
    },
  });
}
