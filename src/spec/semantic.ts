// Checks the schema cannot express: names the kernel knows, paths that must be absolute, fields
// that only make sense with a namespace, limits that must agree with each other. They run on any
// parsed JSON, including documents the schema rejected, so that one run reports every problem;
// hence every access below checks the value's type instead of trusting the Spec type.
import { joinPointer } from './locate.js';
import {
  KNOWN_CAPABILITIES,
  KNOWN_MOUNT_WORDS,
  KNOWN_RLIMITS,
  MOUNT_FLAG_WORDS,
  PERSONALITY_FLAGS,
  closest,
  deviceAccessLetters,
  sysctlNamespace,
} from './known.js';
import { CAPABILITY_SETS, HOOK_NAMES, NAMESPACE_TYPES } from './names.js';

export interface SemanticProblem {
  pointer: string;
  message: string;
  /** accepted (as runc accepts it), but the user is told */
  warning?: boolean;
}

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const field = (v: unknown, key: string): unknown => (isObject(v) && Object.hasOwn(v, key) ? v[key] : undefined);
const objectAt = (v: unknown, key: string): JsonObject | undefined => {
  const f = field(v, key);
  return isObject(f) ? f : undefined;
};
const arrayAt = (v: unknown, key: string): unknown[] => {
  const f = field(v, key);
  return Array.isArray(f) ? f : [];
};
const stringAt = (v: unknown, key: string): string | undefined => {
  const f = field(v, key);
  return typeof f === 'string' ? f : undefined;
};
const numberAt = (v: unknown, key: string): number | undefined => {
  const f = field(v, key);
  return typeof f === 'number' ? f : undefined;
};
const q = (s: string): string => JSON.stringify(s);
const didYouMean = (name: string, known: Iterable<string>): string => {
  const c = closest(name, known);
  return c === undefined ? '' : ` (did you mean ${q(c)}?)`;
};
const isAbsolute = (p: string): boolean => p.startsWith('/');
const hasDotDot = (p: string): boolean => p.split('/').includes('..');

class Checker {
  readonly problems: SemanticProblem[] = [];
  /** namespace type -> its entry (the first one, when duplicated) */
  readonly namespaces = new Map<string, JsonObject>();

  constructor(readonly doc: unknown) {
    for (const ns of arrayAt(objectAt(doc, 'linux'), 'namespaces')) {
      const t = stringAt(ns, 'type');
      if (t !== undefined && isObject(ns) && !this.namespaces.has(t)) this.namespaces.set(t, ns);
    }
  }

  report(pointer: string, message: string): void {
    this.problems.push({ pointer, message });
  }

  warn(pointer: string, message: string): void {
    this.problems.push({ pointer, message, warning: true });
  }

  /** A namespace the container gets: new, or joined by path. */
  hasNamespace(type: string): boolean {
    return this.namespaces.has(type);
  }

  /** A namespace created for the container (no path). */
  createsNamespace(type: string): boolean {
    const ns = this.namespaces.get(type);
    return ns !== undefined && field(ns, 'path') === undefined;
  }

  absolutePath(pointer: string, value: unknown, what: string, hint = ''): void {
    if (typeof value !== 'string') return;
    if (!isAbsolute(value)) this.report(pointer, `${what} must be an absolute path, found ${q(value)}${hint}`);
  }
}

export function checkSemantics(doc: unknown): SemanticProblem[] {
  const c = new Checker(doc);
  if (!isObject(doc)) return c.problems;
  checkVersion(c, doc);
  checkRoot(c, doc);
  checkProcess(c, doc);
  checkMounts(c, doc);
  checkHooks(c, doc);
  checkHostname(c, doc);
  checkNulBytes(c, doc, '');
  const linux = objectAt(doc, 'linux');
  if (linux) {
    checkNamespaces(c, linux);
    checkIdMappings(c, linux);
    checkTimeOffsets(c, linux);
    checkDevices(c, linux);
    checkResources(c, linux);
    checkSysctl(c, linux);
    checkSeccomp(c, linux);
    checkPathLists(c, linux);
    checkPersonality(c, linux);
    checkMemoryPolicy(c, linux);
    checkNetDevices(c, linux);
    checkIntelRdt(c, linux);
  }
  return c.problems;
}

// ---- top level ---------------------------------------------------------------------------

/**
 * Every string the runtime may hand to the kernel (paths, arguments, environment, mount options,
 * sysctl names and values...) is a C string there, which ends at a NUL byte: refused wherever it
 * appears, keys included, but in annotations, which only the runtime's state carries.
 */
function checkNulBytes(c: Checker, v: unknown, pointer: string): void {
  if (pointer === '/annotations') return;
  if (typeof v === 'string') {
    if (v.includes('\u0000')) c.report(pointer, 'contains a NUL byte: the kernel takes this value as a C string, which would end there');
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => checkNulBytes(c, x, joinPointer(pointer, String(i))));
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      const at = joinPointer(pointer, k);
      if (k.includes('\u0000')) c.report(at, 'a key with a NUL byte: the kernel takes names as C strings, which would end there');
      checkNulBytes(c, x, at);
    }
  }
}

const SEMVER = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

function checkVersion(c: Checker, doc: JsonObject): void {
  const v = stringAt(doc, 'ociVersion');
  if (v === undefined) return;
  const m = SEMVER.exec(v);
  if (!m) c.report('/ociVersion', `ociVersion ${q(v)} is not a semantic version: expected MAJOR.MINOR.PATCH such as "1.3.0"`);
  else if (m[1] !== '1')
    c.report('/ociVersion', `unsupported ociVersion ${q(v)}: expected a 1.x.y version (ocirt implements runtime-spec 1.3.0)`);
}

function checkRoot(c: Checker, doc: JsonObject): void {
  const root = field(doc, 'root');
  if (root === undefined) {
    c.report('', 'missing "root": a Linux container needs a root filesystem; add "root": {"path": "rootfs"}');
    return;
  }
  if (stringAt(root, 'path') === '')
    c.report('/root/path', 'root.path is empty: expected the rootfs directory, absolute or relative to the bundle');
}

function checkProcess(c: Checker, doc: JsonObject): void {
  const proc = objectAt(doc, 'process');
  if (!proc) return;
  const args = field(proc, 'args');
  if (args === undefined) c.report('/process', 'missing "args": process.args is required on Linux, e.g. ["sh"]');
  else if (Array.isArray(args) && args.length === 0)
    c.report('/process/args', 'process.args is empty: expected at least the program to run, e.g. ["sh"]');
  else if (Array.isArray(args) && args[0] === '') c.report('/process/args/0', 'process.args[0] is empty: expected the program to run');

  c.absolutePath('/process/cwd', field(proc, 'cwd'), 'process.cwd', ' (the working directory inside the container)');
  arrayAt(proc, 'env').forEach((e, i) => {
    if (typeof e === 'string' && !/^[^=]+=/.test(e)) c.report(`/process/env/${i}`, `environment entry ${q(e)} is not NAME=VALUE`);
  });

  const caps = objectAt(proc, 'capabilities');
  for (const set of CAPABILITY_SETS) {
    arrayAt(caps, set).forEach((cap, i) => {
      if (typeof cap === 'string' && !KNOWN_CAPABILITIES.has(cap)) {
        c.report(
          `/process/capabilities/${set}/${i}`,
          `unknown capability ${q(cap)}${didYouMean(cap, KNOWN_CAPABILITIES)}: expected one of ${[...KNOWN_CAPABILITIES].join(', ')} (see capabilities(7))`,
        );
      }
    });
  }

  const seen = new Map<string, number>();
  arrayAt(proc, 'rlimits').forEach((rl, i) => {
    const p = `/process/rlimits/${i}`;
    const type = stringAt(rl, 'type');
    if (type !== undefined) {
      if (!KNOWN_RLIMITS.has(type))
        c.report(
          `${p}/type`,
          `unknown rlimit ${q(type)}${didYouMean(type, KNOWN_RLIMITS)}: expected one of ${[...KNOWN_RLIMITS].join(', ')} (see getrlimit(2))`,
        );
      const first = seen.get(type);
      if (first !== undefined) c.report(`${p}/type`, `duplicate rlimit ${q(type)}: already set at /process/rlimits/${first}; keep one`);
      else seen.set(type, i);
    }
    const soft = numberAt(rl, 'soft');
    const hard = numberAt(rl, 'hard');
    if (soft !== undefined && hard !== undefined && soft > hard) {
      c.report(`${p}/soft`, `rlimit soft limit ${soft} is above the hard limit ${hard}: expected soft <= hard`);
    }
  });

  const oom = numberAt(proc, 'oomScoreAdj');
  if (oom !== undefined && (oom < -1000 || oom > 1000))
    c.report('/process/oomScoreAdj', `oomScoreAdj ${oom} is out of range: expected -1000..1000`);

  const prio = numberAt(objectAt(proc, 'ioPriority'), 'priority');
  if (prio !== undefined && (prio < 0 || prio > 7))
    c.report('/process/ioPriority/priority', `ioPriority.priority ${prio} is out of range: expected 0 (highest) to 7 (lowest)`);

  checkScheduler(c, objectAt(proc, 'scheduler'));

  const aff = objectAt(proc, 'execCPUAffinity');
  for (const k of ['initial', 'final']) {
    const list = stringAt(aff, k);
    if (list !== undefined && !isCpuList(list)) {
      c.report(`/process/execCPUAffinity/${k}`, `invalid CPU list ${q(list)}: expected comma-separated CPUs and ranges such as "0-3,7"`);
    }
  }
}

function checkScheduler(c: Checker, s: JsonObject | undefined): void {
  if (!s) return;
  const policy = stringAt(s, 'policy');
  const nice = numberAt(s, 'nice');
  if (nice !== undefined && (nice < -20 || nice > 19))
    c.report('/process/scheduler/nice', `nice ${nice} is out of range: expected -20..19`);
  const prio = numberAt(s, 'priority');
  if (prio !== undefined && prio !== 0) {
    if (policy === 'SCHED_FIFO' || policy === 'SCHED_RR') {
      if (prio < 1 || prio > 99) c.report('/process/scheduler/priority', `priority ${prio} is out of range for ${policy}: expected 1..99`);
    } else if (policy !== undefined) {
      c.report(
        '/process/scheduler/priority',
        `priority ${prio} is only meaningful for SCHED_FIFO and SCHED_RR, found policy ${policy}: remove it`,
      );
    }
  }
  if (policy === 'SCHED_DEADLINE') {
    const runtime = numberAt(s, 'runtime');
    const deadline = numberAt(s, 'deadline');
    const period = numberAt(s, 'period');
    if (runtime === undefined || deadline === undefined)
      c.report('/process/scheduler', 'SCHED_DEADLINE needs "runtime" and "deadline" (nanoseconds)');
    else if (runtime > deadline || (period !== undefined && period !== 0 && deadline > period)) {
      c.report(
        '/process/scheduler',
        `SCHED_DEADLINE needs runtime <= deadline <= period, found ${runtime}, ${deadline}, ${period ?? 'unset'}`,
      );
    }
  } else {
    for (const k of ['runtime', 'deadline', 'period']) {
      if (field(s, k) !== undefined && policy !== undefined)
        c.report(`/process/scheduler/${k}`, `${k} is only used by SCHED_DEADLINE, found policy ${policy}: remove it`);
    }
  }
}

function isCpuList(s: string): boolean {
  if (s.trim() === '') return true;
  return s.split(',').every((part) => {
    const m = /^\s*([0-9]+)(?:\s*-\s*([0-9]+))?\s*$/.exec(part);
    return m !== null && (m[2] === undefined || Number(m[1]) <= Number(m[2]));
  });
}

function checkHostname(c: Checker, doc: JsonObject): void {
  for (const k of ['hostname', 'domainname']) {
    const v = stringAt(doc, k);
    if (v !== undefined && v !== '' && !c.hasNamespace('uts')) {
      c.report(`/${k}`, `${k} ${q(v)} needs a UTS namespace: add {"type": "uts"} to linux.namespaces, or remove ${k}`);
    }
  }
}

// ---- mounts and hooks --------------------------------------------------------------------

function checkMounts(c: Checker, doc: JsonObject): void {
  arrayAt(doc, 'mounts').forEach((m, i) => {
    const p = `/mounts/${i}`;
    c.absolutePath(`${p}/destination`, field(m, 'destination'), 'mount destination', ' (a path inside the container)');
    const options = arrayAt(m, 'options');
    let bind = false;
    options.forEach((o, j) => {
      if (typeof o !== 'string') return;
      if (o === 'bind' || o === 'rbind') bind = true;
      if (o.includes('=') || KNOWN_MOUNT_WORDS.has(o)) return;
      c.report(
        `${p}/options/${j}`,
        `unknown mount option ${q(o)}${didYouMean(o, KNOWN_MOUNT_WORDS)}: expected a mount flag (${MOUNT_FLAG_WORDS.slice(0, 12).join(', ')}, ...; see mount(8)) or a filesystem option written key=value`,
      );
    });
    const uid = field(m, 'uidMappings');
    const gid = field(m, 'gidMappings');
    if ((uid === undefined) !== (gid === undefined)) {
      c.report(p, 'an id-mapped mount needs both uidMappings and gidMappings: add the missing one');
    }
    if ((uid !== undefined || gid !== undefined) && !bind) {
      c.report(p, 'uidMappings/gidMappings on a mount need a bind mount: add "bind" or "rbind" to its options');
    }
    for (const k of ['uidMappings', 'gidMappings']) checkMappingSizes(c, `${p}/${k}`, field(m, k));
  });
}

function checkHooks(c: Checker, doc: JsonObject): void {
  const hooks = objectAt(doc, 'hooks');
  for (const name of HOOK_NAMES) {
    arrayAt(hooks, name).forEach((h, i) => {
      const p = `/hooks/${name}/${i}`;
      c.absolutePath(
        `${p}/path`,
        field(h, 'path'),
        'hook path',
        ' (hooks run in the runtime namespace; give the full path of the program)',
      );
      arrayAt(h, 'env').forEach((e, j) => {
        if (typeof e === 'string' && !/^[^=]+=/.test(e)) c.report(`${p}/env/${j}`, `environment entry ${q(e)} is not NAME=VALUE`);
      });
    });
  }
}

// ---- linux -------------------------------------------------------------------------------

function checkNamespaces(c: Checker, linux: JsonObject): void {
  const first = new Map<string, number>();
  arrayAt(linux, 'namespaces').forEach((ns, i) => {
    const p = `/linux/namespaces/${i}`;
    const type = stringAt(ns, 'type');
    if (type === undefined) return;
    if (!(NAMESPACE_TYPES as readonly string[]).includes(type)) return; // the schema reports it
    const prev = first.get(type);
    if (prev !== undefined) c.report(`${p}/type`, `duplicate ${type} namespace: already given at /linux/namespaces/${prev}; keep one`);
    else first.set(type, i);
    const path = field(ns, 'path');
    c.absolutePath(`${p}/path`, path, `${type} namespace path`, ' (e.g. /proc/<pid>/ns/' + nsFile(type) + ')');
    if (typeof path === 'string' && path === '') c.report(`${p}/path`, 'namespace path is empty: remove "path" to create a new namespace');
  });
}

function nsFile(type: string): string {
  return ({ network: 'net', mount: 'mnt' } as Record<string, string>)[type] ?? type;
}

function checkMappingSizes(c: Checker, pointer: string, mappings: unknown): void {
  if (!Array.isArray(mappings)) return;
  mappings.forEach((m, i) => {
    if (numberAt(m, 'size') === 0) c.report(`${pointer}/${i}/size`, 'id mapping size is 0: expected at least 1 id');
  });
}

function checkIdMappings(c: Checker, linux: JsonObject): void {
  const userNs = c.namespaces.get('user');
  const uid = field(linux, 'uidMappings');
  const gid = field(linux, 'gidMappings');
  const has = (v: unknown): boolean => Array.isArray(v) && v.length > 0;
  if (!userNs) {
    for (const [k, v] of [
      ['uidMappings', uid],
      ['gidMappings', gid],
    ] as const) {
      if (has(v)) c.report(`/linux/${k}`, `${k} given without a user namespace: add {"type": "user"} to linux.namespaces, or remove ${k}`);
    }
  } else if (field(userNs, 'path') !== undefined) {
    for (const [k, v] of [
      ['uidMappings', uid],
      ['gidMappings', gid],
    ] as const) {
      if (has(v))
        c.report(
          `/linux/${k}`,
          `${k} cannot be applied to a user namespace joined by path (its mappings are already set): remove ${k} or the namespace path`,
        );
    }
  } else {
    for (const [k, v] of [
      ['uidMappings', uid],
      ['gidMappings', gid],
    ] as const) {
      if (!has(v)) c.report('/linux', `a new user namespace needs ${k}: add e.g. "${k}": [{"containerID": 0, "hostID": 1000, "size": 1}]`);
    }
  }
  checkMappingSizes(c, '/linux/uidMappings', uid);
  checkMappingSizes(c, '/linux/gidMappings', gid);
}

function checkTimeOffsets(c: Checker, linux: JsonObject): void {
  if (field(linux, 'timeOffsets') === undefined) return;
  if (!c.hasNamespace('time'))
    c.report('/linux/timeOffsets', 'timeOffsets need a time namespace: add {"type": "time"} to linux.namespaces, or remove timeOffsets');
  else if (!c.createsNamespace('time'))
    c.report(
      '/linux/timeOffsets',
      'timeOffsets cannot be applied to a time namespace joined by path: remove timeOffsets or the namespace path',
    );
  const offsets = objectAt(linux, 'timeOffsets');
  for (const clock of ['boottime', 'monotonic']) {
    const ns = numberAt(objectAt(offsets, clock), 'nanosecs');
    if (ns !== undefined && ns >= 1e9)
      c.report(`/linux/timeOffsets/${clock}/nanosecs`, `nanosecs ${ns} is not below one second: expected 0..999999999`);
  }
}

/** stat(2)'s file type bits, as engines copy them into fileMode: runc ignores them, so do we */
const S_IFMT = 0o170000;
const DEVICE_TYPE_BITS: Record<string, number> = { c: 0o020000, u: 0o020000, b: 0o060000, p: 0o010000 };

function checkDevices(c: Checker, linux: JsonObject): void {
  const paths = new Map<string, number>();
  arrayAt(linux, 'devices').forEach((d, i) => {
    const p = `/linux/devices/${i}`;
    const path = stringAt(d, 'path');
    if (path !== undefined) {
      // runtime-spec: "The path MAY be anywhere in the container filesystem, notably outside of /dev"
      c.absolutePath(`${p}/path`, path, 'device path', ' (a path inside the container, such as "/dev/fuse")');
      const prev = paths.get(path);
      if (prev !== undefined) c.report(`${p}/path`, `duplicate device ${q(path)}: already given at /linux/devices/${prev}`);
      else paths.set(path, i);
    }
    const type = stringAt(d, 'type');
    const mode = numberAt(d, 'fileMode');
    const typeBits = mode === undefined ? 0 : mode & S_IFMT;
    if (typeBits !== 0 && type !== undefined && typeBits !== DEVICE_TYPE_BITS[type]) {
      c.report(
        `${p}/fileMode`,
        `fileMode ${mode} (0o${mode!.toString(8)}) carries the file type bits 0o${typeBits.toString(8)}, which do not match type ${q(type)}: give the permission bits only (e.g. ${mode! & 0o7777})`,
      );
    }
    if (type === 'c' || type === 'b' || type === 'u') {
      for (const k of ['major', 'minor']) {
        if (field(d, k) === undefined)
          c.report(
            p,
            `missing "${k}": a ${type === 'b' ? 'block' : 'character'} device needs major and minor numbers (see ls -l ${path ?? '/dev/...'})`,
          );
      }
    }
  });
}

function checkResources(c: Checker, linux: JsonObject): void {
  const res = objectAt(linux, 'resources');
  if (!res) return;
  arrayAt(res, 'devices').forEach((d, i) => {
    const p = `/linux/resources/devices/${i}`;
    const type = stringAt(d, 'type');
    if (type !== undefined && !['a', 'b', 'c'].includes(type))
      c.report(`${p}/type`, `device cgroup type ${q(type)} is unknown: expected "a" (all), "b" (block) or "c" (character)`);
    const access = stringAt(d, 'access');
    if (access === '')
      c.report(`${p}/access`, 'device cgroup access is empty: expected a combination of r (read), w (write) and m (mknod), e.g. "rwm"');
    else if (access !== undefined && !/^[rwm]*$/.test(access)) {
      // runc accepts such rules and ignores the other letters (crun refuses them): accepted, and said so
      c.warn(
        `${p}/access`,
        `device cgroup access ${q(access)} has letters other than r, w and m: they are ignored (as runc ignores them), the rule grants ${q(deviceAccessLetters(access)) || 'nothing'}`,
      );
    }
  });
  const mem = objectAt(res, 'memory');
  const limit = numberAt(mem, 'limit');
  const swap = numberAt(mem, 'swap');
  if (limit !== undefined && swap !== undefined && limit > 0 && swap > 0 && swap < limit) {
    c.report(
      '/linux/resources/memory/swap',
      `memory.swap ${swap} is below memory.limit ${limit}: swap is memory+swap, expected swap >= limit (or -1 for unlimited)`,
    );
  }
  const swappiness = numberAt(mem, 'swappiness');
  if (swappiness !== undefined && swappiness > 100)
    c.report('/linux/resources/memory/swappiness', `memory.swappiness ${swappiness} is out of range: expected 0..100`);
  const cpu = objectAt(res, 'cpu');
  for (const k of ['cpus', 'mems']) {
    const v = stringAt(cpu, k);
    if (v !== undefined && !isCpuList(v))
      c.report(`/linux/resources/cpu/${k}`, `invalid list ${q(v)}: expected comma-separated numbers and ranges such as "0-3,7"`);
  }
  const unified = objectAt(res, 'unified');
  for (const key of Object.keys(unified ?? {})) {
    if (!/^[a-z0-9_]+\.[A-Za-z0-9_.]+$/.test(key)) {
      c.report(
        joinPointer('/linux/resources/unified', key),
        `unified key ${q(key)} is not a cgroup v2 file name: expected "<controller>.<file>" such as "memory.high"`,
      );
    }
  }
}

function checkSysctl(c: Checker, linux: JsonObject): void {
  const sysctl = objectAt(linux, 'sysctl');
  for (const key of Object.keys(sysctl ?? {})) {
    const p = joinPointer('/linux/sysctl', key);
    const ns = sysctlNamespace(key);
    if (key.replace(/\//g, '.') === 'kernel.hostname') {
      c.report(p, 'sysctl "kernel.hostname" conflicts with the "hostname" field (as runc and crun refuse it): set "hostname" instead');
    } else if (ns === undefined) {
      c.report(
        p,
        `sysctl ${q(key)} is not namespaced: setting it from a container would change the host; only net.*, fs.mqueue.*, kernel.{msg*,sem,shm*} and kernel.domainname are allowed`,
      );
    } else if (!c.hasNamespace(ns)) {
      c.report(p, `sysctl ${q(key)} needs a ${ns} namespace: add {"type": "${ns}"} to linux.namespaces, or remove it`);
    }
  }
}

const ERRNO_ACTIONS = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE']);
/** MAX_ERRNO: seccomp answers with at most this errno (a larger one would be cut silently). */
const MAX_ERRNO_RET = 4095;

function checkSeccomp(c: Checker, linux: JsonObject): void {
  const sc = objectAt(linux, 'seccomp');
  if (!sc) return;
  const def = stringAt(sc, 'defaultAction');
  if (def === 'SCMP_ACT_NOTIFY')
    c.report(
      '/linux/seccomp/defaultAction',
      'SCMP_ACT_NOTIFY cannot be the default action (the monitor itself would be blocked): use it for specific syscalls',
    );
  if (field(sc, 'defaultErrnoRet') !== undefined && def !== undefined && !ERRNO_ACTIONS.has(def)) {
    c.report(
      '/linux/seccomp/defaultErrnoRet',
      `defaultErrnoRet is only used with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, found defaultAction ${def}: remove it`,
    );
  }
  const errnoRange = (p: string, v: unknown): void => {
    if (typeof v === 'number' && v > MAX_ERRNO_RET)
      c.report(p, `errno ${v} is out of range: seccomp returns an errno of at most ${MAX_ERRNO_RET}`);
  };
  errnoRange('/linux/seccomp/defaultErrnoRet', field(sc, 'defaultErrnoRet'));
  let notify = false;
  arrayAt(sc, 'syscalls').forEach((s, i) => {
    const p = `/linux/seccomp/syscalls/${i}`;
    const action = stringAt(s, 'action');
    if (action === 'SCMP_ACT_NOTIFY') notify = true;
    if (field(s, 'errnoRet') !== undefined && action !== undefined && !ERRNO_ACTIONS.has(action)) {
      c.report(`${p}/errnoRet`, `errnoRet is only used with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, found action ${action}: remove it`);
    }
    errnoRange(`${p}/errnoRet`, field(s, 'errnoRet'));
    arrayAt(s, 'names').forEach((n, j) => {
      if (typeof n === 'string' && !/^[a-z0-9_]+$/.test(n))
        c.report(
          `${p}/names/${j}`,
          `syscall name ${q(n)} is not a syscall name: expected lower-case letters, digits and "_" such as "mkdirat"`,
        );
    });
    arrayAt(s, 'args').forEach((a, j) => {
      const idx = numberAt(a, 'index');
      if (idx !== undefined && idx > 5) c.report(`${p}/args/${j}/index`, `syscall argument index ${idx} is out of range: expected 0..5`);
    });
  });
  if (notify && stringAt(sc, 'listenerPath') === undefined) {
    c.report('/linux/seccomp', 'SCMP_ACT_NOTIFY needs "listenerPath": the UNIX socket of the seccomp agent that receives the notify fd');
  }
  const lp = field(sc, 'listenerPath');
  c.absolutePath('/linux/seccomp/listenerPath', lp, 'seccomp listenerPath');
  if (field(sc, 'listenerMetadata') !== undefined && lp === undefined) {
    c.report(
      '/linux/seccomp/listenerMetadata',
      'listenerMetadata is sent to the seccomp agent at listenerPath, which is not set: set listenerPath or remove listenerMetadata',
    );
  }
}

function checkPathLists(c: Checker, linux: JsonObject): void {
  for (const k of ['maskedPaths', 'readonlyPaths']) {
    arrayAt(linux, k).forEach((v, i) => c.absolutePath(`/linux/${k}/${i}`, v, `${k} entry`, ' (a path inside the container)'));
  }
  const cg = stringAt(linux, 'cgroupsPath');
  if (cg !== undefined && hasDotDot(cg))
    c.report('/linux/cgroupsPath', `cgroupsPath ${q(cg)} contains "..": expected a path inside the cgroup hierarchy`);
}

function checkPersonality(c: Checker, linux: JsonObject): void {
  const pers = objectAt(linux, 'personality');
  if (pers && field(pers, 'domain') === undefined)
    c.report('/linux/personality', 'missing "domain": personality needs an execution domain, "LINUX" or "LINUX32"');
  arrayAt(pers, 'flags').forEach((f, i) => {
    if (typeof f === 'string' && !PERSONALITY_FLAGS.includes(f)) {
      c.report(
        `/linux/personality/flags/${i}`,
        `unknown personality flag ${q(f)}${didYouMean(f, PERSONALITY_FLAGS)}: expected one of personality(2)'s flags: ${PERSONALITY_FLAGS.join(', ')}`,
      );
    }
  });
}

function checkMemoryPolicy(c: Checker, linux: JsonObject): void {
  const mp = objectAt(linux, 'memoryPolicy');
  if (!mp) return;
  const mode = stringAt(mp, 'mode');
  const nodes = stringAt(mp, 'nodes');
  if (field(mp, 'mode') === undefined) c.report('/linux/memoryPolicy', 'missing "mode": memoryPolicy needs a mode such as "MPOL_BIND"');
  if (nodes !== undefined && nodes !== '' && !isCpuList(nodes))
    c.report('/linux/memoryPolicy/nodes', `invalid node list ${q(nodes)}: expected numbers and ranges such as "0-1,3"`);
  if ((mode === 'MPOL_DEFAULT' || mode === 'MPOL_LOCAL') && nodes !== undefined && nodes !== '') {
    c.report('/linux/memoryPolicy/nodes', `${mode} takes no nodes, found ${q(nodes)}: remove "nodes"`);
  }
  if (
    (mode === 'MPOL_BIND' || mode === 'MPOL_INTERLEAVE' || mode === 'MPOL_WEIGHTED_INTERLEAVE' || mode === 'MPOL_PREFERRED_MANY') &&
    (nodes === undefined || nodes === '')
  ) {
    c.report('/linux/memoryPolicy', `${mode} needs "nodes": the NUMA nodes to allocate from, e.g. "0-1"`);
  }
}

function checkNetDevices(c: Checker, linux: JsonObject): void {
  const devs = objectAt(linux, 'netDevices');
  if (!devs) return;
  if (!c.createsNamespace('network')) {
    c.report(
      '/linux/netDevices',
      'netDevices need a new network namespace to move the devices into: add {"type": "network"} to linux.namespaces',
    );
  }
  const validName = (n: string): boolean => n.length > 0 && n.length < 16 && n !== '.' && n !== '..' && !/[/:\s]/.test(n);
  for (const [key, dev] of Object.entries(devs)) {
    const p = joinPointer('/linux/netDevices', key);
    if (!validName(key)) c.report(p, `network device name ${q(key)} is invalid: expected 1-15 characters without "/", ":" or spaces`);
    const name = stringAt(dev, 'name');
    if (name !== undefined && !validName(name))
      c.report(`${p}/name`, `network interface name ${q(name)} is invalid: expected 1-15 characters without "/", ":" or spaces`);
    // the kernel would take "%d" as a pattern to number: the device is then known by another name
    const inContainer = name || key;
    if (inContainer.includes('%')) {
      c.report(
        name ? `${p}/name` : p,
        `network interface name ${q(inContainer)} contains "%", which the kernel would replace by a number: give the exact name the device gets in the container`,
      );
    }
  }
}

function checkIntelRdt(c: Checker, linux: JsonObject): void {
  const clos = stringAt(objectAt(linux, 'intelRdt'), 'closID');
  if (clos !== undefined && (clos.includes('/') || clos === '.' || clos === '..')) {
    c.report('/linux/intelRdt/closID', `closID ${q(clos)} is not a resctrl group name: expected a name without "/"`);
  }
}
