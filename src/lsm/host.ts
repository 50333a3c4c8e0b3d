// Which Linux security modules this host enforces, as runc decides it: AppArmor when its
// securityfs directory exists and the module says it is enabled, SELinux when selinuxfs is mounted.
import { existsSync, readFileSync } from 'node:fs';

export interface LsmHost {
  apparmor: boolean;
  /** the AppArmor exec attribute below /proc/thread-self: its own directory since Linux 5.8 */
  apparmorExecAttr: 'attr/apparmor/exec' | 'attr/exec';
  selinux: boolean;
}

export function detectLsm(): LsmHost {
  let apparmor = false;
  try {
    apparmor = existsSync('/sys/kernel/security/apparmor') && readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').startsWith('Y');
  } catch {
    // no AppArmor module
  }
  return {
    apparmor,
    apparmorExecAttr: existsSync('/proc/thread-self/attr/apparmor/exec') ? 'attr/apparmor/exec' : 'attr/exec',
    selinux: existsSync('/sys/fs/selinux/enforce'),
  };
}
