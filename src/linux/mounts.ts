// config.json mounts -> MountStep: the mount(2) call, what follows it (remount, propagation,
// recursive attributes), and what the init or the runtime does beyond mount(2) (MountExtras):
// runc's handling of tmpfs modes and of a read-only /dev, tmpcopyup, sources the runtime opens
// itself, id-mapped mounts.
import { needsOrdinaryDirectory } from './ordinary-dirs.js';
import { posix as path } from 'node:path';
import type { Mount } from '../spec/types.js';
import { OcirtError } from '../errors.js';
import { MS } from './constants.js';
import { parseMountOptions } from './mount-options.js';
import { withMountContext } from '../lsm/labels.js';
import type { SectionEncoder } from './encode.js';
import type { IdMapping, MountExtras, MountStep } from './plan.js';

export interface MountContext {
  bundle: string;
  /** the container runs in a user namespace (new or joined) */
  inUserns: boolean;
  /** the config creates the user namespace (with these mappings) */
  userns?: { uidMappings: IdMapping[]; gidMappings: IdMapping[] };
  /** the runtime is privileged in its own user namespace (root): it may open_tree and id-map */
  privileged: boolean;
  netns: boolean;
  ipcns: boolean;
  /** is this host path a directory? undefined when it does not exist */
  isDirectory(hostPath: string): boolean | undefined;
  /** linux.mountLabel as a mount option (context="..."), for the mounts that take one */
  context?: string;
}

export function planMount(m: Mount, field: string, ctx: MountContext): MountStep {
  const o = parseMountOptions(m.options);
  const isBind = (o.flags & MS.BIND) !== 0 || m.type === 'bind';
  const data = o.data.join(',');
  const base = {
    field,
    destination: m.destination,
    propagation: o.propagation,
    data,
    recursiveAttrSet: o.attrSet,
    recursiveAttrClear: o.attrClear,
  };
  const idmapped = o.idmap !== undefined || m.uidMappings !== undefined || m.gidMappings !== undefined;
  if (idmapped && !isBind) {
    throw new OcirtError(`config.json: ${field}/options: an id-mapped mount must be a bind mount: add "bind" or "rbind"`);
  }
  if (o.copyUp && m.type !== 'tmpfs') {
    throw new OcirtError(`config.json: ${field}/options: tmpcopyup applies to a tmpfs mount, found type ${JSON.stringify(m.type ?? '')}`);
  }
  if (isBind) {
    const source = path.resolve(ctx.bundle, m.source ?? '');
    const recursive = (o.flags & MS.REC) !== 0;
    const rest = o.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    const extras: MountExtras = {};
    if (idmapped) extras.openInRuntime = { recursive, idmap: idmapFor(m, o.idmap, field, ctx) };
    // In a user namespace the init cannot resolve what only the runtime's user can reach.
    else if (ctx.userns && ctx.privileged) extras.openInRuntime = { recursive };
    return {
      ...base,
      source,
      fstype: '',
      flags: MS.BIND | (o.flags & MS.REC),
      remountFlags: rest,
      createAs: ctx.isDirectory(source) === false ? 'file' : 'dir',
      ...(Object.keys(extras).length ? { extras } : {}),
    };
  }
  const fstype = m.type ?? '';
  let fallbackBindSource: string | undefined;
  if (ctx.inUserns && fstype === 'sysfs' && !ctx.netns) {
    // sysfs can be mounted only by the owner of the network namespace.
    fallbackBindSource = '/sys';
  } else if (ctx.inUserns && fstype === 'mqueue' && !ctx.ipcns) {
    fallbackBindSource = '/dev/mqueue';
  }
  const extras: MountExtras = {};
  const readonly = (o.flags & MS.RDONLY) !== 0;
  // runc: a tmpfs keeps the mode of the directory it covers, and a read-only /dev (or tmpfs) is
  // mounted writable first, for what goes into it, then made read-only. A remount changes an
  // existing mount and covers nothing.
  if ((o.flags & MS.REMOUNT) === 0) {
    if (fstype === 'tmpfs') extras.keepCoveredMode = true;
    if (o.copyUp) extras.copyUp = true;
    if (readonly && path.normalize(m.destination) === '/dev') extras.readonlyLast = true;
    else if (readonly && fstype === 'tmpfs') extras.readonlyAfter = true;
  }
  return {
    ...base,
    data: withMountContext(data, fstype, ctx.context),
    source: m.source ?? fstype,
    fstype,
    flags: o.flags,
    remountFlags: fallbackBindSource ? o.flags & ~MS.REMOUNT : 0,
    createAs: 'dir',
    ...(fallbackBindSource ? { fallbackBindSource } : {}),
    ...(Object.keys(extras).length ? { extras } : {}),
    ...(needsOrdinaryDirectory(fstype) ? { ordinaryDirectory: true } : {}),
  };
}

/**
 * The mapping of an id-mapped mount: the mount's own uidMappings/gidMappings, else the container's
 * user namespace mappings (runtime-spec: without either it is an error). The runtime makes a user
 * namespace with that mapping and applies it with mount_setattr, which needs its privileges.
 */
function idmapFor(
  m: Mount,
  word: 'idmap' | 'ridmap' | undefined,
  field: string,
  ctx: MountContext,
): { uidMappings: IdMapping[]; gidMappings: IdMapping[]; recursive: boolean } {
  if (!ctx.privileged) {
    throw new OcirtError(
      `config.json: ${field}: id-mapped mounts need a privileged runtime (root): mount_setattr(MOUNT_ATTR_IDMAP) is refused to an unprivileged user`,
    );
  }
  if (word === undefined) {
    throw new OcirtError(
      `config.json: ${field}/options: uidMappings/gidMappings need "idmap" or "ridmap" in the options (runtime-spec), so that a runtime without id-mapped mounts cannot ignore them`,
    );
  }
  const recursive = word === 'ridmap';
  if (m.uidMappings && m.gidMappings) return { uidMappings: m.uidMappings, gidMappings: m.gidMappings, recursive };
  if (m.uidMappings || m.gidMappings) {
    throw new OcirtError(`config.json: ${field}: an id-mapped mount needs both uidMappings and gidMappings`);
  }
  if (!ctx.userns) {
    throw new OcirtError(
      `config.json: ${field}/options: "${word}" without uidMappings and gidMappings uses the container's user namespace mappings, and the container has no user namespace of its own: add the mappings to the mount`,
    );
  }
  return { ...ctx.userns, recursive };
}

/** native/plan_format.h OCIRT_MX_* */
const MX = { KEEP_MODE: 1, RDONLY_AFTER: 2, COPYUP: 4, SOURCE_FD: 8, RDONLY_LAST: 16 } as const;

/**
 * Section MOUNT_EXTRAS: list { u32 mount index, u32 OCIRT_MX_* flags }. A mount with a source fd
 * (the launch made one: MountExtras.sourceFd) is marked SOURCE_FD; the fd itself travels with "go".
 */
export const encodeMountExtras: SectionEncoder = (plan, w) => {
  const items: [number, number][] = [];
  plan.mounts.forEach((m, i) => {
    const x = m.extras;
    if (!x) return;
    let f = 0;
    if (x.keepCoveredMode) f |= MX.KEEP_MODE;
    if (x.readonlyAfter) f |= MX.RDONLY_AFTER;
    if (x.readonlyLast) f |= MX.RDONLY_LAST;
    if (x.copyUp) f |= MX.COPYUP;
    if (x.sourceFd !== undefined) f |= MX.SOURCE_FD;
    if (f) items.push([i, f]);
  });
  if (!items.length) return false;
  w.list(items, 'mountExtras', ([i, f], at) => {
    w.u32(i, `${at}.index`);
    w.u32(f, `${at}.flags`);
  });
  return true;
};
