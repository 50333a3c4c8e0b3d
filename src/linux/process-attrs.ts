// process.scheduler, process.ioPriority, process.execCPUAffinity, linux.personality and
// linux.memoryPolicy -> the numbers sched_setattr, ioprio_set, sched_setaffinity, personality and
// set_mempolicy take. Pure translation; semantic.ts has already rejected what is out of range.
import type { Spec } from '../spec/types.js';
import { ConfigError, OcirtError } from '../errors.js';
import type { ExactIntegers } from '../seccomp/profile.js';
import {
  IOPRIO_CLASSES,
  IOPRIO_CLASS_SHIFT,
  MPOL_FLAGS,
  MPOL_MODES,
  PERSONALITY_DOMAINS,
  PERSONALITY_FLAGS,
  SCHED_FLAGS,
  SCHED_POLICIES,
} from './constants.js';
import type { SectionEncoder } from './encode.js';
import type { SchedulingPlan } from './plan.js';

type Process = NonNullable<Spec['process']>;
type Linux = NonNullable<Spec['linux']>;

const U64_MAX = (1n << 64n) - 1n;

/**
 * A uint64 of config.json. JSON.parse rounds integers above 2^53: 18446744073709551615
 * (RLIM_INFINITY, "unlimited") arrives as the double 2^64, one more than a uint64 holds. The exact
 * value the located parser kept (loadBundle().exactIntegers) is taken when it is the one at this
 * pointer (a process given to exec has none of its own: the record's is then only taken where it
 * rounds to the same number); without one, anything that large is the maximum.
 */
export function jsonU64(n: number, pointer: string, exact: ExactIntegers | undefined): bigint {
  const e = exact?.get(pointer);
  if (e !== undefined && Number(e) === n) {
    if (e > U64_MAX)
      throw new ConfigError(pointer, `${e} is above the largest 64-bit value, 18446744073709551615 (an rlimit's "unlimited")`);
    return e;
  }
  return n >= 2 ** 64 ? U64_MAX : BigInt(n);
}

/** "0-3,7" -> [0, 1, 2, 3, 7]; the schema and semantic checks have vetted the syntax. */
export function parseIdList(list: string, field: string): number[] {
  const out = new Set<number>();
  for (const part of list.split(',')) {
    const t = part.trim();
    if (t === '') continue;
    const m = /^([0-9]+)\s*(?:-\s*([0-9]+))?$/.exec(t);
    if (!m)
      throw new OcirtError(`config.json: ${field}: invalid list ${JSON.stringify(list)}: expected numbers and ranges such as "0-3,7"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi >= 8192) throw new OcirtError(`config.json: ${field}: invalid range ${JSON.stringify(t)} in ${JSON.stringify(list)}`);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

export function planScheduling(p: Process, exact?: ExactIntegers): SchedulingPlan | undefined {
  const s = p.scheduler;
  const io = p.ioPriority;
  if (!s && !io) return undefined;
  const out: SchedulingPlan = {};
  if (s) {
    const policy = SCHED_POLICIES[s.policy];
    if (s.policy === 'SCHED_ISO') {
      throw new OcirtError(
        'config.json: /process/scheduler/policy: SCHED_ISO is reserved and not implemented by Linux: use SCHED_OTHER, SCHED_BATCH or SCHED_IDLE',
      );
    }
    let flags = 0n;
    for (const f of s.flags ?? []) flags |= SCHED_FLAGS[f] ?? 0n;
    out.policy = {
      policy,
      flags,
      nice: s.nice ?? 0,
      priority: s.priority ?? 0,
      runtime: jsonU64(s.runtime ?? 0, '/process/scheduler/runtime', exact),
      deadline: jsonU64(s.deadline ?? 0, '/process/scheduler/deadline', exact),
      period: jsonU64(s.period ?? 0, '/process/scheduler/period', exact),
    };
  }
  if (io) out.ioprio = (IOPRIO_CLASSES[io.class] << IOPRIO_CLASS_SHIFT) | (io.priority ?? 0);
  return out;
}

/** execCPUAffinity: CPU numbers; an empty "final" means "leave it to the kernel" (runtime-spec). */
export function planCpuAffinity(p: Process): { initial?: number[]; final?: number[] } | undefined {
  const a = p.execCPUAffinity;
  if (!a) return undefined;
  const initial = a.initial ? parseIdList(a.initial, '/process/execCPUAffinity/initial') : [];
  const final = a.final ? parseIdList(a.final, '/process/execCPUAffinity/final') : [];
  if (!initial.length && !final.length) return undefined;
  return { ...(initial.length ? { initial } : {}), ...(final.length ? { final } : {}) };
}

export function planPersonality(l: Linux): number | undefined {
  const p = l.personality;
  if (!p) return undefined;
  let v = PERSONALITY_DOMAINS[p.domain ?? 'LINUX'];
  (p.flags ?? []).forEach((f, i) => {
    const bit = PERSONALITY_FLAGS[f];
    if (bit === undefined)
      throw new OcirtError(`config.json: /linux/personality/flags/${i}: unknown personality flag ${JSON.stringify(f)}`);
    v |= bit;
  });
  return v;
}

export function planMemoryPolicy(l: Linux): { mode: number; nodes: number[] } | undefined {
  const m = l.memoryPolicy;
  if (!m || m.mode === undefined) return undefined;
  let mode = MPOL_MODES[m.mode];
  for (const f of m.flags ?? []) mode |= MPOL_FLAGS[f] ?? 0;
  const nodes = m.nodes ? parseIdList(m.nodes, '/linux/memoryPolicy/nodes') : [];
  return { mode, nodes };
}

/** native/plan_format.h OCIRT_SCHED_* */
const SCHED_WHAT = { POLICY: 1, IOPRIO: 2, AFFINITY: 4 } as const;

/**
 * Section SCHEDULING: u32 what, the sched_attr fields (u32 policy, u64 flags, i32 nice, u32
 * priority, u64 runtime, u64 deadline, u64 period), u32 ioprio, list<u64> final CPU mask.
 */
export const encodeScheduling: SectionEncoder = (plan, w) => {
  const s = plan.process.scheduling;
  const final = plan.process.cpuAffinity?.final;
  if (!s && !final) return false;
  const pol = s?.policy;
  let what = 0;
  if (pol) what |= SCHED_WHAT.POLICY;
  if (s?.ioprio !== undefined) what |= SCHED_WHAT.IOPRIO;
  if (final) what |= SCHED_WHAT.AFFINITY;
  w.u32(what, 'scheduling.what');
  w.u32(pol?.policy ?? 0, 'scheduling.policy');
  w.u64(pol?.flags ?? 0n, 'scheduling.flags');
  w.i32(pol?.nice ?? 0, 'scheduling.nice');
  w.u32(pol?.priority ?? 0, 'scheduling.priority');
  w.u64(pol?.runtime ?? 0n, 'scheduling.runtime');
  w.u64(pol?.deadline ?? 0n, 'scheduling.deadline');
  w.u64(pol?.period ?? 0n, 'scheduling.period');
  w.u32(s?.ioprio ?? 0, 'scheduling.ioprio');
  w.bitmask(final ?? [], 'scheduling.cpus');
  return true;
};

/** Section PERSONALITY: u32 persona. */
export const encodePersonality: SectionEncoder = (plan, w) => {
  if (plan.personality === undefined) return false;
  w.u32(plan.personality, 'personality');
  return true;
};

/** Section MEMORY_POLICY: u32 mode | flags, list<u64> node mask. */
export const encodeMemoryPolicy: SectionEncoder = (plan, w) => {
  const m = plan.memoryPolicy;
  if (!m) return false;
  w.u32(m.mode, 'memoryPolicy.mode');
  w.bitmask(m.nodes, 'memoryPolicy.nodes');
  return true;
};
