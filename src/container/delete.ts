// `delete`: remove everything create made. A running (or paused, or half-made) container needs
// --force (it is killed first). A created one is removed without --force, as runc and crun do and
// engines and scripts expect, although runtime-spec says otherwise (docs/architecture.md
// "delete of a created container").
import { OcirtError } from '../errors.js';
import { killCgroup, removeCgroups } from '../cgroups/manager.js';
import * as native from '../native.js';
import { openVerified } from './kill.js';
import { removeRdt } from './resctrl.js';
import { deriveStatus, isSameProcess } from './status.js';
import { sleepMs } from '../sleep.js';
import type { StateStore } from './state-store.js';

export function deleteContainer(store: StateStore, id: string, force: boolean): void {
  const unlock = store.lock(id);
  try {
    const state = store.read(id);
    const status = deriveStatus(state, store.fifoPath(id));
    if (status !== 'stopped' && status !== 'created' && !force) {
      throw new OcirtError(`cannot delete container "${id}" that is ${status}: stop it first or use --force`);
    }
    if (status !== 'stopped') {
      if (state.cgroupPath) killCgroup(state.cgroupPath);
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
    }
    removeCgroups({ v2: state.cgroupPath, v1: state.cgroupV1Paths ?? [] });
    removeRdt(state.resctrlDirs ?? []);
    store.remove(id);
  } finally {
    unlock();
  }
}

function waitGone(pid: number, startTime: number): void {
  for (let i = 0; i < 5000 && isSameProcess(pid, startTime); i++) sleepMs(1);
  if (isSameProcess(pid, startTime)) throw new OcirtError(`container init (pid ${pid}) did not exit after SIGKILL`);
}
