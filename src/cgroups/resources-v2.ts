// linux.resources -> cgroup v2 files in the container's directory, with runc's conversions.
// Fields cgroup v2 has no file for are either an error (realtime CPU budgets, which the container
// would silently lack) or, where runc ignores them too, a warning. Pure; device rules are
// devices.ts's, the unified map is checked against the directory by the writer.
import { OcirtError } from '../errors.js';
import type { LinuxResources } from '../spec/types.js';
import { blkioWeightToIoWeight, sharesToWeight, swapToV2, v2Limit } from './convert.js';
import { devNum, write, type CgroupWrite, type ResourcePlan } from './plan.js';
import { rdmaLine } from './resources-v1.js';

const R = '/linux/resources';

export function planV2(r: LinuxResources | undefined): ResourcePlan {
  const writes: CgroupWrite[] = [];
  const warnings: string[] = [];
  if (!r) return { writes, warnings };
  const ignored = (field: string, why: string) => warnings.push(`${field} is ignored on cgroup v2: ${why} (as runc ignores it)`);

  if (r.pids && r.pids.limit !== 0) {
    writes.push(write('pids', 'pids.max', r.pids.limit > 0 ? String(r.pids.limit) : 'max', `${R}/pids/limit`));
  }

  const m = r.memory;
  if (m) {
    const swap = swapToV2(m.swap, m.limit);
    if (swap !== undefined) {
      // a host without swap accounting has no memory.swap.max: "no swap" and "any swap" both hold there
      const skip = swap === 'max' || swap === '0';
      writes.push(write('memory', 'memory.swap.max', swap, `${R}/memory/swap`, skip ? { ifMissing: 'skip' } : {}));
    }
    const max = v2Limit(m.limit);
    if (max !== undefined) writes.push(write('memory', 'memory.max', max, `${R}/memory/limit`));
    const low = v2Limit(m.reservation);
    if (low !== undefined) writes.push(write('memory', 'memory.low', low, `${R}/memory/reservation`));
    if (m.kernel) ignored(`${R}/memory/kernel`, 'kernel memory is part of memory.max');
    if (m.kernelTCP) ignored(`${R}/memory/kernelTCP`, 'TCP buffers are part of memory.max');
    if (m.swappiness !== undefined) ignored(`${R}/memory/swappiness`, 'there is no per-cgroup swappiness');
    if (m.disableOOMKiller) ignored(`${R}/memory/disableOOMKiller`, 'the OOM killer cannot be disabled per cgroup');
  }

  const c = r.cpu;
  if (c) {
    const weight = sharesToWeight(c.shares ?? 0);
    if (weight) {
      if (c.shares! < 2 || c.shares! > 262144) throw new OcirtError(`config.json: ${R}/cpu/shares: ${c.shares} is out of range 2..262144`);
      writes.push(write('cpu', 'cpu.weight', String(weight), `${R}/cpu/shares`));
    }
    const quota = c.quota ?? 0;
    const period = c.period ?? 0;
    if (quota !== 0 || period !== 0) {
      const value = `${quota > 0 ? quota : 'max'}${period ? ` ${period}` : ''}`;
      writes.push(write('cpu', 'cpu.max', value, quota !== 0 ? `${R}/cpu/quota` : `${R}/cpu/period`));
    }
    if (c.burst !== undefined) writes.push(write('cpu', 'cpu.max.burst', String(c.burst), `${R}/cpu/burst`));
    if (c.idle !== undefined) writes.push(write('cpu', 'cpu.idle', String(c.idle), `${R}/cpu/idle`));
    for (const k of ['realtimeRuntime', 'realtimePeriod'] as const) {
      if (c[k] !== undefined && c[k] !== 0) {
        throw new OcirtError(
          `config.json: ${R}/cpu/${k}: cgroup v2 has no realtime CPU budget (cpu.rt_runtime_us is cgroup v1 only); remove it or run on a cgroup v1 host`,
        );
      }
    }
    if (c.cpus) writes.push(write('cpuset', 'cpuset.cpus', c.cpus, `${R}/cpu/cpus`));
    if (c.mems) writes.push(write('cpuset', 'cpuset.mems', c.mems, `${R}/cpu/mems`));
  }

  const b = r.blockIO;
  if (b) {
    if (b.weight !== undefined && b.weight !== 0) {
      writes.push({
        controller: 'io',
        candidates: [
          { file: 'io.bfq.weight', value: String(b.weight) },
          { file: 'io.weight', value: String(blkioWeightToIoWeight(b.weight)) },
        ],
        field: `${R}/blockIO/weight`,
      });
    }
    if (b.leafWeight) ignored(`${R}/blockIO/leafWeight`, 'cgroup v2 has no leaf weights');
    (b.weightDevice ?? []).forEach((d, i) => {
      const f = `${R}/blockIO/weightDevice/${i}`;
      if (d.weight) {
        writes.push(
          write('io', 'io.bfq.weight', `${devNum(d)} ${d.weight}`, `${f}/weight`, {
            ifMissing: {
              warn: `${f}/weight is ignored: per-device weights need the BFQ I/O scheduler (io.bfq.weight), as runc ignores them without it`,
            },
          }),
        );
      }
      if (d.leafWeight) ignored(`${f}/leafWeight`, 'cgroup v2 has no leaf weights');
    });
    const throttles = [
      ['throttleReadBpsDevice', 'rbps'],
      ['throttleWriteBpsDevice', 'wbps'],
      ['throttleReadIOPSDevice', 'riops'],
      ['throttleWriteIOPSDevice', 'wiops'],
    ] as const;
    for (const [key, name] of throttles) {
      (b[key] ?? []).forEach((d, i) => {
        // 0 removes the limit on cgroup v1; "max" does on v2
        const rate = d.rate ? String(d.rate) : 'max';
        writes.push(write('io', 'io.max', `${devNum(d)} ${name}=${rate}`, `${R}/blockIO/${key}/${i}`));
      });
    }
  }

  (r.hugepageLimits ?? []).forEach((h, i) => {
    const f = `${R}/hugepageLimits/${i}`;
    writes.push(write('hugetlb', `hugetlb.${h.pageSize}.max`, String(h.limit), f));
    writes.push(write('hugetlb', `hugetlb.${h.pageSize}.rsvd.max`, String(h.limit), f, { ifMissing: 'skip' }));
  });

  for (const [device, l] of Object.entries(r.rdma ?? {})) {
    writes.push(write('rdma', 'rdma.max', rdmaLine(device, l), `${R}/rdma/${device.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  }

  if (r.network && (r.network.classID !== undefined || r.network.priorities?.length)) {
    ignored(`${R}/network`, 'net_cls and net_prio exist only in cgroup v1 (use an eBPF program on the cgroup instead)');
  }

  for (const [key, value] of Object.entries(r.unified ?? {})) {
    const field = `${R}/unified/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const dot = key.indexOf('.');
    if (key.includes('/') || key.includes('\0') || dot <= 0 || dot === key.length - 1) {
      throw new OcirtError(`config.json: ${field}: "${key}" is not a cgroup file name: expected "<controller>.<file>" without "/"`);
    }
    writes.push(write(key.slice(0, dot), key, value, field));
  }
  return { writes, warnings };
}
