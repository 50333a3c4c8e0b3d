// linux.intelRdt -> what the runtime does in the resctrl filesystem (runtime-spec config-linux.md
// "IntelRdt"): which group the container joins, whether the runtime creates it (and so removes it
// at delete), the schemata lines to write or to find there, and a monitoring group. Pure; the
// filesystem work is src/container/resctrl.ts.
import type { Spec } from '../spec/types.js';

export interface RdtPlan {
  /** the CLOS group directory under the resctrl mount: closID, the container id, or "" for the root ("/") */
  group: string;
  /** closID was given: an existing group is used (and checked), never removed */
  preconfigured: boolean;
  /** l3CacheSchema, then memBwSchema, then schemata (the order the spec asks for) */
  schemata: string[];
  /** enableMonitoring: a MON group named after the container in the group's mon_groups */
  monitoring: boolean;
}

export function planIntelRdt(linux: NonNullable<Spec['linux']>, id: string): RdtPlan | undefined {
  const r = linux.intelRdt;
  if (!r) return undefined;
  const schemata = [r.l3CacheSchema, r.memBwSchema, ...(r.schemata ?? [])].filter((s): s is string => typeof s === 'string' && s !== '');
  const preconfigured = r.closID !== undefined;
  return {
    group: r.closID === '/' ? '' : (r.closID ?? id),
    preconfigured,
    schemata,
    monitoring: r.enableMonitoring === true,
  };
}
