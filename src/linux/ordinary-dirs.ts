// procfs and sysfs are mounted only on an ordinary directory of the rootfs, reached without any
// symlink: runc's answer to CVE-2019-19921 / CVE-2023-27561, where an image or a racing helper
// made /proc a symlink and the kernel's procfs landed somewhere the runtime's later writes to
// /proc (and the container's masked paths) did not expect. runc refuses such a rootfs ("must be
// mounted on ordinary directory"); so does ocirt. The planner marks the mounts
// (MountStep.ordinaryDirectory); the marks travel in a plan section, and the init
// (native/init/ordinary-dirs.c) resolves those destinations with RESOLVE_NO_SYMLINKS.
import type { LaunchPlan } from './plan.js';
import type { SectionEncoder } from './encode.js';

/** The filesystems whose mount point must be an ordinary directory. */
export function needsOrdinaryDirectory(fstype: string): boolean {
  return fstype === 'proc' || fstype === 'sysfs';
}

/** Section ORDINARY_DIR_TARGETS: list<u32> indexes into plan.mounts. None marked: no section. */
export const encodeOrdinaryDirTargets: SectionEncoder = (plan: LaunchPlan, w) => {
  const marked = plan.mounts.flatMap((m, i) => (m.ordinaryDirectory ? [i] : []));
  if (marked.length === 0) return false;
  w.list(marked, 'ordinaryDirTargets', (i, at) => w.u32(i, at));
  return true;
};
