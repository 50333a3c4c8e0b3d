// Device access rules (linux.resources.devices): the config's rules, runc's default allow list
// after them, and what they amount to under the kernel's cgroup v1 semantics, which runc also
// gives cgroup v2 (its eBPF program is built from the same result). Starting point: nothing is
// allowed, as in runc, whether or not the config begins with a deny-all rule. Pure.
import { OcirtError } from '../errors.js';
import type { LinuxDeviceCgroup } from '../spec/types.js';

/** BPF_DEVCG_ACC_* bits (linux/bpf.h), also used for v1 access strings */
export const ACC = { MKNOD: 1, READ: 2, WRITE: 4 } as const;
export const ACCESS_ALL = ACC.MKNOD | ACC.READ | ACC.WRITE;

export type DeviceType = 'a' | 'b' | 'c';

export interface DeviceRule {
  allow: boolean;
  type: DeviceType;
  /** -1: any */
  major: number;
  minor: number;
  /** ACC bits */
  access: number;
}

/** A device (not 'a') with the access the v1 devices controller keeps for it */
export interface DeviceException {
  type: 'b' | 'c';
  major: number;
  minor: number;
  access: number;
}

/** Where a list of rules leads: a default and the exceptions to it, in the order the kernel lists them */
export interface DeviceState {
  defaultAllow: boolean;
  exceptions: DeviceException[];
}

const rule = (type: 'b' | 'c', major: number, minor: number, access: string): DeviceRule => ({
  allow: true,
  type,
  major,
  minor,
  access: parseAccess(access),
});

/**
 * Allowed after the config's rules, as runc does: mknod of any device (the init creates the
 * config's devices), the devices every container gets (/dev/null, zero, full, random, urandom,
 * tty), and the terminal (/dev/pts/*, /dev/ptmx). runc 1.1 also allowed /dev/net/tun (10:200);
 * runc 1.2 dropped it, and so does ocirt.
 */
export const DEFAULT_ALLOWED: readonly DeviceRule[] = [
  rule('c', -1, -1, 'm'),
  rule('b', -1, -1, 'm'),
  rule('c', 1, 3, 'rwm'),
  rule('c', 1, 8, 'rwm'),
  rule('c', 1, 7, 'rwm'),
  rule('c', 5, 0, 'rwm'),
  rule('c', 1, 5, 'rwm'),
  rule('c', 1, 9, 'rwm'),
  rule('c', 136, -1, 'rwm'),
  rule('c', 5, 2, 'rwm'),
];

/** Other letters are ignored, as runc ignores them (src/spec/semantic.ts warns about them). */
function parseAccess(s: string): number {
  let a = 0;
  for (const ch of s) {
    if (ch === 'r') a |= ACC.READ;
    else if (ch === 'w') a |= ACC.WRITE;
    else if (ch === 'm') a |= ACC.MKNOD;
  }
  return a;
}

function accessString(a: number): string {
  return `${a & ACC.READ ? 'r' : ''}${a & ACC.WRITE ? 'w' : ''}${a & ACC.MKNOD ? 'm' : ''}`;
}

/** The config's rules in order, then DEFAULT_ALLOWED. */
export function deviceRules(config: LinuxDeviceCgroup[] | undefined): DeviceRule[] {
  const out = (config ?? []).map((d, i): DeviceRule => {
    const field = `config.json: /linux/resources/devices/${i}`;
    const type = d.type === undefined || d.type === '' ? 'a' : d.type;
    if (type !== 'a' && type !== 'b' && type !== 'c')
      throw new OcirtError(`${field}/type: unknown device type "${d.type}": expected "a", "b" or "c"`);
    if (d.access === undefined || d.access === '') {
      throw new OcirtError(`${field}/access: a device rule needs an access ("rwm" for all), as runc requires`);
    }
    return {
      allow: d.allow,
      type,
      major: d.major === undefined || d.major < 0 ? -1 : d.major,
      minor: d.minor === undefined || d.minor < 0 ? -1 : d.minor,
      access: parseAccess(d.access),
    };
  });
  return [...out, ...DEFAULT_ALLOWED];
}

function sameDevice(a: { type: string; major: number; minor: number }, b: { type: string; major: number; minor: number }): boolean {
  return a.type === b.type && a.major === b.major && a.minor === b.minor;
}

/** The kernel's devices controller applied to one rule (security/device_cgroup.c, devcgroup_update_access). */
function applyRule(state: DeviceState, r: DeviceRule): DeviceState {
  if (r.type === 'a') return { defaultAllow: r.allow, exceptions: [] };
  const exceptions = state.exceptions.map((e) => ({ ...e }));
  const ex: DeviceException = { type: r.type, major: r.major, minor: r.minor, access: r.access };
  // an allow under allow-by-default (a deny under deny-by-default) takes access away from an exception
  if (r.allow === state.defaultAllow) {
    const kept = exceptions.map((e) => (sameDevice(e, ex) ? { ...e, access: e.access & ~ex.access } : e)).filter((e) => e.access !== 0);
    return { defaultAllow: state.defaultAllow, exceptions: kept };
  }
  const found = exceptions.find((e) => sameDevice(e, ex));
  if (found) found.access |= ex.access;
  else exceptions.push(ex);
  return { defaultAllow: state.defaultAllow, exceptions };
}

export const DENY_ALL: DeviceState = { defaultAllow: false, exceptions: [] };

export function emulate(rules: DeviceRule[], start: DeviceState = DENY_ALL): DeviceState {
  return rules.reduce(applyRule, start);
}

/** Whether the state lets `access` happen on a device: the kernel's check, for tests of the eBPF program. */
export function allows(state: DeviceState, type: 'b' | 'c', major: number, minor: number, access: number): boolean {
  const matches = (e: DeviceException) => e.type === type && (e.major === -1 || e.major === major) && (e.minor === -1 || e.minor === minor);
  if (state.defaultAllow) return !state.exceptions.some((e) => matches(e) && (e.access & access) !== 0);
  return state.exceptions.some((e) => matches(e) && (access & ~e.access) === 0);
}

/** devices.list of a v1 cgroup -> its state ("a *:* rwm" alone: allow everything). */
export function parseDevicesList(text: string): DeviceState {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length === 1 && lines[0].startsWith('a ')) return { defaultAllow: true, exceptions: [] };
  const exceptions = lines.map((l): DeviceException => {
    const m = /^([bc]) (\*|\d+):(\*|\d+) ([rwm]+)$/.exec(l);
    if (!m) throw new OcirtError(`cannot read devices.list line "${l}"`);
    const num = (s: string) => (s === '*' ? -1 : Number(s));
    return { type: m[1] as 'b' | 'c', major: num(m[2]), minor: num(m[3]), access: parseAccess(m[4]) };
  });
  return { defaultAllow: false, exceptions };
}

export interface DeviceWrite {
  file: 'devices.allow' | 'devices.deny';
  value: string;
}

function line(e: { type: string; major: number; minor: number; access: number }): string {
  const n = (x: number) => (x < 0 ? '*' : String(x));
  return `${e.type} ${n(e.major)}:${n(e.minor)} ${accessString(e.access)}`;
}

/**
 * The v1 writes from `from` to `to`. Between two deny-by-default states only the differences are
 * written (taking away first, so nothing is allowed that neither state allows), without a moment
 * of "deny everything" for the running container; a change of default goes through a reset.
 */
export function v1Transition(from: DeviceState, to: DeviceState): DeviceWrite[] {
  const out: DeviceWrite[] = [];
  let cur = from;
  if (from.defaultAllow !== to.defaultAllow) {
    out.push({ file: to.defaultAllow ? 'devices.allow' : 'devices.deny', value: 'a' });
    cur = { defaultAllow: to.defaultAllow, exceptions: [] };
  }
  // under deny-by-default an exception is an allowance (deny takes it away); under allow, the reverse
  const give: DeviceWrite['file'] = to.defaultAllow ? 'devices.deny' : 'devices.allow';
  const take: DeviceWrite['file'] = to.defaultAllow ? 'devices.allow' : 'devices.deny';
  for (const e of cur.exceptions) {
    const target = to.exceptions.find((t) => sameDevice(t, e));
    const extra = e.access & ~(target?.access ?? 0);
    if (extra) out.push({ file: take, value: line({ ...e, access: extra }) });
  }
  for (const t of to.exceptions) {
    const have = cur.exceptions.find((e) => sameDevice(t, e));
    const missing = t.access & ~(have?.access ?? 0);
    if (missing) out.push({ file: give, value: line({ ...t, access: missing }) });
  }
  return out;
}
