// The plan section that carries the compiled filter to the init (native/init/seccomp.c).
import type { LaunchPlan } from '../linux/plan.js';
import type { Writer } from '../linux/encode.js';

export function encodeSeccompSection(plan: LaunchPlan, w: Writer): boolean {
  const s = plan.seccomp;
  if (!s) return false;
  w.u32(s.flags, 'seccomp.flags');
  w.u32(s.install === 'before-ready' ? 1 : 0, 'seccomp.install');
  w.u64(s.keepCaps, 'seccomp.keepCaps');
  w.u32(s.program.length, 'seccomp.program');
  w.raw(s.program);
  return true;
}
