import { buildFeatures } from '../container/features.js';
import { findCgroup2Mount, findCgroupV1Mounts } from '../linux/host.js';
import { detectLsm } from '../lsm/host.js';
import { SPEC_ARCH_NAMES } from '../seccomp/features.js';
import * as native from '../native.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(_args: CommandArgs, _ctx: CommandContext): number {
  const lib = native.seccompInfo(SPEC_ARCH_NAMES);
  const lsm = detectLsm();
  const features = buildFeatures({
    cgroupV1: Object.keys(findCgroupV1Mounts()).length > 0,
    cgroupV2: findCgroup2Mount() !== undefined,
    seccomp: { ...('error' in lib ? {} : { libseccomp: lib }), kernelFlags: native.seccompFlagsSupported() },
    apparmor: lsm.apparmor,
    selinux: lsm.selinux,
  });
  process.stdout.write(JSON.stringify(features, null, 2) + '\n');
  return 0;
}
