// The OCI runtime-spec v1.3.0 config.json, as TypeBox schemas: one definition gives both the
// TypeScript types the rest of ocirt compiles against and the JSON Schema the build compiles into
// the standalone validator. Shapes and verdicts follow the official schemas (config-schema.json,
// config-linux.json, defs.json, defs-linux.json): no additionalProperties restrictions, the same
// required fields, enums, patterns and integer ranges. Platforms other than Linux are covered only
// as far as needed to give the official verdict (see platforms.ts).
import { Type, type Static } from '@sinclair/typebox';
import {
  type HOOK_NAMES,
  IOPRIO_CLASSES,
  MEMORY_POLICY_FLAGS,
  MEMORY_POLICY_MODES,
  NAMESPACE_TYPES,
  PERSONALITY_DOMAINS,
  ROOTFS_PROPAGATIONS,
  SCHEDULER_FLAGS,
  SCHEDULER_POLICIES,
  SECCOMP_ACTIONS,
  SECCOMP_ARCHES,
  SECCOMP_FLAGS,
  SECCOMP_OPERATORS,
} from './names.js';
import { StringEnum, Int32, Int64, Uint16, Uint32, Uint64, DeviceFileMode, ArrayOfStrings, MapStringString, MapOf } from './primitives.js';
import { FreeBSDSchema, SolarisSchema, VMSchema, WindowsSchema, ZOSSchema } from './platforms.js';

// Runtime code should import these lists from names.ts: importing values from this module loads TypeBox.
export * from './names.js';
export { StringEnum, Int32, Int64, Uint16, Uint32, Uint64, FileMode, ArrayOfStrings, MapStringString, MapOf } from './primitives.js';

const opt = Type.Optional;

// ---- common (defs.json) -------------------------------------------------------------------

export const IdMappingSchema = Type.Object({ containerID: Uint32(), hostID: Uint32(), size: Uint32() });
export type LinuxIdMapping = Static<typeof IdMappingSchema>;

export const MountSchema = Type.Object({
  destination: Type.String(),
  source: opt(Type.String()),
  options: opt(ArrayOfStrings()),
  type: opt(Type.String()),
  uidMappings: opt(Type.Array(IdMappingSchema)),
  gidMappings: opt(Type.Array(IdMappingSchema)),
});
export type Mount = Static<typeof MountSchema>;

export const HookSchema = Type.Object({
  path: Type.String(),
  args: opt(ArrayOfStrings()),
  env: opt(ArrayOfStrings()),
  timeout: opt(Type.Integer({ minimum: 1 })),
});
export type Hook = Static<typeof HookSchema>;

export type HookName = (typeof HOOK_NAMES)[number];

export const HooksSchema = Type.Object({
  prestart: opt(Type.Array(HookSchema, { description: 'deprecated: use createRuntime' })),
  createRuntime: opt(Type.Array(HookSchema)),
  createContainer: opt(Type.Array(HookSchema)),
  startContainer: opt(Type.Array(HookSchema)),
  poststart: opt(Type.Array(HookSchema)),
  poststop: opt(Type.Array(HookSchema)),
});
export type Hooks = Static<typeof HooksSchema>;

export const RootSchema = Type.Object({ path: Type.String(), readonly: opt(Type.Boolean()) });
export type Root = Static<typeof RootSchema>;

// ---- process -----------------------------------------------------------------------------

export const UserSchema = Type.Object({
  uid: opt(Uint32()),
  gid: opt(Uint32()),
  umask: opt(Uint32()),
  additionalGids: opt(Type.Array(Uint32())),
  username: opt(Type.String()),
});
export type User = Static<typeof UserSchema>;

export const CapabilitiesSchema = Type.Object({
  bounding: opt(ArrayOfStrings()),
  permitted: opt(ArrayOfStrings()),
  effective: opt(ArrayOfStrings()),
  inheritable: opt(ArrayOfStrings()),
  ambient: opt(ArrayOfStrings()),
});
export type LinuxCapabilities = Static<typeof CapabilitiesSchema>;

export const RlimitSchema = Type.Object({
  type: Type.String({ pattern: '^RLIMIT_[A-Z]+$' }),
  soft: Uint64(),
  hard: Uint64(),
});
export type POSIXRlimit = Static<typeof RlimitSchema>;

export const IoPrioritySchema = Type.Object({ class: StringEnum(IOPRIO_CLASSES), priority: opt(Int32()) });
export type LinuxIOPriority = Static<typeof IoPrioritySchema>;

export const SchedulerSchema = Type.Object({
  policy: StringEnum(SCHEDULER_POLICIES),
  nice: opt(Int32()),
  priority: opt(Int32()),
  flags: opt(Type.Array(StringEnum(SCHEDULER_FLAGS))),
  runtime: opt(Uint64()),
  deadline: opt(Uint64()),
  period: opt(Uint64()),
});
export type Scheduler = Static<typeof SchedulerSchema>;

const CpuList = () => Type.String({ pattern: '^[0-9, -]*$' });
export const CPUAffinitySchema = Type.Object({ initial: opt(CpuList()), final: opt(CpuList()) });
export type CPUAffinity = Static<typeof CPUAffinitySchema>;

export const ConsoleSizeSchema = Type.Object({ height: Uint64(), width: Uint64() });
export type Box = Static<typeof ConsoleSizeSchema>;

export const ProcessSchema = Type.Object({
  cwd: Type.String(),
  args: opt(ArrayOfStrings()),
  commandLine: opt(Type.String({ description: 'Windows only' })),
  consoleSize: opt(ConsoleSizeSchema),
  env: opt(ArrayOfStrings()),
  terminal: opt(Type.Boolean()),
  user: opt(UserSchema),
  capabilities: opt(CapabilitiesSchema),
  apparmorProfile: opt(Type.String()),
  oomScoreAdj: opt(Type.Integer()),
  selinuxLabel: opt(Type.String()),
  ioPriority: opt(IoPrioritySchema),
  noNewPrivileges: opt(Type.Boolean()),
  scheduler: opt(SchedulerSchema),
  rlimits: opt(Type.Array(RlimitSchema)),
  execCPUAffinity: opt(CPUAffinitySchema),
});
export type Process = Static<typeof ProcessSchema>;

// ---- linux (config-linux.json, defs-linux.json) -------------------------------------------

export type LinuxNamespaceType = (typeof NAMESPACE_TYPES)[number];
export const NamespaceSchema = Type.Object({ type: StringEnum(NAMESPACE_TYPES), path: opt(Type.String()) });
export type LinuxNamespace = Static<typeof NamespaceSchema>;

export const DeviceSchema = Type.Object({
  type: Type.String({ pattern: '^[cbup]$' }),
  path: Type.String(),
  fileMode: opt(DeviceFileMode()),
  major: opt(Int64()),
  minor: opt(Int64()),
  uid: opt(Uint32()),
  gid: opt(Uint32()),
});
export type LinuxDevice = Static<typeof DeviceSchema>;

export const DeviceCgroupSchema = Type.Object({
  allow: Type.Boolean(),
  type: opt(Type.String()),
  major: opt(Int64()),
  minor: opt(Int64()),
  access: opt(Type.String()),
});
export type LinuxDeviceCgroup = Static<typeof DeviceCgroupSchema>;

export const MemorySchema = Type.Object({
  limit: opt(Int64()),
  reservation: opt(Int64()),
  swap: opt(Int64()),
  kernel: opt(Int64()),
  kernelTCP: opt(Int64()),
  swappiness: opt(Uint64()),
  disableOOMKiller: opt(Type.Boolean()),
  useHierarchy: opt(Type.Boolean()),
  checkBeforeUpdate: opt(Type.Boolean()),
});
export type LinuxMemory = Static<typeof MemorySchema>;

export const CPUSchema = Type.Object({
  shares: opt(Uint64()),
  quota: opt(Int64()),
  burst: opt(Uint64()),
  period: opt(Uint64()),
  realtimeRuntime: opt(Int64()),
  realtimePeriod: opt(Uint64()),
  cpus: opt(Type.String()),
  mems: opt(Type.String()),
  idle: opt(Int64()),
});
export type LinuxCPU = Static<typeof CPUSchema>;

export const WeightDeviceSchema = Type.Object({
  major: Int64(),
  minor: Int64(),
  weight: opt(Uint16()),
  leafWeight: opt(Uint16()),
});
export type LinuxWeightDevice = Static<typeof WeightDeviceSchema>;
export const ThrottleDeviceSchema = Type.Object({ major: Int64(), minor: Int64(), rate: opt(Uint64()) });
export type LinuxThrottleDevice = Static<typeof ThrottleDeviceSchema>;

export const BlockIOSchema = Type.Object({
  weight: opt(Uint16()),
  leafWeight: opt(Uint16()),
  weightDevice: opt(Type.Array(WeightDeviceSchema)),
  throttleReadBpsDevice: opt(Type.Array(ThrottleDeviceSchema)),
  throttleWriteBpsDevice: opt(Type.Array(ThrottleDeviceSchema)),
  throttleReadIOPSDevice: opt(Type.Array(ThrottleDeviceSchema)),
  throttleWriteIOPSDevice: opt(Type.Array(ThrottleDeviceSchema)),
});
export type LinuxBlockIO = Static<typeof BlockIOSchema>;

export const HugepageLimitSchema = Type.Object({ pageSize: Type.String({ pattern: '^[1-9][0-9]*[KMG]B$' }), limit: Uint64() });
export type LinuxHugepageLimit = Static<typeof HugepageLimitSchema>;

export const InterfacePrioritySchema = Type.Object({ name: Type.String(), priority: Uint32() });
export const NetworkSchema = Type.Object({ classID: opt(Uint32()), priorities: opt(Type.Array(InterfacePrioritySchema)) });
export type LinuxNetwork = Static<typeof NetworkSchema>;

export const PidsSchema = Type.Object({ limit: Int64() });
export type LinuxPids = Static<typeof PidsSchema>;

export const RdmaSchema = Type.Object({ hcaHandles: opt(Uint32()), hcaObjects: opt(Uint32()) });
export type LinuxRdma = Static<typeof RdmaSchema>;

export const ResourcesSchema = Type.Object({
  devices: opt(Type.Array(DeviceCgroupSchema)),
  memory: opt(MemorySchema),
  cpu: opt(CPUSchema),
  pids: opt(PidsSchema),
  blockIO: opt(BlockIOSchema),
  hugepageLimits: opt(Type.Array(HugepageLimitSchema)),
  network: opt(NetworkSchema),
  rdma: opt(MapOf(RdmaSchema)),
  unified: opt(MapStringString()),
});
export type LinuxResources = Static<typeof ResourcesSchema>;

export type LinuxSeccompAction = (typeof SECCOMP_ACTIONS)[number];
export type LinuxSeccompArch = (typeof SECCOMP_ARCHES)[number];
export type LinuxSeccompFlag = (typeof SECCOMP_FLAGS)[number];
export type LinuxSeccompOperator = (typeof SECCOMP_OPERATORS)[number];

export const SeccompArgSchema = Type.Object({
  index: Uint32(),
  value: Uint64(),
  valueTwo: opt(Uint64()),
  op: StringEnum(SECCOMP_OPERATORS),
});
export type LinuxSeccompArg = Static<typeof SeccompArgSchema>;

export const SyscallSchema = Type.Object({
  names: Type.Array(Type.String(), { minItems: 1 }),
  action: StringEnum(SECCOMP_ACTIONS),
  errnoRet: opt(Uint32()),
  args: opt(Type.Array(SeccompArgSchema)),
});
export type LinuxSyscall = Static<typeof SyscallSchema>;

export const SeccompSchema = Type.Object({
  defaultAction: StringEnum(SECCOMP_ACTIONS),
  defaultErrnoRet: opt(Uint32()),
  architectures: opt(Type.Array(StringEnum(SECCOMP_ARCHES))),
  flags: opt(Type.Array(StringEnum(SECCOMP_FLAGS))),
  listenerPath: opt(Type.String()),
  listenerMetadata: opt(Type.String()),
  syscalls: opt(Type.Array(SyscallSchema)),
});
export type LinuxSeccomp = Static<typeof SeccompSchema>;

export const IntelRdtSchema = Type.Object({
  closID: opt(Type.String()),
  schemata: opt(ArrayOfStrings()),
  l3CacheSchema: opt(Type.String()),
  memBwSchema: opt(Type.String({ pattern: '^MB:[^\\n]*$' })),
  enableMonitoring: opt(Type.Boolean()),
});
export type LinuxIntelRdt = Static<typeof IntelRdtSchema>;

export const MemoryPolicySchema = Type.Object({
  mode: opt(StringEnum(MEMORY_POLICY_MODES)),
  nodes: opt(Type.String()),
  flags: opt(Type.Array(StringEnum(MEMORY_POLICY_FLAGS))),
});
export type LinuxMemoryPolicy = Static<typeof MemoryPolicySchema>;

export const PersonalitySchema = Type.Object({ domain: opt(StringEnum(PERSONALITY_DOMAINS)), flags: opt(ArrayOfStrings()) });
export type LinuxPersonality = Static<typeof PersonalitySchema>;

export const TimeOffsetSchema = Type.Object({ secs: opt(Int64()), nanosecs: opt(Uint32()) });
export type LinuxTimeOffset = Static<typeof TimeOffsetSchema>;
export const TimeOffsetsSchema = Type.Object({ boottime: opt(TimeOffsetSchema), monotonic: opt(TimeOffsetSchema) });

export const NetDeviceSchema = Type.Object({ name: opt(Type.String()) });
export type LinuxNetDevice = Static<typeof NetDeviceSchema>;

export const LinuxSchema = Type.Object({
  namespaces: opt(Type.Array(NamespaceSchema)),
  uidMappings: opt(Type.Array(IdMappingSchema)),
  gidMappings: opt(Type.Array(IdMappingSchema)),
  timeOffsets: opt(TimeOffsetsSchema),
  devices: opt(Type.Array(DeviceSchema)),
  netDevices: opt(MapOf(NetDeviceSchema)),
  cgroupsPath: opt(Type.String()),
  resources: opt(ResourcesSchema),
  rootfsPropagation: opt(StringEnum(ROOTFS_PROPAGATIONS)),
  seccomp: opt(SeccompSchema),
  sysctl: opt(MapStringString()),
  maskedPaths: opt(ArrayOfStrings()),
  readonlyPaths: opt(ArrayOfStrings()),
  mountLabel: opt(Type.String()),
  intelRdt: opt(IntelRdtSchema),
  memoryPolicy: opt(MemoryPolicySchema),
  personality: opt(PersonalitySchema),
});
export type Linux = Static<typeof LinuxSchema>;

// ---- the whole document -------------------------------------------------------------------

export const ConfigSchema = Type.Object(
  {
    ociVersion: Type.String(),
    root: opt(RootSchema),
    mounts: opt(Type.Array(MountSchema)),
    process: opt(ProcessSchema),
    hostname: opt(Type.String()),
    domainname: opt(Type.String()),
    hooks: opt(HooksSchema),
    annotations: opt(MapStringString()),
    linux: opt(LinuxSchema),
    // Other platforms: checked so that our verdict matches the official schema, otherwise ignored.
    solaris: opt(SolarisSchema),
    windows: opt(WindowsSchema),
    vm: opt(VMSchema),
    zos: opt(ZOSSchema),
    freebsd: opt(FreeBSDSchema),
  },
  { $id: 'https://ocirt.dev/schema/config.json', description: 'OCI runtime-spec v1.3.0 container configuration' },
);
export type Spec = Static<typeof ConfigSchema>;
