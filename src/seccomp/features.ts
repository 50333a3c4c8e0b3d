// The seccomp entry of `ocirt features`: what this build applies on this host. Actions, operators
// and architectures as libseccomp here supports them; flags as this kernel accepts them.
import { SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FLAGS, SECCOMP_OPERATORS } from '../spec/names.js';
import { FILTER_FLAG, archName } from './profile.js';

/** What the host offers: libseccomp (absent: no seccomp at all) and the kernel's filter flags. */
export interface SeccompFeatureHost {
  libseccomp?: { apiLevel: number; archs: string[] };
  /** SECCOMP_FILTER_FLAG_* bits the kernel accepts */
  kernelFlags: number;
}

export interface SeccompFeatures {
  enabled: boolean;
  actions?: string[];
  operators?: string[];
  archs?: string[];
  knownFlags?: string[];
  supportedFlags?: string[];
}

/** libseccomp's API level that brought each action (seccomp_api_get(3)); it counts the kernel's support too. */
const ACTION_API_LEVEL: Partial<Record<(typeof SECCOMP_ACTIONS)[number], number>> = {
  SCMP_ACT_KILL_PROCESS: 3,
  SCMP_ACT_LOG: 3,
  SCMP_ACT_NOTIFY: 5,
};

export function seccompFeatures(h: SeccompFeatureHost): SeccompFeatures {
  const lib = h.libseccomp;
  if (!lib) return { enabled: false };
  const known = new Set(lib.archs);
  return {
    enabled: true,
    actions: SECCOMP_ACTIONS.filter((a) => (ACTION_API_LEVEL[a] ?? 0) <= lib.apiLevel),
    operators: [...SECCOMP_OPERATORS],
    archs: SECCOMP_ARCHES.filter((a) => known.has(archName(a))),
    knownFlags: [...SECCOMP_FLAGS],
    supportedFlags: SECCOMP_FLAGS.filter((f) => (h.kernelFlags & FILTER_FLAG[f]) !== 0),
  };
}

/** The libseccomp names of every architecture the runtime-spec lists (to ask libseccomp which it knows). */
export const SPEC_ARCH_NAMES: string[] = SECCOMP_ARCHES.map(archName);
