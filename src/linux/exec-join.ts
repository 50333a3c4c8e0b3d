// The exec process kind's part of the plan: which of the container init's namespaces a new
// process joins (through the init's pidfd), as the plan section the init stub's native/init/join.c
// reads. Which namespaces: every one in which the container's init differs from the runtime, the
// user namespace included; the kernel orders the joins itself when they are done in one setns.
import { CLONE, NAMESPACE_FLAGS } from './constants.js';
import type { LaunchPlan, NamespaceType } from './plan.js';
import type { Writer } from './encode.js';

/** OCIRT_EXEC_* of native/plan_format.h */
const EXEC_FLAG = { CHROOT: 1 << 0 } as const;

/** CLONE_NEW* flags of the namespace types; a pid namespace among them means a fork after the join. */
export function namespaceFlags(types: readonly NamespaceType[]): number {
  let flags = 0;
  for (const t of types) flags |= NAMESPACE_FLAGS[t];
  return flags;
}

export function joinsPidNamespace(plan: LaunchPlan): boolean {
  return plan.exec !== undefined && (plan.exec.nsFlags & CLONE.NEWPID) !== 0;
}

/** Section OCIRT_SECTION_EXEC: u32 namespaces, u32 OCIRT_EXEC_* flags. */
export function encodeExecSection(plan: LaunchPlan, w: Writer): boolean {
  if (!plan.exec) return false;
  w.u32(plan.exec.nsFlags, 'exec.nsFlags');
  w.u32(plan.exec.chroot ? EXEC_FLAG.CHROOT : 0, 'exec.flags');
  return true;
}
