// `create`: validate the bundle, plan, launch the init and leave it blocked on exec.fifo.
// Everything create makes (state dir, fifo, cgroup, init process) is undone if any later step
// fails, so a failed create leaves nothing behind.
import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { loadBundle, loadConfigValue } from '../spec/bundle.js';
import { buildPlan } from '../linux/plan-builder.js';
import { findResctrl, hostFacts } from '../linux/host.js';
import { readCgroupHost } from '../cgroups/host.js';
import { cgroupMountFacts, openPlacement, plannedCgroups, removeCgroups, setupCgroups } from '../cgroups/manager.js';
import { toStateFields, type ContainerCgroups } from '../cgroups/record.js';
import * as native from '../native.js';
import { ConfigError, ContainerError, OcirtError, sysError } from '../errors.js';
import { SILENT, type Logger } from '../logger.js';
import { sendListenerFd } from '../seccomp/notify.js';
import type { Hooks } from '../spec/types.js';
import type { HookStateTemplate } from '../linux/hooks.js';
import { OCI_SPEC_VERSION } from '../version.js';
import { faultPoint } from './fault.js';
import { runHooks, runHooksWarning, type HookRun } from './hooks.js';
import { launchInit } from './launch.js';
import { planIntelRdt } from '../linux/intel-rdt.js';
import { applyRdt, removeRdt, requireResctrl } from './resctrl.js';
import { rootlessCgroups } from './rootless.js';
import { toRuntimeState } from './runtime-state.js';
import { readProcStat } from './status.js';
import { type StateStore, recordedIntegers, validateId, writeAtomic, type StoredState } from './state-store.js';
import { checkConsoleFlags, closeConsoleSocket, openConsoleSocket, relayedTerminalSize, type ConsoleSocket } from './terminal.js';
import { checkPreservedFds, listenFdsFromEnv } from './fds.js';
import { writeExecTemplate } from './exec-template.js';

export interface CreateOptions {
  id: string;
  /** the bundle directory (config.json and, by its root.path, the rootfs) */
  bundle: string;
  /**
   * The API's `{ config, rootfs }`: the config as a value, checked as config.json would be, and
   * the rootfs apart; used instead of `bundle`. The container's bundle is then its state
   * directory, where the config is written as config.json (root.path absolute) for hooks and
   * engines that read it.
   */
  given?: { config: unknown; rootfs: string };
  /** the container's fds 0, 1, 2 (-1: ocirt's own) */
  stdio?: [number, number, number];
  pidFile?: string;
  consoleSocket?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  /** false for a foreground `run`: the init goes straight on to execve after setup (unless hooks) */
  waitForStart: boolean;
  /** --rootless: 'auto' tolerates a cgroup the caller may not create */
  rootless: 'auto' | 'true' | 'false';
  /** the --log file: what was accepted but ignored, hook output, --debug lines */
  log?: Logger;
  /**
   * A foreground `run`: with process.terminal ocirt itself receives the pty master and relays it,
   * as runc does (and --console-socket is refused, as runc does).
   */
  relayTerminal?: boolean;
}

export interface Created {
  state: StoredState;
  /** pidfd of the init, open in this process */
  pidfd: number;
  /** with relayTerminal and process.terminal: our end of the console socket, the master is there */
  consoleRelayFd?: number;
  /**
   * The init waits on exec.fifo for `start`: asked for, or (a foreground run) because the config
   * has hooks, which run as part of start (startContainer, poststart).
   */
  waitsForStart: boolean;
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
  if (store.exists(id)) throw new ContainerError('exists', id, `container "${id}" already exists`);
  const givenBundle = o.given ? resolve(store.dir(id)) : undefined;
  const bundleDir = givenBundle ?? resolveBundle(o.bundle);
  const log = o.log ?? SILENT;
  const { config, rootfs, exactIntegers, where, warnings } = o.given
    ? loadConfigValue(o.given.config, o.given.rootfs)
    : loadBundle(bundleDir);
  for (const w of warnings) log.warn(w);
  log.debug(`create ${id}: ${o.given ? 'config' : `bundle ${bundleDir}`} loaded and valid`);
  const cgroupHost = readCgroupHost();
  const warn = (m: string) => log.warn(m);
  const hooks = config.hooks;
  const hookRun: HookRun = { scratchDir: store.root, log };
  const terminal = config.process?.terminal === true;
  checkConsoleFlags(terminal, !o.relayTerminal, o.consoleSocket, 'container');
  const listenFds = listenFdsFromEnv();
  checkPreservedFds(listenFds + o.preserveFds);
  const rdt = config.linux ? planIntelRdt(config.linux, id) : undefined;
  const resctrlRoot = rdt ? requireResctrl(findResctrl()) : undefined;

  // Recorded before the init exists (pid 0: "creating"), so that a create killed halfway leaves
  // something `delete --force` can find and remove: the state dir and the cgroups, which hold
  // the half-made init. The hooks' state is this too.
  const creating: StoredState = {
    ociVersion: OCI_SPEC_VERSION,
    id,
    pid: 0,
    pidStartTime: 0,
    bundle: bundleDir,
    rootfs,
    ...(config.annotations ? { annotations: config.annotations } : {}),
    created: new Date().toISOString(),
    owner: ownerName(),
    rootless: false,
  };

  const undo: (() => void)[] = [];
  let launched = false;
  try {
    store.createDir(id);
    undo.push(() => store.remove(id));
    faultPoint('create:state-dir');
    if (givenBundle) writeAtomic(join(givenBundle, 'config.json'), JSON.stringify(config, null, 2));
    const execFifo = o.waitForStart || hasHooks(hooks) ? store.fifoPath(id) : undefined;
    if (execFifo) native.mkfifo(execFifo, 0o622);
    faultPoint('create:fifo');
    let console: ConsoleSocket | undefined;
    if (terminal) {
      const c = openConsoleSocket(o.consoleSocket ? resolve(o.consoleSocket) : undefined);
      console = c;
      undo.push(() => closeConsoleSocket(c));
    }

    // A create killed at any point from here leaves a record `delete --force` finishes from: the
    // cgroups are recorded before they are made (pid 0: "creating"), the init as soon as it exists
    // (creating: true), the final state once it is ready.
    // what plan.userns says once there is a plan: the config makes a user namespace
    const rootless = (config.linux?.namespaces ?? []).some((n) => n.type === 'user' && !n.path);
    const record = (c: ContainerCgroups, init?: { pid: number; startTime: number; ready: boolean }): StoredState => ({
      ...creating,
      pid: init?.pid ?? 0,
      pidStartTime: init?.startTime ?? 0,
      ...toStateFields(c),
      rootless,
      ...(init && !init.ready ? { creating: true } : {}),
    });
    const cgroupIds = { id, cgroupsPath: config.linux?.cgroupsPath };
    const planned = plannedCgroups(cgroupHost, cgroupIds);
    store.write(record(planned));
    faultPoint('create:recorded');

    // Limits and device rules are in place before the init exists; the plan's cgroup mounts
    // show the directories made here.
    const cgroups = setupCgroups(cgroupHost, {
      ...cgroupIds,
      resources: config.linux?.resources,
      rootless: rootlessCgroups(o.rootless),
      warn,
    });
    undo.push(() => removeCgroups(cgroups));
    log.debug(`create ${id}: cgroups ${JSON.stringify(toStateFields(cgroups))}`);
    // a cgroup the caller may not make (rootless) is not ours to remove later
    if (JSON.stringify(toStateFields(cgroups)) !== JSON.stringify(toStateFields(planned))) store.write(record(cgroups));
    faultPoint('create:cgroups');

    const host = hostFacts({ seccompCacheDir: store.seccompCacheDir(), cgroups: cgroupMountFacts(cgroupHost, cgroups) });
    const plan = located(where, () =>
      buildPlan(
        config,
        rootfs,
        {
          bundle: bundleDir,
          noPivot: o.noPivot,
          noNewKeyring: o.noNewKeyring,
          preserveFds: o.preserveFds,
          ...(listenFds ? { listenFds } : {}),
          ...(execFifo ? { execFifo } : {}),
          ...(console ? { consoleSocket: console.describe } : {}),
          ...(console?.relayFd !== undefined ? { terminalSize: relayedTerminalSize() } : {}),
          ...(hooks ? { hookState: hookStateTemplate(creating) } : {}),
          warn,
          debug: (m) => log.debug(m),
          ...(exactIntegers.size ? { exactIntegers } : {}),
        },
        host,
      ),
    );
    log.debug(`create ${id}: plan built (clone flags 0x${plan.cloneFlags.toString(16)}, ${plan.mounts.length} mounts)`);

    Object.assign(creating, toStateFields(cgroups), { rootless: plan.userns !== undefined });
    const configRecord = { config, noNewKeyring: o.noNewKeyring, ...recordedIntegers(exactIntegers) };
    store.writeRecord(id, configRecord);
    if (hasHooks(hooks)) store.markHooks(id);
    writeExecTemplate(store, id, configRecord, rootfs, host);

    let resctrlDirs: string[] = [];
    undo.push(() => removeRdt(resctrlDirs));
    const listener = plan.seccomp?.listener;
    const placement = openPlacement(cgroups);
    launched = true;
    const init = (() => {
      try {
        return launchInit(plan, {
          spawned: (pid) => {
            const startTime = readProcStat(pid)?.startTime;
            if (startTime !== undefined) store.write(record(cgroups, { pid, startTime, ready: false }));
            faultPoint('create:spawned');
          },
          afterGo: () => faultPoint('create:go'),
          placement,
          beforeGo: (pid) => {
            if (rdt && resctrlRoot) resctrlDirs = applyRdt(rdt, resctrlRoot, pid, id);
          },
          ...(o.stdio ? { stdio: o.stdio } : {}),
          fds: console ? [console.stubFd] : [],
          ...(listener
            ? {
                onSeccompListener: (fd: number, pid: number) =>
                  sendListenerFd(listener, fd, {
                    id,
                    status: 'creating',
                    pid,
                    bundle: bundleDir,
                    ...(config.annotations ? { annotations: config.annotations } : {}),
                  }),
              }
            : {}),
          atRuntimeHooks: (pid) => {
            // runtime.md "Lifecycle" steps 3 and 4; status as crun (and runtime-tools) report it
            const state = toRuntimeState({ ...creating, pid }, 'created');
            runHooks('prestart', hooks?.prestart, state, hookRun);
            runHooks('createRuntime', hooks?.createRuntime, state, hookRun);
          },
        });
      } finally {
        placement.close();
      }
    })();
    log.debug(`create ${id}: init pid ${init.pid} ready`);
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
    const state: StoredState = {
      ...record(cgroups, { pid: init.pid, startTime, ready: true }),
      ...(resctrlDirs.length ? { resctrlDirs } : {}),
    };
    store.write(state);
    faultPoint('create:state');
    if (o.pidFile) writeAtomic(resolve(o.pidFile), String(init.pid));
    // the init has its own copy; the --console-socket peer keeps the connection
    if (console) native.closeFd(console.stubFd);
    return {
      state,
      pidfd: init.pidfd,
      waitsForStart: execFifo !== undefined,
      ...(console?.relayFd !== undefined ? { consoleRelayFd: console.relayFd } : {}),
    };
  } catch (err) {
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        // keep undoing the rest; the original error is what the user needs to see
      }
    }
    // runtime.md: a create-time hook that fails stops the container "and continue[s] the lifecycle
    // at step 12": destroyed (above), then the poststop hooks. As runc, once the init existed.
    if (launched) runHooksWarning('poststop', hooks?.poststop, toRuntimeState(creating, 'stopped'), hookRun);
    throw err;
  }
}

function hasHooks(hooks: Hooks | undefined): boolean {
  return Object.values(hooks ?? {}).some((list) => Array.isArray(list) && list.length > 0);
}

/**
 * The state JSON the init's hooks (createContainer, startContainer) read, cut where the init
 * writes its own pid: it alone knows it when it forked into a joined pid namespace.
 */
function hookStateTemplate(creating: StoredState): HookStateTemplate {
  const json = JSON.stringify(toRuntimeState(creating, 'created'));
  const at = json.indexOf('"pid":0,');
  if (at < 0) throw new OcirtError("internal: no pid in the hooks' state");
  return { prefix: json.slice(0, at + '"pid":'.length), suffix: json.slice(at + '"pid":0'.length) };
}

/** A ConfigError from `f` gets the field's place in config.json in front of its message. */
function located<T>(where: (pointer: string) => string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new ConfigError(err.pointer, err.detail, { message: `${where(err.pointer)}: ${err.pointer}: ${err.detail}`, cause: err });
    }
    throw err;
  }
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
