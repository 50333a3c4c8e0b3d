// The plan section that carries the LSM attribute writes to the init (native/init/lsm.c).
import type { LaunchPlan } from '../linux/plan.js';
import type { Writer } from '../linux/encode.js';

export function encodeLsmSection(plan: LaunchPlan, w: Writer): boolean {
  const l = plan.lsm;
  if (!l) return false;
  w.list(l.writes, 'lsm.writes', (x, at) => {
    w.u32(x.when === 'before-exec' ? 1 : 0, `${at}.when`);
    w.str(x.attr, `${at}.attr`);
    w.str(x.value, `${at}.value`);
  });
  return true;
}
