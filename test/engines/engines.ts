// The engine tests' harness: podman (root, and rootless as the test user) and containerd (its runc
// shim, through ctr) driving the shipped executable dist/ocirt-exe, each in a private environment
// under one temporary directory: their own storage, state, sockets and config files, nothing in
// the host's /var/lib, /run or the test user's home. The test image is built here from
// busybox-static (and the probe) with `podman import`; containerd gets it with `ctr images import`.
//
// ENGINE_RUNTIME=runc runs every scenario with runc instead: the reference that tells a wrong
// expectation from an ocirt bug.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statfsSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { BUSYBOX, PROBE, RUN_TOKEN, testUser, type User } from '../helpers/containers.ts';

export const REPO = resolve(process.cwd());
export const EXE = join(REPO, 'dist', 'ocirt-exe');
export const RUNTIME = process.env.ENGINE_RUNTIME === 'runc' ? 'runc' : 'ocirt';
export const RUNTIME_PATH = RUNTIME === 'runc' ? '/usr/sbin/runc' : EXE;
export const IMAGE = 'localhost/ocirt-engine-test:latest';

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why the engine tests cannot run here, or false. */
export function cannotRun(...tools: string[]): string | false {
  if (process.geteuid?.() !== 0) return 'the engine tests need root (CI runs them as root)';
  if (RUNTIME === 'ocirt' && !existsSync(EXE)) return 'dist/ocirt-exe is not built (npm run build:exe)';
  if (!BUSYBOX) return 'busybox-static is needed for the test image';
  if (!existsSync(PROBE)) return 'the probe is not built (npm run build:native)';
  for (const t of tools) if (!have(t)) return `${t} is not installed (apt-get install ${t})`;
  return false;
}

/**
 * Whether /sys/fs/cgroup is cgroup2 alone (podman's "unified mode"). Rootless podman with the
 * cgroupfs manager differs there: on a v1 or hybrid host it gives a container no cgroup (it refuses
 * pause itself, drops limits with a warning); on a pure v2 host it asks the runtime, with no
 * delegated cgroup (no systemd user session here).
 */
export const CGROUP2_ONLY = statfsSync('/sys/fs/cgroup').type === 0x63677270;

/** A scenario that needs a mount option another branch is building, by `ocirt features`. */
export function needsMountOption(option: string, branch: string): string | false {
  if (RUNTIME !== 'ocirt') return false;
  const r = spawnSync(EXE, ['features'], { encoding: 'utf8' });
  const f = JSON.parse(r.stdout) as { mountOptions: string[] };
  return f.mountOptions.includes(option) ? false : `ocirt does not apply the ${option} mount option yet (branch ${branch})`;
}

/** The hard limit of one of our rlimits: engines must not ask the runtime for more (no CAP_SYS_RESOURCE here). */
export function hardLimit(name: 'Max open files' | 'Max processes'): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(name));
  const hard = line?.slice(26).trim().split(/\s+/)[1];
  return hard === undefined || hard === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(hard);
}

/** The test image's root filesystem as a tar: busybox-static with its applets, and the probe. */
export function imageTar(dir: string): string {
  const root = join(dir, 'image-rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'data']) mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX!, join(root, 'bin', 'busybox'));
  chmodSync(join(root, 'bin', 'busybox'), 0o755);
  copyFileSync(PROBE, join(root, 'bin', 'probe'));
  chmodSync(join(root, 'bin', 'probe'), 0o755);
  const applets = spawnSync(BUSYBOX!, ['--list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((a) => a && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', join(root, 'bin', a));
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n');
  const tar = join(dir, 'image.tar');
  const r = spawnSync('tar', ['-C', root, '--numeric-owner', '--owner=0', '--group=0', '-cf', tar, '.'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar: ${r.stderr}`);
  rmSync(root, { recursive: true, force: true });
  return tar;
}

/** `script` gives the command a terminal of its own (podman -t wants one on its stdin). */
function viaScript(argv: string[], env: NodeJS.ProcessEnv): string[] {
  const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${q(v ?? '')}`);
  return ['script', '-qec', ['env', '-i', ...assignments, ...argv.map(q)].join(' '), '/dev/null'];
}

function runSync(argv: string[], env: NodeJS.ProcessEnv, opts: RunOptions): Result {
  const full = opts.tty ? viaScript(argv, env) : argv;
  const r = spawnSync(full[0], full.slice(1), {
    encoding: 'utf8',
    // not the checkout: conmon writes a file named "oom" into its working directory when the OOM
    // killer strikes (the --memory scenario)
    cwd: env.HOME ?? '/',
    env: opts.tty ? { PATH: process.env.PATH } : env,
    input: opts.input ?? '',
    timeout: opts.timeoutMs ?? 120_000,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? `\n[harness: ${r.error.message}]` : '') };
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  /** run under script(1): stdin and stdout are a terminal */
  tty?: boolean;
}

/** Polls until `check` holds (or throws after timeoutMs, with what it saw last). */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- podman ---------------------------------------------------------------------------------

export class Podman {
  readonly base: string;
  readonly user?: User;
  private readonly env: NodeJS.ProcessEnv;
  private readonly createdSystemDirs: string[] = [];

  constructor(readonly mode: 'root' | 'rootless') {
    // short: podman refuses a rootless runroot ($XDG_RUNTIME_DIR/containers) of over 50 characters
    this.base = mkdtempSync(`/tmp/ocirt-podman-${mode === 'root' ? 'r' : 'u'}-`);
    chmodSync(this.base, 0o755);
    if (mode === 'rootless') {
      this.user = testUser();
      ensureSubordinateIds(this.user);
      // its storage, volumes, network config: all podman's, made as the user
      chownSync(this.base, this.user.uid, this.user.gid);
    }
    const home = join(this.base, 'home');
    const xdg = join(this.base, 'xdg');
    for (const d of [home, xdg]) {
      mkdirSync(d, { mode: 0o700 });
      if (this.user) chownSync(d, this.user.uid, this.user.gid);
    }
    // root podman keeps its blob-info cache in /var/lib/containers/cache whatever the store says
    for (const d of ['/var/lib/containers']) if (mode === 'root' && !existsSync(d)) this.createdSystemDirs.push(d);
    const conf = join(this.base, 'containers.conf');
    writeFileSync(
      conf,
      [
        '[containers]',
        // podman asks for RLIMIT_NOFILE and RLIMIT_NPROC of 1048576 by default; without
        // CAP_SYS_RESOURCE a runtime may not raise a hard limit. podman 4.3 also lowers its own
        // RLIMIT_NPROC to 32768 before it runs conmon.
        `default_ulimits = ["nofile=${Math.min(hardLimit('Max open files'), 1048576)}:${Math.min(hardLimit('Max open files'), 1048576)}", "nproc=${Math.min(hardLimit('Max processes'), 32768)}:${Math.min(hardLimit('Max processes'), 32768)}"]`,
        'netns = "none"',
        '[engine]',
        `runtime = "${RUNTIME}"`,
        // conmon runs `podman container cleanup` when the container exits: with our configuration
        `conmon_env_vars = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "CONTAINERS_CONF=${conf}", "CONTAINERS_STORAGE_CONF=${join(this.base, 'storage.conf')}"]`,
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        `events_logfile_path = "${join(this.base, 'events.log')}"`,
        ...(mode === 'root' ? [`tmp_dir = "${join(this.base, 'libpod-tmp')}"`] : []),
        `volume_path = "${join(this.base, 'volumes')}"`,
        // with this, podman passes --log-format json and reads the runtime's errors from --log
        `runtime_supports_json = ["${RUNTIME}"]`,
        '[engine.runtimes]',
        `${RUNTIME} = ["${RUNTIME_PATH}"]`,
        '[network]',
        `network_config_dir = "${join(this.base, 'cni')}"`,
        '',
      ].join('\n'),
    );
    const storage = join(this.base, 'storage.conf');
    writeFileSync(
      storage,
      [
        '[storage]',
        'driver = "vfs"',
        `runroot = "${join(this.base, 'runroot')}"`,
        `graphroot = "${join(this.base, 'graph')}"`,
        `rootless_storage_path = "${join(this.base, 'graph')}"`,
        '',
      ].join('\n'),
    );
    this.env = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: home,
      CONTAINERS_CONF: conf,
      CONTAINERS_STORAGE_CONF: storage,
      ...(this.user ? { USER: this.user.name, LOGNAME: this.user.name, XDG_RUNTIME_DIR: xdg } : {}),
    };
  }

  private argv(args: string[]): string[] {
    const podman = ['podman', ...args];
    // not setpriv's capability options: rootless podman needs newuidmap/newgidmap's setuid
    return this.user ? ['setpriv', `--reuid=${this.user.uid}`, `--regid=${this.user.gid}`, '--init-groups', ...podman] : podman;
  }

  run(args: string[], opts: RunOptions = {}): Result {
    return runSync(this.argv(args), this.env, opts);
  }

  /** For commands that must be running while the test does something else. */
  spawn(args: string[]): ChildProcess {
    const argv = this.argv(args);
    return spawn(argv[0], argv.slice(1), { cwd: this.env.HOME ?? '/', env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  importImage(tar: string): void {
    if (this.user) chmodSync(tar, 0o644);
    const r = this.run(['import', tar, IMAGE]);
    if (r.status !== 0) throw new Error(`podman import: ${r.stderr}`);
  }

  /** The image as an OCI archive, for containerd. */
  saveImage(to: string): void {
    const r = this.run(['save', '--format', 'oci-archive', '-o', to, IMAGE]);
    if (r.status !== 0) throw new Error(`podman save: ${r.stderr}`);
  }

  /** Container ids podman knows, and any conmon left: what teardown must clean. */
  leftovers(): { containers: string[]; conmons: number[] } {
    const ps = this.run(['ps', '-a', '-q', '--no-trunc']);
    return { containers: ps.stdout.split('\n').filter(Boolean), conmons: processesMentioning('conmon', this.base) };
  }

  teardown(): void {
    this.run(['rm', '-a', '-f', '-t', '0']);
    if (this.user) {
      // rootless podman keeps a pause process holding its user namespace: ours, by its pid file
      const pidFile = join(this.base, 'xdg', 'libpod', 'tmp', 'pause.pid');
      if (existsSync(pidFile)) {
        try {
          process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    rmSync(this.base, { recursive: true, force: true });
    for (const d of this.createdSystemDirs) rmSync(d, { recursive: true, force: true });
  }
}

/**
 * Rootless podman maps the user's /etc/subuid and /etc/subgid ranges into its user namespace
 * (through newuidmap/newgidmap). useradd on Debian 12 adds them; a user made otherwise gets
 * 65536 ids after the highest range given out.
 */
function ensureSubordinateIds(user: User): void {
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const entries = text
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(':'));
    if (
      entries.some(
        ([name, start, count]) => (name === user.name || name === String(user.uid)) && Number(count) >= 65536 && Number(start) > 0,
      )
    )
      continue;
    const next = Math.max(100000, ...entries.map(([, start, count]) => Number(start) + Number(count)));
    writeFileSync(file, `${text}${text && !text.endsWith('\n') ? '\n' : ''}${user.name}:${next}:65536\n`);
  }
}

// ---- containerd -------------------------------------------------------------------------------

export class Containerd {
  readonly base: string;
  readonly namespace = `ocirt-${RUN_TOKEN}`;
  private daemon?: ChildProcess;
  private readonly createdSystemDirs: string[] = [];

  constructor() {
    this.base = mkdtempSync('/tmp/ocirt-containerd-');
    // the runc shim v2 puts its socket under /run/containerd/s whatever the config says
    if (!existsSync('/run/containerd')) this.createdSystemDirs.push('/run/containerd');
  }

  get socket(): string {
    return join(this.base, 'containerd.sock');
  }
  get runtimeRoot(): string {
    return join(this.base, 'runtime-root');
  }

  async start(): Promise<void> {
    const config = join(this.base, 'config.toml');
    writeFileSync(
      config,
      [
        'version = 2',
        `root = "${join(this.base, 'root')}"`,
        `state = "${join(this.base, 'state')}"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        '[grpc]',
        `  address = "${this.socket}"`,
        '[ttrpc]',
        `  address = "${this.socket}.ttrpc"`,
        '',
      ].join('\n'),
    );
    const log = join(this.base, 'containerd.log');
    writeFileSync(log, '');
    this.daemon = spawn('containerd', ['--config', config, '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.daemon.stderr!.on('data', (d: Buffer) => writeFileSync(log, d, { flag: 'a' }));
    await waitFor('containerd to listen', () => existsSync(this.socket) && this.ctr(['version']).status === 0, 30_000);
  }

  ctr(args: string[], opts: RunOptions = {}): Result {
    return runSync(['ctr', '--address', this.socket, '--namespace', this.namespace, ...args], { PATH: process.env.PATH }, opts);
  }

  /** ctr run with the shim's runc replaced by the runtime under test (runc options BinaryName). */
  runArgs(): string[] {
    return [
      '--snapshotter',
      'native',
      '--runc-binary',
      RUNTIME_PATH,
      '--runc-root',
      this.runtimeRoot,
      '--fifo-dir',
      join(this.base, 'fifo'),
    ];
  }

  importImage(archive: string): void {
    const r = this.ctr(['images', 'import', '--snapshotter', 'native', archive]);
    if (r.status !== 0) throw new Error(`ctr images import: ${r.stderr}`);
  }

  leftovers(): { tasks: string; shims: number[] } {
    return { tasks: this.ctr(['tasks', 'ls', '-q']).stdout.trim(), shims: processesMentioning('containerd-shim', this.namespace) };
  }

  async teardown(): Promise<void> {
    for (const t of this.ctr(['tasks', 'ls', '-q']).stdout.split('\n').filter(Boolean)) {
      this.ctr(['tasks', 'kill', '-s', 'KILL', t]);
      this.ctr(['tasks', 'delete', '-f', t]);
    }
    for (const c of this.ctr(['containers', 'ls', '-q']).stdout.split('\n').filter(Boolean)) this.ctr(['containers', 'delete', c]);
    this.ctr(['images', 'rm', IMAGE]);
    this.ctr(['namespaces', 'rm', this.namespace]);
    if (this.daemon && this.daemon.exitCode === null) {
      const exited = new Promise((r) => this.daemon!.once('exit', r));
      this.daemon.kill('SIGTERM');
      await exited;
    }
    // the shims exit with their last task; their sockets go with them
    await waitFor('containerd shims to exit', () => processesMentioning('containerd-shim', this.namespace).length === 0, 30_000).catch(
      () => undefined,
    );
    rmSync(this.base, { recursive: true, force: true });
    for (const d of this.createdSystemDirs) {
      // only if nothing else uses it now (a containerd of the host's own)
      if (readdirSafe(join(d, 's')).length === 0) rmSync(d, { recursive: true, force: true });
    }
  }
}

function readdirSafe(p: string): string[] {
  try {
    return readdirSync(p);
  } catch {
    return [];
  }
}

/** pids whose command line has both words (a conmon or a shim of ours). */
export function processesMentioning(program: string, marker: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(program) && cmd.includes(marker)) out.push(Number(d));
    } catch {
      // exited
    }
  }
  return out;
}
