// What the init does about linux.seccomp for one process: the compiled program, the seccomp(2)
// flags, when it goes in and which capability it needs meanwhile. Any launch uses it (the
// container's process, and an exec'd one with its own credentials), with the host's libseccomp
// and kernel passed in (SeccompHost), so that it is tested without either.
import type { LinuxSeccomp } from '../spec/types.js';
import { ConfigError } from '../errors.js';
import type { CompiledFilter } from './compile.js';
import { FILTER_FLAG, translateProfile, type ExactIntegers, type SeccompProfile } from './profile.js';

export interface SeccompHost {
  /** the SECCOMP_FILTER_FLAG_* bits this kernel accepts */
  flagsSupported(): number;
  compile(profile: SeccompProfile): CompiledFilter;
}

export interface SeccompPlan {
  field: string;
  /** struct sock_filter[], as libseccomp exported it */
  program: Buffer;
  /** SECCOMP_FILTER_FLAG_* given to seccomp(2) */
  flags: number;
  /**
   * 'last': right before execve, so that the runtime's own setup is not filtered. 'before-ready':
   * with SCMP_ACT_NOTIFY rules the listener fd goes to the runtime, which reads the sync socket
   * only until the init is ready (runc installs such filters during create too).
   */
  install: 'last' | 'before-ready';
  /**
   * Capabilities the init keeps (effective and permitted) until the filter is in: without
   * no_new_privs only a holder of CAP_SYS_ADMIN may install one. The execve right after drops
   * them: it computes the program's sets from the bounding set (root) or the ambient set.
   */
  keepCaps: bigint;
  /** where the listener fd and the container process state go (SCMP_ACT_NOTIFY) */
  listener?: { path: string; metadata?: string };
}

/** The process the filter is for: its final credentials. */
export interface SeccompProcess {
  noNewPrivileges: boolean;
  capabilities: { effective: bigint; permitted: bigint };
}

export interface SeccompPlanOptions {
  exact?: ExactIntegers;
  debug?: (msg: string) => void;
}

const CAP_SYS_ADMIN = 1n << 21n;

export function planSeccomp(
  sc: LinuxSeccomp | undefined,
  proc: SeccompProcess,
  host: SeccompHost,
  o: SeccompPlanOptions = {},
): SeccompPlan | undefined {
  if (!sc) return undefined;
  const profile = translateProfile(sc, o.exact);
  const notify = profile.notifyField !== undefined;
  const flags = filterFlags(profile, notify, host, o.debug);
  const compiled = host.compile(profile);
  if (compiled.skipped.length) {
    o.debug?.(`/linux/seccomp: syscalls unknown to libseccomp ${compiled.libseccomp}, skipped: ${compiled.skipped.join(', ')}`);
  }
  o.debug?.(`/linux/seccomp: ${compiled.program.length / 8} BPF instructions${compiled.cached ? ' (cached)' : ''}`);
  const install = notify ? 'before-ready' : 'last';
  const holdsSysAdmin = (proc.capabilities.effective & proc.capabilities.permitted & CAP_SYS_ADMIN) !== 0n;
  return {
    field: '/linux/seccomp',
    program: compiled.program,
    flags,
    install,
    keepCaps: install === 'last' && !proc.noNewPrivileges && !holdsSysAdmin ? CAP_SYS_ADMIN : 0n,
    ...(profile.listener ? { listener: profile.listener } : {}),
  };
}

function filterFlags(profile: SeccompProfile, notify: boolean, host: SeccompHost, debug?: (msg: string) => void): number {
  if (profile.flags.size === 0 && !notify) return 0;
  const supported = host.flagsSupported();
  const has = (f: number) => (supported & f) !== 0;
  let flags = 0;
  for (const [name, field] of profile.flags) {
    const bit = FILTER_FLAG[name as keyof typeof FILTER_FLAG];
    if (name === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' && !notify) {
      debug?.(`${field}: ${name} only matters with SCMP_ACT_NOTIFY rules, which this profile has none of`);
      continue;
    }
    if (!has(bit)) throw new ConfigError(field, `${name} is not supported by this kernel`);
    if (name === 'SECCOMP_FILTER_FLAG_TSYNC' && notify) {
      // The kernel takes TSYNC with a listener only with TSYNC_ESRCH; the init has one thread, so
      // TSYNC changes nothing there anyway.
      if (has(FILTER_FLAG.SECCOMP_FILTER_FLAG_TSYNC_ESRCH)) flags |= bit | FILTER_FLAG.SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
      continue;
    }
    flags |= bit;
  }
  if (notify) {
    if (!has(FILTER_FLAG.SECCOMP_FILTER_FLAG_NEW_LISTENER)) {
      throw new ConfigError(
        profile.notifyField!,
        'SCMP_ACT_NOTIFY needs seccomp user notification, which this kernel does not have (Linux 5.0 or newer)',
      );
    }
    flags |= FILTER_FLAG.SECCOMP_FILTER_FLAG_NEW_LISTENER;
  }
  return flags;
}
