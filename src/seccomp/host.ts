// The host's seccomp for the planner: libseccomp's compiler and the kernel's filter flags, both
// behind the addon and asked for only when a config has linux.seccomp.
import * as native from '../native.js';
import { compileProfile } from './compile.js';
import type { SeccompHost } from './plan.js';

export function seccompHost(cacheDir?: string): SeccompHost {
  return {
    flagsSupported: () => native.seccompFlagsSupported(),
    compile: (profile) => compileProfile(profile, cacheDir),
  };
}
