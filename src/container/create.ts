// `create`: validate the bundle, plan, launch the init and leave it blocked on exec.fifo.
// Everything create makes (state dir, fifo, cgroup, init process) is undone if any later step
// fails, so a failed create leaves nothing behind.
import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { loadBundle, loadConfigValue } from '../spec/bundle.js';
import { buildPlan } from '../linux/plan-builder.js';
import { hostFacts, runsRootless } from '../linux/host.js';
import { readCgroupHost } from '../cgroups/host.js';
import { cgroupMountFacts, openPlacement, removeCgroups, setupCgroups } from '../cgroups/manager.js';
import { toStateFields } from '../cgroups/record.js';
import * as native from '../native.js';
import { ConfigError, ContainerError, OcirtError, sysError } from '../errors.js';
import { sendListenerFd } from '../seccomp/notify.js';
import { OCI_SPEC_VERSION } from '../version.js';
import { launchInit } from './launch.js';
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
  /** false for a foreground `run`: the init goes straight on to execve after setup */
  waitForStart: boolean;
  /** --rootless: 'auto' tolerates a cgroup the caller may not create */
  rootless: 'auto' | 'true' | 'false';
  /** where to report what was accepted but ignored (the --log file) */
  warn?: (msg: string) => void;
  /** --debug details */
  debug?: (msg: string) => void;
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
  if (store.exists(id)) throw new ContainerError('exists', id, `container "${id}" already exists`);
  const givenBundle = o.given ? resolve(store.dir(id)) : undefined;
  const bundleDir = givenBundle ?? resolveBundle(o.bundle);
  const { config, rootfs, exactIntegers, where } = o.given ? loadConfigValue(o.given.config, o.given.rootfs) : loadBundle(bundleDir);
  const cgroupHost = readCgroupHost();
  const warn = o.warn ?? (() => {});
  const terminal = config.process?.terminal === true;
  checkConsoleFlags(terminal, !o.relayTerminal, o.consoleSocket, 'container');
  const listenFds = listenFdsFromEnv();
  checkPreservedFds(listenFds + o.preserveFds);

  const undo: (() => void)[] = [];
  try {
    store.createDir(id);
    undo.push(() => store.remove(id));
    if (givenBundle) writeAtomic(join(givenBundle, 'config.json'), JSON.stringify(config, null, 2));
    const execFifo = o.waitForStart ? store.fifoPath(id) : undefined;
    if (execFifo) native.mkfifo(execFifo, 0o622);
    let console: ConsoleSocket | undefined;
    if (terminal) {
      const c = openConsoleSocket(o.consoleSocket ? resolve(o.consoleSocket) : undefined);
      console = c;
      undo.push(() => closeConsoleSocket(c));
    }

    // Limits and device rules are in place before the init exists; the plan's cgroup mounts
    // show the directories made here.
    const cgroups = setupCgroups(cgroupHost, {
      id,
      cgroupsPath: config.linux?.cgroupsPath,
      resources: config.linux?.resources,
      rootless: runsRootless(o.rootless),
      warn,
    });
    undo.push(() => removeCgroups(cgroups));

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
          warn,
          ...(o.debug ? { debug: o.debug } : {}),
          ...(exactIntegers.size ? { exactIntegers } : {}),
        },
        host,
      ),
    );

    // Recorded before the init exists (pid 0: "creating"), so that a create killed halfway leaves
    // something `delete --force` can find and remove: the state dir and the cgroups, which hold
    // the half-made init.
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
      ...toStateFields(cgroups),
      rootless: plan.userns !== undefined,
    };
    store.write(creating);
    const record = { config, noNewKeyring: o.noNewKeyring, ...recordedIntegers(exactIntegers) };
    store.writeRecord(id, record);
    writeExecTemplate(store, id, record, rootfs, host);

    const listener = plan.seccomp?.listener;
    const placement = openPlacement(cgroups);
    const init = (() => {
      try {
        return launchInit(plan, {
          placement,
          ...(o.stdio ? { stdio: o.stdio } : {}),
          fds: console ? [console.stubFd] : [],
          ...(listener
            ? {
                onSeccompListener: (fd: number, pid: number) =>
                  sendListenerFd(listener, fd, { id, status: 'creating', pid, bundle: bundleDir, ...(config.annotations ? { annotations: config.annotations } : {}) }),
              }
            : {}),
        });
      } finally {
        placement.close();
      }
    })();
    undo.push(() => {
      try {
        native.pidfdSendSignal(init.pidfd, 9);
        native.reap(init.pidfd);
      } catch {
        // already gone
      }
    });

    const startTime = readProcStat(init.pid)?.startTime;
    if (startTime === undefined) throw new OcirtError(`container init (pid ${init.pid}) exited during create`);
    const state: StoredState = { ...creating, pid: init.pid, pidStartTime: startTime };
    store.write(state);
    if (o.pidFile) writeAtomic(resolve(o.pidFile), String(init.pid));
    // the init has its own copy; the --console-socket peer keeps the connection
    if (console) native.closeFd(console.stubFd);
    return { state, pidfd: init.pidfd, ...(console?.relayFd !== undefined ? { consoleRelayFd: console.relayFd } : {}) };
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
