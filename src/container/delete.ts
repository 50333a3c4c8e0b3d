// `delete`: remove everything create made, then run the poststop hooks. A running (or paused, or
// half-made) container needs --force (it is killed first). A created one is removed without
// --force, as runc and crun do and engines and scripts expect, although runtime-spec says
// otherwise (docs/architecture.md "delete of a created container").
import { ContainerError, OcirtError } from '../errors.js';
import { removeCgroups, signalAll } from '../cgroups/manager.js';
import { fromStateFields } from '../cgroups/record.js';
import { SILENT, type Logger } from '../logger.js';
import * as native from '../native.js';
import { faultPoint } from './fault.js';
import { runHooksWarning } from './hooks.js';
import { openVerified } from './kill.js';
import { removeRdt } from './resctrl.js';
import { toRuntimeState } from './runtime-state.js';
import { deriveStatus, isSameProcess, type Status } from './status.js';
import { sleepMs } from '../sleep.js';
import type { StateStore, StoredState } from './state-store.js';
import type { Hook } from '../spec/types.js';

export function deleteContainer(store: StateStore, id: string, force: boolean, log: Logger = SILENT): void {
  const unlock = store.lock(id);
  let state: StoredState;
  let poststop: Hook[] | undefined;
  try {
    faultPoint('delete:locked');
    if (!store.exists(id)) {
      // only a dead command's lock was left; ours goes with unlock()
      if (force) return;
      throw new ContainerError('not-found', id, `container "${id}" does not exist`);
    }
    if (store.isDebris(id)) {
      // a create or delete killed halfway (runc removes such a directory too)
      store.remove(id);
      if (force) return;
      throw new ContainerError('not-found', id, `container "${id}" does not exist`);
    }
    state = store.read(id);
    const status = deriveStatus(state, store.fifoPath(id));
    if (status !== 'stopped' && status !== 'created' && !force) {
      throw new ContainerError(
        'wrong-state',
        id,
        `cannot delete container "${id}" that is ${status}: stop it first or use --force`,
        status,
      );
    }
    poststop = store.readHooks(id)?.poststop;
    destroyContainer(store, state, status);
    log.debug(`delete ${id}: ${status === 'stopped' ? '' : `killed (it was ${status}), `}cgroups and state removed`);
  } finally {
    unlock();
  }
  // runtime.md "Lifecycle" step 13: after the container is deleted, before delete returns
  runHooksWarning('poststop', poststop, toRuntimeState(state, 'stopped'), { scratchDir: store.root, log });
}

/**
 * runtime.md "Lifecycle" step 12: kill what is left, remove the cgroups and the state directory.
 * The caller holds the id's lock.
 */
export function destroyContainer(store: StateStore, state: StoredState, status: Status): void {
  const cgroups = fromStateFields(state);
  if (status !== 'stopped') {
    // everything in its cgroups, a paused one too (a v1 freezer is thawed for the SIGKILL)
    signalAll(cgroups, 9);
    try {
      const fd = openVerified(state.pid, state.pidStartTime, state.id);
      try {
        native.pidfdSendSignal(fd, 9);
      } finally {
        native.closeFd(fd);
      }
    } catch {
      // already gone (or never started: a create killed halfway)
    }
    waitGone(state.pid, state.pidStartTime);
    faultPoint('delete:killed');
  }
  removeCgroups(cgroups);
  removeRdt(state.resctrlDirs ?? []);
  faultPoint('delete:cgroups-removed');
  store.remove(state.id);
}

function waitGone(pid: number, startTime: number): void {
  for (let i = 0; i < 5000 && isSameProcess(pid, startTime); i++) sleepMs(1);
  if (isSameProcess(pid, startTime)) throw new OcirtError(`container init (pid ${pid}) did not exit after SIGKILL`);
}
