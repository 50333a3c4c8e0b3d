// exec --cgroup: runc's [<controller>[,<controller>...]:]<path>, an existing sub-cgroup of the
// container's own cgroup(s) for the new process. Without a controller prefix (the only form on a
// pure cgroup v2 host) the path applies to every cgroup of the container; on a hybrid host the
// cgroup2 directory answers to "unified".
import { statSync } from 'node:fs';
import { posix as path } from 'node:path';
import { OcirtError } from '../errors.js';
import type { ContainerCgroups } from './record.js';

export function subCgroups(set: ContainerCgroups, args: readonly string[]): ContainerCgroups {
  if (args.length === 0) return set;
  let all: string | undefined;
  const byController = new Map<string, string>();
  for (const a of args) {
    const parts = a.split(':');
    if (parts.length > 2) throw new OcirtError(`invalid --cgroup ${JSON.stringify(a)}: expected [<controller>[,<controller>...]:]<path>`);
    if (parts.length === 1) {
      if (args.length !== 1)
        throw new OcirtError(`invalid --cgroup ${JSON.stringify(a)}: with several --cgroup, each needs its <controller>: prefix`);
      all = a;
    } else {
      for (const c of parts[0].split(',')) byController.set(c, parts[1]);
    }
  }
  const dirs = [
    ...(set.v2 ? [{ dir: set.v2, controllers: ['unified'] }] : []),
    ...set.v1.map((h) => ({ dir: h.dir, controllers: h.key.split(',') })),
  ];
  const used = new Set<string>();
  const moved = dirs.map(({ dir, controllers }) => {
    if (all !== undefined) return below(dir, all, all);
    for (const c of controllers) {
      const rel = byController.get(c);
      if (rel !== undefined) {
        used.add(c);
        return below(dir, rel, `${c}:${rel}`);
      }
    }
    return dir;
  });
  for (const c of byController.keys()) {
    if (!used.has(c))
      throw new OcirtError(
        `--cgroup ${c}:...: the container has no cgroup of controller "${c}" (it has: ${dirs.flatMap((d) => d.controllers).join(', ') || 'none'})`,
      );
  }
  const off = set.v2 ? 1 : 0;
  return { ...(set.v2 ? { v2: moved[0] } : {}), v1: set.v1.map((h, i) => ({ key: h.key, dir: moved[off + i] })) };
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
