// Starting a container's init: the parent's half of the protocol with ocirt-init (see
// src/native.ts). spawn (into its cgroups) -> write the id maps, move what the runtime opened ->
// "go" -> wait for READY.
// On any failure the half-made init is killed and reaped before the error is thrown, so the
// caller only has to remove what it made itself (state dir, cgroup).
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as native from '../native.js';
import type { InitErrorMessage } from '../native.js';
import { encodePlan } from '../linux/encode.js';
import { CLONE } from '../linux/constants.js';
import type { IdMapping, LaunchPlan, UserNamespaceSetup } from '../linux/plan.js';
import { InitError, OcirtError, sysError } from '../errors.js';
import { initError } from './init-errors.js';
import { beforeGo, prepareLaunch } from './launch-prep.js';

export interface LaunchedInit {
  pid: number;
  pidfd: number;
}

export interface LaunchCallbacks {
  /**
   * called as soon as the process exists (it waits for "go"), and again with the real init's pid
   * when it forks into a joined pid namespace: create records it there (and both are fault points)
   */
  spawned?: (pid: number) => void;
  /** called once "go" is sent (a fault point of create and exec) */
  afterGo?: () => void;
  /** where the init starts: its cgroups (src/cgroups/manager.ts openPlacement) */
  placement?: { cgroupFd?: number; joinFds: number[]; joinDirs: string[] };
  /** called after the id maps are written and before the init continues (the resctrl group) */
  beforeGo?: (pid: number) => void;
  /**
   * descriptors the init stub takes with "go", in the order of native/plan_format.h: the
   * container init's pidfd (exec kind), the connected console socket (process.terminal)
   */
  fds?: number[];
  /**
   * The init installed a seccomp filter with SCMP_ACT_NOTIFY rules (plan.seccomp.listener): `fd` is
   * its listener, ours to hand to the agent and close; `pid` the process it filters.
   */
  onSeccompListener?: (fd: number, pid: number) => void;
  /**
   * plan.hooks.pauseForRuntimeHooks: called when the init has made its mounts and waits before
   * pivot_root, with the container's pid: run the prestart and createRuntime hooks (a throw aborts
   * the launch)
   */
  atRuntimeHooks?: (pid: number) => void;
  /** the process's fds 0, 1, 2 (-1: ocirt's own) */
  stdio?: [number, number, number];
}

/**
 * Launches the plan's process and returns once it is set up: a create-kind init after READY (it
 * then waits on the exec fifo, or goes on to its program), an exec-kind process once its program
 * runs (the sync socket's end-of-file) or with the error that stopped it. What the runtime opens
 * for it (src/container/launch-prep.ts) goes with "go" and is closed here.
 */
export function launchInit(launchPlan: LaunchPlan, callbacks: LaunchCallbacks = {}): LaunchedInit {
  const prepared = prepareLaunch(launchPlan);
  try {
    return launchPrepared(prepared.plan, prepared.goFds, callbacks);
  } finally {
    prepared.release();
  }
}

function launchPrepared(plan: LaunchPlan, goFds: number[], callbacks: LaunchCallbacks): LaunchedInit {
  const p = callbacks.placement;
  // the init unshares its user namespace after joining others by path, then asks for the maps
  const mapsLate = (plan.unshareFlags & CLONE.NEWUSER) !== 0;
  const spawned = native.spawnInit({
    plan: encodePlan(plan),
    cloneFlags: plan.cloneFlags,
    preserveFds: plan.process.preserveFds,
    ...(p?.cgroupFd !== undefined ? { cgroupFd: p.cgroupFd } : {}),
    ...(p?.joinFds.length ? { cgroupJoinFds: p.joinFds } : {}),
    ...(plan.userns && !mapsLate ? { callerIsNsRoot: callerIsNsRoot(plan.userns) } : {}),
    ...(plan.execFifo ? { execFifo: plan.execFifo } : {}),
    ...(callbacks.stdio ? { stdio: callbacks.stdio } : {}),
  });
  let pid = spawned.pid;
  let pidfd = spawned.pidfd;
  try {
    callbacks.spawned?.(pid);
    if (plan.userns && !mapsLate) writeIdMaps(pid, plan.userns);
    beforeGo(plan, pid);
    callbacks.beforeGo?.(pid);
    try {
      // in the order of native/plan_format.h: the caller's (pidfd, console, root), the mount sources
      native.sendGo(spawned.syncFd, [...(callbacks.fds ?? []), ...goFds]);
    } catch (err) {
      // the child may have failed before "go" (its cgroup join): its report says why
      const code = (err as { code?: string }).code;
      if (code !== 'EPIPE' && code !== 'ECONNRESET') throw err;
      const msg = native.readSyncMessage(spawned.syncFd, 1000);
      if (msg.type !== 'error') throw err;
      throw msg.stepName === 'SPAWN_CGROUP' ? joinError(p, msg) : initError(plan, msg);
    }
    callbacks.afterGo?.();
    for (;;) {
      const msg = native.readSyncMessage(spawned.syncFd);
      if (msg.type === 'ready' && !plan.exec) break;
      if (msg.type === 'userns' && plan.userns) {
        writeIdMaps(pid, plan.userns);
        native.sendGo(spawned.syncFd);
        continue;
      }
      if (msg.type === 'hooks') {
        callbacks.atRuntimeHooks?.(pid);
        native.sendGo(spawned.syncFd);
        continue;
      }
      if (msg.type === 'pid') {
        // The init forked into a joined pid namespace: the container's process is the child (ours,
        // by CLONE_PARENT, so its pidfd cannot name a recycled pid); the intermediate exits at
        // once and is reaped below.
        pid = msg.pid;
        pidfd = native.pidfdOpen(msg.pid);
        callbacks.spawned?.(pid);
        continue;
      }
      if (msg.type === 'seccomp-listener') {
        if (!callbacks.onSeccompListener) {
          native.closeFd(msg.fd);
          throw new OcirtError('container init sent a seccomp listener nobody takes');
        }
        callbacks.onSeccompListener(msg.fd, pid);
        continue;
      }
      if (msg.type === 'error' && msg.stepName === 'SPAWN_CGROUP') throw joinError(p, msg);
      if (msg.type === 'error') throw initError(plan, msg);
      // exec kind: its execve closed the last end of the sync socket
      if (msg.type === 'eof' && plan.exec) break;
      throw new OcirtError(`${plan.exec ? 'exec' : 'container init'}: the process exited before it was ready (no error was reported)`);
    }
  } catch (err) {
    abort(spawned.pidfd, pidfd);
    throw err;
  } finally {
    native.closeFd(spawned.syncFd);
  }
  if (pidfd !== spawned.pidfd) {
    native.reap(spawned.pidfd);
    native.closeFd(spawned.pidfd);
  }
  return { pid, pidfd };
}

function joinError(p: LaunchCallbacks['placement'], msg: InitErrorMessage): InitError {
  const dir = p?.joinDirs[msg.index] ?? '';
  const hint = msg.errnoName === 'ENOSPC' ? ' (a cgroup v1 cpuset without cpuset.cpus and cpuset.mems takes no process)' : '';
  return new InitError(`start the process in its cgroups: join cgroup ${dir}: ${msg.errnoName} (${msg.errnoText})${hint}`, msg.stepName, {
    errno: msg.errnoName,
    path: dir,
  });
}

function abort(...pidfds: number[]): void {
  for (const fd of new Set(pidfds)) {
    try {
      native.pidfdSendSignal(fd, 9);
    } catch {
      // already gone
    }
  }
  for (const fd of new Set(pidfds)) {
    try {
      native.reap(fd);
    } catch {
      // not our child (a forked init is reaped by its own parent)
    }
    native.closeFd(fd);
  }
}

/** Whether our euid and egid are what the maps make root in the container's user namespace. */
export function callerIsNsRoot(u: UserNamespaceSetup, euid = process.geteuid?.(), egid = process.getegid?.()): boolean {
  const toRoot = (maps: IdMapping[], id: number | undefined) =>
    id !== undefined && maps.some((m) => m.containerID === 0 && m.hostID === id && m.size >= 1);
  return toRoot(u.uidMappings, euid) && toRoot(u.gidMappings, egid);
}

function mapText(m: IdMapping[]): string {
  return m.map((e) => `${e.containerID} ${e.hostID} ${e.size}\n`).join('');
}

/** The parent writes the maps: the child cannot map itself into more than its own id. */
export function writeIdMaps(pid: number, u: UserNamespaceSetup): void {
  if (u.writer === 'helpers') {
    const args = (m: IdMapping[]) => m.flatMap((e) => [String(e.containerID), String(e.hostID), String(e.size)]);
    runHelper('newuidmap', [String(pid), ...args(u.uidMappings)]);
    runHelper('newgidmap', [String(pid), ...args(u.gidMappings)]);
    return;
  }
  const write = (file: string, text: string) => {
    const p = `/proc/${pid}/${file}`;
    try {
      writeFileSync(p, text);
    } catch (err) {
      throw sysError(`write ${file} (${JSON.stringify(text.trim())}) of the container init`, p, err);
    }
  };
  write('uid_map', mapText(u.uidMappings));
  if (u.denySetgroups) write('setgroups', 'deny');
  write('gid_map', mapText(u.gidMappings));
}

function runHelper(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    if (e.code === 'ENOENT') {
      throw new OcirtError(
        `${cmd} not found: mapping several id ranges as an unprivileged user needs the uidmap package (apt-get install uidmap) and entries in /etc/subuid and /etc/subgid`,
      );
    }
    throw new OcirtError(`${cmd} ${args.join(' ')} failed: ${e.stderr?.toString().trim() || String(err)}`);
  }
}
