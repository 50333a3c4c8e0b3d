// process.apparmorProfile, process.selinuxLabel and linux.mountLabel as the init applies them:
// writes to this thread's attributes in /proc/thread-self (made through the host's /proc by
// native/init/lsm.c) and SELinux's context= option on the container's mounts. Where the host does
// not enforce the LSM, as runc: an empty label (and AppArmor's "unconfined") asks for nothing;
// any other label is an error, never a container that runs without it.
import { ConfigError } from '../errors.js';
import type { LsmHost } from './host.js';

export interface LsmWrite {
  /** JSON pointer of the label it applies */
  field: string;
  /** before the session keyring is made (its label), or right before execve (the exec label) */
  when: 'before-keyring' | 'before-exec';
  /** below /proc/thread-self, e.g. attr/apparmor/exec */
  attr: string;
  value: string;
}

export interface LsmPlan {
  writes: LsmWrite[];
}

export interface ProcessLabels {
  apparmorProfile?: string;
  selinuxLabel?: string;
}

export interface LabelOptions {
  /** a new session keyring is made (no --no-new-keyring): it gets the SELinux label too */
  newKeyring: boolean;
  /** where the labels came from, for errors (exec takes them from flags) */
  fields?: { apparmorProfile: string; selinuxLabel: string };
}

const DEFAULT_FIELDS = { apparmorProfile: '/process/apparmorProfile', selinuxLabel: '/process/selinuxLabel' };

export function planLabels(labels: ProcessLabels, host: () => LsmHost, o: LabelOptions): LsmPlan | undefined {
  const fields = o.fields ?? DEFAULT_FIELDS;
  const writes: LsmWrite[] = [];
  const profile = labels.apparmorProfile ?? '';
  if (profile !== '') {
    const h = host();
    if (h.apparmor) {
      // The label is written right before execve, long after create returned: a profile that is
      // not loaded fails create here instead, where the list can be read (as root). Stacked and
      // namespaced names ("a//&b", ":ns:p") are left to the kernel.
      if (profile !== 'unconfined' && /^[^:/&]+$/.test(profile) && h.apparmorProfileLoaded(profile) === false) {
        throw new ConfigError(
          fields.apparmorProfile,
          `AppArmor profile ${JSON.stringify(profile)} is not loaded: load it (apparmor_parser -r <file>) or name a loaded one`,
        );
      }
      writes.push({ field: fields.apparmorProfile, when: 'before-exec', attr: h.apparmorExecAttr, value: `exec ${profile}` });
    } else if (profile !== 'unconfined') {
      throw new ConfigError(
        fields.apparmorProfile,
        `AppArmor profile ${JSON.stringify(profile)} cannot be applied: AppArmor is not enabled on this host (no /sys/kernel/security/apparmor, or /sys/module/apparmor/parameters/enabled is not Y); remove the field to run without it`,
      );
    }
  }
  const label = labels.selinuxLabel ?? '';
  if (label !== '') {
    if (!host().selinux)
      throw new ConfigError(fields.selinuxLabel, `SELinux label ${JSON.stringify(label)} cannot be applied: ${SELINUX_OFF}`);
    if (o.newKeyring) writes.push({ field: fields.selinuxLabel, when: 'before-keyring', attr: 'attr/keycreate', value: label });
    writes.push({ field: fields.selinuxLabel, when: 'before-exec', attr: 'attr/exec', value: label });
  }
  return writes.length ? { writes } : undefined;
}

const SELINUX_OFF = 'SELinux is not enabled on this host (selinuxfs is not mounted at /sys/fs/selinux); remove the field to run without it';

/** The mount option that gives a mount linux.mountLabel, or undefined for none. */
export function mountContext(mountLabel: string | undefined, host: () => LsmHost): string | undefined {
  if (mountLabel === undefined || mountLabel === '') return undefined;
  if (mountLabel.includes('"'))
    throw new ConfigError('/linux/mountLabel', `${JSON.stringify(mountLabel)} is not an SELinux context: it contains a double quote`);
  if (!host().selinux)
    throw new ConfigError('/linux/mountLabel', `SELinux mount label ${JSON.stringify(mountLabel)} cannot be applied: ${SELINUX_OFF}`);
  // quoted: a context has commas (categories), which would split the option list
  return `context="${mountLabel}"`;
}

/** File systems whose labels the kernel sets itself (and refuses context= on): proc, sysfs, cgroup. */
const SELF_LABELLED = new Set(['proc', 'sysfs', 'cgroup', 'cgroup2']);

/** A new mount's data with the mount label added where it applies (not to bind mounts). */
export function withMountContext(data: string, fstype: string, context: string | undefined): string {
  if (context === undefined || fstype === '' || SELF_LABELLED.has(fstype)) return data;
  return data ? `${data},${context}` : context;
}
