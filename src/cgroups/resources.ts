// linux.resources -> the cgroup files to write, for a cgroup v2 directory and for the v1
// controller hierarchies of a hybrid host. Pure: the manager writes what this returns.
//
// Covered now: pids, memory (limit, reservation, swap), cpu (shares/weight, quota, period,
// cpus, mems) and `unified` (v2 only). Other resources are reported back as unsupported so the
// caller can warn instead of silently dropping them.
import type { LinuxResources } from '../spec/types.js';

export interface CgroupWrite {
  /** v1 controller name (its hierarchy), or "" for the v2 directory */
  controller: string;
  file: string;
  value: string;
}

export interface ResourcePlan {
  v2: CgroupWrite[];
  v1: CgroupWrite[];
  /** JSON pointers of resources that were not translated */
  unsupported: string[];
}

const MAX = 'max';

/** cpu.shares (2..262144) -> cpu.weight (1..10000), the conversion the kernel documents and runc uses. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return Math.round(1 + ((shares - 2) * 9999) / 262142);
}

export function planResources(r: LinuxResources | undefined): ResourcePlan {
  const out: ResourcePlan = { v2: [], v1: [], unsupported: [] };
  if (!r) return out;
  const both = (controller: string, v1file: string, v1value: string, v2file: string, v2value: string) => {
    out.v1.push({ controller, file: v1file, value: v1value });
    out.v2.push({ controller: '', file: v2file, value: v2value });
  };

  if (r.pids) {
    const l = r.pids.limit;
    const v = l > 0 ? String(l) : MAX;
    both('pids', 'pids.max', v, 'pids.max', v);
  }
  if (r.memory) {
    const m = r.memory;
    const v1Limit = (n: number) => String(n < 0 ? -1 : n);
    const v2Limit = (n: number) => (n < 0 ? MAX : String(n));
    if (m.limit !== undefined) both('memory', 'memory.limit_in_bytes', v1Limit(m.limit), 'memory.max', v2Limit(m.limit));
    if (m.reservation !== undefined) {
      both('memory', 'memory.soft_limit_in_bytes', v1Limit(m.reservation), 'memory.low', v2Limit(m.reservation));
    }
    if (m.swap !== undefined) {
      out.v1.push({ controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: v1Limit(m.swap) });
      // v1's swap is memory+swap; v2's memory.swap.max is swap alone.
      const swapOnly = m.swap < 0 ? MAX : String(Math.max(0, m.swap - (m.limit ?? 0)));
      out.v2.push({ controller: '', file: 'memory.swap.max', value: swapOnly });
    }
    for (const k of ['kernel', 'kernelTCP', 'swappiness', 'disableOOMKiller'] as const) {
      if (m[k] !== undefined) out.unsupported.push(`/linux/resources/memory/${k}`);
    }
  }
  if (r.cpu) {
    const c = r.cpu;
    if (c.shares !== undefined) both('cpu', 'cpu.shares', String(c.shares), 'cpu.weight', String(sharesToWeight(c.shares)));
    if (c.period !== undefined) out.v1.push({ controller: 'cpu', file: 'cpu.cfs_period_us', value: String(c.period) });
    if (c.quota !== undefined) out.v1.push({ controller: 'cpu', file: 'cpu.cfs_quota_us', value: String(c.quota) });
    if (c.quota !== undefined || c.period !== undefined) {
      const quota = c.quota === undefined || c.quota <= 0 ? MAX : String(c.quota);
      out.v2.push({ controller: '', file: 'cpu.max', value: `${quota} ${c.period ?? 100000}` });
    }
    if (c.cpus) both('cpuset', 'cpuset.cpus', c.cpus, 'cpuset.cpus', c.cpus);
    if (c.mems) both('cpuset', 'cpuset.mems', c.mems, 'cpuset.mems', c.mems);
    for (const k of ['realtimeRuntime', 'realtimePeriod', 'burst', 'idle'] as const) {
      if (c[k] !== undefined) out.unsupported.push(`/linux/resources/cpu/${k}`);
    }
  }
  for (const [file, value] of Object.entries(r.unified ?? {})) out.v2.push({ controller: '', file, value });
  for (const k of ['blockIO', 'hugepageLimits', 'network', 'rdma'] as const) {
    if (r[k] !== undefined) out.unsupported.push(`/linux/resources/${k}`);
  }
  return out;
}
