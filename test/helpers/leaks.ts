// What a container can leave behind, for the fault, soak and fuzz checks: state directories and
// lock files under a state root, cgroups in every hierarchy, container processes, mounts, and
// descriptors any process still holds into the state root or a bundle.
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { hostSnapshot, type HostSnapshot } from './containers.ts';

export interface Residue {
  /** entries of the state root: container directories, .lock-<id> files */
  state: string[];
  /** cgroup directories, in any hierarchy, whose path names one of these ids */
  cgroups: string[];
  /** processes running the probe or the init stub that were not there before */
  processes: number[];
  /** mount points that were not there before */
  mounts: string[];
  /** "pid fd -> target" of descriptors pointing into the watched paths */
  fds: string[];
}

/** Descriptors, of any process, that point into one of `paths`. */
export function fdsInto(paths: string[]): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (paths.some((p) => target === p || target.startsWith(p + '/'))) out.push(`${pid} ${fd} -> ${target}`);
      } catch {
        // closed meanwhile
      }
    }
  }
  return out;
}

export function residue(opts: { root: string; ids: string[]; before: HostSnapshot; watched: string[] }): Residue {
  const now = hostSnapshot();
  return {
    state: existsSync(opts.root) ? readdirSync(opts.root).filter((n) => !n.startsWith('.out')) : [],
    // ids carry the run's token, which hostSnapshot's cgroup walk looks for
    cgroups: now.cgroups.filter((c) => opts.ids.some((id) => c.split('/').includes(id))),
    processes: now.probes.filter((p) => !opts.before.probes.includes(p)),
    mounts: now.mounts.filter((m) => !opts.before.mounts.includes(m)),
    fds: fdsInto([opts.root, ...opts.watched]),
  };
}

export const NOTHING: Residue = { state: [], cgroups: [], processes: [], mounts: [], fds: [] };
