// Which Linux security modules this host enforces, as runc decides it: AppArmor when its
// securityfs directory exists and the module says it is enabled, SELinux when selinuxfs is mounted.
import { existsSync, readFileSync } from 'node:fs';

export interface LsmHost {
  apparmor: boolean;
  /** the AppArmor exec attribute below /proc/thread-self: its own directory since Linux 5.8 */
  apparmorExecAttr: 'attr/apparmor/exec' | 'attr/exec';
  /** whether a profile is loaded; undefined when the list cannot be read (unprivileged callers) */
  apparmorProfileLoaded(name: string): boolean | undefined;
  selinux: boolean;
}

const APPARMOR_PROFILES = '/sys/kernel/security/apparmor/profiles';

export function detectLsm(): LsmHost {
  let apparmor = false;
  try {
    apparmor =
      existsSync('/sys/kernel/security/apparmor') && readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').startsWith('Y');
  } catch {
    // no AppArmor module
  }
  return {
    apparmor,
    apparmorExecAttr: existsSync('/proc/thread-self/attr/apparmor/exec') ? 'attr/apparmor/exec' : 'attr/exec',
    apparmorProfileLoaded: (name) => {
      let list: string;
      try {
        list = readFileSync(APPARMOR_PROFILES, 'utf8');
      } catch {
        return undefined;
      }
      // one profile a line: "name (mode)"
      return list.split('\n').some((l) => l.slice(0, l.lastIndexOf(' (')) === name);
    },
    selinux: existsSync('/sys/fs/selinux/enforce'),
  };
}
