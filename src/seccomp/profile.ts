// linux.seccomp as libseccomp and seccomp(2) take it: actions, operators and architectures as the
// numbers and names of libseccomp's seccomp.h (which the runtime-spec's strings name), rules split
// the way runc splits them, 64-bit argument values exact. Pure: nothing here touches the host.
import type { LinuxSeccomp } from '../spec/types.js';
import type { SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_OPERATORS } from '../spec/names.js';
import { ConfigError } from '../errors.js';

type Action = (typeof SECCOMP_ACTIONS)[number];

/** SCMP_ACT_* values (libseccomp's seccomp.h; the kernel's SECCOMP_RET_* with the data bits). */
const ACTION_BASE: Record<Action, number> = {
  SCMP_ACT_KILL: 0x0000_0000, // = KILL_THREAD
  SCMP_ACT_KILL_THREAD: 0x0000_0000,
  SCMP_ACT_KILL_PROCESS: 0x8000_0000,
  SCMP_ACT_TRAP: 0x0003_0000,
  SCMP_ACT_ERRNO: 0x0005_0000,
  SCMP_ACT_TRACE: 0x7ff0_0000,
  SCMP_ACT_LOG: 0x7ffc_0000,
  SCMP_ACT_NOTIFY: 0x7fc0_0000,
  SCMP_ACT_ALLOW: 0x7fff_0000,
};
/** Actions whose low 16 bits carry errnoRet (the errno of ERRNO, the tracer's message of TRACE). */
const WITH_ERRNO = new Set<Action>(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE']);
const EPERM = 1;
/** The kernel returns at most this errno (MAX_ERRNO); a larger errnoRet would be cut silently. */
export const MAX_ERRNO_RET = 4095;

export const OPERATOR: Record<(typeof SECCOMP_OPERATORS)[number], number> = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

/** SECCOMP_FILTER_FLAG_* (linux/seccomp.h). */
export const FILTER_FLAG = {
  SECCOMP_FILTER_FLAG_TSYNC: 1 << 0,
  SECCOMP_FILTER_FLAG_LOG: 1 << 1,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 1 << 2,
  SECCOMP_FILTER_FLAG_NEW_LISTENER: 1 << 3,
  SECCOMP_FILTER_FLAG_TSYNC_ESRCH: 1 << 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 1 << 5,
} as const;

/** libseccomp's name of an SCMP_ARCH_* constant (what seccomp_arch_resolve_name takes). */
export function archName(arch: (typeof SECCOMP_ARCHES)[number]): string {
  return arch.slice('SCMP_ARCH_'.length).toLowerCase();
}

export interface SeccompArg {
  /** syscall argument 0..5 */
  index: number;
  /** OPERATOR value */
  op: number;
  /** datum_a: the value, or the mask of SCMP_CMP_MASKED_EQ */
  value: bigint;
  /** datum_b: the value a masked argument must equal */
  valueTwo: bigint;
}

/** One libseccomp rule set: each name gets the action when every arg comparison holds. */
export interface SeccompRule {
  /** JSON pointer of the config entry it came from */
  field: string;
  action: number;
  names: string[];
  args: SeccompArg[];
}

export interface SeccompProfile {
  defaultAction: number;
  /** libseccomp architecture names, besides the native one (always in a filter) */
  arches: string[];
  rules: SeccompRule[];
  /** the config's flags: SECCOMP_FILTER_FLAG_* name -> JSON pointer */
  flags: Map<string, string>;
  /** JSON pointer of the first SCMP_ACT_NOTIFY rule, if any: the filter then has a listener */
  notifyField?: string;
  listener?: { path: string; metadata?: string };
}

/** Exact values of integers JSON.parse rounded (above 2^53), by JSON pointer (src/spec/locate.ts). */
export type ExactIntegers = ReadonlyMap<string, bigint>;

const U64_MAX = (1n << 64n) - 1n;

function action(name: Action, errnoRet: number | undefined, field: string): number {
  if (!WITH_ERRNO.has(name)) return ACTION_BASE[name];
  const ret = errnoRet ?? EPERM;
  if (ret > MAX_ERRNO_RET)
    throw new ConfigError(field, `errno ${ret} is out of range: seccomp returns an errno of at most ${MAX_ERRNO_RET}`);
  return (ACTION_BASE[name] | ret) >>> 0;
}

function integer(value: number | undefined, field: string, exact: ExactIntegers | undefined): bigint {
  const v = exact?.get(field) ?? BigInt(value ?? 0);
  if (v < 0n || v > U64_MAX) throw new ConfigError(field, `${v} is not a 64-bit unsigned value`);
  return v;
}

export function translateProfile(sc: LinuxSeccomp, exact?: ExactIntegers): SeccompProfile {
  const base = '/linux/seccomp';
  const defaultAction = action(sc.defaultAction, sc.defaultErrnoRet, `${base}/defaultErrnoRet`);
  const rules: SeccompRule[] = [];
  let notifyField: string | undefined;
  (sc.syscalls ?? []).forEach((s, i) => {
    const field = `${base}/syscalls/${i}`;
    const act = action(s.action, s.errnoRet, `${field}/errnoRet`);
    if (s.action === 'SCMP_ACT_NOTIFY') notifyField ??= `${field}/action`;
    // a rule with the default action changes nothing (and libseccomp refuses it)
    if (act === defaultAction) return;
    const args: SeccompArg[] = (s.args ?? []).map((a, j) => ({
      index: a.index,
      op: OPERATOR[a.op],
      value: integer(a.value, `${field}/args/${j}/value`, exact),
      valueTwo: integer(a.valueTwo, `${field}/args/${j}/valueTwo`, exact),
    }));
    // As runc: comparisons on distinct arguments must all hold (one rule); several on the same
    // argument, which libseccomp cannot combine, each allow the action on their own (a rule each).
    const indexes = args.map((a) => a.index);
    const repeated = new Set(indexes).size !== indexes.length;
    if (repeated) for (const a of args) rules.push({ field, action: act, names: s.names, args: [a] });
    else rules.push({ field, action: act, names: s.names, args });
  });
  const flags = new Map<string, string>();
  (sc.flags ?? []).forEach((f, i) => flags.set(f, `${base}/flags/${i}`));
  return {
    defaultAction,
    arches: (sc.architectures ?? []).map(archName),
    rules,
    flags,
    ...(notifyField ? { notifyField } : {}),
    ...(notifyField && sc.listenerPath
      ? { listener: { path: sc.listenerPath, ...(sc.listenerMetadata !== undefined ? { metadata: sc.listenerMetadata } : {}) } }
      : {}),
  };
}
