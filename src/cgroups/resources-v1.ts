// linux.resources -> cgroup v1 files, one hierarchy per controller, with runc's conversions and
// write order. Pure: `current` carries what the writer read from the cgroup when an order depends
// on it. Device rules are devices.ts's.
import { OcirtError } from '../errors.js';
import type { LinuxResources } from '../spec/types.js';
import { devNum, write, type CgroupWrite, type ResourcePlan } from './plan.js';

export interface V1Current {
  /** memory.limit_in_bytes now (update); undefined for a new cgroup, whose limit is unlimited */
  memoryLimit?: number;
}

const R = '/linux/resources';

export function planV1(r: LinuxResources | undefined, current: V1Current = {}): ResourcePlan {
  const writes: CgroupWrite[] = [];
  const warnings: string[] = [];
  if (!r) return { writes, warnings };

  if (r.pids && r.pids.limit !== 0) {
    writes.push(write('pids', 'pids.max', r.pids.limit > 0 ? String(r.pids.limit) : 'max', `${R}/pids/limit`));
  }

  const m = r.memory;
  if (m) {
    const limit = m.limit ?? 0;
    let swap = m.swap ?? 0;
    // runc: an unlimited memory without a swap value unlimits swap as well
    if (limit === -1 && swap === 0) swap = -1;
    const lim = limit !== 0 ? write('memory', 'memory.limit_in_bytes', String(limit < 0 ? -1 : limit), `${R}/memory/limit`) : undefined;
    const sw = swap !== 0 ? write('memory', 'memory.memsw.limit_in_bytes', String(swap < 0 ? -1 : swap), `${R}/memory/swap`) : undefined;
    // memsw may never be below the memory limit: raise memsw first when the limit goes up
    const cur = current.memoryLimit;
    const swapFirst = sw !== undefined && (swap === -1 || (cur !== undefined && cur >= 0 && cur < swap));
    for (const w of swapFirst ? [sw, lim] : [lim, sw]) if (w) writes.push(w);
    if (m.reservation !== undefined && m.reservation !== 0) {
      writes.push(write('memory', 'memory.soft_limit_in_bytes', String(m.reservation < 0 ? -1 : m.reservation), `${R}/memory/reservation`));
    }
    if (m.kernel !== undefined && m.kernel !== 0) {
      warnings.push(`${R}/memory/kernel is ignored: kernel memory limits are deprecated by the kernel (as runc ignores them)`);
    }
    if (m.kernelTCP !== undefined && m.kernelTCP !== 0) {
      writes.push(write('memory', 'memory.kmem.tcp.limit_in_bytes', String(m.kernelTCP < 0 ? -1 : m.kernelTCP), `${R}/memory/kernelTCP`));
    }
    if (m.swappiness !== undefined) {
      if (m.swappiness > 100) throw new OcirtError(`config.json: ${R}/memory/swappiness: ${m.swappiness} is out of range 0..100`);
      writes.push(write('memory', 'memory.swappiness', String(m.swappiness), `${R}/memory/swappiness`));
    }
    if (m.disableOOMKiller !== undefined) {
      writes.push(write('memory', 'memory.oom_control', m.disableOOMKiller ? '1' : '0', `${R}/memory/disableOOMKiller`));
    }
    if (m.useHierarchy !== undefined) {
      writes.push(write('memory', 'memory.use_hierarchy', m.useHierarchy ? '1' : '0', `${R}/memory/useHierarchy`));
    }
  }

  const c = r.cpu;
  if (c) {
    if (c.shares !== undefined && c.shares !== 0) {
      if (c.shares < 2 || c.shares > 262144)
        throw new OcirtError(`config.json: ${R}/cpu/shares: ${c.shares} is out of the kernel's range 2..262144`);
      writes.push(write('cpu', 'cpu.shares', String(c.shares), `${R}/cpu/shares`));
    }
    const hasQuota = c.quota !== undefined && c.quota !== 0;
    if (c.period !== undefined && c.period !== 0) {
      // a smaller period can be refused until the quota is lowered with it
      writes.push(write('cpu', 'cpu.cfs_period_us', String(c.period), `${R}/cpu/period`, hasQuota ? { retryLaterOnEinval: true } : {}));
    }
    if (hasQuota) writes.push(write('cpu', 'cpu.cfs_quota_us', String(c.quota! < 0 ? -1 : c.quota), `${R}/cpu/quota`));
    if (c.burst !== undefined) writes.push(write('cpu', 'cpu.cfs_burst_us', String(c.burst), `${R}/cpu/burst`));
    // a realtime task may only join a cgroup that already has runtime: these come before the join
    if (c.realtimePeriod !== undefined && c.realtimePeriod !== 0) {
      writes.push(write('cpu', 'cpu.rt_period_us', String(c.realtimePeriod), `${R}/cpu/realtimePeriod`));
    }
    if (c.realtimeRuntime !== undefined && c.realtimeRuntime !== 0) {
      writes.push(write('cpu', 'cpu.rt_runtime_us', String(c.realtimeRuntime), `${R}/cpu/realtimeRuntime`));
    }
    if (c.idle !== undefined) writes.push(write('cpu', 'cpu.idle', String(c.idle), `${R}/cpu/idle`));
    if (c.cpus) writes.push(write('cpuset', 'cpuset.cpus', c.cpus, `${R}/cpu/cpus`));
    if (c.mems) writes.push(write('cpuset', 'cpuset.mems', c.mems, `${R}/cpu/mems`));
  }

  const b = r.blockIO;
  if (b) {
    if (b.weight !== undefined && b.weight !== 0) {
      writes.push({
        controller: 'blkio',
        candidates: [
          { file: 'blkio.weight', value: String(b.weight) },
          { file: 'blkio.bfq.weight', value: String(b.weight) },
        ],
        field: `${R}/blockIO/weight`,
      });
    }
    if (b.leafWeight !== undefined && b.leafWeight !== 0) {
      writes.push(write('blkio', 'blkio.leaf_weight', String(b.leafWeight), `${R}/blockIO/leafWeight`));
    }
    (b.weightDevice ?? []).forEach((d, i) => {
      const f = `${R}/blockIO/weightDevice/${i}`;
      if (d.weight !== undefined && d.weight !== 0) {
        const value = `${devNum(d)} ${d.weight}`;
        writes.push({
          controller: 'blkio',
          candidates: [
            { file: 'blkio.weight_device', value },
            { file: 'blkio.bfq.weight_device', value },
          ],
          field: `${f}/weight`,
        });
      }
      if (d.leafWeight !== undefined && d.leafWeight !== 0) {
        writes.push(write('blkio', 'blkio.leaf_weight_device', `${devNum(d)} ${d.leafWeight}`, `${f}/leafWeight`));
      }
    });
    const throttles = [
      ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
      ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
      ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
      ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
    ] as const;
    for (const [key, file] of throttles) {
      (b[key] ?? []).forEach((d, i) => writes.push(write('blkio', file, `${devNum(d)} ${d.rate ?? 0}`, `${R}/blockIO/${key}/${i}`)));
    }
  }

  (r.hugepageLimits ?? []).forEach((h, i) => {
    const f = `${R}/hugepageLimits/${i}`;
    writes.push(write('hugetlb', `hugetlb.${h.pageSize}.limit_in_bytes`, String(h.limit), f));
    // reservations are accounted separately since Linux 5.7: limit them alike where they are
    writes.push(write('hugetlb', `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`, String(h.limit), f, { ifMissing: 'skip' }));
  });

  const n = r.network;
  if (n) {
    if (n.classID !== undefined) writes.push(write('net_cls', 'net_cls.classid', String(n.classID), `${R}/network/classID`));
    (n.priorities ?? []).forEach((p, i) =>
      writes.push(write('net_prio', 'net_prio.ifpriomap', `${p.name} ${p.priority}`, `${R}/network/priorities/${i}`)),
    );
  }

  for (const [device, l] of Object.entries(r.rdma ?? {})) {
    writes.push(write('rdma', 'rdma.max', rdmaLine(device, l), `${R}/rdma/${device.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  }

  if (r.unified && Object.keys(r.unified).length) {
    throw new OcirtError(
      `config.json: ${R}/unified: cgroup v2 files cannot be set on a host whose controllers are cgroup v1 (as runc refuses them); use the v1 fields of linux.resources`,
    );
  }
  return { writes, warnings };
}

/** rdma.max's line for one device: only the limits the config sets. */
export function rdmaLine(device: string, l: { hcaHandles?: number; hcaObjects?: number }): string {
  const parts = [device];
  if (l.hcaHandles !== undefined) parts.push(`hca_handle=${l.hcaHandles}`);
  if (l.hcaObjects !== undefined) parts.push(`hca_object=${l.hcaObjects}`);
  return parts.join(' ');
}
