// `events --stats` data: the container's cgroup figures in the JSON shape runc (1.1) prints, so
// tools written for runc read them unchanged. Values are kept as the exact integers the kernel
// wrote (bigint): memory limits such as 9223372036854771712 do not survive a double.
// readStats reads through `read` (a path -> text function) so parsing is tested without a cgroup.
import type { ContainerCgroups } from './record.js';
import { limitsOnV1, v1DirOf } from './record.js';

type Read = (path: string) => string | undefined;
type Obj = Record<string, unknown>;

const big = (s: string | undefined): bigint | undefined => (s !== undefined && /^\d+$/.test(s.trim()) ? BigInt(s.trim()) : undefined);
const MAX_U64 = (1n << 64n) - 1n;

function keyed(text: string | undefined): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const l of (text ?? '').split('\n')) {
    const [k, v] = l.trim().split(/\s+/);
    const n = big(v);
    if (k && n !== undefined) m.set(k, n);
  }
  return m;
}

/** Go's omitempty: drop zero numbers, empty strings, empty arrays and maps (not structs). */
function omitEmpty(o: Obj, keys: string[]): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    const empty = v === undefined || v === 0n || v === '' || (Array.isArray(v) && v.length === 0) || (v instanceof Map && v.size === 0);
    if (keys.includes(k) && empty) continue;
    out[k] = v === undefined ? 0n : v;
  }
  return out;
}

/** "0-2,4" -> [0,1,2,4] */
export function parseList(s: string | undefined): bigint[] {
  const out: bigint[] = [];
  for (const part of (s ?? '').trim().split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a; i <= (b ?? a); i++) out.push(BigInt(i));
  }
  return out;
}

function memoryEntry(read: Read, dir: string, prefix: string): Obj {
  return omitEmpty(
    {
      limit: big(read(`${dir}/${prefix}.limit_in_bytes`)) ?? 0n,
      usage: big(read(`${dir}/${prefix}.usage_in_bytes`)),
      max: big(read(`${dir}/${prefix}.max_usage_in_bytes`)),
      failcnt: big(read(`${dir}/${prefix}.failcnt`)) ?? 0n,
    },
    ['usage', 'max'],
  );
}

function blkioEntries(text: string | undefined): Obj[] {
  const out: Obj[] = [];
  for (const l of (text ?? '').split('\n')) {
    const m = /^(\d+):(\d+) (\S+) (\d+)$/.exec(l.trim());
    if (m)
      out.push(omitEmpty({ major: BigInt(m[1]), minor: BigInt(m[2]), op: m[3], value: BigInt(m[4]) }, ['major', 'minor', 'op', 'value']));
  }
  return out;
}

function cpusetStats(read: Read, dir: string | undefined): Obj {
  const n = (f: string) => (dir ? big(read(`${dir}/cpuset.${f}`)) : undefined) ?? 0n;
  const relax = dir ? read(`${dir}/cpuset.sched_relax_domain_level`)?.trim() : undefined;
  return omitEmpty(
    {
      cpus: dir ? parseList(read(`${dir}/cpuset.cpus`)) : [],
      cpu_exclusive: n('cpu_exclusive'),
      mems: dir ? parseList(read(`${dir}/cpuset.mems`)) : [],
      mem_hardwall: n('mem_hardwall'),
      mem_exclusive: n('mem_exclusive'),
      memory_migrate: n('memory_migrate'),
      memory_spread_page: n('memory_spread_page'),
      memory_spread_slab: n('memory_spread_slab'),
      memory_pressure: n('memory_pressure'),
      sched_load_balance: n('sched_load_balance'),
      sched_relax_domain_level: relax && /^-?\d+$/.test(relax) ? BigInt(relax) : 0n,
    },
    ['cpus', 'mems'],
  );
}

function v1Stats(c: ContainerCgroups, read: Read, sizes: string[]): Obj {
  const cpuacct = v1DirOf(c, 'cpuacct');
  const cpu = v1DirOf(c, 'cpu');
  const mem = v1DirOf(c, 'memory');
  const pids = v1DirOf(c, 'pids');
  const blkio = v1DirOf(c, 'blkio');
  const hugetlb = v1DirOf(c, 'hugetlb');

  // cpuacct.stat counts USER_HZ (100) ticks
  const acct = keyed(cpuacct ? read(`${cpuacct}/cpuacct.stat`) : undefined);
  const percpuKernel: bigint[] = [];
  const percpuUser: bigint[] = [];
  for (const l of (cpuacct ? read(`${cpuacct}/cpuacct.usage_all`) : undefined)?.split('\n').slice(1) ?? []) {
    const f = l.trim().split(/\s+/);
    if (f.length === 3 && f.every((x) => /^\d+$/.test(x))) {
      percpuUser.push(BigInt(f[1]));
      percpuKernel.push(BigInt(f[2]));
    }
  }
  const throttle = keyed(cpu ? read(`${cpu}/cpu.stat`) : undefined);
  const memStat = keyed(mem ? read(`${mem}/memory.stat`) : undefined);
  const pidsMax = pids ? read(`${pids}/pids.max`)?.trim() : undefined;

  const blkioPrefix =
    blkio && read(`${blkio}/blkio.io_service_bytes_recursive`) !== undefined
      ? 'blkio'
      : blkio && read(`${blkio}/blkio.bfq.io_service_bytes_recursive`) !== undefined
        ? 'blkio.bfq'
        : 'blkio.throttle';
  const bl = (f: string) => blkioEntries(blkio ? read(`${blkio}/${blkioPrefix}.${f}`) : undefined);

  return {
    cpu: {
      usage: omitEmpty(
        {
          total: big(cpuacct ? read(`${cpuacct}/cpuacct.usage`) : undefined),
          percpu: (cpuacct ? (read(`${cpuacct}/cpuacct.usage_percpu`) ?? '') : '')
            .trim()
            .split(/\s+/)
            .filter(Boolean)
            .map((x) => BigInt(x)),
          percpu_kernel: percpuKernel,
          percpu_user: percpuUser,
          kernel: (acct.get('system') ?? 0n) * 10000000n,
          user: (acct.get('user') ?? 0n) * 10000000n,
        },
        ['total', 'percpu', 'percpu_kernel', 'percpu_user'],
      ),
      throttling: omitEmpty(
        {
          periods: throttle.get('nr_periods'),
          throttledPeriods: throttle.get('nr_throttled'),
          throttledTime: throttle.get('throttled_time'),
        },
        ['periods', 'throttledPeriods', 'throttledTime'],
      ),
    },
    cpuset: cpusetStats(read, v1DirOf(c, 'cpuset')),
    memory: mem
      ? omitEmpty(
          {
            cache: memStat.get('cache'),
            usage: memoryEntry(read, mem, 'memory'),
            swap: memoryEntry(read, mem, 'memory.memsw'),
            kernel: memoryEntry(read, mem, 'memory.kmem'),
            kernelTCP: memoryEntry(read, mem, 'memory.kmem.tcp'),
            raw: memStat,
          },
          ['cache', 'raw'],
        )
      : {},
    pids: omitEmpty(
      { current: big(pids ? read(`${pids}/pids.current`) : undefined), limit: pidsMax === 'max' ? undefined : big(pidsMax) },
      ['current', 'limit'],
    ),
    blkio: omitEmpty(
      {
        ioServiceBytesRecursive: bl('io_service_bytes_recursive'),
        ioServicedRecursive: bl('io_serviced_recursive'),
        ioQueueRecursive: blkioPrefix === 'blkio' ? bl('io_queued_recursive') : [],
        ioServiceTimeRecursive: blkioPrefix === 'blkio' ? bl('io_service_time_recursive') : [],
        ioWaitTimeRecursive: blkioPrefix === 'blkio' ? bl('io_wait_time_recursive') : [],
        ioMergedRecursive: blkioPrefix === 'blkio' ? bl('io_merged_recursive') : [],
        ioTimeRecursive: blkioPrefix === 'blkio' ? bl('time_recursive') : [],
        sectorsRecursive: blkioPrefix === 'blkio' ? bl('sectors_recursive') : [],
      },
      [
        'ioServiceBytesRecursive',
        'ioServicedRecursive',
        'ioQueueRecursive',
        'ioServiceTimeRecursive',
        'ioWaitTimeRecursive',
        'ioMergedRecursive',
        'ioTimeRecursive',
        'sectorsRecursive',
      ],
    ),
    hugetlb: hugetlb ? hugetlbStats(read, hugetlb, 'v1', sizes) : new Map(),
    intel_rdt: {},
    network_interfaces: null,
  };
}

function hugetlbStats(read: Read, dir: string, v: 'v1' | 'v2', sizes: string[]): Map<string, Obj> {
  const out = new Map<string, Obj>();
  for (const size of sizes) {
    if (v === 'v1') {
      const usage = big(read(`${dir}/hugetlb.${size}.usage_in_bytes`));
      if (usage === undefined) continue;
      out.set(
        size,
        omitEmpty(
          {
            usage,
            max: big(read(`${dir}/hugetlb.${size}.max_usage_in_bytes`)),
            failcnt: big(read(`${dir}/hugetlb.${size}.failcnt`)) ?? 0n,
          },
          ['usage', 'max'],
        ),
      );
    } else {
      const usage = big(read(`${dir}/hugetlb.${size}.current`));
      if (usage === undefined) continue;
      out.set(size, omitEmpty({ usage, failcnt: keyed(read(`${dir}/hugetlb.${size}.events`)).get('max') ?? 0n }, ['usage', 'max']));
    }
  }
  return out;
}

function v2Stats(dir: string, read: Read, sizes: string[]): Obj {
  const cpu = keyed(read(`${dir}/cpu.stat`));
  const us = (k: string) => (cpu.has(k) ? cpu.get(k)! * 1000n : undefined);
  const memStat = keyed(read(`${dir}/memory.stat`));
  const limit = (f: string): bigint => {
    const t = read(`${dir}/${f}`)?.trim();
    return t === 'max' ? MAX_U64 : (big(t) ?? 0n);
  };
  const memUsage = big(read(`${dir}/memory.current`));
  const swapUsage = big(read(`${dir}/memory.swap.current`));
  const memLimit = limit('memory.max');
  const swapLimit = limit('memory.swap.max');
  const memEvents = keyed(read(`${dir}/memory.events`));
  const pidsMax = read(`${dir}/pids.max`)?.trim();
  const serviced: Obj[] = [];
  const bytes: Obj[] = [];
  for (const l of (read(`${dir}/io.stat`) ?? '').split('\n')) {
    const m = /^(\d+):(\d+) (.*)$/.exec(l.trim());
    if (!m) continue;
    const kv = new Map(m[3].split(' ').map((x) => x.split('=') as [string, string]));
    const dev = { major: BigInt(m[1]), minor: BigInt(m[2]) };
    for (const [k, op, list] of [
      ['rbytes', 'Read', bytes],
      ['wbytes', 'Write', bytes],
      ['rios', 'Read', serviced],
      ['wios', 'Write', serviced],
    ] as const) {
      const v = big(kv.get(k));
      if (v !== undefined) list.push(omitEmpty({ ...dev, op, value: v }, ['major', 'minor', 'op', 'value']));
    }
  }
  return {
    cpu: {
      usage: omitEmpty({ total: us('usage_usec'), kernel: us('system_usec') ?? 0n, user: us('user_usec') ?? 0n }, ['total']),
      throttling: omitEmpty(
        { periods: cpu.get('nr_periods'), throttledPeriods: cpu.get('nr_throttled'), throttledTime: us('throttled_usec') },
        ['periods', 'throttledPeriods', 'throttledTime'],
      ),
    },
    cpuset: cpusetStats(read, undefined),
    memory: omitEmpty(
      {
        cache: memStat.get('file'),
        usage: omitEmpty({ limit: memLimit, usage: memUsage, failcnt: memEvents.get('max') ?? 0n }, ['usage', 'max']),
        // runc reports v1-style memory+swap figures
        swap: omitEmpty(
          {
            limit: swapLimit === MAX_U64 ? MAX_U64 : swapLimit + memLimit,
            usage: swapUsage === undefined ? undefined : swapUsage + (memUsage ?? 0n),
            failcnt: 0n,
          },
          ['usage', 'max'],
        ),
        kernel: { limit: 0n, failcnt: 0n },
        kernelTCP: { limit: 0n, failcnt: 0n },
        raw: memStat,
      },
      ['cache', 'raw'],
    ),
    pids: omitEmpty({ current: big(read(`${dir}/pids.current`)), limit: pidsMax === 'max' ? undefined : big(pidsMax) }, [
      'current',
      'limit',
    ]),
    blkio: omitEmpty({ ioServiceBytesRecursive: bytes, ioServicedRecursive: serviced }, ['ioServiceBytesRecursive', 'ioServicedRecursive']),
    hugetlb: hugetlbStats(read, dir, 'v2', sizes),
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** `sizes`: the kernel's huge page sizes in the cgroup files' words ("2MB"). */
export function readStats(c: ContainerCgroups, read: Read, sizes: string[]): Obj {
  if (limitsOnV1(c)) return v1Stats(c, read, sizes);
  if (c.v2) return v2Stats(c.v2, read, sizes);
  return v1Stats({ v1: [] }, read, sizes);
}

/** JSON with bigints as plain integers and Maps as objects (runc's encoding of the stats). */
export function statsJson(value: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') {
      marks.push(v.toString());
      return `\u0000${marks.length - 1}\u0000`;
    }
    if (v instanceof Map) return Object.fromEntries(v);
    return v;
  });
  return text.replace(/"\\u0000(\d+)\\u0000"/g, (_m, i: string) => marks[Number(i)]);
}
