// The exec template (<state dir>/exec-template), written by create beside the container's record:
// the encoded exec plan of the container's own process, with the place of its arguments marked.
// The native front end (native/front/exec.c) runs the common `exec [-d] [--pid-file F] ID ARGS...`
// from it without starting the TypeScript runtime: it puts ARGS there and carries the plan out as
// launch.ts does. Every decision in the plan is still this code's (planExec); the front end
// changes nothing else, and falls back to the core when there is no template.
//
//   "OCIRTXT\0"  u32 version (1)  u32 argsStart  u32 argsEnd   then the plan (native/plan_format.h)
//
// Written only where the plan does not depend on the caller (no namespace joined by path), needs
// no descriptor beyond the init's pidfd (the container has a mount namespace of its own) and no
// seccomp listener to hand on (SCMP_ACT_NOTIFY).
import { encodePlanWithArgsSpan } from '../linux/encode.js';
import type { HostFacts } from '../linux/plan-builder.js';
import type { LaunchPlan } from '../linux/plan.js';
import { argsOnly, withFlags } from './exec-process.js';
import { planExec } from './exec-plan.js';
import { writeAtomic, type ContainerRecord, type StateStore } from './state-store.js';

export const TEMPLATE_MAGIC = 'OCIRTXT\0';
export const TEMPLATE_VERSION = 1;

export function execTemplate(record: ContainerRecord, rootfs: string, host: HostFacts): Buffer | undefined {
  const ns = record.config.linux?.namespaces ?? [];
  if (!record.config.process || ns.some((n) => n.path) || !ns.some((n) => n.type === 'mount')) return undefined;
  let plan: LaunchPlan;
  try {
    const config = withFlags(record.config, argsOnly(['true']));
    plan = planExec({ record, config, rootfs, preserveFds: 0, isOwnNamespace: () => false, host });
  } catch {
    return undefined; // exec in the core reports it
  }
  if (plan.seccomp?.listener) return undefined;
  const { bytes, argsStart, argsEnd } = encodePlanWithArgsSpan(plan);
  const head = Buffer.alloc(20);
  head.write(TEMPLATE_MAGIC, 0, 'latin1');
  head.writeUInt32LE(TEMPLATE_VERSION, 8);
  head.writeUInt32LE(argsStart, 12);
  head.writeUInt32LE(argsEnd, 16);
  return Buffer.concat([head, bytes]);
}

export function writeExecTemplate(store: StateStore, id: string, record: ContainerRecord, rootfs: string, host: HostFacts): void {
  const t = execTemplate(record, rootfs, host);
  if (t) writeAtomic(store.templatePath(id), t, 0o600);
}
