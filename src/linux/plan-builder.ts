// config.json (already validated) + CLI options -> LaunchPlan. Every policy decision about how a
// container is set up lives here, as a pure function of its inputs: what the host looks like is
// passed in (HostFacts), so the whole translation is unit-tested without root.
import { posix as path } from 'node:path';
import type { LinuxDevice, LinuxSeccomp, Spec } from '../spec/types.js';
import { joinPointer } from '../spec/locate.js';
import { sysctlNamespace } from '../spec/known.js';
import { ConfigError, OcirtError } from '../errors.js';
import { CAPABILITIES, CLONE, MS, RLIMITS, S_IF } from './constants.js';
import { parseMountOptions } from './mount-options.js';
import { planMount } from './mounts.js';
import { checkJoins, planNamespaces, planTimeNamespace, type NamespaceFileInfo } from './namespaces.js';
export { planNamespaces } from './namespaces.js';
import { planNetDevices } from './net-devices.js';
import { jsonU64, planCpuAffinity, planMemoryPolicy, planPersonality, planScheduling } from './process-attrs.js';
import { isCgroupMount, planCgroupMount, type CgroupMountFacts } from './cgroup-mounts.js';
import { planSeccomp, type SeccompHost } from '../seccomp/plan.js';
import type { ExactIntegers } from '../seccomp/profile.js';
import type { LsmHost } from '../lsm/host.js';
import { mountContext, planLabels } from '../lsm/labels.js';
import { namespaceFlags } from './exec-join.js';
import { planInitHooks, type HookStateTemplate } from './hooks.js';
import type {
  CapabilitySets,
  DeviceStep,
  IdMapping,
  LaunchPlan,
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
  /**
   * ocirt itself runs in a user namespace (rootless podman runs it as uid 0 of its own): what a
   * config's user namespace forbids (mknod, mounting sysfs without the network namespace) is
   * forbidden here as well
   */
  inUserNamespace?: boolean;
  /** the container's cgroups as its cgroup mounts show them (src/cgroups: cgroupMountFacts) */
  cgroups?: CgroupMountFacts;
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
  /**
   * fds handed to ocirt by systemd socket activation (LISTEN_FDS, for this process): they go to
   * the container first, as fds 3.., with LISTEN_FDS and LISTEN_PID=1 in its environment (runc)
   */
  listenFds?: number;
  execFifo?: string;
  consoleSocket?: string;
  /**
   * the size of the terminal ocirt relays the pty to: it wins over process.consoleSize, and the
   * pty has it before the program runs (a resize after it starts would race the program)
   */
  terminalSize?: { height: number; width: number };
  /** the state JSON the init's hooks get (create knows the id, bundle and annotations) */
  hookState?: HookStateTemplate;
  /** reports what the config asks for but the plan cannot honour */
  warn?: (msg: string) => void;
  /** details for --debug (e.g. seccomp syscall names this libseccomp does not know) */
  debug?: (msg: string) => void;
  /** exact values of integers above 2^53 in config.json, by JSON pointer (seccomp arguments) */
  exactIntegers?: ExactIntegers;
}

/** What an exec plan needs beyond the container's config (whose process is the one to run). */
export interface ExecPlanOptions {
  /** the container's rootfs (host path), as recorded at create */
  rootfs: string;
  /** is the namespace file at this path (a config's namespace path) the runtime's own? */
  isOwnNamespace: (path: string, type: NamespaceType) => boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  consoleSocket?: string;
  /** as PlanOptions.terminalSize */
  terminalSize?: { height: number; width: number };
  warn?: (msg: string) => void;
  debug?: (msg: string) => void;
  /** as PlanOptions.exactIntegers (the container's config's, kept by create) */
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
  const inUserns = list.some((n) => n.type === 'user') || host.inUserNamespace === true;
  const userns = creatingUserns ? planUserns(linux.uidMappings ?? [], linux.gidMappings ?? [], host) : undefined;
  const nsInfo = host.namespaceInfo?.bind(host);
  if (ns.joins.length && nsInfo) checkJoins(ns.joins, nsInfo);

  if (userns && config.process) checkIdsMapped(config.process.user ?? {}, userns);

  const hasNs = (t: NamespaceType) => list.some((n) => n.type === t);
  const newNs = (t: NamespaceType) => list.some((n) => n.type === t && !n.path);
  const context = mountContext(linux.mountLabel, lsmHost(host));
  const cgroupLinks: SymlinkStep[] = [];
  const mounts = (config.mounts ?? []).flatMap((m, i) => {
    if (!isCgroupMount(m)) {
      return [
        planMount(m, `/mounts/${i}`, {
          bundle: opts.bundle,
          inUserns,
          ...(userns ? { userns: { uidMappings: userns.uidMappings, gidMappings: userns.gidMappings } } : {}),
          privileged: host.euid === 0,
          netns: hasNs('network'),
          ipcns: hasNs('ipc'),
          isDirectory: (p) => host.isDirectory(p),
          ...(context ? { context } : {}),
        }),
      ];
    }
    const c = planCgroupMount(m, `/mounts/${i}`, host.cgroups ?? { mode: 'none', v1: [] }, hasNs('cgroup'), context);
    cgroupLinks.push(...c.symlinks);
    return c.mounts;
  });
  const devBound = mounts.some((m) => m.destination === '/dev' && (m.flags & MS.BIND) !== 0);

  const ptmxLink = mounts.some((m) => m.destination === '/dev/pts' && m.fstype === 'devpts');
  const mountNs = hasNs('mount');
  if (!mountNs && ((config.mounts ?? []).length || linux.maskedPaths?.length || linux.readonlyPaths?.length)) {
    opts.warn?.('no mount namespace: mounts, maskedPaths and readonlyPaths are not applied (they would change the host)');
  }

  const hooks = planInitHooks(config.hooks, opts.hookState ?? { prefix: '{"pid":', suffix: '}' });

  const rootPropagation = linux.rootfsPropagation ? propagationFlag(linux.rootfsPropagation) : MS.SLAVE | MS.REC;
  const proc = planProcess(config, { ...opts, preserveFds: (opts.listenFds ?? 0) + opts.preserveFds }, opts.listenFds ?? 0, userns);

  checkSysctlNamespaces(Object.keys(linux.sysctl ?? {}), list, host);
  if (Object.keys(linux.netDevices ?? {}).length && ns.unshareFlags & CLONE.NEWNET) {
    // the runtime moves devices into the init's network namespace before "go"; this one is made
    // by the init after it
    throw new ConfigError(
      '/linux/netDevices',
      'not supported with namespaces joined by path and a user namespace (joined, or new): the init makes the network namespace after the joins, too late for the devices to be moved in',
    );
  }
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
    devices: devBound || !mountNs ? [] : planDevices(linux.devices ?? [], inUserns, ptmxLink),
    symlinks: !mountNs ? [] : [...(devBound ? [] : planSymlinks(ptmxLink)), ...cgroupLinks],
    maskedPaths: mountNs ? (linux.maskedPaths ?? []).map((p, i) => ({ field: `/linux/maskedPaths/${i}`, path: p })) : [],
    readonlyPaths: mountNs ? (linux.readonlyPaths ?? []).map((p, i) => ({ field: `/linux/readonlyPaths/${i}`, path: p })) : [],
    sysctls: Object.entries(linux.sysctl ?? {}).map(([key, value]) => ({
      field: joinPointer('/linux/sysctl', key),
      path: key.replace(/\./g, '/'),
      value,
    })),
    process: proc,
    ...(timeNamespace ? { timeNamespace } : {}),
    loopbackUp: newNs('network'),
    netDevices: planNetDevices(linux),
    ...(personality !== undefined ? { personality } : {}),
    ...(memoryPolicy ? { memoryPolicy } : {}),
    newSessionKeyring: !opts.noNewKeyring,
    ...(opts.execFifo ? { execFifo: opts.execFifo } : {}),
    ...(opts.consoleSocket ? { consoleSocket: opts.consoleSocket } : {}),
    ...(hooks ? { hooks } : {}),
    ...(config.process ? planConfinement(config.process, linux.seccomp, proc, opts, host) : {}),
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
 * The process's seccomp filter and LSM labels. Without a process the init runs nothing, so there
 * is nothing to confine (and no filter to compile).
 */
function planConfinement(
  p: NonNullable<Spec['process']>,
  sc: LinuxSeccomp | undefined,
  proc: ProcessPlan,
  opts: Pick<PlanOptions, 'exactIntegers' | 'debug' | 'noNewKeyring'>,
  host: HostFacts,
): Pick<LaunchPlan, 'seccomp' | 'lsm'> {
  if (sc && !host.seccomp) throw new OcirtError('config.json: /linux/seccomp: this host has no seccomp support');
  const seccomp = sc && host.seccomp ? planSeccomp(sc, proc, host.seccomp, { exact: opts.exactIntegers, debug: opts.debug }) : undefined;
  const lsm = planLabels(p, lsmHost(host), { newKeyring: !opts.noNewKeyring });
  return { ...(seccomp ? { seccomp } : {}), ...(lsm ? { lsm } : {}) };
}

function lsmHost(host: HostFacts): () => LsmHost {
  return () => {
    if (!host.lsm) throw new OcirtError("config.json: the config has LSM labels, but this host's LSMs are unknown");
    return host.lsm();
  };
}

/**
 * A further process in a running container: the container's config (with the process to run in
 * place of its own) -> a plan of the exec kind. It joins the init's namespaces, makes no mounts,
 * and carries the process's own settings, decided exactly as for the container's first process.
 * The namespaces joined are the config's (as runc), created or joined by path alike: the init is
 * in each, and the pidfd names them; one joined by path that is the runtime's own is left alone
 * (setns refuses to enter one's own user namespace, and the others would change nothing).
 */
export function buildExecPlan(config: Spec, opts: ExecPlanOptions, host: HostFacts): LaunchPlan {
  const linux = config.linux ?? {};
  const namespaces = linux.namespaces ?? [];
  const joined = namespaces.filter((n) => !(n.path && opts.isOwnNamespace(n.path, n.type))).map((n) => n.type);
  const createsUserns = namespaces.some((n) => n.type === 'user' && !n.path);
  if (createsUserns && config.process) {
    checkIdsMapped(config.process.user ?? {}, { uidMappings: linux.uidMappings ?? [], gidMappings: linux.gidMappings ?? [] });
  }
  const planned = planProcess(config, opts, 0, undefined);
  // process.execCPUAffinity is for exec'd processes only (runtime-spec: not the container's init)
  const cpuAffinity = config.process ? planCpuAffinity(config.process) : undefined;
  const proc: ProcessPlan = cpuAffinity ? { ...planned, cpuAffinity } : planned;
  return {
    cloneFlags: 0,
    joins: [],
    unshareFlags: 0,
    forkAfterJoin: false,
    rootfs: opts.rootfs,
    rootPropagation: 0,
    rootfsPropagation: 0,
    noPivot: false,
    noMountNamespace: false,
    readonlyRoot: false,
    mounts: [],
    devices: [],
    symlinks: [],
    maskedPaths: [],
    readonlyPaths: [],
    sysctls: [],
    process: proc,
    loopbackUp: false,
    netDevices: [],
    newSessionKeyring: !opts.noNewKeyring,
    ...(opts.consoleSocket && config.process?.terminal ? { consoleSocket: opts.consoleSocket } : {}),
    // the container's seccomp filter and the process's labels, as for its first process
    ...(config.process ? planConfinement(config.process, linux.seccomp, proc, opts, host) : {}),
    exec: {
      nsFlags: namespaceFlags(joined),
      chroot: !namespaces.some((n) => n.type === 'mount'),
    },
  };
}

export function planUserns(uidMappings: IdMapping[], gidMappings: IdMapping[], host: HostFacts): UserNamespaceSetup {
  if (uidMappings.length === 0 || gidMappings.length === 0) {
    throw new OcirtError('config.json: /linux/uidMappings, /linux/gidMappings: a user namespace needs uid and gid mappings');
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
function checkIdsMapped(
  user: { uid?: number; gid?: number; additionalGids?: number[] },
  u: Pick<UserNamespaceSetup, 'uidMappings' | 'gidMappings'>,
): void {
  const mapped = (id: number, m: IdMapping[]) => m.some((e) => id >= e.containerID && id < e.containerID + e.size);
  const ranges = (m: IdMapping[]) => m.map((e) => `${e.containerID}-${e.containerID + e.size - 1}`).join(', ');
  const uid = user.uid ?? 0;
  if (!mapped(uid, u.uidMappings)) {
    throw new OcirtError(
      `config.json: /process/user/uid: uid ${uid} is not mapped in the user namespace (/linux/uidMappings maps ${ranges(u.uidMappings)})`,
    );
  }
  const gids: [string, number][] = [
    ['/process/user/gid', user.gid ?? 0],
    ...(user.additionalGids ?? []).map((g, i): [string, number] => [`/process/user/additionalGids/${i}`, g]),
  ];
  for (const [field, gid] of gids) {
    if (!mapped(gid, u.gidMappings)) {
      throw new OcirtError(
        `config.json: ${field}: gid ${gid} is not mapped in the user namespace (/linux/gidMappings maps ${ranges(u.gidMappings)})`,
      );
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

/**
 * ptmxLink: /dev/ptmx will be the symlink to the devpts instance's ptmx, so a /dev/ptmx listed in
 * linux.devices is left out (runc does the same): a node of the host's multiplexer there would
 * take the place of the container's own.
 */
export function planDevices(devices: LinuxDevice[], inUserns: boolean, ptmxLink = false): DeviceStep[] {
  const out = new Map<string, DeviceStep>();
  for (const d of DEFAULT_DEVICES) out.set(d.path, { ...d, bindFromHost: inUserns });
  devices.forEach((d, i) => {
    if (ptmxLink && path.normalize(d.path) === '/dev/ptmx') return;
    out.set(d.path, {
      field: `/linux/devices/${i}`,
      path: d.path,
      // engines may send the file type bits too (podman: 8630 = S_IFCHR|0666): the type is d.type's
      mode: DEVICE_TYPE[d.type] | ((d.fileMode ?? 0o666) & 0o7777),
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

function planSymlinks(ptmxLink: boolean): SymlinkStep[] {
  const links = [...DEFAULT_SYMLINKS];
  // /dev/ptmx must be the container's own devpts instance's, not the host's.
  if (ptmxLink) links.push({ link: '/dev/ptmx', target: 'pts/ptmx' });
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

function planProcess(
  config: Spec,
  opts: Pick<PlanOptions, 'preserveFds' | 'consoleSocket' | 'terminalSize' | 'warn' | 'exactIntegers'>,
  listenFds: number,
  userns: UserNamespaceSetup | undefined,
): ProcessPlan {
  const p = config.process;
  if (!p) return { ...NO_PROCESS, preserveFds: opts.preserveFds };
  const capabilities = capabilitySets(p);
  // The kernel raises an ambient capability only if it is permitted and inheritable; runc's
  // default spec lists ambient caps without inheritable ones. Those are dropped, and said so.
  const notRaised = ambientNotRaised(capabilities);
  if (notRaised) {
    opts.warn?.(notRaised);
    capabilities.ambient &= capabilities.permitted & capabilities.inheritable;
  }
  // capset(2) refuses an effective capability that is not permitted: say which, before anything runs.
  const notPermitted = capabilities.effective & ~capabilities.permitted;
  if (notPermitted) {
    const names = (CAPABILITIES as readonly string[]).filter((_, bit) => notPermitted & (1n << BigInt(bit)));
    throw new OcirtError(
      `config.json: /process/capabilities/effective: ${names.join(', ')} not in /process/capabilities/permitted: an effective capability must also be permitted`,
    );
  }
  const rlimits: Rlimit[] = (p.rlimits ?? []).map((r, i) => {
    const resource = (RLIMITS as Record<string, number>)[r.type];
    if (resource === undefined) throw new OcirtError(`config.json: /process/rlimits/${i}/type: unknown rlimit "${r.type}"`);
    const field = `/process/rlimits/${i}`;
    const soft = jsonU64(r.soft, `${field}/soft`, opts.exactIntegers);
    const hard = jsonU64(r.hard, `${field}/hard`, opts.exactIntegers);
    // the semantic check compared the rounded numbers: 2^64-1 over 2^64-2 passed it
    if (soft > hard)
      throw new ConfigError(`${field}/soft`, `rlimit soft limit ${soft} is above the hard limit ${hard}: expected soft <= hard`);
    return { field, resource, soft, hard };
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
  const env = [...(p.env ?? [])];
  const scheduling = planScheduling(p, opts.exactIntegers);
  const size = opts.terminalSize ?? p.consoleSize;
  const consoleSize = p.terminal && size ? planConsoleSize(size) : undefined;
  // runc's socket activation: LISTEN_PID is the container's process, pid 1 of its namespace
  const listenEnv = listenFds > 0 ? [`LISTEN_FDS=${listenFds}`, 'LISTEN_PID=1'] : [];
  return {
    args,
    env: [...env, ...listenEnv],
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
    ...(consoleSize ? { consoleSize } : {}),
    preserveFds: opts.preserveFds,
    defaultHome: !env.some((e) => e.startsWith('HOME=')),
    createCwd: true,
    ...(scheduling ? { scheduling } : {}),
  };
}

function capabilitySets(p: NonNullable<Spec['process']>): CapabilitySets {
  const caps = p.capabilities ?? {};
  return {
    bounding: capabilityMask(caps.bounding, '/process/capabilities/bounding'),
    effective: capabilityMask(caps.effective, '/process/capabilities/effective'),
    permitted: capabilityMask(caps.permitted, '/process/capabilities/permitted'),
    inheritable: capabilityMask(caps.inheritable, '/process/capabilities/inheritable'),
    ambient: capabilityMask(caps.ambient, '/process/capabilities/ambient'),
  };
}

function ambientNotRaised(c: CapabilitySets): string | undefined {
  const raisable = c.ambient & c.permitted & c.inheritable;
  if (raisable === c.ambient) return undefined;
  const dropped = (CAPABILITIES as readonly string[]).filter((_, bit) => c.ambient & ~raisable & (1n << BigInt(bit)));
  return `/process/capabilities/ambient: ${dropped.join(', ')} not raised: an ambient capability must also be permitted and inheritable`;
}

/** What planning this config's process reports through `warn`, in the same words. */
export function processWarnings(config: Spec): string[] {
  const notRaised = config.process ? ambientNotRaised(capabilitySets(config.process)) : undefined;
  return notRaised ? [notRaised] : [];
}

function planConsoleSize(size: { height: number; width: number }): { height: number; width: number } {
  for (const k of ['height', 'width'] as const) {
    if (size[k] > 0xffff)
      throw new OcirtError(`config.json: /process/consoleSize/${k}: ${size[k]} is larger than a terminal can be (at most 65535)`);
  }
  return { height: size.height, width: size.width };
}
