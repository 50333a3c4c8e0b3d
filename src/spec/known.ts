// Names a valid Linux config may use where the schema only says "string": what each refers to is
// fixed by the kernel (capabilities, rlimits, sysctls) or by mount(8) and runc's conventions (mount
// option words), so configs written for runc mean the same here.
import { CAPABILITIES, PERSONALITY_FLAGS as PERSONALITY_FLAG_BITS, RLIMITS, SIGNALS } from '../linux/constants.js';
import { KNOWN_MOUNT_OPTIONS } from '../linux/mount-options.js';

export const KNOWN_CAPABILITIES: ReadonlySet<string> = new Set(CAPABILITIES);
export const KNOWN_RLIMITS: ReadonlySet<string> = new Set(Object.keys(RLIMITS));

/**
 * mount(8) flag, propagation and recursive-attribute words: exactly the ones the planner
 * translates (src/linux/mount-options.ts), so validation accepts what the executor can apply.
 */
export const MOUNT_FLAG_WORDS: readonly string[] = KNOWN_MOUNT_OPTIONS;

/**
 * Filesystem-specific options without a value. Anything written key=value goes to the filesystem
 * as data unchecked; a bare word must be known, because a misspelt flag ("nosiud") would otherwise
 * be passed to the filesystem silently, or fail at mount time with a bare EINVAL.
 */
export const MOUNT_DATA_WORDS: readonly string[] = [
  'newinstance', // devpts
  'nsdelegate',
  'memory_recursiveprot',
  'memory_localevents',
  'favordynmods',
  'memory_hugetlb_accounting', // cgroup2
  'userxattr',
  'volatile', // overlay
  'noswap',
  'inode32',
  'inode64',
  'huge', // tmpfs
  'acl',
  'noacl',
  'user_xattr',
  'nouser_xattr',
  'discard',
  'nodiscard',
  'nouuid',
  'norecovery',
  'usrquota',
  'grpquota',
  'prjquota',
  'quota',
  'noquota',
];

export const KNOWN_MOUNT_WORDS: ReadonlySet<string> = new Set([...MOUNT_FLAG_WORDS, ...MOUNT_DATA_WORDS]);

export interface NamespacedSysctl {
  namespace: 'ipc' | 'uts' | 'network';
}

const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/**
 * Which namespace makes a sysctl private to the container, or undefined when it is global: writing
 * a global sysctl from a container would change the host.
 */
export function sysctlNamespace(key: string): 'ipc' | 'uts' | 'network' | undefined {
  const k = key.replace(/\//g, '.');
  if (IPC_SYSCTLS.has(k) || k.startsWith('fs.mqueue.')) return 'ipc';
  if (k === 'kernel.hostname' || k === 'kernel.domainname') return 'uts';
  if (k.startsWith('net.')) return 'network';
  return undefined;
}

export const SIGNAL_NAMES: readonly string[] = Object.keys(SIGNALS);

/** Is this a signal name (SIGTERM, or TERM as `kill` accepts it) or a real-time signal (SIGRTMIN+3, RTMAX-1)? */
export function isSignalName(name: string): boolean {
  const n = name.toUpperCase().startsWith('SIG') ? name.toUpperCase() : `SIG${name.toUpperCase()}`;
  if (SIGNAL_NAMES.includes(n)) return true;
  const rt = /^SIGRT(MIN|MAX)([+-]([0-9]+))?$/.exec(n);
  return rt !== null && (rt[3] === undefined || Number(rt[3]) <= 30);
}

/**
 * Personality flags: runtime-spec 1.3.0 lists none ("currently no flag values are supported"), and
 * runc ignores them with a warning; ocirt applies personality(2)'s own flags by their names.
 */
export const PERSONALITY_FLAGS: readonly string[] = Object.keys(PERSONALITY_FLAG_BITS);

/**
 * What a device cgroup rule's access string grants: its r, w and m letters, once each, in that
 * order. runc accepts other letters and ignores them; the cgroup code must apply the same subset.
 */
export function deviceAccessLetters(access: string): string {
  return ['r', 'w', 'm'].filter((l) => access.includes(l)).join('');
}

/** The known name closest to a misspelt one, when it is close enough to be a likely typo. */
export function closest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const k of known) {
    const d = editDistance(name.toUpperCase(), k.toUpperCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
