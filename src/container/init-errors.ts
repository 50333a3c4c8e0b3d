// Turns the init's fixed error record (step, errno, index into a plan list, detail) into a
// message that names the config field the user has to change, the path and the errno.
import { CAPABILITIES } from '../linux/constants.js';
import { InitError } from '../errors.js';
import type { LaunchPlan } from '../linux/plan.js';
import type { InitErrorMessage } from '../native.js';

interface StepInfo {
  what: string;
  /** the plan item the index points into, for its config field */
  field?: (plan: LaunchPlan, index: number) => string | undefined;
  hint?: string | ((plan: LaunchPlan) => string | undefined);
}

const at =
  <T extends { field: string }>(list: (p: LaunchPlan) => T[]) =>
  (p: LaunchPlan, i: number) =>
    list(p)[i]?.field;

const STEPS: Record<string, StepInfo> = {
  SPAWN_GO: { what: 'wait for the parent' },
  SPAWN_SETID: { what: 'become root in the new user namespace', field: () => '/linux/uidMappings' },
  SPAWN_EXEC: { what: 'start ocirt-init' },
  PLAN_READ: { what: 'read the launch plan' },
  PLAN_DECODE: { what: 'decode the launch plan' },
  SIGNALS: { what: 'reset signal handlers' },
  DUMPABLE: { what: 'make the init non-dumpable' },
  JOIN: {
    what: 'join namespace',
    field: (p, i) => (p.exec ? undefined : p.joins[i]?.field),
    hint: (p) => (p.exec ? 'did the container stop meanwhile?' : 'does the namespace path exist, and is it of that type?'),
  },
  UNSHARE: { what: 'create namespaces', field: () => '/linux/namespaces' },
  FORK: { what: 'fork into the joined pid namespace', field: () => '/linux/namespaces' },
  HOSTNAME: { what: 'set hostname', field: () => '/hostname' },
  DOMAINNAME: { what: 'set domainname', field: () => '/domainname' },
  ROOT_PROPAGATION: { what: 'set the propagation of /', field: () => '/linux/rootfsPropagation' },
  ROOTFS_BIND: { what: 'bind the rootfs onto itself', field: () => '/root/path' },
  ROOTFS_PROPAGATION: { what: 'set the propagation of the rootfs', field: () => '/linux/rootfsPropagation' },
  MOUNT_TARGET: { what: 'create the mount destination', field: at((p) => p.mounts) },
  MOUNT: { what: 'mount', field: at((p) => p.mounts) },
  MOUNT_REMOUNT: { what: 'remount with the mount options', field: at((p) => p.mounts) },
  MOUNT_PROPAGATION: { what: 'set mount propagation', field: at((p) => p.mounts) },
  MOUNT_SETATTR: { what: 'apply recursive mount attributes', field: at((p) => p.mounts) },
  DEVICE: { what: 'create device', field: at((p) => p.devices) },
  SYMLINK: { what: 'create symlink' },
  CONSOLE_CONNECT: { what: 'connect to the console socket', hint: 'is --console-socket a listening unix socket?' },
  RECV_FDS: { what: 'receive the descriptors from the runtime' },
  PIVOT_ROOT: { what: 'pivot_root into the rootfs', field: () => '/root/path', hint: 'on a ramfs root, use --no-pivot' },
  MASKED_PATH: { what: 'mask path', field: at((p) => p.maskedPaths) },
  READONLY_PATH: { what: 'make path read-only', field: at((p) => p.readonlyPaths) },
  READONLY_ROOT: { what: 'remount the root read-only', field: () => '/root/readonly' },
  SYSCTL: { what: 'set sysctl', field: at((p) => p.sysctls) },
  RLIMIT: { what: 'set rlimit', field: (p, i) => p.process.rlimits[i]?.field },
  OOM_SCORE_ADJ: { what: 'set oom_score_adj', field: () => '/process/oomScoreAdj' },
  KEYRING: { what: 'create a session keyring', hint: 'pass --no-new-keyring where keyrings are unavailable' },
  CONSOLE: { what: 'set up the terminal', field: () => '/process/terminal' },
  EXEC_FIFO: { what: 'wait on the exec fifo' },
  SETGROUPS: { what: 'set additional groups', field: () => '/process/user/additionalGids' },
  SETGID: { what: 'set gid', field: () => '/process/user/gid' },
  SETUID: { what: 'set uid', field: () => '/process/user/uid' },
  CAP_BOUNDING: { what: 'drop capabilities from the bounding set', field: () => '/process/capabilities/bounding' },
  CAPABILITIES: { what: 'set capabilities', field: () => '/process/capabilities' },
  CAP_AMBIENT: { what: 'raise ambient capabilities', field: () => '/process/capabilities/ambient' },
  NO_NEW_PRIVS: { what: 'set no_new_privs', field: () => '/process/noNewPrivileges' },
  CWD: { what: 'change to the working directory', field: () => '/process/cwd' },
  CLOSE_FDS: { what: 'close inherited file descriptors' },
  EXEC_LOOKUP: { what: 'find the executable', field: () => '/process/args/0', hint: 'is it in the rootfs and on $PATH?' },
  EXEC: { what: 'execute', field: () => '/process/args/0' },
  SETSID: { what: 'create a session' },
  PREPARE: { what: 'prepare the init' },
  SECCOMP: { what: 'install the seccomp filter', field: () => '/linux/seccomp' },
  LSM_LABEL: {
    what: 'write the LSM attribute',
    field: (p, i) => p.lsm?.writes[i]?.field,
    hint: 'is the AppArmor profile loaded, or the SELinux label valid in the loaded policy?',
  },
  // (launch.ts names the cgroup directory itself: joinError)
  SPAWN_CGROUP: { what: 'start the process in its cgroups' },
  HOOK_WAIT: { what: 'wait for the prestart and createRuntime hooks' },
  CREATE_CONTAINER_HOOK: { what: 'run createContainer hook', field: (p, i) => p.hooks?.createContainer[i]?.field },
  START_CONTAINER_HOOK: { what: 'run startContainer hook', field: (p, i) => p.hooks?.startContainer[i]?.field },
  TIME_NAMESPACE: {
    what: 'create the time namespace',
    field: () => '/linux/timeOffsets',
    hint: 'EINVAL from unshare means a kernel without time namespaces (CONFIG_TIME_NS, Linux 5.6+)',
  },
  SCHEDULER: {
    what: 'set the scheduling policy',
    field: () => '/process/scheduler',
    hint: 'real-time policies and a lower nice value need CAP_SYS_NICE in the host user namespace; a real-time policy under a cgroup v1 cpu controller needs a budget (linux.resources.cpu.realtimeRuntime); SCHED_DEADLINE needs runtime <= deadline <= period and free bandwidth',
  },
  IOPRIO: {
    what: 'set the I/O priority',
    field: () => '/process/ioPriority',
    hint: 'IOPRIO_CLASS_RT needs CAP_SYS_ADMIN or CAP_SYS_NICE in the host user namespace',
  },
  CPU_AFFINITY: {
    what: 'set the CPU affinity',
    field: () => '/process/execCPUAffinity/final',
    hint: "are the CPUs online and in the container's cpuset?",
  },
  PERSONALITY: { what: 'set the personality', field: () => '/linux/personality', hint: 'LINUX32 needs a kernel with 32-bit compatibility' },
  MEMORY_POLICY: {
    what: 'set the memory policy',
    field: () => '/linux/memoryPolicy',
    hint: 'do the nodes exist (/sys/devices/system/node), and does this kernel know the mode and flags?',
  },
  NET_DEVICE: { what: 'configure network device', field: at((p) => p.netDevices) },
  LOOPBACK: { what: 'bring up the loopback device', field: () => '/linux/namespaces' },
  CAP_CHECK: { what: 'check the capabilities' },
  MOUNT_COPYUP: { what: 'copy the covered directory into the tmpfs (tmpcopyup)', field: at((p) => p.mounts) },
  MOUNT_ATTACH: { what: 'attach the mount the runtime opened', field: at((p) => p.mounts) },
  CREATE_CWD: { what: 'create the working directory', field: () => '/process/cwd' },
  USERNS_MAPS: { what: 'become root of the new user namespace', field: () => '/linux/uidMappings', hint: 'are uid and gid 0 mapped?' },
  MOUNT_MODE: { what: 'give the mount the mode of the directory it covers', field: at((p) => p.mounts) },
};

/**
 * The init reports which capability a set asks for that cannot be granted (its number is the
 * record's index; the detail is the set).
 */
function describeCapCheck(msg: InitErrorMessage): string {
  const cap = CAPABILITIES[msg.index] ?? `capability ${msg.index}`;
  const set = msg.detail;
  switch (set) {
    case 'bounding':
      return `config.json /process/capabilities/bounding: container init: cannot drop capabilities from the bounding set without CAP_SETPCAP: the runtime does not hold it`;
    case 'uid':
    case 'gid':
      return `config.json /process/user/${set}: container init: changing the ${set} needs ${cap}, which the runtime does not hold`;
    case 'effective':
      return `config.json /process/capabilities/effective: container init: ${cap} is effective but not permitted`;
    case 'ambient':
      return `config.json /process/capabilities/ambient: container init: ${cap} cannot be ambient: it must also be permitted and inheritable`;
    default:
      return `config.json /process/capabilities/${set}: container init: ${cap} cannot be granted: the runtime itself does not hold it (its ${set === 'inheritable' ? 'bounding and permitted sets lack' : 'permitted set lacks'} it): remove it from the config or run ocirt with it`;
  }
}

/** The init's report as an InitError: the message below, and the step, errno, field and path as data. */
export function initError(plan: LaunchPlan, msg: InitErrorMessage): InitError {
  const pointer = STEPS[msg.stepName]?.field?.(plan, msg.index);
  return new InitError(describeInitError(plan, msg), msg.stepName, {
    ...(msg.errnoName ? { errno: msg.errnoName } : {}),
    ...(pointer ? { pointer } : {}),
    ...(msg.detail ? { path: msg.detail } : {}),
  });
}

export function describeInitError(plan: LaunchPlan, msg: InitErrorMessage): string {
  if (msg.stepName === 'CAP_CHECK') return describeCapCheck(msg);
  const info: StepInfo = STEPS[msg.stepName] ?? { what: `step ${msg.stepName}` };
  const field = info.field?.(plan, msg.index);
  let out: string;
  // an exec'd process's settings come from the process (flags or -p) as much as from config.json
  if (plan.exec) out = `exec: ${field ? `${field}: ` : ''}${info.what}`;
  else out = `${field ? `config.json ${field}: ` : ''}container init: ${info.what}`;
  if (msg.detail) out += ` ${msg.detail}`;
  // errno 0: the detail says why (a hook's exit status)
  if (msg.errno !== 0) out += `: ${msg.errnoName || 'error'}`;
  // Go's lower-case words ("no such file or directory"): engines match them for exit 127/126
  if (msg.errnoText) out += ` (${msg.errnoText.charAt(0).toLowerCase()}${msg.errnoText.slice(1)})`;
  const hint = typeof info.hint === 'function' ? info.hint(plan) : info.hint;
  if (hint) out += `: ${hint}`;
  return out;
}
