// Facts about the running host that the planner depends on.
import { readFileSync, statSync } from 'node:fs';
import type { HostFacts } from './plan-builder.js';
import type { CgroupMountFacts } from './cgroup-mounts.js';

export function hostFacts(cgroups?: CgroupMountFacts): HostFacts {
  return {
    euid: process.geteuid!(),
    egid: process.getegid!(),
    ...(cgroups ? { cgroups } : {}),
    isDirectory(p: string) {
      try {
        return statSync(p).isDirectory();
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * runc's rootless mode: --rootless true, or (auto) an unprivileged caller or one whose uid 0 is
 * only root of a user namespace (uid_map is not the identity map of the initial namespace).
 */
export function runsRootless(flag: 'auto' | 'true' | 'false', euid = process.geteuid!(), uidMap = safeRead('/proc/self/uid_map')): boolean {
  if (flag !== 'auto') return flag === 'true';
  if (euid !== 0) return true;
  const lines = uidMap.trim().split('\n').map((l) => l.trim().split(/\s+/));
  const identity = lines.length === 1 && lines[0][0] === '0' && lines[0][1] === '0' && lines[0][2] === '4294967295';
  return uidMap !== '' && !identity;
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
