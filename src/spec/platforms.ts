// The non-Linux platform sections of config.json. ocirt runs Linux containers only; these exist so
// that a config carrying them gets the same verdict as from the official schema.
import { Type, type Static } from '@sinclair/typebox';
import { ArrayOfStrings, FileMode, StringEnum, Uint16, Uint32, Uint64, Uint8 } from './primitives.js';

const opt = Type.Optional;

export const SolarisSchema = Type.Object({
  milestone: opt(Type.String()),
  limitpriv: opt(Type.String()),
  maxShmMemory: opt(Type.String()),
  cappedCPU: opt(Type.Object({ ncpus: opt(Type.String()) })),
  cappedMemory: opt(Type.Object({ physical: opt(Type.String()), swap: opt(Type.String()) })),
  anet: opt(
    Type.Array(
      Type.Object({
        linkname: opt(Type.String()),
        lowerLink: opt(Type.String()),
        allowedAddress: opt(Type.String()),
        configureAllowedAddress: opt(Type.String()),
        defrouter: opt(Type.String()),
        macAddress: opt(Type.String()),
        linkProtection: opt(Type.String()),
      }),
    ),
  ),
});
export type Solaris = Static<typeof SolarisSchema>;

export const WindowsSchema = Type.Object({
  layerFolders: Type.Array(Type.String(), { minItems: 1 }),
  devices: opt(Type.Array(Type.Object({ id: Type.String(), idType: StringEnum(['class'] as const) }))),
  resources: opt(
    Type.Object({
      memory: opt(Type.Object({ limit: opt(Uint64()) })),
      cpu: opt(
        Type.Object({
          count: opt(Uint64()),
          shares: opt(Uint16()),
          maximum: opt(Uint16()),
          affinity: opt(Type.Object({ mask: opt(Uint64()), group: opt(Uint32()) })),
        }),
      ),
      storage: opt(Type.Object({ iops: opt(Uint64()), bps: opt(Uint64()), sandboxSize: opt(Uint64()) })),
    }),
  ),
  network: opt(
    Type.Object({
      endpointList: opt(ArrayOfStrings()),
      allowUnqualifiedDNSQuery: opt(Type.Boolean()),
      DNSSearchList: opt(ArrayOfStrings()),
      networkSharedContainerName: opt(Type.String()),
      networkNamespace: opt(Type.String()),
    }),
  ),
  credentialSpec: opt(Type.Object({})),
  servicing: opt(Type.Boolean()),
  ignoreFlushesDuringBoot: opt(Type.Boolean()),
  hyperv: opt(Type.Object({ utilityVMPath: opt(Type.String()) })),
});
export type Windows = Static<typeof WindowsSchema>;

export const VMSchema = Type.Object({
  hypervisor: opt(Type.Object({ path: Type.String(), parameters: opt(ArrayOfStrings()) })),
  kernel: Type.Object({ path: Type.String(), parameters: opt(ArrayOfStrings()), initrd: opt(Type.String()) }),
  image: opt(Type.Object({ path: Type.String(), format: StringEnum(['raw', 'qcow2', 'vdi', 'vmdk', 'vhd'] as const) })),
  hwConfig: opt(
    Type.Object({
      deviceTree: opt(Type.String()),
      vcpus: opt(Uint32()),
      memory: opt(Uint64()),
      dtdevs: opt(ArrayOfStrings()),
      iomems: opt(Type.Array(Type.Object({ firstGFN: opt(Uint64()), firstMFN: Uint64(), nrMFNs: Uint64() }))),
      irqs: opt(Type.Array(Uint32())),
    }),
  ),
});
export type VM = Static<typeof VMSchema>;

export const ZOSSchema = Type.Object({
  namespaces: opt(Type.Array(Type.Object({ type: StringEnum(['mount', 'pid', 'uts', 'ipc'] as const), path: opt(Type.String()) }))),
});
export type ZOS = Static<typeof ZOSSchema>;

const SharingMode = () => StringEnum(['disable', 'new', 'inherit'] as const);
const SharingModeNoDisable = () => StringEnum(['new', 'inherit'] as const);

export const FreeBSDSchema = Type.Object({
  devices: opt(Type.Array(Type.Object({ path: opt(Type.String()), mode: opt(FileMode()) }))),
  jail: opt(
    Type.Object({
      parent: opt(Type.String()),
      host: opt(SharingModeNoDisable()),
      ip4: opt(SharingMode()),
      ip4Addr: opt(ArrayOfStrings()),
      ip6: opt(SharingMode()),
      ip6Addr: opt(ArrayOfStrings()),
      vnet: opt(SharingModeNoDisable()),
      interface: opt(Type.String()),
      vnetInterfaces: opt(ArrayOfStrings()),
      sysvmsg: opt(SharingMode()),
      sysvsem: opt(SharingMode()),
      sysvshm: opt(SharingMode()),
      enforceStatfs: opt(Uint8()),
      allow: opt(
        Type.Object({
          setHostname: opt(Type.Boolean()),
          rawSockets: opt(Type.Boolean()),
          chflags: opt(Type.Boolean()),
          mount: opt(ArrayOfStrings()),
          quotas: opt(Type.Boolean()),
          socketAf: opt(Type.Boolean()),
          mlock: opt(Type.Boolean()),
          reservedPorts: opt(Type.Boolean()),
          suser: opt(Type.Boolean()),
        }),
      ),
    }),
  ),
});
export type FreeBSD = Static<typeof FreeBSDSchema>;
