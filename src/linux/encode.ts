// Binary encoding of a LaunchPlan for the init stub (native/init/init.c), which must decode it
// without a JSON parser. The format is also described in native/plan_format.h; keep both in step
// and bump PLAN_VERSION on any change.
//
// Little-endian, no padding. u32/i32/u64 scalars. A string is u32 byte length + UTF-8 bytes + a NUL
// (not counted) so the stub uses it in place; strings with an embedded NUL are rejected here, since
// C would silently truncate them. A list is u32 count + items.
//
//   "OCIRTPL\0"  u32 version  u32 total length
//   u32 cloneFlags  u32 unshareFlags  u32 flags (PF_*)  u32 rootPropagation  u32 rootfsPropagation
//   str hostname  str domainname  str rootfs  str execFifo  str consoleSocket
//   list joins:    u32 nstype, str path
//   list mounts:   str source, str destination, str fstype, u32 flags, u32 remountFlags,
//                  list<u32> propagation, str data, u32 createAs (0 dir, 1 file),
//                  u32 hasFallback, str fallbackBindSource, u32 recursiveAttrSet, u32 recursiveAttrClear
//   list devices:  str path, u32 mode, u32 major, u32 minor, u32 uid, u32 gid, u32 bindFromHost
//   list symlinks: str link, str target
//   list masked:   str path
//   list readonly: str path
//   list sysctls:  str path, str value
//   process: list<str> args, list<str> env, str cwd, u32 uid, u32 gid, list<u32> additionalGids,
//            u32 umask, i32 oomScoreAdj, u64 bounding, u64 effective, u64 permitted,
//            u64 inheritable, u64 ambient, list rlimits: (u32 resource, u64 soft, u64 hard),
//            u32 preserveFds
//   list sections: u32 tag (SECTION), u32 byte length, the bytes
//
// A feature beyond the core travels in a section of its own: SECTION_ENCODERS below lists, per
// tag, the function (in that feature's module) that writes it when the plan has the feature; the
// stub decodes each with that feature's file (native/init/plan.c).
//
// `field` pointers are not encoded: the stub reports failures by list index and the caller maps the
// index back to the plan item (and so to its field).
import type { LaunchPlan } from './plan.js';
import { encodeSeccompSection } from '../seccomp/section.js';
import { encodeLsmSection } from '../lsm/section.js';
import { encodeExecSection } from './exec-join.js';
import { encodeConsoleSizeSection } from './console-size.js';
import { encodeHooksSection } from './hooks.js';
import { encodeMountExtras } from './mounts.js';
import { encodeTimeNamespace } from './namespaces.js';
import { encodeNetDevices } from './net-devices.js';
import { encodeMemoryPolicy, encodePersonality, encodeScheduling } from './process-attrs.js';
import { encodeOrdinaryDirTargets } from './ordinary-dirs.js';

export const PLAN_MAGIC = 'OCIRTPL\0';
export const PLAN_VERSION = 2;

/** Optional plan sections (enum ocirt_section in native/plan_format.h). Append only. */
export const SECTION = {
  SECCOMP: 1,
  LSM: 2,
  EXEC: 3,
  CONSOLE_SIZE: 4,
  HOOKS: 5,
  MOUNT_EXTRAS: 6,
  SCHEDULING: 7,
  PERSONALITY: 8,
  MEMORY_POLICY: 9,
  TIME_NAMESPACE: 10,
  NET_DEVICES: 11,
  ORDINARY_DIR_TARGETS: 12,
} as const satisfies Record<string, number>;

/** Writes one optional section's bytes; returns false (having written nothing) when the plan has none. */
export type SectionEncoder = (plan: LaunchPlan, w: Writer) => boolean;

/** In tag order; each feature adds its line. */
const SECTION_ENCODERS: [tag: number, encode: SectionEncoder][] = [
  [SECTION.SECCOMP, encodeSeccompSection],
  [SECTION.LSM, encodeLsmSection],
  [SECTION.EXEC, encodeExecSection],
  [SECTION.CONSOLE_SIZE, encodeConsoleSizeSection],
  [SECTION.HOOKS, encodeHooksSection],
  [SECTION.MOUNT_EXTRAS, encodeMountExtras],
  [SECTION.SCHEDULING, encodeScheduling],
  [SECTION.PERSONALITY, encodePersonality],
  [SECTION.MEMORY_POLICY, encodeMemoryPolicy],
  [SECTION.TIME_NAMESPACE, encodeTimeNamespace],
  [SECTION.NET_DEVICES, encodeNetDevices],
  [SECTION.ORDINARY_DIR_TARGETS, encodeOrdinaryDirTargets],
];

export const PF = {
  FORK_AFTER_JOIN: 1 << 0,
  USERNS: 1 << 1,
  NO_PIVOT: 1 << 2,
  READONLY_ROOT: 1 << 3,
  NEW_KEYRING: 1 << 4,
  TERMINAL: 1 << 5,
  HAS_UMASK: 1 << 6,
  HAS_OOM: 1 << 7,
  HAS_HOSTNAME: 1 << 8,
  HAS_DOMAINNAME: 1 << 9,
  HAS_EXEC_FIFO: 1 << 10,
  HAS_CONSOLE: 1 << 11,
  NO_NEW_PRIVS: 1 << 12,
  NO_MOUNT_NS: 1 << 13,
  LOOPBACK_UP: 1 << 14,
  CREATE_CWD: 1 << 15,
  DEFAULT_HOME: 1 << 16,
} as const;

const U64_MAX = (1n << 64n) - 1n;

export class PlanEncodeError extends Error {
  constructor(
    message: string,
    readonly where: string,
  ) {
    super(`encodePlan: ${where}: ${message}`);
    this.name = 'PlanEncodeError';
  }
}

/** The plan's encoding primitives; a section's module writes its bytes with one of these. */
export class Writer {
  private buf = Buffer.alloc(4096);
  private off = 0;

  private ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  raw(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.off);
    this.off += b.length;
  }

  u32(v: number, where: string): void {
    // flags may arrive negative when bit 31 was set with JS bitwise ops: accept the int32 view
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw new PlanEncodeError(`not a 32-bit value: ${v}`, where);
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.off);
    this.off += 4;
  }

  i32(v: number, where: string): void {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new PlanEncodeError(`not a 32-bit signed value: ${v}`, where);
    this.ensure(4);
    this.buf.writeInt32LE(v, this.off);
    this.off += 4;
  }

  i64(v: bigint, where: string): void {
    if (typeof v !== 'bigint' || v < -(1n << 63n) || v >= 1n << 63n)
      throw new PlanEncodeError(`not a 64-bit signed value: ${String(v)}`, where);
    this.ensure(8);
    this.buf.writeBigInt64LE(v, this.off);
    this.off += 8;
  }

  u64(v: bigint, where: string): void {
    if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) throw new PlanEncodeError(`not a 64-bit unsigned value: ${String(v)}`, where);
    this.ensure(8);
    this.buf.writeBigUInt64LE(v, this.off);
    this.off += 8;
  }

  str(s: string, where: string): void {
    if (typeof s !== 'string') throw new PlanEncodeError('not a string', where);
    if (s.includes('\0')) throw new PlanEncodeError('contains a NUL byte', where);
    const b = Buffer.from(s, 'utf8');
    this.u32(b.length, where);
    this.ensure(b.length + 1);
    b.copy(this.buf, this.off);
    this.off += b.length;
    this.buf[this.off++] = 0;
  }

  list<T>(items: readonly T[], where: string, each: (item: T, where: string) => void): void {
    this.u32(items.length, where);
    items.forEach((it, i) => each(it, `${where}[${i}]`));
  }

  /** how many bytes are written so far */
  get offset(): number {
    return this.off;
  }

  /** a 64-bit mask with bit n set for each n (CPU or NUMA node numbers), as a list of u64 words */
  bitmask(bits: readonly number[], where: string): void {
    const words: bigint[] = [];
    for (const b of bits) {
      if (!Number.isInteger(b) || b < 0) throw new PlanEncodeError(`not a bit number: ${b}`, where);
      while (words.length <= b >> 6) words.push(0n);
      words[b >> 6] |= 1n << BigInt(b & 63);
    }
    this.list(words, where, (v, at) => this.u64(v, at));
  }

  /** the bytes written so far */
  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.off));
  }

  finish(): Buffer {
    const out = this.bytes();
    out.writeUInt32LE(out.length, 12);
    return out;
  }
}

export function encodePlan(plan: LaunchPlan): Buffer {
  return encodePlanWithArgsSpan(plan).bytes;
}

/**
 * The encoded plan and where its process.args list lies in it ([start, end): the u32 count and
 * the strings): the exec template (src/container/exec-template.ts) lets the native front end put
 * other arguments there.
 */
export function encodePlanWithArgsSpan(plan: LaunchPlan): { bytes: Buffer; argsStart: number; argsEnd: number } {
  const w = new Writer();
  const p = plan.process;
  w.raw(Buffer.from(PLAN_MAGIC, 'latin1'));
  w.u32(PLAN_VERSION, 'version');
  w.u32(0, 'length'); // patched by finish()

  let flags = 0;
  if (plan.forkAfterJoin) flags |= PF.FORK_AFTER_JOIN;
  if (plan.userns) flags |= PF.USERNS;
  if (plan.noPivot) flags |= PF.NO_PIVOT;
  if (plan.readonlyRoot) flags |= PF.READONLY_ROOT;
  if (plan.newSessionKeyring) flags |= PF.NEW_KEYRING;
  if (p.terminal) flags |= PF.TERMINAL;
  if (p.umask !== undefined) flags |= PF.HAS_UMASK;
  if (p.oomScoreAdj !== undefined) flags |= PF.HAS_OOM;
  if (plan.hostname !== undefined) flags |= PF.HAS_HOSTNAME;
  if (plan.domainname !== undefined) flags |= PF.HAS_DOMAINNAME;
  if (plan.execFifo !== undefined) flags |= PF.HAS_EXEC_FIFO;
  if (plan.consoleSocket !== undefined) flags |= PF.HAS_CONSOLE;
  if (p.noNewPrivileges) flags |= PF.NO_NEW_PRIVS;
  if (plan.noMountNamespace) flags |= PF.NO_MOUNT_NS;
  if (plan.loopbackUp) flags |= PF.LOOPBACK_UP;
  if (p.createCwd) flags |= PF.CREATE_CWD;
  if (p.defaultHome) flags |= PF.DEFAULT_HOME;

  w.u32(plan.cloneFlags, 'cloneFlags');
  w.u32(plan.unshareFlags, 'unshareFlags');
  w.u32(flags, 'flags');
  w.u32(plan.rootPropagation, 'rootPropagation');
  w.u32(plan.rootfsPropagation, 'rootfsPropagation');
  w.str(plan.hostname ?? '', 'hostname');
  w.str(plan.domainname ?? '', 'domainname');
  if (!plan.rootfs.startsWith('/')) throw new PlanEncodeError(`must be an absolute path: ${plan.rootfs}`, 'rootfs');
  w.str(plan.rootfs, 'rootfs');
  w.str(plan.execFifo ?? '', 'execFifo');
  w.str(plan.consoleSocket ?? '', 'consoleSocket');

  w.list(plan.joins, 'joins', (j, at) => {
    w.u32(j.nstype, `${at}.nstype`);
    w.str(j.path, `${at}.path`);
  });
  w.list(plan.mounts, 'mounts', (m, at) => {
    w.str(m.source, `${at}.source`);
    w.str(m.destination, `${at}.destination`);
    w.str(m.fstype, `${at}.fstype`);
    w.u32(m.flags, `${at}.flags`);
    w.u32(m.remountFlags, `${at}.remountFlags`);
    w.list(m.propagation, `${at}.propagation`, (v, a) => w.u32(v, a));
    w.str(m.data, `${at}.data`);
    w.u32(m.createAs === 'file' ? 1 : 0, `${at}.createAs`);
    w.u32(m.fallbackBindSource !== undefined ? 1 : 0, `${at}.fallbackBindSource`);
    w.str(m.fallbackBindSource ?? '', `${at}.fallbackBindSource`);
    w.u32(m.recursiveAttrSet, `${at}.recursiveAttrSet`);
    w.u32(m.recursiveAttrClear, `${at}.recursiveAttrClear`);
  });
  w.list(plan.devices, 'devices', (d, at) => {
    w.str(d.path, `${at}.path`);
    w.u32(d.mode, `${at}.mode`);
    w.u32(d.major, `${at}.major`);
    w.u32(d.minor, `${at}.minor`);
    w.u32(d.uid, `${at}.uid`);
    w.u32(d.gid, `${at}.gid`);
    w.u32(d.bindFromHost ? 1 : 0, `${at}.bindFromHost`);
  });
  w.list(plan.symlinks, 'symlinks', (s, at) => {
    w.str(s.link, `${at}.link`);
    w.str(s.target, `${at}.target`);
  });
  w.list(plan.maskedPaths, 'maskedPaths', (m, at) => w.str(m.path, `${at}.path`));
  w.list(plan.readonlyPaths, 'readonlyPaths', (m, at) => w.str(m.path, `${at}.path`));
  w.list(plan.sysctls, 'sysctls', (s, at) => {
    w.str(s.path, `${at}.path`);
    w.str(s.value, `${at}.value`);
  });

  const argsStart = w.offset;
  w.list(p.args, 'process.args', (a, at) => w.str(a, at));
  const argsEnd = w.offset;
  w.list(p.env, 'process.env', (e, at) => w.str(e, at));
  w.str(p.cwd, 'process.cwd');
  w.u32(p.uid, 'process.uid');
  w.u32(p.gid, 'process.gid');
  w.list(p.additionalGids, 'process.additionalGids', (g, at) => w.u32(g, at));
  w.u32(p.umask ?? 0, 'process.umask');
  w.i32(p.oomScoreAdj ?? 0, 'process.oomScoreAdj');
  const c = p.capabilities;
  w.u64(c.bounding, 'process.capabilities.bounding');
  w.u64(c.effective, 'process.capabilities.effective');
  w.u64(c.permitted, 'process.capabilities.permitted');
  w.u64(c.inheritable, 'process.capabilities.inheritable');
  w.u64(c.ambient, 'process.capabilities.ambient');
  w.list(p.rlimits, 'process.rlimits', (r, at) => {
    w.u32(r.resource, `${at}.resource`);
    w.u64(r.soft, `${at}.soft`);
    w.u64(r.hard, `${at}.hard`);
  });
  w.u32(p.preserveFds, 'process.preserveFds');
  const sections: [number, Buffer][] = [];
  for (const [tag, encode] of SECTION_ENCODERS) {
    const sw = new Writer();
    if (encode(plan, sw)) sections.push([tag, sw.bytes()]);
  }
  w.list(sections, 'sections', ([tag, bytes], at) => {
    w.u32(tag, `${at}.tag`);
    w.u32(bytes.length, `${at}.length`);
    w.raw(bytes);
  });
  return { bytes: w.finish(), argsStart, argsEnd };
}
