// `ocirt features`: the runtime-spec features document (features.md, features-schema.json) for
// this build on this host. Every entry says what ocirt really applies: a feature that is accepted
// but not applied is not listed (or is listed as not enabled), so an engine that trusts this
// document never gets a less confined container than it asked for. Each feature's module owns its
// entry; this file only assembles them. Pure apart from the host facts passed in.
import { CAPABILITIES, NAMESPACE_FLAGS } from '../linux/constants.js';
import { KNOWN_MOUNT_OPTIONS } from '../linux/mount-options.js';
import { HOOK_NAMES } from '../spec/names.js';
import { OCI_SPEC_VERSION } from '../version.js';
import { seccompFeatures, type SeccompFeatureHost, type SeccompFeatures } from '../seccomp/features.js';

/** The features document, as features-schema.json describes it (only the fields ocirt fills). */
export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks: string[];
  mountOptions: string[];
  annotations: Record<string, string>;
  potentiallyUnsafeConfigAnnotations?: string[];
  linux: {
    namespaces: string[];
    capabilities: string[];
    cgroup: { v1: boolean; v2: boolean; systemd: boolean; systemdUser: boolean; rdma: boolean };
    seccomp: SeccompFeatures;
    apparmor: { enabled: boolean };
    selinux: { enabled: boolean };
    intelRdt: { enabled: boolean };
    mountExtensions: { idmap: { enabled: boolean } };
    netDevices: { enabled: boolean };
  };
}

export interface FeatureHost {
  /** a cgroup v1 controller hierarchy is mounted */
  cgroupV1: boolean;
  /** a cgroup2 hierarchy is mounted */
  cgroupV2: boolean;
  /** the rdma controller is there to apply linux.resources.rdma */
  cgroupRdma?: boolean;
  seccomp: SeccompFeatureHost;
  /** the LSMs the host enforces (labels are applied where they are, refused where not) */
  apparmor: boolean;
  selinux: boolean;
}

/** Mount option words that ocirt does not apply yet (recognised only to be refused). */
const MOUNT_OPTIONS_NOT_APPLIED = new Set(['idmap', 'ridmap']);

export function buildFeatures(host: FeatureHost): Features {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_SPEC_VERSION,
    // all six run: the runtime's own in src/container/hooks.ts, createContainer and
    // startContainer in the init (native/init/hooks.c)
    hooks: [...HOOK_NAMES],
    mountOptions: KNOWN_MOUNT_OPTIONS.filter((o) => !MOUNT_OPTIONS_NOT_APPLIED.has(o)),
    annotations: {
      'org.opencontainers.runtime-spec.features.version': OCI_SPEC_VERSION,
    },
    linux: {
      namespaces: Object.keys(NAMESPACE_FLAGS),
      capabilities: [...CAPABILITIES],
      cgroup: { v1: host.cgroupV1, v2: host.cgroupV2, systemd: false, systemdUser: false, rdma: host.cgroupRdma === true },
      seccomp: seccompFeatures(host.seccomp),
      apparmor: { enabled: host.apparmor },
      selinux: { enabled: host.selinux },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
      netDevices: { enabled: false },
    },
  };
}
