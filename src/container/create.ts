// `create`: validate the bundle, plan, launch the init and leave it blocked on exec.fifo.
// Everything create makes (state dir, fifo, cgroup, init process) is undone if any later step
// fails, so a failed create leaves nothing behind.
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { userInfo } from 'node:os';
import { loadBundle } from '../spec/bundle.js';
import { buildPlan } from '../linux/plan-builder.js';
import { findCgroupV1Mounts, hostFacts } from '../linux/host.js';
import { addProcess, cgroupRelPath, plannedCgroups, removeCgroups, setupCgroups, type CgroupSet } from '../cgroups/manager.js';
import { planResources } from '../cgroups/resources.js';
import * as native from '../native.js';
import { OcirtError, sysError } from '../errors.js';
import { OCI_SPEC_VERSION } from '../version.js';
import { faultPoint } from './fault.js';
import { launchInit } from './launch.js';
import { readProcStat } from './status.js';
import { StateStore, validateId, writeAtomic, type StoredState } from './state-store.js';

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  /** false for a foreground `run`: the init goes straight on to execve after setup */
  waitForStart: boolean;
  /** --rootless: 'auto' tolerates a cgroup the caller may not create */
  rootless: 'auto' | 'true' | 'false';
  /** where to report what was accepted but ignored (the --log file) */
  warn?: (msg: string) => void;
  /**
   * A foreground `run` of a config with process.terminal and no --console-socket: ocirt itself
   * receives the pty master (on a socket in the state dir) and relays it, as runc does.
   */
  relayTerminal?: boolean;
}

export interface Created {
  state: StoredState;
  /** pidfd of the init, open in this process */
  pidfd: number;
  /** with relayTerminal: the listening socket the init sent the pty master to */
  consoleListenFd?: number;
}

export function createContainer(store: StateStore, o: CreateOptions): Created {
  const id = validateId(o.id);
  store.ensureRoot();
  const unlock = store.lock(id);
  try {
    return createLocked(store, id, o);
  } finally {
    unlock();
  }
}

function createLocked(store: StateStore, id: string, o: CreateOptions): Created {
  faultPoint('create:locked');
  // what a create or delete killed halfway left (the lock is ours: that command is gone)
  if (store.isDebris(id)) store.remove(id);
  if (store.exists(id)) throw new OcirtError(`container "${id}" already exists`);
  const bundleDir = resolveBundle(o.bundle);
  const { config, rootfs } = loadBundle(bundleDir);
  const host = hostFacts();

  const undo: (() => void)[] = [];
  try {
    store.createDir(id);
    undo.push(() => store.remove(id));
    faultPoint('create:state-dir');
    const execFifo = o.waitForStart ? store.fifoPath(id) : undefined;
    if (execFifo) native.mkfifo(execFifo, 0o622);
    faultPoint('create:fifo');
    let consoleSocket = o.consoleSocket ? resolve(o.consoleSocket) : undefined;
    let consoleListenFd: number | undefined;
    if (!consoleSocket && o.relayTerminal && config.process?.terminal) {
      consoleSocket = `${store.dir(id)}/console.sock`;
      const fd = native.unixListen(consoleSocket);
      consoleListenFd = fd;
      undo.push(() => native.closeFd(fd));
    }

    const plan = buildPlan(
      config,
      rootfs,
      {
        bundle: bundleDir,
        noPivot: o.noPivot,
        noNewKeyring: o.noNewKeyring,
        preserveFds: o.preserveFds,
        ...(execFifo ? { execFifo } : {}),
        ...(consoleSocket ? { consoleSocket } : {}),
        ...(o.warn ? { warn: o.warn } : {}),
      },
      host,
    );

    const resources = planResources(config.linux?.resources);
    const cgroupHost = { cgroup2Mount: host.cgroup2Mount, v1Mounts: findCgroupV1Mounts() };
    const cgroupRel = cgroupRelPath(config.linux?.cgroupsPath, id);
    for (const field of resources.unsupported) o.warn?.(`${field} is not supported yet and was ignored`);

    // A create killed at any point from here leaves a record `delete --force` finishes from: the
    // cgroups are recorded before they are made (pid 0: "creating"), the init as soon as it exists
    // (creating: true), the final state once it is ready.
    const created = new Date().toISOString();
    const owner = ownerName();
    const record = (cgroups: CgroupSet, init?: { pid: number; startTime: number; ready: boolean }): StoredState => ({
      ociVersion: OCI_SPEC_VERSION,
      id,
      pid: init?.pid ?? 0,
      pidStartTime: init?.startTime ?? 0,
      bundle: bundleDir,
      rootfs,
      ...(config.annotations ? { annotations: config.annotations } : {}),
      created,
      owner,
      ...(cgroups.v2 ? { cgroupPath: cgroups.v2 } : {}),
      ...(cgroups.v1.length ? { cgroupV1Paths: cgroups.v1 } : {}),
      rootless: plan.userns !== undefined,
      ...(init && !init.ready ? { creating: true } : {}),
    });
    const planned = plannedCgroups(cgroupHost, cgroupRel, resources);
    store.write(record(planned));
    faultPoint('create:recorded');
    const cgroups = setupCgroups(cgroupHost, cgroupRel, resources, host.euid !== 0 && o.rootless !== 'false');
    undo.push(() => removeCgroups(cgroups));
    // a cgroup the caller may not make (--rootless auto) is not ours to remove later
    if (!sameCgroups(cgroups, planned)) store.write(record(cgroups));
    faultPoint('create:cgroups');

    const init = launchInit(plan, {
      spawned: (pid) => {
        const startTime = readProcStat(pid)?.startTime;
        if (startTime !== undefined) store.write(record(cgroups, { pid, startTime, ready: false }));
        faultPoint('create:spawned');
      },
      beforeGo: (pid) => addProcess(cgroups, pid),
    });
    undo.push(() => {
      try {
        native.pidfdSendSignal(init.pidfd, 9);
        native.reap(init.pidfd);
      } catch {
        // already gone
      }
    });
    faultPoint('create:ready');

    const startTime = readProcStat(init.pid)?.startTime;
    if (startTime === undefined) throw new OcirtError(`container init (pid ${init.pid}) exited during create`);
    const state = record(cgroups, { pid: init.pid, startTime, ready: true });
    store.write(state);
    faultPoint('create:state');
    if (o.pidFile) writeAtomic(resolve(o.pidFile), String(init.pid));
    return { state, pidfd: init.pidfd, ...(consoleListenFd !== undefined ? { consoleListenFd } : {}) };
  } catch (err) {
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        // keep undoing the rest; the original error is what the user needs to see
      }
    }
    throw err;
  }
}

function sameCgroups(a: CgroupSet, b: CgroupSet): boolean {
  return a.v2 === b.v2 && a.v1.length === b.v1.length && a.v1.every((d, i) => d === b.v1[i]);
}

function resolveBundle(bundle: string): string {
  const abs = resolve(bundle || '.');
  try {
    return realpathSync(abs);
  } catch (err) {
    throw sysError('bundle', abs, err);
  }
}

function ownerName(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.geteuid?.() ?? '');
  }
}
