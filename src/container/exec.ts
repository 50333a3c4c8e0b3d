// `exec`: one more process in a running container, a second kind of the same launch. The process
// (exec-process.ts) and the container's recorded config become an exec-kind plan
// (buildExecPlan); the same init stub joins the container through its init's pidfd, checked
// against the recorded start time so that a recycled pid is never joined, forks into its pid
// namespace, takes the process's settings and execs. The new process is in the container's
// cgroups before it runs anything. In the foreground ocirt forwards signals, relays a terminal and
// exits with the process's status; detached it returns once the program runs.
import { openSync } from 'node:fs';
import { resolve } from 'node:path';
import * as native from '../native.js';
import { ConfigError, ContainerError } from '../errors.js';
import { hostFacts, isOwnNamespace } from '../linux/host.js';
import { sendListenerFd } from '../seccomp/notify.js';
import { openPlacement, type Placement } from '../cgroups/manager.js';
import { fromStateFields } from '../cgroups/record.js';
import { subCgroups } from '../cgroups/sub-cgroup.js';
import type { Spec } from '../spec/types.js';
import { execConfig, type ExecProcessSource } from './exec-process.js';
import { planExec } from './exec-plan.js';
import { checkPreservedFds } from './fds.js';
import { awaitExit, SignalForwarder } from './foreground.js';
import { faultPoint } from './fault.js';
import { launchInit } from './launch.js';
import { deriveStatus, isSameProcess, type Status } from './status.js';
import { validateId, writeAtomic, type ContainerRecord, type StateStore, type StoredState } from './state-store.js';
import { checkConsoleFlags, openConsoleSocket, relayedTerminalSize, type ConsoleSocket } from './terminal.js';

export interface ExecOptions {
  id: string;
  process: ExecProcessSource;
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds: number;
  /** --cgroup: sub-cgroups of the container's for the new process */
  cgroups: string[];
  ignorePaused: boolean;
  warn?: (msg: string) => void;
  /** --debug details */
  debug?: (msg: string) => void;
  /** the process's fds 0, 1, 2 (-1: ocirt's own); the API's pipes */
  stdio?: [number, number, number];
}

/** Runs the process; the exit code is the process's in the foreground, 0 once it runs when detached. */
export async function execContainer(store: StateStore, o: ExecOptions): Promise<number> {
  const prepared = await prepareExec(store, o);
  // In the foreground, signals that arrive while the process starts are forwarded once it runs.
  const signals = o.detach ? undefined : new SignalForwarder();
  let pidfd: number | undefined;
  try {
    const launched = prepared.launch();
    pidfd = launched.pidfd;
    faultPoint('exec:running');
    if (!signals) {
      if (launched.consoleRelayFd !== undefined) native.closeFd(launched.consoleRelayFd);
      return 0;
    }
    signals.attach(pidfd);
    return await awaitExit(pidfd, launched.consoleRelayFd);
  } finally {
    signals?.stop();
    if (pidfd !== undefined) native.closeFd(pidfd);
  }
}

export interface Launched {
  pid: number;
  /** the process's pidfd, the caller's to close */
  pidfd: number;
  consoleRelayFd?: number;
}

/**
 * The process decided and checked (the record, the source, the flags), ready to launch: the API
 * holds the launched process itself, the CLI waits for it (execContainer).
 */
export async function prepareExec(store: StateStore, o: ExecOptions): Promise<{ launch(): Launched }> {
  const id = validateId(o.id);
  // the record is create's and never changes: the process is decided before the lock is taken
  const record = store.readRecord(id) ?? (await legacyRecord(store.read(id)));
  const config = await execConfig(record.config, o.process);
  checkConsoleFlags(config.process?.terminal === true, o.detach, o.consoleSocket, 'exec');
  checkPreservedFds(o.preserveFds);
  return {
    launch() {
      const launched = launchLocked(store, id, record, config, o);
      if (o.pidFile) writeAtomic(resolve(o.pidFile), String(launched.pid));
      return launched;
    },
  };
}

/** Under the container's lock, so that it is not deleted (its cgroup removed) while the process joins it. */
function launchLocked(store: StateStore, id: string, record: ContainerRecord, config: Spec, o: ExecOptions): Launched {
  const unlock = store.lock(id);
  try {
    const state = store.read(id);
    faultPoint('exec:locked');
    checkStatus(state, deriveStatus(state, store.fifoPath(id)), o.ignorePaused);
    const plan = located(o.process, () =>
      planExec({
        record,
        config,
        rootfs: state.rootfs,
        preserveFds: o.preserveFds,
        isOwnNamespace,
        host: hostFacts({ seccompCacheDir: store.seccompCacheDir() }),
        consoleSocket: o.consoleSocket ?? "ocirt's terminal relay",
        // a relayed terminal: the pty has ocirt's terminal's size before the program runs
        ...(config.process?.terminal && !o.consoleSocket ? { terminalSize: relayedTerminalSize() } : {}),
        ...(o.warn ? { warn: o.warn } : {}),
        ...(o.debug ? { debug: o.debug } : {}),
      }),
    );
    const cgroups = subCgroups(fromStateFields(state), o.cgroups);

    const initPidfd = openInit(state, id);
    const fds: number[] = [initPidfd];
    let console: ConsoleSocket | undefined;
    let placement: Placement | undefined;
    try {
      if (config.process?.terminal) {
        console = openConsoleSocket(o.consoleSocket ? resolve(o.consoleSocket) : undefined);
        fds.push(console.stubFd);
      }
      if (plan.exec?.chroot) fds.push(initRoot(state, initPidfd, id));
      const listener = plan.seccomp?.listener;
      // started inside the container's cgroups (a paused container's freezer holds it there
      // until the resume: --ignore-paused)
      placement = openPlacement(cgroups);
      const launched = launchInit(plan, {
        spawned: () => faultPoint('exec:spawned'),
        afterGo: () => faultPoint('exec:go'),
        placement,
        fds,
        ...(o.stdio ? { stdio: o.stdio } : {}),
        ...(listener
          ? {
              onSeccompListener: (fd: number, pid: number) =>
                sendListenerFd(listener, fd, {
                  id,
                  status: 'running',
                  pid,
                  bundle: state.bundle,
                  ...(state.annotations ? { annotations: state.annotations } : {}),
                }),
            }
          : {}),
      });
      return { ...launched, ...(console?.relayFd !== undefined ? { consoleRelayFd: console.relayFd } : {}) };
    } catch (err) {
      if (console?.relayFd !== undefined) native.closeFd(console.relayFd);
      throw err;
    } finally {
      // our copies: the stub received its own
      placement?.close();
      for (const fd of fds) native.closeFd(fd);
    }
  } finally {
    unlock();
  }
}

/**
 * A field that cannot be carried out here (the planner's ConfigError), named where the user set
 * it: the -p file, the process config.json and the flags make, or config.json as create kept it.
 */
function located<T>(source: ExecProcessSource, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const inProcess = err.pointer === '/process' || err.pointer.startsWith('/process/');
    const where = !inProcess
      ? `config.json (as create recorded it): ${err.pointer}`
      : 'file' in source
        ? `${resolve(source.file)}: ${err.pointer.slice('/process'.length) || '/'}`
        : `the process (config.json's, with the command and flags): ${err.pointer}`;
    throw new ConfigError(err.pointer, err.detail, { message: `exec: ${where}: ${err.detail}`, cause: err });
  }
}

function checkStatus(state: StoredState, status: Status, ignorePaused: boolean): void {
  const refuse = (why: string) => new ContainerError('wrong-state', state.id, `cannot exec in container "${state.id}": ${why}`, status);
  if (status === 'stopped') throw refuse('container not running (it is stopped)');
  if (status === 'creating') throw refuse('it is still being created');
  if (status === 'paused' && !ignorePaused) {
    throw refuse('it is paused (use --ignore-paused to override)');
  }
}

/** The init's pidfd, once its identity is confirmed: a pid recycled since create is never joined. */
function openInit(state: StoredState, id: string): number {
  let fd: number;
  try {
    fd = native.pidfdOpen(state.pid);
  } catch {
    throw new ContainerError('wrong-state', id, `cannot exec in container "${id}": container not running`, 'stopped');
  }
  if (!isSameProcess(state.pid, state.pidStartTime)) {
    native.closeFd(fd);
    throw new ContainerError('wrong-state', id, `cannot exec in container "${id}": container not running`, 'stopped');
  }
  return fd;
}

/** A container without a mount namespace is its init's root directory; opened, then re-checked. */
function initRoot(state: StoredState, pidfd: number, id: string): number {
  const fd = openSync(`/proc/${state.pid}/root`, 'r');
  try {
    // still alive after the open: the /proc entry was that process's
    native.pidfdSendSignal(pidfd, 0);
  } catch {
    native.closeFd(fd);
    throw new ContainerError('wrong-state', id, `cannot exec in container "${id}": container not running`, 'stopped');
  }
  return fd;
}

/** A container created before ocirt recorded its config: the bundle's, as runc reads it. */
async function legacyRecord(state: StoredState): Promise<ContainerRecord> {
  const { loadBundle } = await import('../spec/bundle.js');
  return { config: loadBundle(state.bundle).config, noNewKeyring: false };
}
