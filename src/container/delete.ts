// `delete`: remove everything create made. runtime-spec: deleting a container that is not
// stopped is an error, so a created or running one needs --force (it is killed first). (runc
// deletes created containers without --force; we follow the spec, which engines also satisfy:
// they pass --force or kill first.)
import { OcirtError } from '../errors.js';
import { removeCgroups, signalAll } from '../cgroups/manager.js';
import { fromStateFields } from '../cgroups/record.js';
import * as native from '../native.js';
import { faultPoint } from './fault.js';
import { openVerified } from './kill.js';
import { deriveStatus, isSameProcess } from './status.js';
import { sleepMs } from '../sleep.js';
import type { StateStore } from './state-store.js';

export function deleteContainer(store: StateStore, id: string, force: boolean): void {
  const unlock = store.lock(id);
  try {
    faultPoint('delete:locked');
    if (!store.exists(id)) {
      // only a dead command's lock was left; ours goes with unlock()
      if (force) return;
      throw new OcirtError(`container "${id}" does not exist`);
    }
    if (store.isDebris(id)) {
      // a create or delete killed halfway (runc removes such a directory too)
      store.remove(id);
      if (force) return;
      throw new OcirtError(`container "${id}" does not exist`);
    }
    const state = store.read(id);
    const status = deriveStatus(state, store.fifoPath(id));
    if (status !== 'stopped' && !force) {
      throw new OcirtError(`cannot delete container "${id}" that is ${status}: stop it first or use --force`);
    }
    const cgroups = fromStateFields(state);
    if (status !== 'stopped') {
      // everything in its cgroups, a paused one too (a v1 freezer is thawed for the SIGKILL)
      signalAll(cgroups, 9);
      try {
        const fd = openVerified(state.pid, state.pidStartTime, id);
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
    faultPoint('delete:cgroups-removed');
    store.remove(id);
  } finally {
    unlock();
  }
}

function waitGone(pid: number, startTime: number): void {
  for (let i = 0; i < 5000 && isSameProcess(pid, startTime); i++) sleepMs(1);
  if (isSameProcess(pid, startTime)) throw new OcirtError(`container init (pid ${pid}) did not exit after SIGKILL`);
}
