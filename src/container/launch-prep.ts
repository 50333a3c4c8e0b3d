// What the runtime does on the host side of a launch, around the init's own work: before the
// spawn, the bind sources it opens itself (id-mapped or not) and the addresses of the network
// devices it will move; between the spawn and "go", the initial CPU affinity and the moves.
// Everything it opens is closed by release(), whatever happened.
import * as native from '../native.js';
import { OcirtError } from '../errors.js';
import type { IdMapping, LaunchPlan, MountStep, NetDevicePlan } from '../linux/plan.js';

export interface PreparedLaunch {
  /** the plan with what the launch found: which mounts get a source, device addresses */
  plan: LaunchPlan;
  /** the mount sources, sent to the init with "go" in the plan's MOUNT_EXTRAS order */
  goFds: number[];
  /** closes what prepare opened; the init has its own copies once they are sent */
  release(): void;
}

const mapText = (m: IdMapping[]): string => m.map((e) => `${e.containerID} ${e.hostID} ${e.size}\n`).join('');

const errText = (err: unknown): string => {
  const e = err as { code?: string; message?: string };
  return e.code ? `${e.code}${e.message ? ` (${e.message})` : ''}` : String(err);
};

export function prepareLaunch(plan: LaunchPlan): PreparedLaunch {
  const opened: number[] = [];
  const release = () => {
    for (const fd of opened.splice(0)) {
      try {
        native.closeFd(fd);
      } catch {
        // closed already
      }
    }
  };
  try {
    const mounts = plan.mounts.some((m) => m.extras?.openInRuntime) ? openSources(plan, opened) : plan.mounts;
    const netDevices = plan.netDevices.length ? plan.netDevices.map(readAddresses) : plan.netDevices;
    const goFds = mounts.flatMap((m) => (m.extras?.sourceFd !== undefined ? [m.extras.sourceFd] : []));
    return { plan: { ...plan, mounts, netDevices }, goFds, release };
  } catch (err) {
    release();
    throw err;
  }
}

/** Each openInRuntime mount as a detached copy; one user namespace per distinct id mapping. */
function openSources(plan: LaunchPlan, opened: number[]): MountStep[] {
  // out of the way of the fds the container gets (the addon's spawn places its own above these)
  const minFd = 3 + plan.process.preserveFds;
  const usernsFds = new Map<string, number>();
  const usernsFor = (m: { uidMappings: IdMapping[]; gidMappings: IdMapping[] }, field: string): number => {
    const key = `${mapText(m.uidMappings)}|${mapText(m.gidMappings)}`;
    let fd = usernsFds.get(key);
    if (fd === undefined) {
      try {
        fd = native.idmapUserns(mapText(m.uidMappings), mapText(m.gidMappings));
      } catch (err) {
        throw new OcirtError(`config.json ${field}: make a user namespace for the mount's id mapping: ${errText(err)}`, { cause: err });
      }
      usernsFds.set(key, fd);
      opened.push(fd);
    }
    return fd;
  };
  try {
    return plan.mounts.map((m) => {
      const o = m.extras?.openInRuntime;
      if (!o) return m;
      const userns = o.idmap ? usernsFor(o.idmap, m.field) : -1;
      let fd: number;
      try {
        fd = native.openTree(m.source, o.recursive, userns, o.idmap?.recursive ?? false, minFd);
      } catch (err) {
        const what = o.idmap ? 'make an id-mapped copy of the mount source' : 'open the mount source';
        const hint =
          (err as { code?: string }).code === 'EINVAL' && o.idmap ? ': the filesystem of the source may not support id-mapped mounts' : '';
        throw new OcirtError(`config.json ${m.field}: ${what} ${m.source}: ${errText(err)}${hint}`, { cause: err });
      }
      opened.push(fd);
      return { ...m, extras: { ...m.extras, sourceFd: fd } };
    });
  } finally {
    // the detached mounts keep their id mapping; the namespaces are not needed any more
    for (const fd of usernsFds.values()) {
      native.closeFd(fd);
      opened.splice(opened.indexOf(fd), 1);
    }
  }
}

function readAddresses(d: NetDevicePlan): NetDevicePlan {
  let found: native.LinkAddresses;
  try {
    found = native.linkAddresses(d.hostName);
  } catch (err) {
    const why = (err as { code?: string }).code === 'ENODEV' ? 'no such network device on the host' : errText(err);
    throw new OcirtError(`config.json ${d.field}: ${d.hostName}: ${why}`, { cause: err });
  }
  return {
    ...d,
    addresses: found.addresses.map((a) => ({
      family: a.family,
      prefixlen: a.prefixlen,
      flags: a.flags,
      scope: a.scope,
      address: [...a.address.subarray(0, a.family === 2 ? 4 : 16)],
    })),
  };
}

/** Between the spawn and "go": what the runtime does to the init from outside. */
export function beforeGo(plan: LaunchPlan, pid: number): void {
  const initial = plan.process.cpuAffinity?.initial;
  if (initial) {
    try {
      native.setAffinity(pid, initial);
    } catch (err) {
      throw new OcirtError(`config.json /process/execCPUAffinity/initial: ${errText(err)}`, { cause: err });
    }
  }
  for (const d of plan.netDevices) {
    try {
      native.linkMove(d.hostName, pid, d.name);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const hint =
        code === 'EEXIST'
          ? `: the container already has a device named ${d.name}: give it another name (/name)`
          : code === 'EPERM'
            ? ': moving a network device needs CAP_NET_ADMIN in the host network namespace (root)'
            : '';
      throw new OcirtError(`config.json ${d.field}: move ${d.hostName} into the container as ${d.name}: ${errText(err)}${hint}`, {
        cause: err,
      });
    }
  }
}
