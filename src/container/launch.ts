// Starting a container's init: the parent's half of the protocol with ocirt-init (see
// src/native.ts). spawn -> write the id maps -> place it in its cgroup -> "go" -> wait for READY.
// On any failure the half-made init is killed and reaped before the error is thrown, so the
// caller only has to remove what it made itself (state dir, cgroup).
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as native from '../native.js';
import { encodePlan } from '../linux/encode.js';
import type { IdMapping, LaunchPlan, UserNamespaceSetup } from '../linux/plan.js';
import { OcirtError, sysError } from '../errors.js';
import { describeInitError } from './init-errors.js';
import { faultPoint } from './fault.js';

export interface LaunchedInit {
  pid: number;
  pidfd: number;
}

export interface LaunchHooks {
  /**
   * called as soon as the init process exists (it waits for "go"), and again with the real
   * init's pid when it forks into a joined pid namespace: create records it there
   */
  spawned?: (pid: number) => void;
  /** called after the id maps are written and before the init continues: cgroup placement */
  beforeGo?: (pid: number) => void;
}

export function launchInit(plan: LaunchPlan, hooks: LaunchHooks = {}): LaunchedInit {
  const spawned = native.spawnInit({
    plan: encodePlan(plan),
    cloneFlags: plan.cloneFlags,
    preserveFds: plan.process.preserveFds,
    ...(plan.userns ? { callerIsNsRoot: callerIsNsRoot(plan.userns) } : {}),
    ...(plan.execFifo ? { execFifo: plan.execFifo } : {}),
  });
  let pid = spawned.pid;
  let pidfd = spawned.pidfd;
  try {
    hooks.spawned?.(pid);
    if (plan.userns) writeIdMaps(pid, plan.userns);
    hooks.beforeGo?.(pid);
    native.sendGo(spawned.syncFd);
    faultPoint('create:go');
    for (;;) {
      const msg = native.readSyncMessage(spawned.syncFd);
      if (msg.type === 'ready') break;
      if (msg.type === 'pid') {
        // The init forked into a joined pid namespace: the container's process is the child;
        // the intermediate exits at once and is reaped below.
        pid = msg.pid;
        pidfd = native.pidfdOpen(msg.pid);
        hooks.spawned?.(pid);
        continue;
      }
      if (msg.type === 'error') throw new OcirtError(describeInitError(plan, msg));
      throw new OcirtError('container init exited before it was ready (no error was reported)');
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
