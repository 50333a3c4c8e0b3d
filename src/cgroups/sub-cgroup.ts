// exec --cgroup: runc's [<controller>[,<controller>...]:]<path>, an existing sub-cgroup of the
// container's own cgroup(s) for the new process. Without a controller prefix (the only form on a
// pure cgroup v2 host) the path applies to every cgroup of the container; on a hybrid host the
// cgroup2 directory answers to "unified".
import { statSync } from 'node:fs';
import { posix as path } from 'node:path';
import { OcirtError } from '../errors.js';
import type { CgroupSet } from './manager.js';

export function subCgroups(set: CgroupSet, v1Mounts: Record<string, string>, args: readonly string[]): CgroupSet {
  if (args.length === 0) return set;
  let all: string | undefined;
  const byController = new Map<string, string>();
  for (const a of args) {
    const parts = a.split(':');
    if (parts.length > 2) throw new OcirtError(`invalid --cgroup ${JSON.stringify(a)}: expected [<controller>[,<controller>...]:]<path>`);
    if (parts.length === 1) {
      if (args.length !== 1) throw new OcirtError(`invalid --cgroup ${JSON.stringify(a)}: with several --cgroup, each needs its <controller>: prefix`);
      all = a;
    } else {
      for (const c of parts[0].split(',')) byController.set(c, parts[1]);
    }
  }
  const controllersOf = (dir: string): string[] =>
    dir === set.v2 ? ['unified'] : Object.entries(v1Mounts).filter(([, m]) => dir.startsWith(m + '/')).map(([c]) => c);
  const dirs = [...(set.v2 ? [set.v2] : []), ...set.v1];
  const used = new Set<string>();
  const moved = dirs.map((dir) => {
    if (all !== undefined) return below(dir, all, all);
    for (const c of controllersOf(dir)) {
      const rel = byController.get(c);
      if (rel !== undefined) {
        used.add(c);
        return below(dir, rel, `${c}:${rel}`);
      }
    }
    return dir;
  });
  for (const c of byController.keys()) {
    if (!used.has(c)) throw new OcirtError(`--cgroup ${c}:...: the container has no cgroup of controller "${c}" (it has: ${dirs.flatMap(controllersOf).join(', ') || 'none'})`);
  }
  return { ...(set.v2 ? { v2: moved[0] } : {}), v1: moved.slice(set.v2 ? 1 : 0) };
}

/** dir/rel, which must stay below dir and exist (runc: an existing sub-cgroup). */
function below(dir: string, rel: string, arg: string): string {
  const sub = path.normalize(path.join(dir, rel));
  if (!sub.startsWith(dir + '/')) throw new OcirtError(`--cgroup ${arg}: ${sub} is not below the container's cgroup ${dir}`);
  let isDir = false;
  try {
    isDir = statSync(sub).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new OcirtError(`--cgroup ${arg}: no such cgroup ${sub} (create it first)`);
  return sub;
}
