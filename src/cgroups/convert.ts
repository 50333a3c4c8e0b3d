// Value conversions between the runtime-spec's (cgroup v1 shaped) resources and cgroup v2 files,
// with runc's formulas and edge cases so that a config means the same on ocirt as on runc. Pure.
import { OcirtError } from '../errors.js';

/**
 * cpu.shares (2..262144, v1) -> cpu.weight (1..10000, v2): the linear map runc and crun use
 * (runc 1.1, crun 1.8), in integer arithmetic: 1024 shares -> weight 39. 0 means unset.
 */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** blkio weight (10..1000, v1) -> io.weight (1..10000, v2), runc's linear map. 0 means unset. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * The spec's memory.swap is memory+swap (v1's memsw); cgroup v2's memory.swap.max is the swap
 * alone. Returns the memory.swap.max value to write, or undefined to leave it alone.
 * -1 is unlimited, 0 unset. As runc: memory unlimited without a swap value unlimits swap too;
 * swap equal to the limit disables swap ("0").
 */
export function swapToV2(swap: number | undefined, limit: number | undefined): string | undefined {
  const s = swap ?? 0;
  const m = limit ?? 0;
  if (m === -1 && s === 0) return 'max';
  if (s === -1) return 'max';
  if (s === 0) return undefined;
  if (m === 0 || m === -1) {
    throw new OcirtError('config.json: /linux/resources/memory/swap: a swap limit needs a memory limit (/linux/resources/memory/limit)');
  }
  if (m < 0) throw new OcirtError(`config.json: /linux/resources/memory/limit: invalid memory limit ${m}`);
  if (s < m) {
    throw new OcirtError(
      `config.json: /linux/resources/memory/swap: ${s} is below the memory limit ${m}: swap is memory+swap, expected >= limit (or -1)`,
    );
  }
  return String(s - m);
}

/** A v2 limit file's value (.max, .low, ...): -1 is "max", 0 is unset (undefined). */
export function v2Limit(n: number | undefined): string | undefined {
  if (n === undefined || n === 0) return undefined;
  return n === -1 || n < -1 ? 'max' : String(n);
}

/** "2MB" -> 2097152 */
export function pageSizeBytes(size: string): number | undefined {
  const m = /^([1-9][0-9]*)([KMG])B$/.exec(size);
  if (!m) return undefined;
  return Number(m[1]) * { K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2] as 'K' | 'M' | 'G'];
}

/** A hugepages directory name (/sys/kernel/mm/hugepages/hugepages-2048kB) -> the cgroup file's size word, "2MB". */
export function hugepageDirToSize(dir: string): string | undefined {
  const m = /^hugepages-(\d+)kB$/.exec(dir);
  if (!m) return undefined;
  let n = Number(m[1]);
  for (const unit of ['KB', 'MB', 'GB']) {
    if (n < 1024 || n % 1024 !== 0 || unit === 'GB') return `${n}${unit}`;
    n /= 1024;
  }
  return undefined;
}
