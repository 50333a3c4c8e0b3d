// config.json (already validated) + CLI options -> LaunchPlan. Every policy decision about how a
// container is set up lives here, as a pure function of its inputs: what the host looks like is
// passed in (HostFacts), so the whole translation is unit-tested without root.
import type { LinuxDevice, LinuxSeccomp, Spec } from '../spec/types.js';
import { joinPointer } from '../spec/locate.js';
import { sysctlNamespace } from '../spec/known.js';
import { OcirtError } from '../errors.js';
import { CAPABILITIES, MS, RLIMITS, S_IF } from './constants.js';
import { parseMountOptions } from './mount-options.js';
import { planMount } from './mounts.js';
import { checkJoins, planNamespaces, planTimeNamespace, type NamespaceFileInfo } from './namespaces.js';
export { planNamespaces } from './namespaces.js';
import { planNetDevices } from './net-devices.js';
import { jsonU64, planCpuAffinity, planMemoryPolicy, planPersonality, planScheduling } from './process-attrs.js';
import { planSeccomp, type SeccompHost } from '../seccomp/plan.js';
import type { ExactIntegers } from '../seccomp/profile.js';
import type { LsmHost } from '../lsm/host.js';
import { mountContext, planLabels } from '../lsm/labels.js';
import type {
  CapabilitySets,
  DeviceStep,
  IdMapping,
  LaunchPlan,
  MountStep,
  NamespaceType,
  ProcessPlan,
  Rlimit,
  SymlinkStep,
  UserNamespaceSetup,
} from './plan.js';

/** What the planner needs to know about the host; gathered by the caller (src/linux/host.ts). */
export interface HostFacts {
  euid: number;
  egid: number;
  /** where the host's cgroup2 hierarchy is mounted (/sys/fs/cgroup or /sys/fs/cgroup/unified), if any */
  cgroup2Mount?: string;
  /** is this host path a directory? undefined when it does not exist */
  isDirectory(hostPath: string): boolean | undefined;
  /** libseccomp and the kernel's seccomp; asked only for a config with linux.seccomp */
  seccomp?: SeccompHost;
  /** the LSMs the host enforces; asked only for a config with a label */
  lsm?: () => LsmHost;
  /**
   * what the namespace file at a path is; throws with the errno (.code) when it cannot be read.
   * src/linux/host.ts always gives it; without it (unit tests) joined paths are not checked.
   */
  namespaceInfo?(path: string): NamespaceFileInfo;
  /** the runtime's own network namespace (inode): a sysctl written there would change the host */
  ownNetworkNamespace?(): number | undefined;
}

export interface PlanOptions {
  /** absolute bundle directory */
  bundle: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  execFifo?: string;
  consoleSocket?: string;
  /** reports what the config asks for but the plan cannot honour */
  warn?: (msg: string) => void;
  /** details for --debug (e.g. seccomp syscall names this libseccomp does not know) */
  debug?: (msg: string) => void;
  /** exact values of integers above 2^53 in config.json, by JSON pointer (seccomp arguments) */
  exactIntegers?: ExactIntegers;
}

const DEFAULT_DEVICES: Omit<DeviceStep, 'bindFromHost'>[] = [
  { field: '', path: '/dev/null', mode: S_IF.CHR | 0o666, major: 1, minor: 3, uid: 0, gid: 0 },
  { field: '', path: '/dev/zero', mode: S_IF.CHR | 0o666, major: 1, minor: 5, uid: 0, gid: 0 },
  { field: '', path: '/dev/full', mode: S_IF.CHR | 0o666, major: 1, minor: 7, uid: 0, gid: 0 },
  { field: '', path: '/dev/random', mode: S_IF.CHR | 0o666, major: 1, minor: 8, uid: 0, gid: 0 },
  { field: '', path: '/dev/urandom', mode: S_IF.CHR | 0o666, major: 1, minor: 9, uid: 0, gid: 0 },
  { field: '', path: '/dev/tty', mode: S_IF.CHR | 0o666, major: 5, minor: 0, uid: 0, gid: 0 },
];

const DEFAULT_SYMLINKS: SymlinkStep[] = [
  { link: '/dev/fd', target: '/proc/self/fd' },
  { link: '/dev/stdin', target: '/proc/self/fd/0' },
  { link: '/dev/stdout', target: '/proc/self/fd/1' },
  { link: '/dev/stderr', target: '/proc/self/fd/2' },
];

export function buildPlan(config: Spec, rootfs: string, opts: PlanOptions, host: HostFacts): LaunchPlan {
  const linux = config.linux ?? {};
  const list = linux.namespaces ?? [];

  const ns = planNamespaces(list);
  const creatingUserns = list.some((n) => n.type === 'user' && !n.path);
  const inUserns = list.some((n) => n.type === 'user');
  const userns = creatingUserns
    ? planUserns(linux.uidMappings ?? [], linux.gidMappings ?? [], host)
    : undefined;
  const nsInfo = host.namespaceInfo?.bind(host);
  if (ns.joins.length && nsInfo) checkJoins(ns.joins, creatingUserns, nsInfo);

  if (userns && config.process) checkIdsMapped(config.process.user ?? {}, userns);

  const hasNs = (t: NamespaceType) => list.some((n) => n.type === t);
  const newNs = (t: NamespaceType) => list.some((n) => n.type === t && !n.path);
  const context = mountContext(linux.mountLabel, lsmHost(host));
  const mounts = (config.mounts ?? []).map((m, i) =>
    planMount(m, `/mounts/${i}`, {
      bundle: opts.bundle,
      inUserns,
      ...(userns ? { userns: { uidMappings: userns.uidMappings, gidMappings: userns.gidMappings } } : {}),
      privileged: host.euid === 0,
      netns: hasNs('network'),
      ipcns: hasNs('ipc'),
      ...(host.cgroup2Mount ? { cgroup2Mount: host.cgroup2Mount } : {}),
      isDirectory: (p) => host.isDirectory(p),
      ...(context ? { context } : {}),
    }),
  );
  const devBound = mounts.some((m) => m.destination === '/dev' && (m.flags & MS.BIND) !== 0);

  for (const field of notYetApplied(config)) opts.warn?.(`${field} is not supported yet and is ignored`);
  const mountNs = hasNs('mount');
  if (!mountNs && ((config.mounts ?? []).length || linux.maskedPaths?.length || linux.readonlyPaths?.length)) {
    opts.warn?.('no mount namespace: mounts, maskedPaths and readonlyPaths are not applied (they would change the host)');
  }

  const rootPropagation = linux.rootfsPropagation
    ? propagationFlag(linux.rootfsPropagation)
    : MS.SLAVE | MS.REC;
  const proc = planProcess(config, opts, userns);

  const sysctls = Object.entries(linux.sysctl ?? {}).map(([key, value]) => ({
    field: joinPointer('/linux/sysctl', key),
    path: key.replace(/\./g, '/'),
    value,
  }));
  checkSysctlNamespaces(Object.keys(linux.sysctl ?? {}), list, host);

  const timeNamespace = planTimeNamespace(linux);
  const personality = planPersonality(linux);
  const memoryPolicy = planMemoryPolicy(linux);
  return {
    cloneFlags: ns.cloneFlags,
    joins: ns.joins,
    unshareFlags: ns.unshareFlags,
    forkAfterJoin: ns.forkAfterJoin,
    ...(userns ? { userns } : {}),
    ...(config.hostname !== undefined && hasNs('uts') ? { hostname: config.hostname } : {}),
    ...(config.domainname !== undefined && hasNs('uts') ? { domainname: config.domainname } : {}),
    rootfs,
    rootPropagation,
    rootfsPropagation: 0,
    noPivot: opts.noPivot,
    noMountNamespace: !mountNs,
    readonlyRoot: mountNs && config.root?.readonly === true,
    mounts: mountNs ? mounts : [],
    devices: devBound || !mountNs ? [] : planDevices(linux.devices ?? [], inUserns),
    symlinks: devBound || !mountNs ? [] : planSymlinks(mounts),
    maskedPaths: mountNs ? (linux.maskedPaths ?? []).map((p, i) => ({ field: `/linux/maskedPaths/${i}`, path: p })) : [],
    readonlyPaths: mountNs ? (linux.readonlyPaths ?? []).map((p, i) => ({ field: `/linux/readonlyPaths/${i}`, path: p })) : [],
    sysctls,
    process: proc,
    ...(timeNamespace ? { timeNamespace } : {}),
    loopbackUp: newNs('network'),
    netDevices: planNetDevices(linux),
    ...(personality !== undefined ? { personality } : {}),
    ...(memoryPolicy ? { memoryPolicy } : {}),
    newSessionKeyring: !opts.noNewKeyring,
    ...(opts.execFifo ? { execFifo: opts.execFifo } : {}),
    ...(opts.consoleSocket ? { consoleSocket: opts.consoleSocket } : {}),
    ...(config.process ? planConfinement(config.process, linux.seccomp, proc, opts, host) : {}),
  };
}

/**
 * The process's seccomp filter and LSM labels. Without a process the init runs nothing, so there
 * is nothing to confine (and no filter to compile).
 */
function planConfinement(
  p: NonNullable<Spec['process']>,
  sc: LinuxSeccomp | undefined,
  proc: ProcessPlan,
  opts: PlanOptions,
  host: HostFacts,
): Pick<LaunchPlan, 'seccomp' | 'lsm'> {
  if (sc && !host.seccomp) throw new OcirtError('config.json: /linux/seccomp: this host has no seccomp support');
  const seccomp = sc && host.seccomp ? planSeccomp(sc, proc, host.seccomp, { exact: opts.exactIntegers, debug: opts.debug }) : undefined;
  const lsm = planLabels(p, lsmHost(host), { newKeyring: !opts.noNewKeyring });
  return { ...(seccomp ? { seccomp } : {}), ...(lsm ? { lsm } : {}) };
}

function lsmHost(host: HostFacts): () => LsmHost {
  return () => {
    if (!host.lsm) throw new OcirtError('config.json: the config has LSM labels, but this host\'s LSMs are unknown');
    return host.lsm();
  };
}

/**
 * runc's rule: a net.* sysctl needs a network namespace that is not the runtime's own (a joined
 * path may name it, and the write would then change the host). The other namespace checks need
 * only the config and are in spec/semantic.ts.
 */
function checkSysctlNamespaces(keys: string[], list: { type: string; path?: string }[], host: HostFacts): void {
  const net = list.find((n) => n.type === 'network');
  if (!net?.path || !host.namespaceInfo || !host.ownNetworkNamespace) return;
  const own = host.ownNetworkNamespace();
  let joined: number | undefined;
  try {
    joined = host.namespaceInfo(net.path).ino;
  } catch {
    return; // checkJoins reports an unreadable path
  }
  if (own === undefined || joined !== own) return;
  for (const key of keys) {
    if (sysctlNamespace(key) === 'network') {
      throw new OcirtError(
        `config.json: ${joinPointer('/linux/sysctl', key)}: sysctl ${JSON.stringify(key)} is not allowed in the host's network namespace (${net.path} is the runtime's own): it would change the host`,
      );
    }
  }
}

/**
 * Config fields ocirt accepts (they are valid) but does not apply yet. Refusing them would break
 * every engine, which sends them routinely; they are reported on the log instead, so that what
 * the container does not get is never silent.
 */
export function notYetApplied(config: Spec): string[] {
  const out: string[] = [];
  const l = config.linux;
  const check = (field: string, v: unknown) => {
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) out.push(field);
  };
  check('/linux/resources/devices', l?.resources?.devices);
  for (const [name, hooks] of Object.entries(config.hooks ?? {})) check(`/hooks/${name}`, hooks);
  return out;
}

export function planUserns(uidMappings: IdMapping[], gidMappings: IdMapping[], host: HostFacts): UserNamespaceSetup {
  if (uidMappings.length === 0 || gidMappings.length === 0) {
    throw new OcirtError(
      'config.json: /linux/uidMappings, /linux/gidMappings: a user namespace needs uid and gid mappings',
    );
  }
  const privileged = host.euid === 0;
  // An unprivileged process may write a single line mapping only its own id; anything else
  // needs the setuid helpers and the ranges granted in /etc/subuid and /etc/subgid.
  const ownOnly =
    uidMappings.length === 1 &&
    gidMappings.length === 1 &&
    uidMappings[0].size === 1 &&
    gidMappings[0].size === 1 &&
    uidMappings[0].hostID === host.euid &&
    gidMappings[0].hostID === host.egid;
  const writer = privileged || ownOnly ? 'direct' : 'helpers';
  return {
    uidMappings,
    gidMappings,
    writer,
    denySetgroups: !privileged && writer === 'direct',
  };
}

/**
 * The process's ids must exist in the user namespace it runs in: setresuid to an unmapped id
 * fails only after `start`, long after `create` reported success.
 */
function checkIdsMapped(user: { uid?: number; gid?: number; additionalGids?: number[] }, u: UserNamespaceSetup): void {
  const mapped = (id: number, m: IdMapping[]) => m.some((e) => id >= e.containerID && id < e.containerID + e.size);
  const ranges = (m: IdMapping[]) => m.map((e) => `${e.containerID}-${e.containerID + e.size - 1}`).join(', ');
  const uid = user.uid ?? 0;
  if (!mapped(uid, u.uidMappings)) {
    throw new OcirtError(`config.json: /process/user/uid: uid ${uid} is not mapped in the user namespace (/linux/uidMappings maps ${ranges(u.uidMappings)})`);
  }
  const gids: [string, number][] = [['/process/user/gid', user.gid ?? 0], ...(user.additionalGids ?? []).map((g, i): [string, number] => [`/process/user/additionalGids/${i}`, g])];
  for (const [field, gid] of gids) {
    if (!mapped(gid, u.gidMappings)) {
      throw new OcirtError(`config.json: ${field}: gid ${gid} is not mapped in the user namespace (/linux/gidMappings maps ${ranges(u.gidMappings)})`);
    }
  }
}

function propagationFlag(word: string): number {
  const p = parseMountOptions([word]).propagation;
  if (p.length !== 1) {
    throw new OcirtError(`config.json: /linux/rootfsPropagation: unknown propagation "${word}"`);
  }
  return p[0] | MS.REC;
}

const DEVICE_TYPE: Record<string, number> = { c: S_IF.CHR, u: S_IF.CHR, b: S_IF.BLK, p: S_IF.FIFO };

export function planDevices(devices: LinuxDevice[], inUserns: boolean): DeviceStep[] {
  const out = new Map<string, DeviceStep>();
  for (const d of DEFAULT_DEVICES) out.set(d.path, { ...d, bindFromHost: inUserns });
  devices.forEach((d, i) => {
    out.set(d.path, {
      field: `/linux/devices/${i}`,
      path: d.path,
      mode: DEVICE_TYPE[d.type] | (d.fileMode ?? 0o666),
      major: d.major ?? 0,
      minor: d.minor ?? 0,
      uid: d.uid ?? 0,
      gid: d.gid ?? 0,
      // mknod is refused inside a user namespace; the host's node is bound instead.
      bindFromHost: inUserns,
    });
  });
  return [...out.values()];
}

function planSymlinks(mounts: MountStep[]): SymlinkStep[] {
  const links = [...DEFAULT_SYMLINKS];
  // /dev/ptmx must be the container's own devpts instance's, not the host's.
  if (mounts.some((m) => m.destination === '/dev/pts' && m.fstype === 'devpts')) {
    links.push({ link: '/dev/ptmx', target: 'pts/ptmx' });
  }
  return links;
}

export function capabilityMask(names: readonly string[] | undefined, field: string): bigint {
  let mask = 0n;
  (names ?? []).forEach((name, i) => {
    const bit = (CAPABILITIES as readonly string[]).indexOf(name);
    if (bit < 0) throw new OcirtError(`config.json: ${field}/${i}: unknown capability "${name}"`);
    mask |= 1n << BigInt(bit);
  });
  return mask;
}

/**
 * A config without a process gives a container whose init runs nothing: `start` releases it and
 * it exits 0 (the runtime-tools suite creates and starts such containers).
 */
const NO_PROCESS: ProcessPlan = {
  args: [],
  env: [],
  cwd: '/',
  uid: 0,
  gid: 0,
  additionalGids: [],
  capabilities: { bounding: 0n, effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n },
  noNewPrivileges: false,
  rlimits: [],
  terminal: false,
  preserveFds: 0,
  defaultHome: false,
  createCwd: false,
};

function planProcess(config: Spec, opts: PlanOptions, userns: UserNamespaceSetup | undefined): ProcessPlan {
  const p = config.process;
  if (!p) return { ...NO_PROCESS, preserveFds: opts.preserveFds };
  const caps = p.capabilities ?? {};
  const capabilities: CapabilitySets = {
    bounding: capabilityMask(caps.bounding, '/process/capabilities/bounding'),
    effective: capabilityMask(caps.effective, '/process/capabilities/effective'),
    permitted: capabilityMask(caps.permitted, '/process/capabilities/permitted'),
    inheritable: capabilityMask(caps.inheritable, '/process/capabilities/inheritable'),
    ambient: capabilityMask(caps.ambient, '/process/capabilities/ambient'),
  };
  // The kernel raises an ambient capability only if it is permitted and inheritable; runc's
  // default spec lists ambient caps without inheritable ones. Those are dropped, and said so.
  const raisable = capabilities.ambient & capabilities.permitted & capabilities.inheritable;
  if (raisable !== capabilities.ambient) {
    const dropped = (CAPABILITIES as readonly string[]).filter((_, bit) => (capabilities.ambient & ~raisable) & (1n << BigInt(bit)));
    opts.warn?.(`/process/capabilities/ambient: ${dropped.join(', ')} not raised: an ambient capability must also be permitted and inheritable`);
    capabilities.ambient = raisable;
  }
  // capset(2) refuses an effective capability that is not permitted: say which, before anything runs.
  const notPermitted = capabilities.effective & ~capabilities.permitted;
  if (notPermitted) {
    const names = (CAPABILITIES as readonly string[]).filter((_, bit) => notPermitted & (1n << BigInt(bit)));
    throw new OcirtError(`config.json: /process/capabilities/effective: ${names.join(', ')} not in /process/capabilities/permitted: an effective capability must also be permitted`);
  }
  const rlimits: Rlimit[] = (p.rlimits ?? []).map((r, i) => {
    const resource = (RLIMITS as Record<string, number>)[r.type];
    if (resource === undefined) throw new OcirtError(`config.json: /process/rlimits/${i}/type: unknown rlimit "${r.type}"`);
    return { field: `/process/rlimits/${i}`, resource, soft: jsonU64(r.soft), hard: jsonU64(r.hard) };
  });
  const args = p.args ?? [];
  if (args.length === 0) throw new OcirtError('config.json: /process/args: at least one argument is required');
  if (p.terminal && !opts.consoleSocket) {
    throw new OcirtError(
      'config.json: /process/terminal is true: pass --console-socket (or set "terminal": false to use the caller\'s stdio)',
    );
  }
  const user = p.user ?? {};
  if (userns?.denySetgroups && (user.additionalGids ?? []).length) {
    throw new OcirtError(
      'config.json: /process/user/additionalGids: an unprivileged user namespace with a single mapped id cannot set additional groups (setgroups is denied in it): remove them, or map a range of ids with newgidmap',
    );
  }
  const env = p.env ?? [];
  const scheduling = planScheduling(p);
  return {
    args,
    env,
    cwd: p.cwd,
    uid: user.uid ?? 0,
    gid: user.gid ?? 0,
    additionalGids: user.additionalGids ?? [],
    ...(user.umask !== undefined ? { umask: user.umask } : {}),
    capabilities,
    noNewPrivileges: p.noNewPrivileges === true,
    rlimits,
    ...(p.oomScoreAdj !== undefined ? { oomScoreAdj: p.oomScoreAdj } : {}),
    terminal: p.terminal === true,
    preserveFds: opts.preserveFds,
    defaultHome: !env.some((e) => e.startsWith('HOME=')),
    createCwd: true,
    ...(scheduling ? { scheduling } : {}),
    ...(p.terminal && p.consoleSize ? { consoleSize: { rows: p.consoleSize.height, columns: p.consoleSize.width } } : {}),
  };
}

/**
 * process.execCPUAffinity belongs to processes exec'd into a running container (runtime-spec: "not
 * applicable to the container's init process"); the exec plan takes it from here.
 */
export { planCpuAffinity };
