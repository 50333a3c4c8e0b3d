// linux.namespaces -> what the init is cloned with, what it joins by path (and the checks that make
// a wrong path an error naming the field before anything runs), what it unshares later, and the
// time namespace it creates itself.
import type { LinuxNamespace, Spec } from '../spec/types.js';
import { OcirtError } from '../errors.js';
import { CLONE, NAMESPACE_FLAGS } from './constants.js';
import type { SectionEncoder } from './encode.js';
import type { LaunchPlan, NamespaceJoin, NamespaceType } from './plan.js';

/** What a namespace file is, as the host reports it (NS_GET_NSTYPE, NS_GET_USERNS). */
export interface NamespaceFileInfo {
  /** CLONE_NEW* of the namespace */
  nstype: number;
  /** inode of the namespace (its identity) */
  ino: number;
  /** inode of the user namespace that owns it, when it can be read */
  userIno?: number;
}

export interface NamespacePlan {
  cloneFlags: number;
  unshareFlags: number;
  joins: NamespaceJoin[];
  forkAfterJoin: boolean;
}

const FILE_NAMES: Record<NamespaceType, string> = {
  pid: 'pid',
  network: 'net',
  mount: 'mnt',
  ipc: 'ipc',
  uts: 'uts',
  user: 'user',
  cgroup: 'cgroup',
  time: 'time',
};

const TYPE_OF_FLAG = new Map<number, NamespaceType>(Object.entries(NAMESPACE_FLAGS).map(([t, f]) => [f, t as NamespaceType]));

/**
 * Namespaces without a path are created with the init (clone3 flags), which makes the init PID 1
 * of a new pid namespace without a double fork. Exceptions are unshared by the init instead: all of
 * them when a user namespace is joined by path (they must be owned by it) or when a new user
 * namespace comes with namespaces joined by path (those are joined first, with the runtime's
 * privileges, which the new user namespace has not over them: then the init unshares the user
 * namespace, has the runtime write its maps, and unshares the rest, as runc does); the cgroup
 * namespace, whose root is the cgroup the init is in when it is made (the container's, only after
 * "go"); and the time namespace (timens.c), whose clock offsets must be written before anything is
 * in it.
 */
export function planNamespaces(list: LinuxNamespace[]): NamespacePlan {
  let create = 0;
  const joins: NamespaceJoin[] = [];
  list.forEach((n, i) => {
    const flag = NAMESPACE_FLAGS[n.type];
    if (n.path) joins.push({ type: n.type, path: n.path, nstype: flag, field: `/linux/namespaces/${i}/path` });
    else if (n.type !== 'time') create |= flag;
  });
  // setns into the user namespace first: joining the others then happens with its privileges.
  joins.sort((a, b) => Number(b.type === 'user') - Number(a.type === 'user'));
  const joinsUser = joins.some((j) => j.type === 'user');
  const allLate = joinsUser || (joins.length > 0 && (create & CLONE.NEWUSER) !== 0);
  const late = allLate ? create : create & CLONE.NEWCGROUP;
  return {
    cloneFlags: create & ~late,
    unshareFlags: late,
    joins,
    forkAfterJoin: joins.some((j) => j.type === 'pid') || (late & CLONE.NEWPID) !== 0,
  };
}

/** linux.timeOffsets of a new time namespace, as [seconds, nanoseconds]. */
export function planTimeNamespace(linux: NonNullable<Spec['linux']>): LaunchPlan['timeNamespace'] {
  const ns = (linux.namespaces ?? []).find((n) => n.type === 'time');
  if (!ns || ns.path) return undefined;
  const off = linux.timeOffsets ?? {};
  const pair = (o: { secs?: number; nanosecs?: number } | undefined): [bigint, number] | undefined =>
    o ? [BigInt(o.secs ?? 0), o.nanosecs ?? 0] : undefined;
  const monotonic = pair(off.monotonic);
  const boottime = pair(off.boottime);
  return { ...(monotonic ? { monotonic } : {}), ...(boottime ? { boottime } : {}) };
}

/**
 * Every namespace joined by path must exist, be a namespace of its type, and be joinable: a
 * namespace of another type, a plain file or a missing path would otherwise fail in the init as a
 * bare EINVAL or ENOENT from setns. With a user namespace joined too, the others must be owned by
 * it (setns into them is refused otherwise). `info` throws with the errno of the failure.
 */
export function checkJoins(joins: NamespaceJoin[], info: (path: string) => NamespaceFileInfo): void {
  const infos = joins.map((j) => {
    let f: NamespaceFileInfo;
    try {
      f = info(j.path);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const why =
        code === 'ENOENT'
          ? 'does not exist'
          : code === 'ENOTTY' || code === 'EINVAL'
            ? `is not a namespace file (expected e.g. /proc/<pid>/ns/${FILE_NAMES[j.type]})`
            : `cannot be opened (${code ?? String(err)})`;
      throw new OcirtError(`config.json: ${j.field}: ${j.type} namespace ${j.path} ${why}`);
    }
    if (f.nstype !== j.nstype) {
      const actual = TYPE_OF_FLAG.get(f.nstype) ?? `type ${f.nstype}`;
      throw new OcirtError(`config.json: ${j.field}: ${j.path} is a ${actual} namespace, not a ${j.type} namespace`);
    }
    return f;
  });
  const u = joins.findIndex((j) => j.type === 'user');
  if (u < 0) return;
  joins.forEach((j, i) => {
    if (j.type !== 'user' && infos[i].userIno !== undefined && infos[i].userIno !== infos[u].ino) {
      throw new OcirtError(
        `config.json: ${j.field}: the ${j.type} namespace ${j.path} is not owned by the user namespace ${joins[u].path} (${joins[u].field}): it cannot be joined from there`,
      );
    }
  });
}

/**
 * Section TIME_NAMESPACE: u32 present (bit 0 monotonic, bit 1 boottime), then i64 secs and u32
 * nanosecs for monotonic and for boottime.
 */
export const encodeTimeNamespace: SectionEncoder = (plan, w) => {
  const t = plan.timeNamespace;
  if (!t) return false;
  w.u32((t.monotonic ? 1 : 0) | (t.boottime ? 2 : 0), 'timeNamespace.present');
  for (const [name, v] of [
    ['monotonic', t.monotonic],
    ['boottime', t.boottime],
  ] as const) {
    const [secs, nsecs] = v ?? [0n, 0];
    w.i64(secs, `timeNamespace.${name}.secs`);
    w.u32(nsecs, `timeNamespace.${name}.nanosecs`);
  }
  return true;
};
