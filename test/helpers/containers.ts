// Shared by the lifecycle integration tests: test bundles, running the CLI under test (as root or
// as the unprivileged test user), and the leak check every error-path test ends with.
import { spawn, spawnSync, execFileSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  type Dirent,
  openSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(process.cwd());
/** The binary under test: OCIRT_BIN picks another build (e.g. the single executable). */
export const OCIRT = process.env.OCIRT_BIN ? resolve(process.env.OCIRT_BIN) : join(REPO, 'bin', 'ocirt');
export const PROBE = join(REPO, 'build', 'Release', 'ocirt-probe');
export const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
export const IS_ROOT = process.geteuid?.() === 0;
export const TEST_USER = 'ocirt-test';

/**
 * Unique to this test process: container ids (and so their default cgroups) carry it, and the
 * leak checks look only at cgroups that carry it, so suites running side by side (scripts/isolated.sh)
 * do not see each other's.
 */
export const RUN_TOKEN = `${process.pid.toString(36)}${Math.floor(Math.random() * 0x10000).toString(36)}`;
let idSeq = 0;
export const newId = (prefix: string): string => `${prefix}-${RUN_TOKEN}-${++idSeq}`;

export interface User {
  name: string;
  uid: number;
  gid: number;
}

/** The unprivileged user of the rootless tests, created on first use (CI runs as root). */
export function testUser(): User {
  const lookup = () => {
    try {
      const uid = Number(execFileSync('id', ['-u', TEST_USER], { stdio: ['ignore', 'pipe', 'ignore'] }).toString());
      const gid = Number(execFileSync('id', ['-g', TEST_USER], { stdio: ['ignore', 'pipe', 'ignore'] }).toString());
      return { name: TEST_USER, uid, gid };
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', TEST_USER]);
  return lookup()!;
}

// biome-ignore lint/suspicious/noExplicitAny: test configs are built loosely, then validated by ocirt itself
export type Config = Record<string, any>;

export function baseConfig(rootless?: User): Config {
  const namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (rootless) namespaces.push({ type: 'user' });
  else namespaces.push({ type: 'network' });
  return {
    ociVersion: '1.3.0',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['/bin/probe'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm', 'OCIRT_TEST=1'],
      cwd: '/',
      capabilities: {
        bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'ocirt-test',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
      },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      rootless
        ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
        : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      namespaces,
      ...(rootless
        ? {
            uidMappings: [{ containerID: 0, hostID: rootless.uid, size: 1 }],
            gidMappings: [{ containerID: 0, hostID: rootless.gid, size: 1 }],
          }
        : {}),
      maskedPaths: ['/proc/kcore', '/proc/keys', '/sys/firmware'],
      readonlyPaths: ['/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

export interface Bundle {
  dir: string;
  rootfs: string;
  config: Config;
  write(): void;
  cleanup(): void;
}

/** A bundle in a fresh temp dir (under `parent`) with the probe (and busybox) in its rootfs. */
export function makeBundle(mutate?: (c: Config) => void, owner?: User, parent = '/tmp'): Bundle {
  const dir = mkdtempSync(join(parent, 'ocirt-bundle-'));
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(PROBE, join(rootfs, 'bin', 'probe'));
  chmodSync(join(rootfs, 'bin', 'probe'), 0o755);
  if (BUSYBOX) {
    copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
    chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
    for (const a of ['sh', 'sleep', 'true', 'cat', 'ls']) symlinkSync('busybox', join(rootfs, 'bin', a));
  }
  writeFileSync(join(rootfs, 'etc', 'hostname'), 'bundle\n');
  const config = baseConfig(owner);
  mutate?.(config);
  const b: Bundle = {
    dir,
    rootfs,
    config,
    write: () => writeFileSync(join(dir, 'config.json'), JSON.stringify(b.config, null, 2)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  b.write();
  if (owner) chownTree(dir, owner);
  chmodSync(dir, 0o755);
  return b;
}

function chownTree(p: string, u: User): void {
  execFileSync('chown', ['-R', `${u.uid}:${u.gid}`, p]);
}

export interface Runner {
  root: string;
  user?: User;
  /** ocirt as a child process with piped stdout, for tests that signal it */
  spawnRun(args: string[]): ChildProcess;
  /** the same as run, without blocking: for commands racing each other */
  runAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }>;
  /**
   * viaScript: under script(1), so that ocirt's stdio is a terminal. extraFds: fds ocirt is
   * started with as 3, 4, ... (null: that number left closed), as an engine leaks them.
   */
  run(
    args: string[],
    opts?: { input?: string; timeoutMs?: number; viaScript?: boolean; extraFds?: (number | null)[]; env?: NodeJS.ProcessEnv; cwd?: string },
  ): SpawnSyncReturns<string>;
  /** the argv and environment that run ocirt with these args (e.g. under another program) */
  command(args: string[]): { argv: string[]; env: NodeJS.ProcessEnv };
  cleanup(): void;
}

/** ocirt with its own --root; as `user` when given (through setpriv, no capabilities). */
export function runner(user?: User): Runner {
  const root = mkdtempSync('/tmp/ocirt-root-');
  if (user) chownSync(root, user.uid, user.gid);
  let calls = 0;
  const prefix = () =>
    user
      ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--inh-caps=-all', '--bounding-set=-all', OCIRT]
      : [OCIRT];
  const childEnv = (): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: user ? `/home/${user.name}` : process.env.HOME };
    delete env.XDG_RUNTIME_DIR;
    delete env.NODE_EXTRA_CA_CERTS;
    return env;
  };
  return {
    root,
    user,
    run(args, opts = {}) {
      const env = childEnv();
      const argv = [...prefix(), '--root', root, ...args];
      if (opts.viaScript) {
        const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
        return spawnSync('script', ['-qec', quoted, '/dev/null'], { encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000, env });
      }
      // stdout/stderr go to files, not pipes: a created or detached container keeps the stdio it
      // inherited from `create`, and spawnSync would wait for pipes until its timeout.
      const outFile = join(root, `.out-${process.pid}-${++calls}`);
      const errFile = `${outFile}.err`;
      const out = openSync(outFile, 'w');
      const err = openSync(errFile, 'w');
      try {
        const r = spawnSync(argv[0], argv.slice(1), {
          encoding: 'utf8',
          input: opts.input ?? '',
          stdio: ['pipe', out, err, ...(opts.extraFds ?? []).map((fd) => fd ?? 'ignore')],
          timeout: opts.timeoutMs ?? 30_000,
          env: { ...env, ...opts.env },
          ...(opts.cwd ? { cwd: opts.cwd } : {}),
        });
        return { ...r, stdout: readFileSync(outFile, 'utf8'), stderr: readFileSync(errFile, 'utf8') };
      } finally {
        closeSync(out);
        closeSync(err);
        rmSync(outFile, { force: true });
        rmSync(errFile, { force: true });
      }
    },
    command(args) {
      return { argv: [...prefix(), '--root', root, ...args], env: childEnv() };
    },
    spawnRun(args) {
      // setpriv and bin/ocirt both exec: the child's pid is ocirt's, so signals reach it
      const argv = [...prefix(), '--root', root, ...args];
      return spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env: childEnv() });
    },
    runAsync(args) {
      const argv = [...prefix(), '--root', root, ...args];
      const outFile = join(root, `.out-${process.pid}-${++calls}`);
      const out = openSync(outFile, 'w');
      const err = openSync(`${outFile}.err`, 'w');
      const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', out, err], env: childEnv() });
      return new Promise((resolvePromise) => {
        child.on('exit', (status) => {
          closeSync(out);
          closeSync(err);
          const res = { status, stdout: readFileSync(outFile, 'utf8'), stderr: readFileSync(`${outFile}.err`, 'utf8') };
          rmSync(outFile, { force: true });
          rmSync(`${outFile}.err`, { force: true });
          resolvePromise(res);
        });
      });
    },
    cleanup() {
      for (const id of existsSync(root) ? readdirSync(root) : []) {
        if (!id.startsWith('.')) this.run(['delete', '-f', id]);
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function json<T = Config>(r: SpawnSyncReturns<string>): T {
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** What the host looks like, for "nothing left behind" checks. */
export interface HostSnapshot {
  mounts: string[];
  cgroups: string[];
  probes: number[];
}

export function hostSnapshot(): HostSnapshot {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ').slice(4, 5).join(''))
    .filter(Boolean)
    .sort();
  return { mounts, cgroups: tokenCgroups(), probes: probePids() };
}

/**
 * Every cgroup directory, in any hierarchy (v1 controllers, the unified one, or a pure v2 tree),
 * whose path carries this run's token: container ids and the tests' cgroupsPaths carry it.
 */
export function tokenCgroups(root = '/sys/fs/cgroup', depth = 6): string[] {
  const out: string[] = [];
  const walk = (dir: string, left: number) => {
    let ents: Dirent[];
    try {
      ents = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      if (p.includes(RUN_TOKEN)) out.push(p);
      if (left > 0) walk(p, left - 1);
    }
  };
  walk(root, depth);
  return out.sort();
}

/** pids of processes running a test bundle's probe or stub, wherever they are. */
function probePids(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.startsWith('/bin/probe') || cmd.startsWith('ocirt-init')) out.push(Number(d));
    } catch {
      // exited
    }
  }
  return out.sort();
}

export function stateDirs(r: Runner): string[] {
  return existsSync(r.root) ? readdirSync(r.root).filter((n) => !n.startsWith('.')) : [];
}

/** runc, for the tests that run a bundle with runc first and expect ocirt to agree. */
export const RUNC = ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc'].find((p) => existsSync(p));

export interface RuntimeResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A command of another runtime (runc) or of ocirt at `runtime`, as root with `root` as its state
 * dir, stdio to files (a created container keeps the stdio it inherited: pipes would stay open).
 * `wrap` prefixes the command (e.g. setpriv to run it without a capability).
 */
export function runtimeCommand(runtime: string, root: string, args: string[], wrap: string[] = []): RuntimeResult {
  const out = join(root, `.out-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const o = openSync(out, 'w');
  const e = openSync(`${out}.err`, 'w');
  try {
    const argv = [...wrap, runtime, '--root', root, ...args];
    const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', o, e], timeout: 60_000 });
    return { status: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(`${out}.err`, 'utf8') };
  } finally {
    closeSync(o);
    closeSync(e);
    rmSync(out, { force: true });
    rmSync(`${out}.err`, { force: true });
  }
}

/** `run` of a bundle by another runtime, with a state dir of its own that is removed after. */
export function runWith(runtime: string, bundleDir: string, id: string): RuntimeResult {
  const root = mkdtempSync('/tmp/ocirt-other-root-');
  try {
    return runtimeCommand(runtime, root, ['run', '-b', bundleDir, id]);
  } finally {
    runtimeCommand(runtime, root, ['delete', '-f', id]);
    rmSync(root, { recursive: true, force: true });
  }
}
