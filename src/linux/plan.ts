// The LaunchPlan: everything the native executor needs to turn a validated config into a running
// container, decided in TypeScript before any process is created. Plain data only: numbers,
// strings, bigints and arrays, so a plan can be snapshot-tested without root and encoded for the
// init stub (src/linux/encode.ts) without interpretation.
//
// Every item that can fail in the executor carries `field`: the JSON pointer of the config value it
// came from ("" for runtime defaults), so a failure names what the user has to change.
import type { LsmPlan } from '../lsm/labels.js';
import type { SeccompPlan } from '../seccomp/plan.js';

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface NamespaceJoin {
  type: NamespaceType;
  /** absolute host path of the namespace file, e.g. /proc/123/ns/net */
  path: string;
  /** CLONE_NEW* constant passed to setns as nstype */
  nstype: number;
  field: string;
}

export interface UserNamespaceSetup {
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
  /**
   * How the parent writes the maps: 'direct' writes /proc/<pid>/{uid,gid}_map itself (root, or an
   * unprivileged caller mapping only its own ids), 'helpers' runs newuidmap/newgidmap.
   */
  writer: 'direct' | 'helpers';
  /** write "deny" to /proc/<pid>/setgroups before gid_map (required for an unprivileged writer) */
  denySetgroups: boolean;
}

export interface MountStep {
  field: string;
  /** host path for binds (resolved against the bundle), or the fs source ("proc", "tmpfs", ...) */
  source: string;
  /** absolute path inside the container; the executor resolves it inside the rootfs */
  destination: string;
  /** filesystem type; "" for bind mounts */
  fstype: string;
  /** MS_* flags for the mount(2) call itself (MS_BIND|MS_REC for binds) */
  flags: number;
  /**
   * MS_* flags applied with a MS_REMOUNT|MS_BIND after a bind mount (ro, nosuid, nodev, noexec,
   * atime flags); 0 when no remount is needed. The executor adds the flags the kernel locks for
   * mounts that came from a more privileged user namespace.
   */
  remountFlags: number;
  /** each entry is applied by its own mount(2) call after the mount, e.g. MS_PRIVATE|MS_REC */
  propagation: number[];
  /** mount data string, e.g. "mode=755,size=65536k" */
  data: string;
  /** what to create at the destination when it is missing */
  createAs: 'dir' | 'file';
  /**
   * Used when the mount(2) fails with EPERM/EBUSY/EINVAL inside a user namespace (rootless sysfs,
   * cgroup, mqueue): bind this host path instead, recursively, with remountFlags.
   */
  fallbackBindSource?: string;
  /** MOUNT_ATTR_* flags to apply recursively with mount_setattr (e.g. "rro"); 0 for none */
  recursiveAttrSet: number;
  recursiveAttrClear: number;
  /** what the init does beyond mount(2) (all optional, absent = no) */
  extras?: MountExtras;
  /**
   * procfs and sysfs: the destination must be an ordinary directory of the rootfs, reached
   * without any symlink, or the init refuses the mount (src/linux/ordinary-dirs.ts)
   */
  ordinaryDirectory?: boolean;
}

/** Mount behaviours beyond mount(2) (native/plan_format.h OCIRT_MX_*). */
export interface MountExtras {
  /** chmod the new mount's root to the mode of the directory it covers, if one existed (runc, tmpfs) */
  keepCoveredMode?: boolean;
  /** mount read-write, then read-only once keepCoveredMode/copyUp are done (a read-only tmpfs) */
  readonlyAfter?: boolean;
  /** mount read-write, then read-only after the devices and /dev symlinks exist (a read-only /dev) */
  readonlyLast?: boolean;
  /** tmpcopyup: copy what the new tmpfs covers into it */
  copyUp?: boolean;
  /**
   * The runtime opens the bind source itself (open_tree) and the init attaches it: the source is
   * resolved with the caller's credentials, before the container's user namespace exists.
   */
  openInRuntime?: {
    /** the whole tree (rbind), not only the mount at the source */
    recursive: boolean;
    /** id-map it (mount_setattr MOUNT_ATTR_IDMAP); recursive: every mount of the tree (ridmap) */
    idmap?: { uidMappings: IdMapping[]; gidMappings: IdMapping[]; recursive: boolean };
  };
  /** set by the launch (src/container/launch-prep.ts), not the planner: the fd openInRuntime made, sent with "go" */
  sourceFd?: number;
}

export interface DeviceStep {
  field: string;
  /** absolute path inside the container */
  path: string;
  /** S_IFCHR, S_IFBLK or S_IFIFO combined with the permission bits */
  mode: number;
  major: number;
  minor: number;
  uid: number;
  gid: number;
  /** bind-mount the host's node instead of mknod (rootless: mknod is not allowed in a userns) */
  bindFromHost: boolean;
}

export interface SymlinkStep {
  /** absolute path inside the container */
  link: string;
  target: string;
}

export interface Rlimit {
  field: string;
  /** RLIMIT_* number */
  resource: number;
  soft: bigint;
  hard: bigint;
}

export interface CapabilitySets {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
}

export interface NetDevicePlan {
  field: string;
  /** the device's name on the host */
  hostName: string;
  /** its name in the container */
  name: string;
  /**
   * its permanent global addresses, read by the launch just before the move (the move drops
   * them; the init adds them back): not known to the planner
   */
  addresses?: NetAddress[];
}

export interface NetAddress {
  family: number;
  prefixlen: number;
  flags: number;
  scope: number;
  /** the address bytes (4 for IPv4, 16 for IPv6) */
  address: number[];
}

export interface Sysctl {
  field: string;
  /** path under /proc/sys, e.g. net/ipv4/ip_forward */
  path: string;
  value: string;
}

export interface ProcessPlan {
  args: string[];
  env: string[];
  /** absolute path inside the container */
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  /** undefined: leave the umask as inherited (0022 for the init) */
  umask?: number;
  capabilities: CapabilitySets;
  noNewPrivileges: boolean;
  rlimits: Rlimit[];
  oomScoreAdj?: number;
  /** allocate a pty inside the container and send its master over the console socket */
  terminal: boolean;
  /** process.consoleSize: the pty's initial size */
  consoleSize?: { height: number; width: number };
  /** fds 3..3+preserveFds-1 of the caller stay open in the container */
  preserveFds: number;
  /** process.env has no HOME: the init takes it from the container's /etc/passwd (else "/") */
  defaultHome: boolean;
  /** create cwd inside the rootfs when it is missing (runc does) */
  createCwd: boolean;
  scheduling?: SchedulingPlan;
  /** process.execCPUAffinity (exec'd processes only: runtime-spec says it is not for the init) */
  cpuAffinity?: { initial?: number[]; final?: number[] };
}

/** process.scheduler and process.ioPriority, as sched_setattr and ioprio_set take them. */
export interface SchedulingPlan {
  policy?: {
    /** SCHED_* number */
    policy: number;
    /** SCHED_FLAG_* bits */
    flags: bigint;
    nice: number;
    priority: number;
    runtime: bigint;
    deadline: bigint;
    period: bigint;
  };
  /** ioprio_set value: class << 13 | priority */
  ioprio?: number;
}

/** One hook the init runs itself (createContainer, startContainer): runtime-spec config.md "POSIX-platform Hooks". */
export interface HookStep {
  /** JSON pointer of the hook, e.g. /hooks/createContainer/0 */
  field: string;
  path: string;
  /** argv, argv[0] included; [path] when the config gives none */
  args: string[];
  env: string[];
  /** seconds before the hook is killed; 0 for no timeout */
  timeout: number;
}

/** The hooks the init takes part in; absent when the config has none of them. */
export interface InitHooks {
  /**
   * The init stops after its mounts, before pivot_root, until the runtime has run the prestart and
   * createRuntime hooks in its own namespaces (the config has some).
   */
  pauseForRuntimeHooks: boolean;
  /** the state JSON on the hooks' stdin, cut where the init writes its pid as the runtime sees it */
  statePrefix: string;
  stateSuffix: string;
  /** in the container's namespaces, after the mounts, before pivot_root */
  createContainer: HookStep[];
  /** in the container, after `start`, before the credentials and execve */
  startContainer: HookStep[];
}

/**
 * The exec kind: the plan makes no container but adds a process to a running one. The runtime
 * hands the init stub the container init's pidfd (checked against its start time) with "go".
 */
export interface ExecJoin {
  /** CLONE_NEW* namespaces of the container's init that differ from ours: joined through its pidfd */
  nsFlags: number;
  /** the container has no mount namespace of its own: chroot into its init's root (an fd with "go") */
  chroot: boolean;
}

export interface LaunchPlan {
  /** CLONE_NEW* flags given to clone3: the namespaces created with the init process */
  cloneFlags: number;
  /** namespaces joined by path, in order (a user namespace first) */
  joins: NamespaceJoin[];
  /** CLONE_NEW* flags unshared after the joins (used when a user namespace is joined by path) */
  unshareFlags: number;
  /** joining a pid namespace by path only affects children: the init forks once after setns */
  forkAfterJoin: boolean;
  /** present when the plan creates a user namespace; the parent writes the maps */
  userns?: UserNamespaceSetup;
  hostname?: string;
  domainname?: string;

  /** absolute host path of the rootfs */
  rootfs: string;
  /** MS_* propagation applied recursively to "/" in the new mount namespace first */
  rootPropagation: number;
  /** propagation of the rootfs mount itself after the bind (rootfsPropagation), 0 for none */
  rootfsPropagation: number;
  noPivot: boolean;
  /**
   * The config neither creates nor joins a mount namespace: every mount would land in the host's,
   * so none is made (mounts, devices, masked and readonly paths are empty) and the init chroots.
   */
  noMountNamespace: boolean;
  readonlyRoot: boolean;
  mounts: MountStep[];
  devices: DeviceStep[];
  symlinks: SymlinkStep[];
  maskedPaths: { field: string; path: string }[];
  readonlyPaths: { field: string; path: string }[];
  sysctls: Sysctl[];

  process: ProcessPlan;
  /**
   * a new time namespace, created by the init (not at clone: the clock offsets can only be written
   * before anything enters it), with linux.timeOffsets as [seconds, nanoseconds]
   */
  timeNamespace?: { monotonic?: [bigint, number]; boottime?: [bigint, number] };
  /** bring "lo" up in the new network namespace (runc does) */
  loopbackUp: boolean;
  /** linux.netDevices: host device -> name in the container; moved by the runtime before "go" */
  netDevices: NetDevicePlan[];
  /** linux.personality: the personality(2) argument */
  personality?: number;
  /** linux.memoryPolicy: set_mempolicy(mode | flags, nodes) */
  memoryPolicy?: { mode: number; nodes: number[] };
  /** join a fresh session keyring (unless --no-new-keyring) */
  newSessionKeyring: boolean;
  /** host path of the exec fifo the init blocks on before execve; absent for `run` without create split */
  execFifo?: string;
  /**
   * process.terminal: where the pty master goes, for messages (the --console-socket path, or a
   * description of ocirt's own relay). The runtime connects it and hands the stub the connection.
   */
  consoleSocket?: string;
  /** present for the exec kind: a process joining a running container (no setup of its own) */
  exec?: ExecJoin;
  /** the compiled seccomp filter of the process (src/seccomp/plan.ts) */
  seccomp?: SeccompPlan;
  /** the process's LSM labels (src/lsm/labels.ts) */
  lsm?: LsmPlan;
  /** hooks run by (or waited for in) the init */
  hooks?: InitHooks;
}
