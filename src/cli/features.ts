import { buildFeatures } from '../container/features.js';
import { hierarchyOf, readCgroupHost } from '../cgroups/host.js';
import { readCg } from '../cgroups/files.js';
import { detectLsm } from '../lsm/host.js';
import { SPEC_ARCH_NAMES } from '../seccomp/features.js';
import * as native from '../native.js';
import type { CommandArgs, CommandContext } from './context.js';

export function run(_args: CommandArgs, _ctx: CommandContext): number {
  const lib = native.seccompInfo(SPEC_ARCH_NAMES);
  const lsm = detectLsm();
  const host = readCgroupHost();
  const rootControllers = host.mode === 'v2' ? (readCg(`${host.unified!.mountPoint}/cgroup.controllers`) ?? '').split(/\s+/) : [];
  const features = buildFeatures({
    cgroupV1: host.mode === 'v1' || host.mode === 'hybrid',
    cgroupV2: host.unified !== undefined,
    cgroupRdma: host.mode === 'v2' ? rootControllers.includes('rdma') : hierarchyOf(host, 'rdma') !== undefined,
    seccomp: { ...('error' in lib ? {} : { libseccomp: lib }), kernelFlags: native.seccompFlagsSupported() },
    apparmor: lsm.apparmor,
    selinux: lsm.selinux,
  });
  process.stdout.write(JSON.stringify(features, null, 2) + '\n');
  return 0;
}
