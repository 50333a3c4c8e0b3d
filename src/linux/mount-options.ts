// Mount options of config.json (fstab(5)/mount(8) words) -> mount(2) flags, propagation,
// mount_setattr attributes and the data string. The word list is runc's, so configs written for
// runc mean the same here.
import { MOUNT_ATTR, MS } from './constants.js';

interface FlagWord {
  /** true: the word clears the flag ("rw", "suid", "dev", ...) */
  clear: boolean;
  flag: number;
}

const FLAG_WORDS: Record<string, FlagWord> = {
  async: { clear: true, flag: MS.SYNCHRONOUS },
  atime: { clear: true, flag: MS.NOATIME },
  bind: { clear: false, flag: MS.BIND },
  defaults: { clear: false, flag: 0 },
  dev: { clear: true, flag: MS.NODEV },
  diratime: { clear: true, flag: MS.NODIRATIME },
  dirsync: { clear: false, flag: MS.DIRSYNC },
  exec: { clear: true, flag: MS.NOEXEC },
  iversion: { clear: false, flag: 1 << 23 },
  noiversion: { clear: true, flag: 1 << 23 },
  lazytime: { clear: false, flag: MS.LAZYTIME },
  nolazytime: { clear: true, flag: MS.LAZYTIME },
  loud: { clear: true, flag: MS.SILENT },
  mand: { clear: false, flag: MS.MANDLOCK },
  nomand: { clear: true, flag: MS.MANDLOCK },
  noatime: { clear: false, flag: MS.NOATIME },
  nodev: { clear: false, flag: MS.NODEV },
  nodiratime: { clear: false, flag: MS.NODIRATIME },
  noexec: { clear: false, flag: MS.NOEXEC },
  norelatime: { clear: true, flag: MS.RELATIME },
  nostrictatime: { clear: true, flag: MS.STRICTATIME },
  nosuid: { clear: false, flag: MS.NOSUID },
  nosymfollow: { clear: false, flag: MS.NOSYMFOLLOW },
  symfollow: { clear: true, flag: MS.NOSYMFOLLOW },
  rbind: { clear: false, flag: MS.BIND | MS.REC },
  relatime: { clear: false, flag: MS.RELATIME },
  remount: { clear: false, flag: MS.REMOUNT },
  ro: { clear: false, flag: MS.RDONLY },
  rw: { clear: true, flag: MS.RDONLY },
  silent: { clear: false, flag: MS.SILENT },
  strictatime: { clear: false, flag: MS.STRICTATIME },
  suid: { clear: true, flag: MS.NOSUID },
  sync: { clear: false, flag: MS.SYNCHRONOUS },
};

const PROPAGATION_WORDS: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

/**
 * Recursive attributes (mount_setattr with AT_RECURSIVE): "rro" makes a whole rbind tree read-only.
 * The atime words choose one of the three atime modes (MOUNT_ATTR__ATIME): "ratime" and
 * "rnostrictatime" mean the kernel's default, relatime; "rnorelatime" means strictatime.
 */
const RECURSIVE_ATIME: Record<string, number> = {
  ratime: MOUNT_ATTR.RELATIME,
  rrelatime: MOUNT_ATTR.RELATIME,
  rnostrictatime: MOUNT_ATTR.RELATIME,
  rnoatime: MOUNT_ATTR.NOATIME,
  rstrictatime: MOUNT_ATTR.STRICTATIME,
  rnorelatime: MOUNT_ATTR.STRICTATIME,
};
const RECURSIVE_WORDS: Record<string, { clear: boolean; attr: number }> = {
  rro: { clear: false, attr: MOUNT_ATTR.RDONLY },
  rrw: { clear: true, attr: MOUNT_ATTR.RDONLY },
  rnosuid: { clear: false, attr: MOUNT_ATTR.NOSUID },
  rsuid: { clear: true, attr: MOUNT_ATTR.NOSUID },
  rnodev: { clear: false, attr: MOUNT_ATTR.NODEV },
  rdev: { clear: true, attr: MOUNT_ATTR.NODEV },
  rnoexec: { clear: false, attr: MOUNT_ATTR.NOEXEC },
  rexec: { clear: true, attr: MOUNT_ATTR.NOEXEC },
  rnodiratime: { clear: false, attr: MOUNT_ATTR.NODIRATIME },
  rdiratime: { clear: true, attr: MOUNT_ATTR.NODIRATIME },
  rnosymfollow: { clear: false, attr: MOUNT_ATTR.NOSYMFOLLOW },
  rsymfollow: { clear: true, attr: MOUNT_ATTR.NOSYMFOLLOW },
};

/** Words that are not mount(2) flags but tell the runtime what to do (never passed to the kernel). */
const RUNTIME_WORDS = ['idmap', 'ridmap', 'tmpcopyup'] as const;

/** Every option word with a meaning of its own (anything else goes into the data string). */
export const KNOWN_MOUNT_OPTIONS: readonly string[] = [
  ...Object.keys(FLAG_WORDS),
  ...Object.keys(PROPAGATION_WORDS),
  ...Object.keys(RECURSIVE_WORDS),
  ...Object.keys(RECURSIVE_ATIME),
  ...RUNTIME_WORDS,
];

export interface ParsedMountOptions {
  flags: number;
  propagation: number[];
  attrSet: number;
  attrClear: number;
  data: string[];
  /** "idmap" (the mount itself) or "ridmap" (the whole tree) */
  idmap?: 'idmap' | 'ridmap';
  /** tmpcopyup: copy what a tmpfs covers into it */
  copyUp: boolean;
}

export function parseMountOptions(options: readonly string[] | undefined): ParsedMountOptions {
  const out: ParsedMountOptions = { flags: 0, propagation: [], attrSet: 0, attrClear: 0, data: [], copyUp: false };
  for (const word of options ?? []) {
    const f = FLAG_WORDS[word];
    if (f) {
      out.flags = f.clear ? out.flags & ~f.flag : out.flags | f.flag;
      continue;
    }
    const p = PROPAGATION_WORDS[word];
    if (p !== undefined) {
      out.propagation.push(p);
      continue;
    }
    const r = RECURSIVE_WORDS[word];
    if (r) {
      if (r.clear) {
        out.attrClear |= r.attr;
        out.attrSet &= ~r.attr;
      } else {
        out.attrSet |= r.attr;
        out.attrClear &= ~r.attr;
      }
      continue;
    }
    const atime = RECURSIVE_ATIME[word];
    if (atime !== undefined) {
      out.attrClear |= MOUNT_ATTR.ATIME_MASK;
      out.attrSet = (out.attrSet & ~MOUNT_ATTR.ATIME_MASK) | atime;
      continue;
    }
    if (word === 'idmap' || word === 'ridmap') {
      out.idmap = word;
      continue;
    }
    if (word === 'tmpcopyup') {
      out.copyUp = true;
      continue;
    }
    out.data.push(word);
  }
  return out;
}
