// The only importer of the native addon (build/Release/ocirt.node, or the package's prebuilt one:
// findAddon). Everything here is a thin typed wrapper: policy stays in TypeScript callers, the
// addon only executes syscalls.
//
// ## Launch protocol (the caller, src/container/, drives it)
//
//   const plan = encodePlan(launchPlan);                       // src/linux/encode.ts
//   const { pid, pidfd, syncFd } = spawnInit({ plan, cloneFlags: launchPlan.cloneFlags,
//                                               preserveFds: launchPlan.process.preserveFds,
//                                               cgroupFd?, stdio? });
//   // The child now waits. It is in its new namespaces but has not exec'd the init stub yet.
//   if (launchPlan.userns) {           // the parent writes the maps: the child cannot
//     if (denySetgroups) write "deny" to /proc/<pid>/setgroups   (before gid_map)
//     write /proc/<pid>/uid_map, then gid_map  ('direct'), or run newuidmap/newgidmap ('helpers')
//   }
//   (cgroups: a cgroupFd starts the child in that cgroup2 directory, CLONE_INTO_CGROUP; the
//    cgroupJoinFds are v1 `tasks` files it joins itself before exec'ing the stub: see spawnInit)
//   sendGo(syncFd, fds?);              // child: setresuid/gid(0) in the userns, exec ocirt-init;
//                                      // fds: what the plan takes from the runtime, in the order
//                                      // of native/plan_format.h (exec: the init's pidfd; a
//                                      // terminal: the connected console socket)
//   loop: const m = readSyncMessage(syncFd, timeoutMs?)
//     'pid'   -> the process forked into a joined pid namespace (with CLONE_PARENT: it is our
//                child): the real process is m.pid (caller's pid ns); pidfdOpen(m.pid) it.
//                The process behind `pidfd` exits right after sending this.
//     'hooks' -> (plan.hooks.pauseForRuntimeHooks) the mounts are made, pivot_root not yet: run
//                the prestart and createRuntime hooks, then sendGo(syncFd) again.
//     'ready' -> setup done. With plan.execFifo the init now blocks opening the fifo for writing
//                until `start` opens it for reading; then it sets credentials and execs.
//                Without execFifo it goes straight on to execve.
//     'seccomp-listener' -> the init installed a filter with SCMP_ACT_NOTIFY rules before READY:
//                m.fd (ours now) is its listener, for the seccomp agent (src/seccomp/notify.ts).
//     'error' -> setup failed at m.step (m.index = item in that plan list, e.g. mounts[m.index]);
//                the child exits with status 1 (127 for failures before the stub ran).
//     'eof'   -> the child died without a record (killed, or parent gave up); check waitExit.
//   An exec-kind plan (plan.exec) sends no 'ready': 'eof' means its program runs, 'error' that it
//   failed.
//   After 'ready' the sync socket closes at the container's execve (it is CLOEXEC in the init), so
//   a later read returns 'eof' on success or an 'error' with step 'exec' if execve failed; the
//   exec failure is also printed to the container's stderr as `ocirt: exec "<arg0>": <strerror>`
//   with exit status 127.
//   closeFd(syncFd) when done; waitExit(pidfd) for the exit status (only for our own child; for a
//   non-child pidfd it resolves { code: null, signal: null } on exit); closeFd(pidfd) after that.
//
// All fds returned are O_CLOEXEC. Errors thrown carry .code (errno name), .errno, .syscall and
// .path (the object the operation was about) and a message "<syscall> <what>: ENAME (text)".
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSystemErrorName } from 'node:util';
import { embeddedAddon } from './sys/embedded-addon.js';

export interface SpawnInitOptions {
  /** encodePlan(plan) */
  plan: Buffer;
  /** CLONE_NEW* flags for clone3 (LaunchPlan.cloneFlags) */
  cloneFlags: number;
  /** fds 3..3+preserveFds-1 stay open in the container */
  preserveFds: number;
  /** an O_RDONLY|O_DIRECTORY fd of a cgroup v2 directory: the child starts in it (CLONE_INTO_CGROUP) */
  cgroupFd?: number;
  /**
   * O_WRONLY fds of the `tasks` files of cgroup v1 directories: the cloned child writes "0" to
   * each (moves itself) before it execs the init stub. At most 32.
   */
  cgroupJoinFds?: number[];
  /**
   * With CLONE_NEWUSER: the caller's uid and gid become 0 in the new namespace. The child may then
   * exec the stub at once, sharing our memory instead of copying it, and the stub re-execs itself
   * once the maps are written (as root of the namespace, which restores its capabilities).
   */
  callerIsNsRoot?: boolean;
  /** fds to become the container's 0, 1, 2; -1 (or absent) inherits ocirt's own */
  stdio?: [number, number, number];
  /**
   * the exec fifo, opened O_PATH by this process and handed to the init as an fd: the init may run
   * as an id that cannot traverse the state root (a user namespace mapping root elsewhere)
   */
  execFifo?: string;
}

export interface SpawnedInit {
  pid: number;
  pidfd: number;
  syncFd: number;
}

export interface ExitStatus {
  /** exit code when the process exited normally */
  code: number | null;
  /** signal number when it was killed by a signal */
  signal: number | null;
}

/** Stable numbers shared with native/plan_format.h (enum ocirt_step). */
export const STEP_NAMES: readonly string[] = [
  'NONE',
  'SPAWN_GO',
  'SPAWN_SETID',
  'SPAWN_EXEC',
  'PLAN_READ',
  'PLAN_DECODE',
  'SIGNALS',
  'DUMPABLE',
  'JOIN',
  'UNSHARE',
  'FORK',
  'HOSTNAME',
  'DOMAINNAME',
  'ROOT_PROPAGATION',
  'ROOTFS_BIND',
  'ROOTFS_PROPAGATION',
  'MOUNT_TARGET',
  'MOUNT',
  'MOUNT_REMOUNT',
  'MOUNT_PROPAGATION',
  'MOUNT_SETATTR',
  'DEVICE',
  'SYMLINK',
  'CONSOLE_CONNECT',
  'PIVOT_ROOT',
  'MASKED_PATH',
  'READONLY_PATH',
  'READONLY_ROOT',
  'SYSCTL',
  'RLIMIT',
  'OOM_SCORE_ADJ',
  'KEYRING',
  'CONSOLE',
  'EXEC_FIFO',
  'SETGROUPS',
  'SETGID',
  'SETUID',
  'CAP_BOUNDING',
  'CAPABILITIES',
  'CAP_AMBIENT',
  'NO_NEW_PRIVS',
  'CWD',
  'CLOSE_FDS',
  'EXEC_LOOKUP',
  'EXEC',
  'SETSID',
  'PREPARE',
  'SECCOMP',
  'LSM_LABEL',
  'RECV_FDS',
  'SPAWN_CGROUP',
  'HOOK_WAIT',
  'CREATE_CONTAINER_HOOK',
  'START_CONTAINER_HOOK',
];

export type StepName = (typeof STEP_NAMES)[number];

export interface InitErrorMessage {
  type: 'error';
  /** enum ocirt_step number */
  step: number;
  /** STEP_NAMES[step], e.g. 'MOUNT' */
  stepName: string;
  errno: number;
  /** 'ENOENT' */
  errnoName: string;
  /** strerror text, 'No such file or directory' */
  errnoText: string;
  /** index into the plan list the step works through (src/container/init-errors.ts names it), or -1 */
  index: number;
  /** the path or object the step was working on */
  detail: string;
}

/** 'hooks': the init stopped after its mounts for the prestart and createRuntime hooks; answer with sendGo */
export type SyncMessage =
  | { type: 'ready' }
  | { type: 'pid'; pid: number }
  | { type: 'seccomp-listener'; fd: number }
  | { type: 'hooks' }
  | InitErrorMessage
  | { type: 'eof' };

interface RawSyncRecord {
  type: number;
  /** an fd that came with the record (SCM_RIGHTS), now ours */
  fd?: number;
  step?: number;
  errno?: number;
  errnoName?: string;
  errnoText?: string;
  index?: number;
  pid?: number;
  detail?: string;
}

interface Addon {
  spawnInit(o: SpawnInitOptions): SpawnedInit;
  waitExit(pidfd: number): Promise<ExitStatus>;
  reap(pidfd: number): ExitStatus;
  mkfifo(path: string, mode: number): void;
  pipe(): [number, number];
  pidfdOpen(pid: number): number;
  pidfdSendSignal(pidfd: number, sig: number): void;
  readSyncMessage(fd: number, timeoutMs: number): RawSyncRecord;
  sendGo(fd: number, fds?: number[]): void;
  closeFd(fd: number): void;
  errnoName(n: number): string;
  connectUnix(path: string): number;
  socketPair(): [number, number];
  recvFd(fd: number, dontWait?: boolean): { fd: number; data: string };
  unixListen(path: string): number;
  accept(fd: number): number;
  isatty(fd: number): boolean;
  setRawMode(fd: number, full: boolean): Buffer;
  restoreTermios(fd: number, saved: Buffer): void;
  getWinsize(fd: number): { rows: number; cols: number } | null;
  setWinsize(fd: number, rows: number, cols: number): void;
  attachDeviceProgram(cgroupDir: string, insns: Buffer, name: string): { replaced: boolean };
  deviceProgramCount(cgroupDir: string, name: string): number;
  eventFd(): number;
  signalEventFd(fd: number): void;
  relayTerminal(master: number, inFd: number, outFd: number, stopFd: number): Promise<void>;
  unixSendFd(path: string, data: string, fd: number): void;
  seccompCompile(request: Buffer, cacheDir?: string): SeccompCompiled;
  seccompFlagsSupported(): number;
  seccompInfo(archNames: string[]): SeccompLibInfo;
  initStubSize: number;
}

export interface SeccompCompiled {
  program: Buffer;
  skipped: string[];
  cached: boolean;
  version: string;
}

/** libseccomp as loaded here, or why it could not be */
export type SeccompLibInfo = { version: string; apiLevel: number; archs: string[] } | { error: string };

/**
 * Where the addon may be, relative to the package root, in order: a local build (a checkout's
 * `npm run build:native`, or the node-gyp fallback of an install: scripts/install.mjs), then the
 * prebuilt one the npm package ships for this platform (its init stub is embedded in it).
 */
export const ADDON_CANDIDATES: readonly string[] = [
  join('build', 'Release', 'ocirt.node'),
  join('prebuilds', `${process.platform}-${process.arch}`, 'ocirt.node'),
];

/**
 * The bundles live at different depths (dist/*.cjs, dist/lib/*.js, build/exe/*.cjs,
 * build/test/**), so walk up from this module to the package root instead of hard-coding a
 * relative path. $OCIRT_ADDON overrides.
 */
export function findAddon(): string {
  const override = process.env.OCIRT_ADDON;
  if (override) return override;
  const from = dirname(fileURLToPath(import.meta.url));
  for (let dir = from; ; ) {
    for (const rel of ADDON_CANDIDATES) {
      const candidate = join(dir, rel);
      if (existsSync(candidate)) return candidate;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(
    `ocirt: native addon not found (looked for ${ADDON_CANDIDATES.join(' and ')} above ${from}); ` +
      'run `npm run build:native` (a checkout) or `npm rebuild ocirt` (an installed package), or set OCIRT_ADDON',
  );
}

let addon: Addon | undefined;

/** Loaded on first use: commands that never touch a process do not pay for dlopen. */
function native(): Addon {
  // the executable's embedded addon (src/sys/embedded-addon.ts); OCIRT_ADDON still wins
  addon ??= (!process.env.OCIRT_ADDON ? embeddedAddon<Addon>() : undefined) ?? (createRequire(import.meta.url)(findAddon()) as Addon);
  return addon;
}

export function spawnInit(opts: SpawnInitOptions): SpawnedInit {
  return native().spawnInit(opts);
}

/**
 * Resolves when the process behind the pidfd exits, and reaps it: the addon's watcher thread
 * (native/wait.cc, the same under Node and Bun). For a pidfd that is not our child it resolves
 * { code: null, signal: null } once the process is gone. The pidfd may be closed meanwhile.
 */
export function waitExit(pidfd: number): Promise<ExitStatus> {
  return watchExit(pidfd).exited;
}

export interface ExitWatch {
  exited: Promise<ExitStatus>;
  /** the event loop stays alive until the process exits (the default), as for a child process */
  ref(): void;
  /** the event loop may end before the process exits */
  unref(): void;
}

/** waitExit with a say in the event loop: the addon's wait does not keep it alive, a timer here does. */
export function watchExit(pidfd: number): ExitWatch {
  const keepAlive = setInterval(() => {}, 2 ** 30);
  const exited = native()
    .waitExit(pidfd)
    .finally(() => clearInterval(keepAlive));
  return { exited, ref: () => keepAlive.ref(), unref: () => keepAlive.unref() };
}

/** A pipe, both ends O_CLOEXEC: [read end, write end]. */
export function pipe(): [number, number] {
  return native().pipe();
}

/**
 * Blocking waitid(P_PIDFD, WEXITED): for a process known to be exiting (after SIGKILL). Throws with
 * code ECHILD if it is not our child.
 */
export function reap(pidfd: number): ExitStatus {
  return native().reap(pidfd);
}

/** mkfifo(2) with exactly `mode` (the umask is not applied). */
export function mkfifo(path: string, mode: number): void {
  native().mkfifo(path, mode);
}

export function pidfdOpen(pid: number): number {
  return native().pidfdOpen(pid);
}

export function pidfdSendSignal(pidfd: number, signal: number): void {
  native().pidfdSendSignal(pidfd, signal);
}

/** Blocks until one record arrives (or timeoutMs passes: throws with code ETIMEDOUT). */
export function readSyncMessage(syncFd: number, timeoutMs = -1): SyncMessage {
  const r = native().readSyncMessage(syncFd, timeoutMs);
  if (r.fd !== undefined && r.type !== 4) closeFd(r.fd); // only the listener record carries one
  switch (r.type) {
    case 0:
      return { type: 'eof' };
    case 1:
      return { type: 'ready' };
    case 2:
      return { type: 'pid', pid: r.pid ?? 0 };
    case 3: {
      const step = r.step ?? 0;
      const errno = r.errno ?? 0;
      return {
        type: 'error',
        step,
        stepName: STEP_NAMES[step] ?? `step-${step}`,
        errno,
        errnoName: r.errnoName || errnoName(errno),
        errnoText: r.errnoText ?? '',
        index: r.index ?? -1,
        detail: r.detail ?? '',
      };
    }
    case 4:
      if (r.fd === undefined) throw new Error(`readSyncMessage: seccomp listener record without an fd on fd ${syncFd}`);
      return { type: 'seccomp-listener', fd: r.fd };
    case 5:
      return { type: 'hooks' };
    default:
      throw new Error(`readSyncMessage: unknown record type ${r.type} on fd ${syncFd}`);
  }
}

/** "go", then (when given) the descriptors the plan takes from the runtime, in one message. */
export function sendGo(syncFd: number, fds: number[] = []): void {
  native().sendGo(syncFd, fds);
}

export function closeFd(fd: number): void {
  native().closeFd(fd);
}

/** A connection to the listening unix socket at path (--console-socket), made by the runtime. */
export function connectUnix(path: string): number {
  return native().connectUnix(path);
}

/** A connected AF_UNIX stream pair (the console socket of a terminal ocirt relays itself). */
export function socketPair(): [number, number] {
  return native().socketPair();
}

/**
 * Receives one fd passed with SCM_RIGHTS (e.g. the pty master on a console socket); dontWait:
 * fail with EAGAIN instead of blocking when none is there.
 */
export function recvFd(socketFd: number, dontWait = false): { fd: number; data: string } {
  return native().recvFd(socketFd, dontWait);
}

/** A listening AF_UNIX stream socket fd bound at path (the receiving end of a console socket). */
export function unixListen(path: string): number {
  return native().unixListen(path);
}

/** Blocking accept4(SOCK_CLOEXEC) on a listening socket fd. */
export function acceptFd(listenFd: number): number {
  return native().accept(listenFd);
}

export function isatty(fd: number): boolean {
  return native().isatty(fd);
}

/**
 * Puts the terminal on fd in raw mode (full: cfmakeraw; otherwise output processing off only) and
 * returns the settings to restore.
 */
export function setRawMode(fd: number, full: boolean): Buffer {
  return native().setRawMode(fd, full);
}

export function restoreTermios(fd: number, saved: Buffer): void {
  native().restoreTermios(fd, saved);
}

/** The window size of the terminal on fd, or null if fd is not a terminal. */
export function getWinsize(fd: number): { rows: number; cols: number } | null {
  return native().getWinsize(fd);
}

/** Connects to the unix stream socket at path, sends data with fd attached (SCM_RIGHTS), closes. */
export function unixSendFd(path: string, data: string, fd: number): void {
  native().unixSendFd(path, data, fd);
}

/**
 * libseccomp compiles a request (src/seccomp/compile.ts) into a BPF program; with cacheDir, a
 * program compiled before for the same request and libseccomp is read from there instead.
 */
export function seccompCompile(request: Buffer, cacheDir?: string): SeccompCompiled {
  return native().seccompCompile(request, cacheDir);
}

/** The SECCOMP_FILTER_FLAG_* bits this kernel accepts (probed, nothing installed). */
export function seccompFlagsSupported(): number {
  return native().seccompFlagsSupported();
}

/** libseccomp's version and which of archNames (libseccomp's names) it knows. */
export function seccompInfo(archNames: string[]): SeccompLibInfo {
  return native().seccompInfo(archNames);
}

/** Set the window size of a pty through its master (TIOCSWINSZ). */
export function setWinsize(fd: number, rows: number, cols: number): void {
  native().setWinsize(fd, rows, cols);
}

/**
 * Loads a BPF_PROG_TYPE_CGROUP_DEVICE program (instructions: src/cgroups/device-bpf.ts) and
 * attaches it to a cgroup2 directory, atomically replacing the program of the same name that was
 * attached there before (replaced: true).
 */
export function attachDeviceProgram(cgroupDir: string, insns: Buffer, name: string): { replaced: boolean } {
  return native().attachDeviceProgram(cgroupDir, insns, name);
}

/** How many device programs of this name are attached to the cgroup2 directory (tests, checks). */
export function deviceProgramCount(cgroupDir: string, name: string): number {
  return native().deviceProgramCount(cgroupDir, name);
}

/** An eventfd (CLOEXEC, non-blocking): the stop signal of relayTerminal. */
export function eventFd(): number {
  return native().eventFd();
}

export function signalEventFd(fd: number): void {
  native().signalEventFd(fd);
}

/**
 * Copies inFd (-1: none) to the pty master and the master to outFd on a worker thread, byte for
 * byte, until no slave of the pty is open any more, or, once stopFd is signalled, until the
 * master has been quiet for a moment. The fds stay open; the caller closes them afterwards.
 */
export function relayTerminal(master: number, inFd: number, outFd: number, stopFd: number): Promise<void> {
  return native().relayTerminal(master, inFd, outFd, stopFd);
}

/** "ENOENT" for 2; works without loading the addon. */
export function errnoName(errno: number): string {
  if (errno === 0) return '';
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `E${errno}`;
  }
}
