import { buildFeatures, type Features } from '../../container/features.js';
import { hierarchyOf, readCgroupHost } from '../../cgroups/host.js';
import { readCg } from '../../cgroups/files.js';
import { detectLsm } from '../../lsm/host.js';
import { SPEC_ARCH_NAMES } from '../../seccomp/features.js';
import * as native from '../../native.js';

export type { Features } from '../../container/features.js';

/** The runtime-spec features document: what ocirt applies on this host. */
export function features(): Features {
  const lib = native.seccompInfo(SPEC_ARCH_NAMES);
  const lsm = detectLsm();
  const host = readCgroupHost();
  const unified = host.unified;
  const rootControllers = host.mode === 'v2' && unified ? (readCg(`${unified.mountPoint}/cgroup.controllers`) ?? '').split(/\s+/) : [];
  return buildFeatures({
    cgroupV1: host.mode === 'v1' || host.mode === 'hybrid',
    cgroupV2: unified !== undefined,
    cgroupRdma: host.mode === 'v2' ? rootControllers.includes('rdma') : hierarchyOf(host, 'rdma') !== undefined,
    seccomp: { ...('error' in lib ? {} : { libseccomp: lib }), kernelFlags: native.seccompFlagsSupported() },
    apparmor: lsm.apparmor,
    selinux: lsm.selinux,
  });
}
